// The broker of one node: virtual hosts with their exchanges and queues, users and
// permissions, and the operations AMQP channels and the CLI perform on them, each checked and
// failing with RabbitMQ's reply code and text. A change is not made here directly: it is a
// metadata command committed through the cluster's log, and the broker follows every command
// the log applies (its own and other nodes') to keep its live objects in step. Queues whose
// home is this node are live ClassicQueues; the cluster's other queues are records.

import { randomBytes } from 'node:crypto';
import { AmqpError } from '../amqp/errors.js';
import {
  ACCESS_REFUSED,
  COMMAND_INVALID,
  NOT_ALLOWED,
  NOT_FOUND,
  PRECONDITION_FAILED,
  RESOURCE_LOCKED,
} from '../amqp/spec.js';
import type { FieldTable } from '../amqp/table.js';
import { checkEquivalentArguments, settingsFromArguments, validateArguments, type QueueSettings } from '../queues/arguments.js';
import { ClassicQueue, type DeadLetterReason, type QueueEntry, type QueueHost } from '../queues/classic-queue.js';
import { permitted, type Permission } from './auth.js';
import { deadLetterMessage } from './dead-letter.js';
import { EXCHANGE_TYPES, Exchange, exchangeDest, queueDest, type ExchangeType } from './exchange.js';
import { headersBindingError } from './routing/index.js';
import type { BindingDef, Metadata, MetadataCommand, MetadataDefaults, PolicyRecord, QueueDef } from './metadata.js';
import { matchPolicy } from './policies.js';
import { Persistence } from './persistence.js';
import { VHost } from './vhost.js';
import { RemoteQueue } from './remote-queue.js';
import type { QueueStore } from '../store/queue-store.js';

export interface QueueDeclare {
  passive: boolean;
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  args: FieldTable;
}

export interface ExchangeDeclare {
  passive: boolean;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  args: FieldTable;
}

/** Who is asking: the user (for permissions) and the connection (for exclusive queues). */
export interface Actor {
  user: string;
  connection: object | undefined;
}

/** Where committed metadata commands go: applied on every running node, in one order. */
export interface MetadataLog {
  /** Resolves once the commands are applied here (and on disk where they must be). */
  commit(cmds: MetadataCommand[]): Promise<void>;
}

/** A lone node's log: apply here, flush the journal. */
export function localLog(metadata: Metadata): MetadataLog {
  return {
    commit(cmds) {
      for (const c of cmds) metadata.apply(c);
      return metadata.flush();
    },
  };
}

/** What the broker tells the mirroring about (cluster/mirror-manager.ts implements it). */
export interface MirrorHooks {
  scheduleReconcile(): void;
  queueDeleted(q: ClassicQueue): void;
  mirrorDeleted(vhost: string, name: string): void;
  masterChanged(def: QueueDef): void;
  takeOver(vhost: string, name: string): { entries: Array<{ seq: number; msg: QueueEntry['msg']; storeSeq: number; redelivered: boolean }>; store: QueueStore | undefined } | undefined;
  promoted(q: ClassicQueue, def: QueueDef, requeued: QueueEntry[]): void;
  /** What a confirm for a message just enqueued must also wait for. */
  replicated(q: ClassicQueue): Promise<void> | undefined;
}

/** What a declare reports back (queue.declare-ok). */
export interface DeclaredQueue {
  name: string;
  messageCount: number;
  consumerCount: number;
  /** The live queue when its home is this node. */
  local: ClassicQueue | undefined;
}

/** Reaching queues that live on other nodes. */
export interface RemoteQueueAccess {
  stats(def: QueueDef): Promise<{ messages: number; consumers: number }>;
  delete(def: QueueDef, ifUnused: boolean, ifEmpty: boolean): Promise<number>;
  purge(def: QueueDef): Promise<number>;
  endpoint(def: QueueDef): RemoteQueue;
  /** The queue's record is gone: its consumers here are cancelled. */
  dropped(def: QueueDef): void;
  /** The queue has a new master: consumers here follow it (or are cancelled if they asked). */
  retarget(def: QueueDef): void;
}

/** RabbitMQ's answer for a queue whose home node is down. */
export function homeDown(def: QueueDef): AmqpError {
  return new AmqpError(
    NOT_FOUND,
    `home node '${def.node}' of ${def.durable ? 'durable' : 'non-durable'} queue '${def.name}' in vhost '${def.vhost}' is down or inaccessible`,
  );
}

const declared = (q: ClassicQueue): DeclaredQueue => ({
  name: q.name,
  messageCount: q.messagesReady,
  consumerCount: q.consumers.length,
  local: q,
});

const queueNotFound = (vhost: string, name: string) => new AmqpError(NOT_FOUND, `no queue '${name}' in vhost '${vhost}'`);
const exchangeNotFound = (vhost: string, name: string) =>
  new AmqpError(NOT_FOUND, `no exchange '${name}' in vhost '${vhost}'`);

export class Broker implements QueueHost {
  readonly vhosts = new Map<string, VHost>();
  private readonly queueIds = new WeakMap<ClassicQueue, number>();
  private nextQueueId = 1000;

  private readonly owners = new Map<string, object>();
  private readonly ownerIds = new WeakMap<object, string>();
  private nextOwnerId = 1;
  /** Stores being opened for queues just declared here. */
  private readonly attaching = new Map<ClassicQueue, Promise<void>>();
  /** The mirroring of this node's queues (set by the cluster). */
  mirrors: MirrorHooks | undefined;
  /** Closes this node's client connections to a deleted virtual host. */
  onVhostDeleted: (vhost: string) => void = () => {};
  /**
   * A policy of the vhost was set, changed or cleared, and this node's queues there already run
   * with their new settings (`policyFor` answers with the new state).
   */
  onPoliciesChanged: (vhost: string) => void = () => {};
  log: MetadataLog;

  /** Loads the node's definitions and the messages of its durable queues. */
  static async open(nodeName: string, metadata: Metadata, persistence: Persistence, log?: MetadataLog): Promise<Broker> {
    const broker = new Broker(nodeName, metadata, persistence, log ?? localLog(metadata));
    const live = new Set<string>();
    for (const vh of broker.vhosts.values()) {
      for (const q of vh.queues.values()) {
        if (!q.durable || q.owner !== undefined) continue;
        live.add(Persistence.dirOf(persistence.dataDir, q.vhost, q.name));
        await persistence.attach(q);
      }
    }
    // A RAM node learns its queues from the cluster: their stores wait for that.
    if (metadata.onDisc) persistence.removeOrphans(live);
    return broker;
  }

  private constructor(
    readonly nodeName: string,
    readonly metadata: Metadata,
    readonly persistence: Persistence,
    log: MetadataLog,
  ) {
    this.log = log;
    for (const v of metadata.vhosts.keys()) this.vhosts.set(v, new VHost(v));
    for (const e of metadata.exchanges.values()) this.follow({ op: 'exchange.declare', exchange: e });
    for (const q of metadata.queues.values()) this.follow({ op: 'queue.declare', queue: q }, false);
    for (const b of metadata.bindings.values()) this.follow({ op: 'binding.add', binding: b });
    metadata.listener = (cmd) => this.follow(cmd);
    metadata.afterListener = (cmd) => {
      if (cmd.op === 'policy.set') this.policiesChanged(cmd.policy.vhost);
      else if (cmd.op === 'policy.clear') this.policiesChanged(cmd.vhost);
    };
  }

  /**
   * The policy that applies to a queue of this vhost: the highest-priority policy whose pattern
   * matches the name and whose apply-to is queues or all (ties: the name that sorts first).
   */
  policyFor(vhost: string, queueName: string): PolicyRecord | undefined {
    return matchPolicy(this.metadata.policies.values(), vhost, 'queues', queueName);
  }

  /** This node's queues of the vhost take their (maybe new) policy at once. */
  private policiesChanged(vhost: string): void {
    const vh = this.vhosts.get(vhost);
    if (vh === undefined) return;
    for (const q of vh.queues.values()) q.reshape(this.queueSettings(vhost, q.name, q.args));
    this.onPoliciesChanged(vhost);
  }

  private queueSettings(vhost: string, name: string, args: FieldTable): QueueSettings {
    return settingsFromArguments(args, this.policyFor(vhost, name)?.definition);
  }

  /** Commits changes through the cluster's log. */
  commit(...cmds: MetadataCommand[]): Promise<void> {
    return this.log.commit(cmds);
  }

  /**
   * Keeps the live objects in step with one metadata command (called before the metadata maps
   * change). `attach` opens the store of a durable queue created here.
   */
  private follow(cmd: MetadataCommand, attach = true): void {
    switch (cmd.op) {
      case 'vhost.add':
        if (!this.vhosts.has(cmd.vhost.name)) this.vhosts.set(cmd.vhost.name, new VHost(cmd.vhost.name));
        return;
      case 'vhost.delete': {
        const vh = this.vhosts.get(cmd.name);
        if (vh === undefined) return;
        this.vhosts.delete(cmd.name);
        for (const q of vh.queues.values()) this.dropLocalQueue(q);
        this.onVhostDeleted(cmd.name);
        return;
      }
      case 'exchange.declare': {
        const e = cmd.exchange;
        const vh = this.vhosts.get(e.vhost);
        if (vh === undefined || vh.exchanges.has(e.name)) return;
        vh.exchanges.set(e.name, new Exchange(e.vhost, e.name, e.type as ExchangeType, e.durable, e.autoDelete, e.internal, e.args));
        return;
      }
      case 'exchange.delete': {
        const vh = this.vhosts.get(cmd.vhost);
        if (vh === undefined || !vh.exchanges.delete(cmd.name)) return;
        vh.unbindEverywhere(exchangeDest(cmd.name));
        return;
      }
      case 'queue.declare': {
        const def = cmd.queue;
        const vh = this.vhosts.get(def.vhost);
        if (vh === undefined || vh.queues.has(def.name) || vh.remoteQueues.has(def.name)) return;
        if (def.node !== this.nodeName) {
          vh.remoteQueues.set(def.name, def);
          return;
        }
        const owner = def.owner === undefined ? undefined : this.owners.get(def.owner);
        if (def.owner !== undefined && owner === undefined) return; // Its connection is gone already.
        const q = this.newQueue(def.vhost, def.name, def.durable, def.autoDelete, owner, def.args, def.id);
        vh.queues.set(def.name, q);
        if (attach && def.durable && owner === undefined) this.attaching.set(q, this.persistence.attach(q));
        this.mirrors?.scheduleReconcile();
        return;
      }
      case 'queue.promote': {
        const vh = this.vhosts.get(cmd.vhost);
        const old = this.metadata.queue(cmd.vhost, cmd.name);
        if (vh === undefined || old === undefined) return;
        const def: QueueDef = { ...old, node: cmd.node, mirrors: cmd.mirrors, synced: cmd.synced };
        const local = vh.queues.get(cmd.name);
        if (cmd.node !== this.nodeName) {
          // Another node took over (this one was cut off, say): its copy here is stale.
          if (local !== undefined) {
            vh.queues.delete(cmd.name);
            this.mirrors?.queueDeleted(local);
            this.dropLocalQueue(local);
          }
          vh.remoteQueues.set(cmd.name, def);
          this.mirrors?.masterChanged(def);
          this.remote.retarget(def);
          return;
        }
        if (local !== undefined) return;
        vh.remoteQueues.delete(cmd.name);
        const taken = this.mirrors?.takeOver(cmd.vhost, cmd.name);
        // A promoted mirror keeps the pid number it had as a mirror (the master's).
        const q = this.newQueue(def.vhost, def.name, def.durable, def.autoDelete, undefined, def.args, def.id);
        if (taken !== undefined) {
          q.restoreMirrored(taken.entries);
          if (taken.store !== undefined) this.persistence.adopt(q, taken.store);
        }
        vh.queues.set(def.name, q);
        const requeued = q.readyEntries();
        this.mirrors?.promoted(q, def, requeued);
        this.remote.retarget(def);
        q.deliverAvailable();
        return;
      }
      case 'queue.mirrors': {
        const vh = this.vhosts.get(cmd.vhost);
        const old = vh?.remoteQueues.get(cmd.name);
        if (vh !== undefined && old !== undefined) vh.remoteQueues.set(cmd.name, { ...old, mirrors: cmd.mirrors, synced: cmd.synced });
        return;
      }
      case 'policy.set':
      case 'policy.clear':
        this.mirrors?.scheduleReconcile();
        return;
      case 'queue.delete': {
        const vh = this.vhosts.get(cmd.vhost);
        if (vh === undefined) return;
        const q = vh.queues.get(cmd.name);
        const def = vh.remoteQueues.get(cmd.name);
        if (def !== undefined) {
          vh.remoteQueues.delete(cmd.name);
          this.remote.dropped(def);
          this.mirrors?.mirrorDeleted(cmd.vhost, cmd.name);
        }
        if (q !== undefined) {
          vh.queues.delete(cmd.name);
          this.mirrors?.queueDeleted(q);
          this.dropLocalQueue(q);
        }
        vh.unbindEverywhere(queueDest(cmd.name));
        return;
      }
      case 'binding.add':
      case 'binding.remove': {
        const b = cmd.binding;
        const ex = this.vhosts.get(b.vhost)?.exchanges.get(b.source);
        if (ex === undefined) return;
        if (cmd.op === 'binding.add') ex.bind(b.destination, b.routingKey, b.args);
        else ex.unbind(b.destination, b.routingKey, b.args);
        return;
      }
      default:
        return;
    }
  }

  private dropLocalQueue(q: ClassicQueue): void {
    this.attaching.delete(q);
    this.persistence.drop(q);
    q.delete();
  }

  /** A connection's id in queue records (its exclusive queues name it as their owner). */
  private ownerId(connection: object): string {
    let id = this.ownerIds.get(connection);
    if (id === undefined) {
      id = `${this.nodeName}/${this.nextOwnerId++}`;
      this.ownerIds.set(connection, id);
      this.owners.set(id, connection);
    }
    return id;
  }

  static defaults(c: {
    defaultVhost: string;
    defaultUser: string;
    defaultPass: string;
    defaultUserTags: string[];
    defaultPermissions: MetadataDefaults['permissions'];
  }): MetadataDefaults {
    return { vhost: c.defaultVhost, user: c.defaultUser, pass: c.defaultPass, tags: c.defaultUserTags, permissions: c.defaultPermissions };
  }

  queueId(q: ClassicQueue): number {
    return this.queueIds.get(q) ?? 0;
  }

  vhost(name: string): VHost {
    const vh = this.vhosts.get(name);
    if (vh === undefined) throw new AmqpError(NOT_ALLOWED, `vhost ${name} not found`);
    return vh;
  }

  private check(actor: Actor, vhost: string, what: Permission, kind: 'queue' | 'exchange', name: string): void {
    if (!permitted(this.metadata, actor.user, vhost, what, name)) {
      throw new AmqpError(ACCESS_REFUSED, `access to ${kind} '${name}' in vhost '${vhost}' refused for user '${actor.user}'`);
    }
  }

  private newQueue(
    vhost: string,
    name: string,
    durable: boolean,
    autoDelete: boolean,
    owner: object | undefined,
    args: FieldTable,
    id: number | undefined,
  ): ClassicQueue {
    const q = new ClassicQueue(vhost, name, durable, autoDelete, owner, args, this.queueSettings(vhost, name, args), this);
    this.queueIds.set(q, id ?? this.nextQueueId++);
    return q;
  }

  // ---- exchanges ----

  async declareExchange(vhostName: string, name: string, type: string, d: ExchangeDeclare, actor: Actor): Promise<void> {
    const vh = this.vhost(vhostName);
    const existing = vh.exchanges.get(name);
    if (d.passive) {
      if (existing === undefined) throw exchangeNotFound(vhostName, name);
      return;
    }
    if (name === '') throw new AmqpError(ACCESS_REFUSED, 'operation not permitted on the default exchange');
    if (name.startsWith('amq.') && existing === undefined) {
      throw new AmqpError(ACCESS_REFUSED, `exchange name '${name}' contains reserved prefix 'amq.*'`);
    }
    this.check(actor, vhostName, 'configure', 'exchange', name);
    if (existing !== undefined) {
      const differs = (arg: string, received: unknown, current: unknown) => {
        if (received !== current) {
          throw new AmqpError(
            PRECONDITION_FAILED,
            `inequivalent arg '${arg}' for exchange '${name}' in vhost '${vhostName}': received '${String(received)}' but current is '${String(current)}'`,
          );
        }
      };
      differs('type', type, existing.type);
      differs('durable', d.durable, existing.durable);
      differs('auto_delete', d.autoDelete, existing.autoDelete);
      differs('internal', d.internal, existing.internal);
      checkEquivalentArguments(existing.args, d.args, 'exchange', name, vhostName);
      return;
    }
    if (!EXCHANGE_TYPES.includes(type as ExchangeType)) {
      throw new AmqpError(COMMAND_INVALID, `unknown exchange type '${type}'`);
    }
    await this.commit({
      op: 'exchange.declare',
      exchange: { vhost: vhostName, name, type, durable: d.durable, autoDelete: d.autoDelete, internal: d.internal, args: d.args },
    });
  }

  async deleteExchange(vhostName: string, name: string, ifUnused: boolean, actor: Actor): Promise<void> {
    const vh = this.vhost(vhostName);
    if (name === '' || name.startsWith('amq.')) {
      throw new AmqpError(ACCESS_REFUSED, `operation not permitted on the default exchange`);
    }
    const ex = vh.exchanges.get(name);
    // Deleting what is not there succeeds, as in RabbitMQ.
    if (ex === undefined) return;
    this.check(actor, vhostName, 'configure', 'exchange', name);
    if (ifUnused && (ex.bindings.length > 0 || this.isBoundAsDestination(vh, name))) {
      throw new AmqpError(PRECONDITION_FAILED, `exchange '${name}' in vhost '${vhostName}' in use`);
    }
    await this.removeExchange(vh, ex);
  }

  private isBoundAsDestination(vh: VHost, name: string): boolean {
    const d = exchangeDest(name);
    for (const e of vh.exchanges.values()) if (e.bindings.some((b) => b.destination === d)) return true;
    return false;
  }

  private removeExchange(vh: VHost, ex: Exchange): Promise<void> {
    return this.commit({ op: 'exchange.delete', vhost: vh.name, name: ex.name });
  }

  /** An auto-delete exchange goes when its last binding (as a source) is removed. */
  private maybeAutoDeleteExchange(vh: VHost, ex: Exchange | undefined): Promise<void> | undefined {
    if (ex !== undefined && ex.autoDelete && ex.bindings.length === 0 && vh.exchanges.get(ex.name) === ex) {
      return this.removeExchange(vh, ex);
    }
    return undefined;
  }

  // ---- queues ----

  /**
   * The queue named `name` (here, or on its home node), checking exclusivity; 404/405 as
   * RabbitMQ raises them.
   */
  queue(vhostName: string, name: string, actor: Actor): ClassicQueue | RemoteQueue {
    const vh = this.vhost(vhostName);
    const q = vh.queues.get(name);
    if (q === undefined) {
      const def = vh.remoteQueues.get(name);
      if (def === undefined) throw queueNotFound(vhostName, name);
      if (def.owner !== undefined) throw this.locked(vhostName, name);
      return this.remoteEndpoint(def);
    }
    if (q.owner !== undefined && q.owner !== actor.connection) throw this.locked(vhostName, name);
    return q;
  }

  /** The endpoint through which this node uses a queue living on another node. */
  remoteEndpoint(def: QueueDef): RemoteQueue {
    return this.remote.endpoint(def);
  }

  private locked(vhost: string, name: string): AmqpError {
    return new AmqpError(
      RESOURCE_LOCKED,
      `cannot obtain exclusive access to locked queue '${name}' in vhost '${vhost}'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  }

  async declareQueue(vhostName: string, requested: string, d: QueueDeclare, actor: Actor): Promise<DeclaredQueue> {
    const vh = this.vhost(vhostName);
    const name = requested === '' ? `amq.gen-${randomBytes(16).toString('base64url').slice(0, 22)}` : requested;
    const existing = vh.queues.get(name);
    const remote = existing === undefined ? vh.remoteQueues.get(name) : undefined;
    if (d.passive) {
      if (remote !== undefined) return this.declaredRemote(remote);
      if (existing === undefined) throw queueNotFound(vhostName, name);
      if (existing.owner !== undefined && existing.owner !== actor.connection) throw this.locked(vhostName, name);
      existing.declared();
      return declared(existing);
    }
    if (name.startsWith('amq.') && requested !== '') {
      throw new AmqpError(ACCESS_REFUSED, `queue name '${name}' contains reserved prefix 'amq.*'`);
    }
    this.check(actor, vhostName, 'configure', 'queue', name);
    if (existing !== undefined || remote !== undefined) {
      const current = existing ?? remote!;
      const exclusive = existing !== undefined ? existing.owner !== undefined : remote!.owner !== undefined;
      if (exclusive && (existing === undefined || existing.owner !== actor.connection)) throw this.locked(vhostName, name);
      const ineq = (arg: string, received: boolean, now: boolean) => {
        if (received !== now) {
          throw new AmqpError(
            PRECONDITION_FAILED,
            `inequivalent arg '${arg}' for queue '${name}' in vhost '${vhostName}': received '${received}' but current is '${now}'`,
          );
        }
      };
      ineq('durable', d.durable, current.durable);
      ineq('exclusive', d.exclusive, exclusive);
      ineq('auto_delete', d.autoDelete, existing !== undefined ? existing.autoDeleteWhenUnused : remote!.autoDelete);
      checkEquivalentArguments(current.args, d.args, 'queue', name, vhostName);
      if (remote !== undefined) return this.declaredRemote(remote);
      existing!.declared();
      return declared(existing!);
    }
    validateArguments(d.args, name, vhostName);
    const type = d.args.get('x-queue-type');
    if (type !== undefined && type !== 'classic') {
      if (type === 'quorum' || type === 'stream') {
        const bad = !d.durable ? 'non-durable' : d.exclusive ? 'exclusive-owner' : d.autoDelete ? 'auto-delete' : undefined;
        if (bad !== undefined) {
          throw new AmqpError(PRECONDITION_FAILED, `invalid property '${bad}' for queue '${name}' in vhost '${vhostName}'`);
        }
      }
      if (type !== 'quorum' && type !== 'stream') {
        throw new AmqpError(PRECONDITION_FAILED, `invalid arg 'x-queue-type' for queue '${name}' in vhost '${vhostName}': {unsupported_queue_type,<<"${String(type)}">>}`);
      }
    }
    const limit = this.metadata.limits.get(vhostName)?.['max-queues'];
    if (limit !== undefined && limit >= 0 && vh.queues.size + vh.remoteQueues.size >= limit) {
      throw new AmqpError(PRECONDITION_FAILED, `cannot declare queue '${name}': queue limit in vhost '${vhostName}' (${limit}) is reached`);
    }
    const def: QueueDef = {
      vhost: vhostName,
      name,
      node: this.nodeName,
      durable: d.durable,
      autoDelete: d.autoDelete,
      owner: d.exclusive && actor.connection !== undefined ? this.ownerId(actor.connection) : undefined,
      args: d.args,
      id: this.nextQueueId++,
    };
    await this.commit({ op: 'queue.declare', queue: def });
    const q = vh.queues.get(name);
    if (q === undefined) {
      // Another node's declaration of the same name was sequenced first: that one stands.
      return this.declareQueue(vhostName, name, { ...d, passive: false }, actor);
    }
    await this.attaching.get(q);
    this.attaching.delete(q);
    return declared(q);
  }

  /** A queue living on another node: what its home reports (404 while its home is down). */
  private async declaredRemote(def: QueueDef): Promise<DeclaredQueue> {
    const stats = await this.remote.stats(def);
    return { name: def.name, messageCount: stats.messages, consumerCount: stats.consumers, local: undefined };
  }

  /** How this node reaches queues on other nodes (the cluster sets it). */
  remote: RemoteQueueAccess = {
    stats: (def) => Promise.reject(homeDown(def)),
    delete: (def) => Promise.reject(homeDown(def)),
    purge: (def) => Promise.reject(homeDown(def)),
    retarget: () => {},
    endpoint: () => {
      throw new AmqpError(NOT_FOUND, 'this node is not in a cluster');
    },
    dropped: () => {},
  };

  async deleteQueue(vhostName: string, name: string, ifUnused: boolean, ifEmpty: boolean, actor: Actor): Promise<number> {
    const vh = this.vhost(vhostName);
    const remote = vh.remoteQueues.get(name);
    if (remote !== undefined) {
      this.check(actor, vhostName, 'configure', 'queue', name);
      if (remote.owner !== undefined) throw this.locked(vhostName, name);
      return this.remote.delete(remote, ifUnused, ifEmpty);
    }
    // Deleting what is not there succeeds, as in RabbitMQ.
    const q = vh.queues.get(name);
    if (q === undefined) return 0;
    if (q.owner !== undefined && q.owner !== actor.connection) throw this.locked(vhostName, name);
    this.check(actor, vhostName, 'configure', 'queue', name);
    return this.deleteLocalQueue(q, ifUnused, ifEmpty);
  }

  /** Deletes a queue living here, with the if-unused / if-empty checks. */
  async deleteLocalQueue(q: ClassicQueue, ifUnused: boolean, ifEmpty: boolean): Promise<number> {
    if (ifUnused && q.consumers.length > 0) {
      throw new AmqpError(PRECONDITION_FAILED, `queue '${q.name}' in vhost '${q.vhost}' in use`);
    }
    if (ifEmpty && q.messagesReady > 0) {
      throw new AmqpError(PRECONDITION_FAILED, `queue '${q.name}' in vhost '${q.vhost}' not empty`);
    }
    const count = q.messagesReady;
    await this.removeQueue(q);
    return count;
  }

  /** Deletes a queue (no checks): consumers are cancelled, bindings removed, auto-delete exchanges with them. */
  async removeQueue(q: ClassicQueue): Promise<void> {
    const vh = this.vhosts.get(q.vhost);
    if (vh === undefined || vh.queues.get(q.name) !== q) return;
    const sources = new Set<Exchange>();
    const dest = queueDest(q.name);
    for (const e of vh.exchanges.values()) if (e.bindings.some((b) => b.destination === dest)) sources.add(e);
    await this.commit({ op: 'queue.delete', vhost: q.vhost, name: q.name });
    await Promise.all([...sources].map((e) => this.maybeAutoDeleteExchange(vh, e)));
  }

  purgeQueue(vhostName: string, name: string, actor: Actor): number | Promise<number> {
    const q = this.queue(vhostName, name, actor);
    this.check(actor, vhostName, 'read', 'queue', name);
    return q instanceof RemoteQueue ? this.remote.purge(q.def) : q.purge();
  }

  /** Queues a closing connection owned: deleted, as exclusive queues are. */
  connectionClosed(connection: object): void {
    const id = this.ownerIds.get(connection);
    if (id === undefined) return;
    this.owners.delete(id);
    for (const vh of this.vhosts.values()) {
      for (const q of [...vh.queues.values()]) if (q.owner === connection) void this.removeQueue(q);
    }
  }

  // ---- bindings ----

  async bind(
    vhostName: string,
    destKind: 'queue' | 'exchange',
    destName: string,
    source: string,
    routingKey: string,
    args: FieldTable,
    actor: Actor,
    unbind: boolean,
  ): Promise<void> {
    const vh = this.vhost(vhostName);
    if (source === '') {
      throw new AmqpError(ACCESS_REFUSED, `operation not permitted on the default exchange`);
    }
    let destDurable: boolean;
    if (destKind === 'queue') {
      const q = vh.queues.get(destName);
      const remote = q === undefined ? vh.remoteQueues.get(destName) : undefined;
      if (q === undefined && remote === undefined) throw queueNotFound(vhostName, destName);
      if (q !== undefined && q.owner !== undefined && q.owner !== actor.connection) throw this.locked(vhostName, destName);
      if (remote?.owner !== undefined) throw this.locked(vhostName, destName);
      destDurable = q !== undefined ? q.durable && q.owner === undefined : remote!.durable;
    } else {
      const e = vh.exchanges.get(destName);
      if (e === undefined) throw exchangeNotFound(vhostName, destName);
      destDurable = e.durable;
    }
    const ex = vh.exchanges.get(source);
    if (ex === undefined) throw exchangeNotFound(vhostName, source);
    this.check(actor, vhostName, 'write', destKind, destName);
    this.check(actor, vhostName, 'read', 'exchange', source);
    const bad = ex.type === 'headers' && !unbind ? headersBindingError(args) : null;
    if (bad !== null) throw new AmqpError(PRECONDITION_FAILED, bad);
    const dest = destKind === 'queue' ? queueDest(destName) : exchangeDest(destName);
    const current = ex.find(dest, routingKey, args);
    if (unbind ? current === undefined : current !== undefined) return;
    const binding: BindingDef = {
      vhost: vhostName,
      source,
      destination: dest,
      routingKey,
      args: current?.args ?? args,
      durable: ex.durable && destDurable,
    };
    await this.commit({ op: unbind ? 'binding.remove' : 'binding.add', binding });
    if (unbind) await this.maybeAutoDeleteExchange(vh, ex);
  }

  checkPublish(actor: Actor, vhost: string, exchange: string): void {
    this.check(actor, vhost, 'write', 'exchange', exchange);
  }

  checkRead(actor: Actor, vhost: string, queue: string): void {
    this.check(actor, vhost, 'read', 'queue', queue);
  }

  /**
   * When a routed message is safe (on disk where it must be): a promise for a persistent
   * message in a durable queue, undefined when it is safe already.
   */
  durable(queue: ClassicQueue, entry: QueueEntry): Promise<void> | undefined {
    const disk = this.persistence.durable(queue, entry);
    const mirrors = queue.observer === undefined ? undefined : this.mirrors?.replicated(queue);
    if (mirrors === undefined) return disk;
    return disk === undefined ? mirrors : Promise.all([disk, mirrors]).then(() => undefined);
  }

  /** x-overflow reject-publish-dlx: the refused message is dead-lettered as maxlen. */
  deadLetterRejected(queue: ClassicQueue, msg: QueueEntry['msg']): void {
    this.deadLetter(queue, [{ msg, seq: 0, redelivered: false, expiresAt: 0, storeSeq: -1 }], 'maxlen');
  }

  // ---- QueueHost ----

  deadLetter(queue: ClassicQueue, entries: QueueEntry[], reason: DeadLetterReason): void {
    const stored = entries.filter((e) => e.storeSeq >= 0);
    if (stored.length > 0) this.forget(queue, stored);
    const dlx = queue.settings.deadLetterExchange;
    if (dlx === undefined) return;
    const vh = this.vhosts.get(queue.vhost);
    const ex = vh?.exchanges.get(dlx);
    if (vh === undefined || ex === undefined) return;
    const now = Date.now();
    for (const entry of entries) {
      const dead = deadLetterMessage(entry.msg, queue.name, reason, queue.settings.deadLetterRoutingKey, now);
      if (dead === undefined) continue;
      const targets = new Set<ClassicQueue>();
      vh.route(ex, dead.message.routingKey, dead.headers, targets);
      for (const t of targets) {
        // A message expiring round a cycle of queues with no rejection in between is dropped.
        if (t === queue && reason === 'expired' && !dead.everRejected) continue;
        t.publish({ ...dead.message, exchange: dlx }, now);
      }
    }
  }

  autoDelete(queue: ClassicQueue): void {
    void this.removeQueue(queue);
  }

  persist(queue: ClassicQueue, entry: QueueEntry): void {
    this.persistence.store(queue, entry);
  }

  forget(queue: ClassicQueue, entries: QueueEntry[]): void {
    this.persistence.forget(queue, entries);
  }

  /** Closes everything at stop_app: messages are on disk, queues stop. */
  async stop(): Promise<void> {
    for (const vh of this.vhosts.values()) {
      for (const q of vh.queues.values()) q.delete();
    }
    await this.persistence.close();
    this.metadata.close();
  }
}
