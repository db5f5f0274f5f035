// This node's mirrored queues: as master, a MirrorSet per local queue whose policy has ha-mode,
// kept placed as the policy and the running members say; as mirror, a MirrorQueue per queue
// mastered elsewhere; and the take-over when a master's node goes.

import type { Broker } from '../broker/broker.js';
import type { MetadataCommand, QueueDef } from '../broker/metadata.js';
import type { Persistence } from '../broker/persistence.js';
import { ControlError } from '../control/errors.js';
import type { CallContext, Handler } from '../control/server.js';
import type { ClassicQueue, QueueEntry } from '../queues/classic-queue.js';
import { MirrorQueue, MirrorSet, haPolicyOf, placeMirrors, successor, type HaPolicy } from './mirroring.js';

export interface MirrorHost {
  self: string;
  broker(): Broker | undefined;
  persistence(): Persistence | undefined;
  /** Members whose app runs, this node included when its app runs. */
  running(): string[];
  call(node: string, op: string, args: Record<string, unknown>): Promise<unknown>;
  commit(cmds: MetadataCommand[]): Promise<void>;
  log(level: 'info' | 'warning', text: string): void;
}

const key = (vhost: string, name: string) => `${vhost}\u0000${name}`;

export class MirrorManager {
  private readonly sets = new Map<ClassicQueue, MirrorSet>();
  private readonly mirrors = new Map<string, MirrorQueue>();
  private reconcileTimer: NodeJS.Timeout | undefined;
  private readonly viewTimers = new Map<ClassicQueue, NodeJS.Timeout>();

  constructor(private readonly host: MirrorHost) {}

  // ---- as master ----

  /** Looks at every local queue again soon (policies, members or queues changed). */
  scheduleReconcile(): void {
    if (this.reconcileTimer !== undefined) return;
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = undefined;
      this.reconcileAll();
    }, 20);
  }

  private haOf(q: ClassicQueue): HaPolicy | undefined {
    const broker = this.host.broker();
    if (broker === undefined || q.owner !== undefined) return undefined;
    return haPolicyOf(broker.policyFor(q.vhost, q.name));
  }

  private reconcileAll(): void {
    const broker = this.host.broker();
    const running = this.host.running();
    // Not while the app starts: until it has synced, its idea of which queues it masters may be stale.
    if (broker === undefined || !running.includes(this.host.self)) return;
    for (const vh of broker.vhosts.values()) {
      for (const q of vh.queues.values()) this.reconcile(q, running);
    }
  }

  private reconcile(q: ClassicQueue, running: string[]): void {
    const ha = this.haOf(q);
    let set = this.sets.get(q);
    if (ha === undefined) {
      if (set === undefined) return;
      for (const n of [...set.mirrors.keys()]) set.drop(n);
      q.observer = undefined;
      this.sets.delete(q);
      this.viewChanged(q);
      return;
    }
    if (set === undefined) {
      set = new MirrorSet(q, ha, { call: (n, op, a) => this.host.call(n, op, a), log: (l, t) => this.host.log(l, t) }, () => this.viewChanged(q));
      this.sets.set(q, set);
      q.observer = set;
    }
    set.ha = ha;
    const current = [...set.mirrors.keys()];
    const wanted = placeMirrors(ha, this.host.self, running, current);
    for (const n of current) if (!wanted.includes(n)) set.drop(n);
    for (const n of wanted) {
      if (!current.includes(n)) set.add(n).catch((err: Error) => this.host.log('warning', `Could not start a mirror of '${q.name}' on ${n}: ${err.message}`));
    }
    this.viewChanged(q);
    this.moveIfNotListed(q, set, ha);
  }

  /**
   * ha-mode nodes with this node not listed: once a listed node holds a synchronised mirror,
   * the master moves there (as RabbitMQ moves it).
   */
  private moveIfNotListed(q: ClassicQueue, set: MirrorSet, ha: HaPolicy): void {
    if (ha.mode !== 'nodes' || !Array.isArray(ha.params) || ha.params.includes(this.host.self) || this.moving.has(q)) return;
    const target = set.view().synced.find((n) => (ha.params as string[]).includes(n));
    if (target === undefined) return;
    this.moving.add(q);
    const view = set.view();
    const rest = (xs: string[]) => xs.filter((n) => n !== target);
    this.host.log('info', `Moving the master of queue '${q.name}' in vhost '${q.vhost}' to ${target} (ha-mode nodes)`);
    this.host
      .commit([{ op: 'queue.promote', vhost: q.vhost, name: q.name, node: target, mirrors: rest(view.mirrors), synced: rest(view.synced) }])
      .catch((err: Error) => this.host.log('warning', `Could not move '${q.name}': ${err.message}`))
      .finally(() => this.moving.delete(q));
  }

  private readonly moving = new Set<ClassicQueue>();

  /** The metadata records the mirrors (list_queues, and who takes over). */
  private viewChanged(q: ClassicQueue): void {
    if (this.viewTimers.has(q)) return;
    this.viewTimers.set(
      q,
      setTimeout(() => {
        this.viewTimers.delete(q);
        const broker = this.host.broker();
        const def = broker?.metadata.queue(q.vhost, q.name);
        if (broker === undefined || def === undefined || def.node !== this.host.self || q.deleted) return;
        const set = this.sets.get(q);
        const ha = this.haOf(q);
        if (set !== undefined && ha !== undefined) this.moveIfNotListed(q, set, ha);
        const view = set?.view() ?? { mirrors: [], synced: [] };
        if (same(def.mirrors ?? [], view.mirrors) && same(def.synced ?? [], view.synced)) return;
        this.host.commit([{ op: 'queue.mirrors', vhost: q.vhost, name: q.name, ...view }]).catch(() => {});
      }, 10),
    );
  }

  /** A mirror's node went away. */
  nodeGone(node: string): void {
    for (const set of this.sets.values()) set.lost(node);
  }

  /** What a confirm for a message just enqueued in `q` must also wait for. */
  replicated(q: ClassicQueue): Promise<void> | undefined {
    return this.sets.get(q)?.replicated();
  }

  /** The queue's mirror set (list_queues, sync_queue, confirms), if it is mirrored. */
  setOf(q: ClassicQueue): MirrorSet | undefined {
    return this.sets.get(q);
  }

  /** Whether the queue has an ha policy (list_queues shows [] rather than nothing). */
  isMirrorable(q: ClassicQueue): boolean {
    return this.haOf(q) !== undefined;
  }

  queueDeleted(q: ClassicQueue): void {
    this.sets.delete(q);
    q.observer = undefined;
  }

  // ---- as mirror ----

  handlers(h: Map<string, Handler>, fromNode: (ctx: CallContext) => string): void {
    h.set('peer.mirror_start', async (a, ctx) => {
      const master = fromNode(ctx);
      const k = key(String(a.vhost), String(a.name));
      await this.mirrors.get(k)?.destroy();
      const persistence = this.host.persistence();
      if (persistence === undefined) throw new ControlError('app_not_running', 'rabbit_is_not_running');
      const store = a.durable === true ? await persistence.openEmpty(String(a.vhost), String(a.name)) : undefined;
      this.mirrors.set(k, new MirrorQueue(String(a.vhost), String(a.name), master, store));
      this.host.log('info', `Mirroring queue '${String(a.name)}' in vhost '${String(a.vhost)}' for its master ${master}`);
      return 'ok';
    });
    h.set('peer.mirror', async (a, ctx) => {
      fromNode(ctx);
      const m = this.mirrors.get(key(String(a.vhost), String(a.name)));
      if (m === undefined) {
        this.host.log('warning', `${ctx.peer} sent changes for queue '${String(a.name)}', which has no mirror here`);
        throw new ControlError('not_a_mirror', 'no such mirror here');
      }
      await m.apply(a.events as Array<[string, ...unknown[]]>);
      return 'ok';
    });
    h.set('peer.mirror_stop', async (a, ctx) => {
      fromNode(ctx);
      const k = key(String(a.vhost), String(a.name));
      const m = this.mirrors.get(k);
      this.mirrors.delete(k);
      await m?.destroy();
      return 'ok';
    });
  }

  /** The queue is gone: so is its mirror here. */
  mirrorDeleted(vhost: string, name: string): void {
    const k = key(vhost, name);
    const m = this.mirrors.get(k);
    this.mirrors.delete(k);
    void m?.destroy();
  }

  /** The master of a queue mirrored here moved to another node. */
  masterChanged(def: QueueDef): void {
    this.host.log('info', `Queue '${def.name}' in vhost '${def.vhost}' has a new master: ${def.node}`);
    const m = this.mirrors.get(key(def.vhost, def.name));
    if (m !== undefined) m.master = def.node;
  }

  /**
   * A master's node went away (`shutdown`: its app stopped cleanly): for each queue it
   * mastered and mirrored here, the first eligible mirror takes over; if that is this node,
   * it says so to the cluster.
   */
  masterGone(node: string, shutdown: boolean, alive: (n: string) => boolean): void {
    const broker = this.host.broker();
    if (broker === undefined) return;
    for (const m of this.mirrors.values()) {
      if (m.master !== node) continue;
      const def = broker.metadata.queue(m.vhost, m.name);
      if (def === undefined || def.node !== node) continue;
      const ha = haPolicyOf(broker.policyFor(m.vhost, m.name));
      const next = successor(def, (n) => n !== node && alive(n), ha, shutdown);
      if (next === undefined) {
        this.host.log('warning', `Queue '${m.name}' in vhost '${m.vhost}' has no eligible mirror: unavailable until ${node} returns`);
        continue;
      }
      if (next !== this.host.self) continue;
      const rest = (xs: string[] | undefined) => (xs ?? []).filter((n) => n !== this.host.self && n !== node && alive(n));
      this.host.log('info', `Promoting the mirror of queue '${m.name}' in vhost '${m.vhost}' on this node: its master ${node} is gone`);
      this.host
        .commit([{ op: 'queue.promote', vhost: m.vhost, name: m.name, node: this.host.self, mirrors: rest(def.mirrors), synced: rest(def.synced) }])
        .catch((err: Error) => this.host.log('warning', `Could not promote '${m.name}': ${err.message}`));
    }
  }

  /** This node becomes the queue's master: the mirror's messages, for the new ClassicQueue. */
  takeOver(vhost: string, name: string): ReturnType<MirrorQueue['takeOver']> | undefined {
    const k = key(vhost, name);
    const m = this.mirrors.get(k);
    this.mirrors.delete(k);
    return m?.takeOver();
  }

  /** The promoted queue keeps the mirrors that hold its messages; unacked ones were requeued. */
  promoted(q: ClassicQueue, def: QueueDef, requeued: QueueEntry[]): void {
    this.host.log('info', `Now the master of queue '${q.name}' in vhost '${q.vhost}': ${q.messagesReady} messages, ${requeued.length} of them requeued`);
    const ha = this.haOf(q);
    if (ha === undefined) return;
    const set = new MirrorSet(q, ha, { call: (n, op, a) => this.host.call(n, op, a), log: (l, t) => this.host.log(l, t) }, () => this.viewChanged(q));
    this.sets.set(q, set);
    q.observer = set;
    for (const n of def.mirrors ?? []) set.adopt(n, (def.synced ?? []).includes(n));
    if (requeued.length > 0) set.requeued(requeued);
    this.scheduleReconcile();
  }

  /** The app stops: mirrors here end (they come back empty), master sets go with their queues. */
  async stop(): Promise<void> {
    clearTimeout(this.reconcileTimer);
    this.reconcileTimer = undefined;
    for (const t of this.viewTimers.values()) clearTimeout(t);
    this.viewTimers.clear();
    this.sets.clear();
    const ms = [...this.mirrors.values()];
    this.mirrors.clear();
    await Promise.all(ms.map((m) => m.close()));
  }
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
