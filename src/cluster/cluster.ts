// This node's part in its cluster: the membership (who, disc or ram), the links to the other
// members, and the metadata log that keeps every running node's metadata the same.
//
// The log: one coordinator, the running disc node whose app has run longest, sequences every
// change. A node commits by sending its commands to the coordinator (or applying them itself
// when it is the coordinator); the coordinator numbers them, applies them, and sends them to
// every synced node, replying only once all have applied them, so a change made through any
// node is visible through every node when the call returns. A node whose app starts asks the
// coordinator for everything it holds (a sync) and from then on receives every change. When
// the coordinator goes, the next oldest disc node takes over and first sends its whole state
// to the others, so a change the old one had sent to only some of them cannot leave them apart.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AmqpError } from '../amqp/errors.js';
import { INTERNAL_ERROR } from '../amqp/spec.js';
import type { Broker, MetadataLog } from '../broker/broker.js';
import { commandFromJson, commandToJson, type Metadata, type MetadataCommand, type QueueDef, type Snapshot } from '../broker/metadata.js';
import { ControlError } from '../control/errors.js';
import type { CallContext, Handler } from '../control/server.js';
import type { WarrenNode } from '../node/node.js';
import { diffCommands } from './diff.js';
import { discNodes, members, readMembership, writeMembership, type Membership, type NodeType } from './membership.js';
import { PeerLink, type PeerHello } from './peers.js';
import { HomeQueues, RemoteQueue, messageFromWire, type Delivery, type WireMessage } from '../broker/remote-queue.js';
import { MirrorManager } from './mirror-manager.js';
import type { RemoteQueueAccess } from '../broker/broker.js';
import { homeDown } from '../broker/broker.js';
import type { ClassicQueue, Consumer } from '../queues/classic-queue.js';

export const FORCE_BOOT_FILE = 'force_load';

/** Failures the CLI prints as "Error:\n<text>" (exit 69). */
export const clusterError = (text: string) => new ControlError('cluster_error', text);

const quoted = (s: string) => s.replace(/'/g, "\\'");
/** A node name as Elixir prints an atom. */
const atom = (s: string) => (/^[a-z_][a-zA-Z0-9_@]*$/.test(s) ? `:${s}` : `:"${s}"`);

export class Cluster implements MetadataLog {
  membership: Membership;
  readonly bootId = crypto.randomBytes(8).toString('hex');
  readonly links = new Map<string, PeerLink>();
  /** When this node's app reached running (0 while it is not running). */
  appStartedAt = 0;
  /** Nodes that lost contact with us by heartbeat and later came back without restarting. */
  readonly partitions = new Set<string>();
  /** Peers lost by heartbeat timeout, with the boot id and app start they had then. */
  private silentlyLost = new Map<string, string>();

  private metadata: Metadata | undefined;
  private broker: Broker | undefined;
  private seq = 0;
  /** On the coordinator: the nodes that synced and receive every change. */
  private readonly replicas = new Set<string>();
  private wasCoordinator = false;
  /** While syncing: changes that arrived before the snapshot they follow. */
  private buffered: Array<{ seq: number; cmds: MetadataCommand[] }> | undefined;
  private forceBoot = false;
  private waitAbort: (() => void) | undefined;
  /** Queues of other nodes used from here, and the consumers they serve here. */
  private readonly endpoints = new Map<string, RemoteQueue>();
  private readonly remoteConsumers = new Map<string, { rq: RemoteQueue; consumer: Consumer }>();
  private nextConsumerId = 1;
  /** Queues of this node used from other nodes. */
  private readonly home = new HomeQueues(
    (node, op, args) => this.callNode(node, op, args),
    (node) => node === this.self || this.links.get(node)?.up === true,
  );
  /** This node's mirrored queues, as master and as mirror. */
  readonly mirroring: MirrorManager;
  /** The handlers this node answers peers with (a node calls itself through them too). */
  private readonly handlerMap = new Map<string, Handler>();

  constructor(private readonly node: WarrenNode) {
    this.membership = readMembership(node.env.dataDir, node.name);
    this.mirroring = new MirrorManager({
      self: node.name,
      broker: () => this.broker,
      persistence: () => this.broker?.persistence,
      running: () => this.runningNodes(),
      call: (n, op, args) => this.callNode(n, op, args),
      commit: (cmds) => this.commit(cmds),
      log: (level, text) => node.log.log(level, text),
    });
  }

  get self(): string {
    return this.node.name;
  }

  get type(): NodeType {
    return this.membership.nodes[this.self] ?? 'disc';
  }

  get others(): string[] {
    return members(this.membership).filter((n) => n !== this.self);
  }

  get appRunning(): boolean {
    return this.node.appState === 'running';
  }

  /** Links to every other member (at boot and whenever the membership changes). */
  connectPeers(): void {
    for (const [n, link] of this.links) {
      if (!(n in this.membership.nodes)) {
        link.close();
        this.links.delete(n);
        this.replicas.delete(n);
      }
    }
    for (const n of this.others) {
      if (this.links.has(n)) continue;
      const link = new PeerLink(
        n,
        {
          self: this.self,
          epmdPort: this.node.env.epmdPort,
          cookie: () => this.node.cookie,
          netTicktimeMs: this.node.config.netTicktime * 1000,
          hello: () => this.helloArgs(),
        },
        { up: (node, hello) => this.peerUp(node, hello), down: (node, silent) => this.peerDown(node, silent) },
      );
      this.links.set(n, link);
    }
  }

  close(): void {
    for (const l of this.links.values()) l.close();
    this.links.clear();
  }

  private helloArgs(): Record<string, unknown> {
    return {
      app: this.node.appState,
      appStartedAt: this.appStartedAt,
      bootId: this.bootId,
      creation: this.node.creation,
      members: this.membership.nodes,
    };
  }

  /** A member's port-mapper creation (part of the pids list_queues shows for it). */
  creationOf(node: string): number {
    if (node === this.self) return this.node.creation;
    const creation = this.links.get(node)?.hello?.creation;
    if (creation !== undefined) this.lastCreation.set(node, creation);
    return creation ?? this.lastCreation.get(node) ?? 0;
  }

  /** Members' creations as last seen (the pids of a down node's queues still name it). */
  private readonly lastCreation = new Map<string, number>();

  /** Calls a peer operation on `node`, this node included (answered by its own handlers). */
  callNode(node: string, op: string, args: Record<string, unknown>): Promise<unknown> {
    if (node !== this.self) return this.links.get(node)?.call(op, args) ?? Promise.reject(new Error(`node ${node} is not connected`));
    const handler = this.handlerMap.get(op);
    if (handler === undefined) return Promise.reject(new Error(`unknown operation ${op}`));
    const ctx: CallContext = { peer: this.self, peerKind: 'node', progress: () => {}, signal: new AbortController().signal };
    return Promise.resolve().then(() => handler(args, ctx));
  }

  /** Running members, this node included when its app runs. */
  runningNodes(): string[] {
    const out = this.appRunning ? [this.self] : [];
    for (const l of this.links.values()) if (l.appRunning) out.push(l.node);
    return out;
  }

  /** The running disc node whose app has run longest: it sequences metadata changes. */
  coordinator(): string | undefined {
    let best: { node: string; at: number } | undefined;
    const consider = (node: string, at: number) => {
      if (this.membership.nodes[node] !== 'disc') return;
      if (best === undefined || at < best.at || (at === best.at && node < best.node)) best = { node, at };
    };
    if (this.appRunning) consider(this.self, this.appStartedAt);
    for (const l of this.links.values()) if (l.appRunning) consider(l.node, l.hello!.appStartedAt);
    return best?.node;
  }

  // ---- the metadata log ----

  async commit(cmds: MetadataCommand[]): Promise<void> {
    const coordinator = this.coordinator();
    if (coordinator === undefined) {
      throw new AmqpError(INTERNAL_ERROR, 'no running disc node in the cluster: metadata cannot change');
    }
    if (coordinator === this.self) return this.sequence(cmds);
    const link = this.links.get(coordinator)!;
    try {
      await link.call('peer.propose', { cmds: cmds.map(commandToJson) });
    } catch (err) {
      if (err instanceof ControlError && err.code === 'not_coordinator') return this.commit(cmds);
      if (err instanceof ControlError && err.code === 'amqp') {
        throw new AmqpError((err.data as { code: number }).code, err.message);
      }
      // The coordinator went away mid-call: whoever is next sequences it.
      if (!link.up) return this.commit(cmds);
      throw err;
    }
  }

  private async sequence(cmds: MetadataCommand[]): Promise<void> {
    const md = this.metadata;
    if (md === undefined) throw new AmqpError(INTERNAL_ERROR, 'the app is not running');
    this.seq += 1;
    const seq = this.seq;
    for (const c of cmds) md.apply(c);
    const wire = cmds.map(commandToJson);
    const acks = [...this.replicas].map((n) => this.links.get(n)?.call('peer.apply', { seq, cmds: wire }).catch(() => {}));
    await Promise.all([md.flush(), ...acks]);
  }

  /** A change from the coordinator; resolves once it is on disk here (a disc node). */
  private applyFromCoordinator(seq: number, cmds: MetadataCommand[]): Promise<void> {
    if (this.buffered !== undefined) {
      this.buffered.push({ seq, cmds });
      return Promise.resolve();
    }
    const md = this.metadata;
    if (seq <= this.seq || md === undefined) return Promise.resolve();
    this.seq = seq;
    for (const c of cmds) md.apply(c);
    return md.flush();
  }

  /** Brings this node's metadata to `snap` by applying the differences (the broker follows). */
  private install(seq: number, snap: Snapshot): number {
    const md = this.metadata!;
    const changes = diffCommands(md, snap);
    for (const c of changes) md.apply(c);
    this.seq = seq;
    return changes.length;
  }

  /** This node just became the coordinator: everyone gets its state first. */
  private takeOver(): void {
    const md = this.metadata;
    if (md === undefined) return;
    this.node.log.info(`Node ${this.self} now sequences metadata changes for the cluster`);
    this.replicas.clear();
    const snap = md.snapshot(false);
    for (const l of this.links.values()) {
      if (!l.appRunning) continue;
      this.replicas.add(l.node);
      l.call('peer.install', { seq: this.seq, snapshot: snap }).catch(() => {});
    }
  }

  private checkCoordinator(): void {
    const now = this.coordinator() === this.self;
    if (now && !this.wasCoordinator && this.metadata !== undefined) this.takeOver();
    this.wasCoordinator = now;
  }

  // ---- app start and stop ----

  /**
   * Peer discovery (cluster_formation.peer_discovery_backend = classic_config): a virgin node
   * joins the first listed node whose app runs. When none runs yet, the listed node with the
   * lowest name starts a cluster of its own and the others keep looking until it does.
   */
  async discover(): Promise<void> {
    const f = this.node.config.clusterFormation;
    if (f === undefined || this.others.length > 0) return;
    if (fs.existsSync(path.join(this.node.env.dataDir, 'metadata.json'))) return;
    const peers = f.nodes.filter((n) => n !== this.self);
    if (peers.length === 0) return;
    const first = [...f.nodes, this.self].sort()[0] === this.self;
    const deadline = Date.now() + this.node.config.mnesiaTableLoadingRetryTimeout * this.node.config.mnesiaTableLoadingRetryLimit;
    this.node.log.info(`Peer discovery (classic_config): looking for ${peers.join(', ')}`);
    for (let round = 0; Date.now() < deadline; round++) {
      for (const peer of peers) {
        const hello = await this.helloOf(peer);
        if (hello === undefined || hello.app !== 'running') continue;
        if (this.self in hello.members) {
          this.adopt({ nodes: hello.members, running: [] });
          return;
        }
        try {
          const reply = (await this.askPeer(peer, 'peer.join', { node: this.self, type: f.nodeType })) as {
            nodes: Record<string, NodeType>;
          };
          this.adopt({ nodes: reply.nodes, running: [] });
          this.node.log.info(`Peer discovery: joined the cluster of ${peer} as a ${f.nodeType} node`);
          return;
        } catch (err) {
          this.node.log.warning(`Peer discovery: could not join ${peer}: ${(err as Error).message}`);
        }
      }
      if (first && round > 0) {
        this.node.log.info('Peer discovery: no listed node runs yet; starting a new cluster');
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    this.node.log.warning('Peer discovery: no listed node could be joined; starting as a lone node');
  }

  private async askPeer(peer: string, op: string, args: Record<string, unknown>): Promise<unknown> {
    const client = await this.node.connectTo(peer, 3000);
    try {
      return await client.call(op, args);
    } finally {
      client.close();
    }
  }

  private async helloOf(peer: string): Promise<PeerHello | undefined> {
    try {
      return (await this.askPeer(peer, 'peer.hello', this.helloArgs())) as PeerHello;
    } catch {
      return undefined;
    }
  }

  /**
   * Called as the app starts, with the node's own metadata open: joins the running cluster
   * (sync) or, when no member runs, decides whether this node may start from its own data.
   */
  async appStarting(metadata: Metadata, broker: Broker): Promise<void> {
    this.metadata = metadata;
    this.broker = broker;
    broker.mirrors = this.mirroring;
    this.home.silent = false;
    this.seq = 0;
    this.replicas.clear();
    this.forceBoot = this.consumeForceBootMarker();
    if (this.others.length === 0) return;
    this.connectPeers();
    // What the members think now (a member may have forgotten us while our app was stopped).
    await Promise.all([...this.links.values()].map((l) => l.refresh()));
    const c = this.node.config;
    const tries = c.mnesiaTableLoadingRetryLimit;
    const perTryMs = c.mnesiaTableLoadingRetryTimeout;
    const waitFor = this.membership.running.filter((n) => n !== this.self && n in this.membership.nodes);
    this.broadcastState();
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.trySync(perTryMs, waitFor);
      if (outcome === 'synced') return;
      if (outcome === 'boot') {
        this.node.log.info(
          this.forceBoot ? "Forced boot: starting from this node's own data without waiting for other members" : "Starting from this node's own data",
        );
        return;
      }
      if (attempt + 1 >= tries) {
        throw clusterError(
          `{:rabbit, {{:timeout_waiting_for_tables, [${waitFor.map((n) => atom(n)).join(', ')}]}, {:rabbit, :start, [:normal, []]}}}`,
        );
      }
      this.node.log.warning(
        `Waiting for ${waitFor.join(', ') || 'a running disc node'} (running when this node stopped) for ${perTryMs} ms, ${tries - attempt - 1} retries left`,
      );
    }
  }

  /**
   * Waits up to `ms` for a running member to sync from. 'boot' when this node may start from
   * its own data: it was the last to stop, or every member it waits for is waiting too and it
   * has the lowest name of them, or force_boot said so.
   */
  private async trySync(ms: number, waitFor: string[]): Promise<'synced' | 'boot' | 'timeout'> {
    const started = Date.now();
    for (;;) {
      this.checkDisagreement();
      // The coordinator, or with no disc node running, any running member (a RAM node holds
      // the cluster's current metadata as well as any).
      const source = this.coordinator() ?? [...this.links.values()].find((l) => l.appRunning)?.node;
      if (source !== undefined && source !== this.self) {
        try {
          await this.syncFrom(source);
          return 'synced';
        } catch (err) {
          if (err instanceof ControlError && err.code === 'cluster_error') throw err;
          // It went away: look again.
        }
      }
      if (this.forceBoot) return 'boot';
      // While any member runs, this node syncs from the cluster (it may have asked one that was
      // not the coordinator: it asks again), never starts from its own data.
      const othersRun = [...this.links.values()].some((l) => l.appRunning);
      if (this.type === 'disc' && !othersRun) {
        if (waitFor.length === 0 && (this.allOthersAnswered() || Date.now() - started > 500)) return 'boot';
        if (waitFor.length > 0 && this.allWaiting(waitFor) && this.lowestOf(waitFor)) return 'boot';
      }
      if (Date.now() - started >= ms) return 'timeout';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waitAbort = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waitAbort = undefined;
    }
  }

  /** Every node in `nodes` is reachable and itself waiting to start. */
  private allWaiting(nodes: string[]): boolean {
    return nodes.every((n) => {
      const l = this.links.get(n);
      return l?.up === true && l.hello!.app === 'starting';
    });
  }

  private lowestOf(nodes: string[]): boolean {
    const disc = nodes.filter((n) => this.membership.nodes[n] === 'disc');
    return disc.every((n) => this.self < n);
  }

  private allOthersAnswered(): boolean {
    return this.others.every((n) => this.links.get(n)?.up === true);
  }

  /** A running member that no longer counts us as a member: start-up must fail. */
  private checkDisagreement(): void {
    for (const l of this.links.values()) {
      if (l.appRunning && !(this.self in l.hello!.members)) {
        throw clusterError(
          `{:rabbit, {{:inconsistent_cluster, 'Node ${this.self} thinks it\\'s clustered with node ${l.node}, but ${l.node} disagrees'}, {:rabbit, :start, [:normal, []]}}}`,
        );
      }
    }
  }

  private async syncFrom(coordinator: string): Promise<void> {
    this.buffered = [];
    try {
      const reply = (await this.links.get(coordinator)!.call('peer.sync', {})) as { seq: number; snapshot: Snapshot };
      const changes = this.install(reply.seq, reply.snapshot);
      const pending = this.buffered;
      this.buffered = undefined;
      for (const b of pending.sort((x, y) => x.seq - y.seq)) void this.applyFromCoordinator(b.seq, b.cmds);
      await this.metadata!.flush();
      this.node.log.info(`Synced metadata from ${coordinator} (change ${reply.seq}, ${changes} differences applied)`);
    } finally {
      this.buffered = undefined;
    }
  }

  /** The app is running: tell the others, remember who runs. */
  appStarted(): void {
    this.appStartedAt = Date.now();
    this.forceBoot = false;
    this.wasCoordinator = this.coordinator() === this.self;
    // The first disc node to run while only RAM nodes ran: they follow it from now on.
    if (this.wasCoordinator && [...this.links.values()].some((l) => l.appRunning)) this.takeOver();
    this.broadcastState();
    this.rememberRunning();
    this.mirroring.scheduleReconcile();
  }

  appStopping(): void {
    this.appStartedAt = 0;
    // A restarted app syncs afresh: what was lost before no longer counts as a partition.
    this.partitions.clear();
    this.silentlyLost.clear();
    // Consumers elsewhere of this node's mirrored queues follow the new master rather than
    // being cancelled as the queues close here.
    this.home.silent = true;
    void this.mirroring.stop();
    this.rememberRunning();
    this.metadata = undefined;
    this.broker = undefined;
    this.replicas.clear();
    this.wasCoordinator = false;
  }

  appStopped(): void {
    this.broadcastState();
  }

  private broadcastState(): void {
    for (const l of this.links.values()) {
      if (l.up) l.call('peer.state', this.helloArgs()).catch(() => {});
    }
  }

  /** Records the members running now (for the restart order after a stop). */
  private rememberRunning(): void {
    const running = this.runningNodes();
    const prev = this.membership.running;
    if (prev.length === running.length && prev.every((n) => running.includes(n))) return;
    this.membership = { ...this.membership, running };
    this.persistMembership();
  }

  private persistMembership(): void {
    try {
      writeMembership(this.node.env.dataDir, this.membership);
    } catch (err) {
      this.node.log.error(`Could not write the cluster membership: ${(err as Error).message}`);
    }
  }

  private consumeForceBootMarker(): boolean {
    const file = path.join(this.node.env.dataDir, FORCE_BOOT_FILE);
    if (!fs.existsSync(file)) return this.forceBoot;
    fs.rmSync(file, { force: true });
    return true;
  }

  /** force_boot: the next start (or the one waiting now) does not wait for other members. */
  forceBootNow(): void {
    this.forceBoot = true;
    this.waitAbort?.();
  }

  // ---- peers coming and going ----

  private peerUp(node: string, hello: PeerHello): void {
    if (hello.creation !== undefined) this.lastCreation.set(node, hello.creation);
    const lostAs = this.silentlyLost.get(node);
    this.silentlyLost.delete(node);
    // The same process, its app not restarted since: it carried on without us.
    if (lostAs !== undefined && lostAs === `${hello.bootId}/${hello.appStartedAt}` && hello.app === 'running' && this.appRunning) {
      this.partitions.add(node);
      this.node.log.error(`Network partition detected: ${node} was unreachable (heartbeats lost) but did not restart`);
    }
    this.node.log.info(`Node ${node} is up (app ${hello.app})`);
    this.stateChanged();
  }

  private peerDown(node: string, silent: boolean): void {
    const link = this.links.get(node);
    this.replicas.delete(node);
    if (silent && link !== undefined) this.silentlyLost.set(node, this.lastBootId.get(node) ?? '');
    this.node.log.warning(`Node ${node} is down${silent ? ' (no answer within net_ticktime)' : ''}`);
    this.home.originDown(node);
    this.mirroring.nodeGone(node);
    this.mirroring.masterGone(node, false, (n) => this.isRunning(n));
    this.homeGone(node);
    this.stateChanged();
    this.dropQueuesOf(node);
  }

  private readonly lastBootId = new Map<string, string>();

  private stateChanged(): void {
    for (const l of this.links.values()) if (l.hello !== undefined) this.lastBootId.set(l.node, `${l.hello.bootId}/${l.hello.appStartedAt}`);
    this.checkCoordinator();
    if (this.appRunning) this.rememberRunning();
    this.handlePartitions();
    this.mirroring.scheduleReconcile();
  }

  // ---- partitions (cluster_partition_handling) ----

  /** Set while pause_minority keeps the app stopped: it restarts once a majority is back. */
  private paused = false;
  private healing = false;
  private healTimer: NodeJS.Timeout | undefined;

  private reachableCount(): number {
    let n = 1;
    for (const l of this.links.values()) if (l.up) n++;
    return n;
  }

  private handlePartitions(): void {
    const strategy = this.node.config.clusterPartitionHandling.strategy;
    if (strategy === 'pause_minority') this.pauseMinority();
    else if (strategy === 'autoheal' && this.partitions.size > 0) void this.autoheal();
  }

  /** In a minority (half or fewer of the members reachable) the app stops until that changes. */
  private pauseMinority(): void {
    const total = members(this.membership).length;
    const majority = this.reachableCount() * 2 > total;
    if (!majority && this.appRunning && !this.paused) {
      this.paused = true;
      this.node.log.warning(`Only ${this.reachableCount()} of ${total} cluster nodes are reachable: pausing (pause_minority)`);
      void this.node.stopApp().catch((err: Error) => this.node.log.error(`Could not pause: ${err.message}`));
    } else if (majority && this.paused && this.node.appState === 'stopped') {
      this.paused = false;
      this.node.log.info('A majority of the cluster is reachable again: resuming');
      void this.node.startApp().catch((err: Error) => {
        this.node.log.error(`Could not resume after a pause: ${err.message}`);
        this.paused = true;
      });
    }
  }

  /**
   * After a partition heals, the side with more nodes (ties: the side with the lowest node name)
   * wins; nodes on the other side restart their app and take the winners' metadata.
   */
  private async autoheal(): Promise<void> {
    if (this.healing || !this.appRunning) return;
    this.healing = true;
    try {
      const upNodes = [this.self, ...[...this.links.values()].filter((l) => l.appRunning).map((l) => l.node)];
      const ourSide = upNodes.filter((n) => !this.partitions.has(n));
      let lose = false;
      for (const peer of this.partitions) {
        const link = this.links.get(peer);
        if (link === undefined || !link.appRunning) continue;
        const info = (await link.call('peer.node_info').catch(() => undefined)) as { partitions: string[] } | undefined;
        if (info === undefined) continue;
        const theirSide = upNodes.filter((n) => !info.partitions.includes(n) || n === peer);
        const better =
          theirSide.length > ourSide.length ||
          (theirSide.length === ourSide.length && [...theirSide].sort()[0] < [...ourSide].sort()[0]);
        if (better && !theirSide.includes(this.self)) lose = true;
      }
      if (!lose) {
        // The other side may not have noticed the partition yet: look again shortly.
        clearTimeout(this.healTimer);
        this.healTimer = setTimeout(() => this.handlePartitions(), 1000);
        this.healTimer.unref();
        return;
      }
      this.node.log.warning('Autoheal: this node is on the losing side of a partition; restarting its app');
      await this.node.stopApp();
      this.partitions.clear();
      await this.node.startApp();
    } catch (err) {
      this.node.log.error(`Autoheal failed: ${(err as Error).message}`);
    } finally {
      this.healing = false;
    }
  }

  /** A member's app went down: its exclusive and non-durable queues go (the coordinator says so). */
  private isRunning(node: string): boolean {
    return node === this.self ? this.appRunning : this.links.get(node)?.appRunning === true;
  }

  private dropQueuesOf(node: string): void {
    const md = this.metadata;
    if (md === undefined || this.coordinator() !== this.self) return;
    const gone: MetadataCommand[] = [];
    for (const q of md.queues.values()) {
      // A mirrored queue is taken over by a mirror instead.
      const mirrored = (q.mirrors ?? []).some((n) => this.isRunning(n));
      if (q.node === node && !mirrored && (!q.durable || q.owner !== undefined)) gone.push({ op: 'queue.delete', vhost: q.vhost, name: q.name });
    }
    if (gone.length > 0) this.commit(gone).catch((err: Error) => this.node.log.warning(`Could not remove the queues of ${node}: ${err.message}`));
  }

  // ---- membership changes ----

  /** Adopts a membership (ours or one pushed by a member) and links up accordingly. */
  adopt(m: Membership): void {
    this.membership = m;
    this.persistMembership();
    this.connectPeers();
  }

  /** Sends the membership to every reachable member. */
  private async pushMembership(): Promise<void> {
    await Promise.all(
      [...this.links.values()].filter((l) => l.up).map((l) => l.call('peer.membership', { nodes: this.membership.nodes }).catch(() => {})),
    );
  }

  /** Disc members this node cannot reach now (joining and leaving need them all). */
  private unreachableDiscNodes(): string[] {
    return discNodes(this.membership).filter((n) => n !== this.self && this.links.get(n)?.up !== true);
  }

  /** On the seed: `node` joins (its app stopped, its data reset). */
  private async admit(node: string, type: NodeType): Promise<{ alreadyMember: boolean; nodes: Record<string, NodeType> }> {
    if (node in this.membership.nodes) return { alreadyMember: true, nodes: this.membership.nodes };
    await this.waitForLinks(3000);
    const missing = this.unreachableDiscNodes();
    if (missing.length > 0) {
      throw clusterError(
        `{:no_running_cluster_nodes, 'Cannot join: the disc nodes ${missing.map(quoted).join(', ')} of the cluster are not reachable from ${quoted(this.self)}'}`,
      );
    }
    this.adopt({ ...this.membership, nodes: { ...this.membership.nodes, [node]: type } });
    await this.pushMembership();
    this.node.log.info(`Node ${node} joined the cluster as a ${type} node`);
    return { alreadyMember: false, nodes: this.membership.nodes };
  }

  private waitForLinks(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    return new Promise((resolve) => {
      const check = () => {
        for (const l of this.links.values()) l.poke();
        if (this.unreachableDiscNodes().length === 0 || Date.now() >= deadline) resolve();
        else setTimeout(check, 50);
      };
      check();
    });
  }

  /** join_cluster, run on the joining node (app stopped). */
  async join(seed: string, type: NodeType): Promise<{ alreadyMember: boolean }> {
    if (seed === this.self) throw clusterError(`{:cannot_cluster_node_with_itself, ${atom(this.self)}}`);
    const client = await this.node.connectTo(seed);
    let reply: { alreadyMember: boolean; nodes: Record<string, NodeType> };
    try {
      reply = (await client.call('peer.join', { node: this.self, type })) as typeof reply;
    } finally {
      client.close();
    }
    if (reply.alreadyMember) return { alreadyMember: true };
    await this.node.wipeData();
    this.adopt({ nodes: reply.nodes, running: [] });
    return { alreadyMember: false };
  }

  /** reset: leave the cluster (telling the members we reach), then become a lone node. */
  async leave(): Promise<void> {
    if (this.others.length > 0) {
      await this.waitForLinks(2000);
      if (![...this.links.values()].some((l) => l.up)) {
        throw clusterError("{:no_running_cluster_nodes, 'You cannot leave a cluster if no online nodes are present.'}");
      }
      await Promise.all(
        [...this.links.values()].filter((l) => l.up).map((l) => l.call('peer.forget', { node: this.self }).catch(() => {})),
      );
    }
    this.close();
    this.membership = { nodes: { [this.self]: 'disc' }, running: [] };
  }

  /** forget_cluster_node, run on a member. */
  async forget(node: string): Promise<void> {
    if (!(node in this.membership.nodes)) throw clusterError("{:not_a_cluster_node, 'The node selected is not in the cluster.'}");
    if (node === this.self) {
      throw clusterError(`{:failed_to_remove_node, ${atom(node)}, {:combine_error, :schema, 'Last replica'}}`);
    }
    if (!this.appRunning) {
      throw clusterError(
        "{:offline_node_no_offline_flag, 'You are trying to remove a node from an offline node. That is dangerous, but can be done with the --offline flag. Please consult the manual for rabbitmqctl for more information.'}",
      );
    }
    if (this.links.get(node)?.appRunning === true) {
      throw clusterError(`RabbitMQ on node ${node} must be stopped with 'warrenctl -n ${node} stop_app' before it can be removed`);
    }
    await this.removeMember(node);
    await this.pushMembership();
  }

  private async removeMember(node: string): Promise<void> {
    if (!(node in this.membership.nodes)) return;
    const nodes = { ...this.membership.nodes };
    delete nodes[node];
    this.adopt({ nodes, running: this.membership.running.filter((n) => n !== node) });
    this.silentlyLost.delete(node);
    this.partitions.delete(node);
    // Its queues go with it.
    const md = this.metadata;
    if (md !== undefined && this.appRunning) {
      const gone: MetadataCommand[] = [];
      for (const q of md.queues.values()) if (q.node === node) gone.push({ op: 'queue.delete', vhost: q.vhost, name: q.name });
      if (gone.length > 0) await this.commit(gone).catch(() => {});
    }
    this.node.log.info(`Node ${node} was removed from the cluster`);
  }

  /** change_cluster_node_type (app stopped). */
  async changeType(type: NodeType): Promise<{ alreadyType: boolean }> {
    if (this.type === type && (type === 'disc' || this.others.length > 0)) return { alreadyType: true };
    if (type === 'ram') {
      if (this.others.length === 0) throw clusterError('{:not_clustered, \'Non-clustered nodes can only be disc nodes.\'}');
      const otherDisc = discNodes(this.membership).filter((n) => n !== this.self);
      if (otherDisc.length === 0) {
        throw clusterError(
          "{:resetting_only_disc_node, 'You cannot reset a node when it is the only disc node in a cluster. Please convert another node of the cluster to a disc node first.'}",
        );
      }
    }
    await this.waitForLinks(3000);
    if (![...this.links.values()].some((l) => l.appRunning)) {
      throw clusterError(
        "{:no_online_cluster_nodes, 'Could not find any online cluster nodes. If the cluster has changed, you can use the \\'update_cluster_nodes\\' command.'}",
      );
    }
    this.adopt({ ...this.membership, nodes: { ...this.membership.nodes, [this.self]: type } });
    await this.pushMembership();
    return { alreadyType: false };
  }

  /** update_cluster_nodes (app stopped): take the membership a member has. */
  async updateFrom(seed: string): Promise<void> {
    const client = await this.node.connectTo(seed);
    let hello: PeerHello;
    try {
      hello = (await client.call('peer.hello', this.helloArgs())) as PeerHello;
    } finally {
      client.close();
    }
    if (!(this.self in hello.members)) {
      throw clusterError("{:inconsistent_cluster, 'The nodes provided do not have this node as part of the cluster.'}");
    }
    this.adopt({ nodes: hello.members, running: [] });
  }

  // ---- what the node answers its peers ----

  handlers(outer: Map<string, Handler>): void {
    const h = this.handlerMap;
    const fromNode = (ctx: CallContext) => {
      if (ctx.peerKind !== 'node') throw new ControlError('not_allowed', 'peer operations are for cluster members');
      this.links.get(ctx.peer)?.heard();
      return ctx.peer;
    };
    h.set('peer.hello', (a, ctx) => {
      const peer = fromNode(ctx);
      this.noteState(peer, a);
      this.links.get(peer)?.poke();
      return this.helloArgs();
    });
    h.set('peer.tick', (_a, ctx) => {
      fromNode(ctx);
      return 'ok';
    });
    h.set('peer.state', (a, ctx) => {
      this.noteState(fromNode(ctx), a);
      return 'ok';
    });
    h.set('peer.propose', async (a, ctx) => {
      fromNode(ctx);
      if (this.coordinator() !== this.self) throw new ControlError('not_coordinator', 'not the coordinator');
      const cmds = (a.cmds as Array<Record<string, unknown>>).map(commandFromJson);
      try {
        await this.sequence(cmds);
      } catch (err) {
        if (err instanceof AmqpError) throw new ControlError('amqp', err.explanation, { code: err.replyCode });
        throw err;
      }
      return 'ok';
    });
    h.set('peer.apply', async (a, ctx) => {
      fromNode(ctx);
      await this.applyFromCoordinator(Number(a.seq), (a.cmds as Array<Record<string, unknown>>).map(commandFromJson));
      return 'ok';
    });
    h.set('peer.install', async (a, ctx) => {
      fromNode(ctx);
      if (this.metadata !== undefined && this.buffered === undefined) {
        this.install(Number(a.seq), a.snapshot as Snapshot);
        await this.metadata.flush();
      }
      return 'ok';
    });
    h.set('peer.sync', (_a, ctx) => {
      const peer = fromNode(ctx);
      const coordinator = this.coordinator();
      if (this.metadata === undefined || !this.appRunning || (coordinator !== this.self && coordinator !== undefined)) {
        throw new ControlError('not_coordinator', 'not the coordinator');
      }
      // Added in the same turn as the snapshot is taken: nothing falls between the two.
      this.replicas.add(peer);
      return { seq: this.seq, snapshot: this.metadata.snapshot(false) };
    });
    h.set('peer.join', async (a, ctx) => {
      fromNode(ctx);
      return this.admit(String(a.node), a.type === 'ram' ? 'ram' : 'disc');
    });
    h.set('peer.forget', async (a, ctx) => {
      fromNode(ctx);
      await this.removeMember(String(a.node));
      return 'ok';
    });
    h.set('peer.membership', (a, ctx) => {
      fromNode(ctx);
      const nodes = a.nodes as Record<string, NodeType>;
      const link = this.links.get(ctx.peer);
      if (link?.hello !== undefined) link.hello.members = nodes;
      if (!(this.self in nodes)) return 'ok'; // We were removed: our own view stands until reset.
      this.adopt({ nodes, running: this.membership.running.filter((n) => n in nodes) });
      return 'ok';
    });
    this.queueHandlers(h, fromNode);
    h.set('peer.queue_stats', (a, ctx) => {
      fromNode(ctx);
      const q = this.broker?.vhosts.get(String(a.vhost))?.queues.get(String(a.name));
      if (q === undefined) throw new ControlError('amqp', `no queue '${String(a.name)}' in vhost '${String(a.vhost)}'`, { code: 404 });
      return { messages: q.messagesReady, consumers: q.consumers.length };
    });
    h.set('peer.queue_delete', async (a, ctx) => {
      fromNode(ctx);
      const q = this.broker?.vhosts.get(String(a.vhost))?.queues.get(String(a.name));
      if (q === undefined) return 0;
      try {
        return await this.broker!.deleteLocalQueue(q, a.ifUnused === true, a.ifEmpty === true);
      } catch (err) {
        if (err instanceof AmqpError) throw new ControlError('amqp', err.explanation, { code: err.replyCode });
        throw err;
      }
    });
    this.mirroring.handlers(h, fromNode);
    for (const op of ['sync_queue', 'cancel_sync_queue']) {
      h.set(`peer.${op}`, (a, ctx) => {
        fromNode(ctx);
        return this.mirrorCall(op, this.localQueue(a));
      });
    }
    for (const [op, handler] of h) outer.set(op, handler);
  }

  private noteState(peer: string, a: Record<string, unknown>): void {
    const link = this.links.get(peer);
    if (link?.hello === undefined) return;
    const wasRunning = link.hello.app === 'running';
    // Its app restarted (and resynced) since we last heard: no partition with it stands.
    if (Number(a.appStartedAt) !== link.hello.appStartedAt) this.partitions.delete(peer);
    link.hello = { ...link.hello, app: String(a.app), appStartedAt: Number(a.appStartedAt), bootId: String(a.bootId) };
    if (a.members !== undefined) link.hello.members = a.members as Record<string, NodeType>;
    if (wasRunning && link.hello.app !== 'running') {
      this.replicas.delete(peer);
      this.partitions.delete(peer);
      this.mirroring.nodeGone(peer);
      this.mirroring.masterGone(peer, true, (n) => this.isRunning(n));
      this.homeGone(peer);
      this.dropQueuesOf(peer);
    }
    this.stateChanged();
  }

  // ---- queues on other nodes ----

  /** sync_queue / cancel_sync_queue on a queue mastered here. */
  async mirrorCall(op: string, q: ClassicQueue): Promise<unknown> {
    const set = this.mirroring.setOf(q);
    if (op === 'cancel_sync_queue') return set?.cancel() === true ? 'ok' : 'not_syncing';
    await set?.sync();
    return 'ok';
  }

  /** A peer's rows of a list_* operation, streamed as they come (none if it fails). */
  async *peerRows(node: string, op: string, args: Record<string, unknown>): AsyncGenerator<Array<Array<unknown>>> {
    const link = this.links.get(node);
    if (link === undefined) return;
    const batches: unknown[][][] = [];
    let wake: (() => void) | undefined;
    let done = false;
    link
      .call(op, args, {
        onRows: (rows) => {
          batches.push(rows as unknown[][]);
          wake?.();
        },
      })
      .catch(() => {})
      .finally(() => {
        done = true;
        wake?.();
      });
    for (;;) {
      const b = batches.shift();
      if (b !== undefined) {
        yield b;
        continue;
      }
      if (done) return;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  }

  /** How the broker reaches queues living on other nodes. */
  remoteAccess(): RemoteQueueAccess {
    return {
      stats: async (def) => (await this.remoteCall(def, 'peer.queue_stats', {}, homeDown(def))) as { messages: number; consumers: number },
      delete: async (def, ifUnused, ifEmpty) => Number(await this.remoteCall(def, 'peer.queue_delete', { ifUnused, ifEmpty }, homeDown(def))),
      purge: async (def) => Number(await this.remoteCall(def, 'peer.queue_purge', {}, homeDown(def))),
      endpoint: (def) => this.endpoint(def),
      retarget: (def) => {
        const rq = this.endpoints.get(`${def.vhost}\u0000${def.name}`);
        if (rq !== undefined) rq.retarget(def);
      },
      dropped: (def) => {
        const k = `${def.vhost}\u0000${def.name}`;
        const rq = this.endpoints.get(k);
        if (rq === undefined) return;
        this.endpoints.delete(k);
        for (const c of [...rq.consumerList]) rq.lost(c);
      },
    };
  }

  private endpoint(def: QueueDef): RemoteQueue {
    const k = `${def.vhost}\u0000${def.name}`;
    let rq = this.endpoints.get(k);
    if (rq !== undefined && rq.def.node === def.node) {
      rq.def = def;
      return rq;
    }
    if (this.links.get(def.node)?.appRunning !== true) throw homeDown(def);
    rq = new RemoteQueue(
      def,
      {
        // The queue's current record: a failover moves it to another node.
        call: (_node, op, args) => this.remoteCall(rq!.def, op, args, homeDown(rq!.def)),
        newConsumerId: () => `${this.self}/${this.bootId}/${this.nextConsumerId++}`,
        registerConsumer: (cid, q, consumer) => this.remoteConsumers.set(cid, { rq: q, consumer }),
        unregisterConsumer: (cid) => this.remoteConsumers.delete(cid),
      },
      () => homeDown(rq!.def),
    );
    this.endpoints.set(k, rq);
    return rq;
  }

  /** A home node went away: consumers here of its queues are cancelled, as RabbitMQ does. */
  private homeGone(node: string): void {
    for (const [k, rq] of [...this.endpoints]) {
      if (rq.def.node !== node) continue;
      // A mirrored queue's consumers wait for the new master (retarget).
      const current = this.metadata?.queue(rq.def.vhost, rq.def.name);
      if ((current?.mirrors ?? []).some((n) => n !== node && this.isRunning(n))) continue;
      this.endpoints.delete(k);
      for (const c of [...rq.consumerList]) rq.lost(c);
    }
  }

  private localQueue(a: Record<string, unknown>) {
    const q = this.broker?.vhosts.get(String(a.vhost))?.queues.get(String(a.name));
    if (q === undefined) throw new ControlError('amqp', `no queue '${String(a.name)}' in vhost '${String(a.vhost)}'`, { code: 404 });
    return q;
  }

  private queueHandlers(h: Map<string, Handler>, fromNode: (ctx: CallContext) => string): void {
    const amqp = async <T>(f: () => T | Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (err) {
        if (err instanceof AmqpError) throw new ControlError('amqp', err.explanation, { code: err.replyCode });
        throw err;
      }
    };
    // A batch of publishes from one node to one queue: each answered with whether it was taken
    // (and, when confirmed, once it is safe: on disk and with the synchronised mirrors).
    h.set('peer.publish', async (a, ctx) => {
      fromNode(ctx);
      const ms = a.ms as WireMessage[];
      const cs = a.cs as boolean[];
      const q = this.broker?.vhosts.get(String(a.vhost))?.queues.get(String(a.name));
      if (q === undefined) return ms.map(() => false);
      const now = Date.now();
      const results: Array<boolean | Promise<boolean>> = ms.map((w, i) => {
        const msg = messageFromWire(w);
        if (q.wouldRejectPublish(msg)) {
          if (q.settings.overflow === 'reject-publish-dlx') this.broker!.deadLetterRejected(q, msg);
          return false;
        }
        const entry = q.publish(msg, now);
        const safe = entry !== undefined && cs[i] ? this.broker!.durable(q, entry) : undefined;
        return safe === undefined ? true : safe.then(() => true);
      });
      return Promise.all(results);
    });
    h.set('peer.consume', (a, ctx) => amqp(() => this.home.consume(this.localQueue(a), fromNode(ctx), a)));
    h.set('peer.cancel', (a, ctx) => {
      fromNode(ctx);
      this.home.cancel(String(a.cid));
      return 'ok';
    });
    h.set('peer.settle', (a, ctx) => {
      this.home.settle(fromNode(ctx), String(a.cid), a.ids as number[]);
      return 'ok';
    });
    h.set('peer.reject', (a, ctx) => {
      this.home.reject(fromNode(ctx), String(a.cid), a.ids as number[], a.requeue === true);
      return 'ok';
    });
    h.set('peer.get', (a, ctx) => amqp(() => this.home.get(this.localQueue(a), fromNode(ctx), a.noAck === true)));
    h.set('peer.queue_purge', (a, ctx) => {
      fromNode(ctx);
      return amqp(() => this.localQueue(a).purge());
    });
    h.set('peer.deliver', (a, ctx) => {
      const home = fromNode(ctx);
      for (const [cid, id, m, redelivered] of a.ds as Delivery[]) {
        const rc = this.remoteConsumers.get(cid);
        if (rc === undefined) {
          // The consumer is gone here: the message goes back to its queue.
          this.callNode(home, 'peer.reject', { vhost: '', name: '', cid, ids: [id], requeue: true }).catch(() => {});
          continue;
        }
        rc.rq.delivered(rc.consumer, id, messageFromWire(m), redelivered);
      }
      return 'ok';
    });
    h.set('peer.cancelled', (a, ctx) => {
      fromNode(ctx);
      const rc = this.remoteConsumers.get(String(a.cid));
      if (rc !== undefined) rc.rq.lost(rc.consumer);
      return 'ok';
    });
  }

  /** Asks a queue's home node; a home that is down gives RabbitMQ's 404. */
  async remoteCall(def: QueueDef, op: string, args: Record<string, unknown>, homeDown: AmqpError): Promise<unknown> {
    if (!this.isRunning(def.node)) throw homeDown;
    try {
      return await this.callNode(def.node, op, { vhost: def.vhost, name: def.name, ...args });
    } catch (err) {
      if (err instanceof ControlError && err.code === 'amqp') throw new AmqpError((err.data as { code: number }).code, err.message);
      throw homeDown;
    }
  }
}
