// The broker of one node: virtual hosts with their exchanges and queues, users and
// permissions, and the operations AMQP channels and the CLI perform on them, each checked and
// failing with RabbitMQ's reply code and text. Durable definitions go through the metadata
// journal and are on disk before the operation is acknowledged.

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
import { checkEquivalentArguments, settingsFromArguments, validateArguments } from '../queues/arguments.js';
import { ClassicQueue, type DeadLetterReason, type QueueEntry, type QueueHost } from '../queues/classic-queue.js';
import { permitted, type Permission } from './auth.js';
import { deadLetterMessage } from './dead-letter.js';
import { EXCHANGE_TYPES, Exchange, exchangeDest, queueDest, type ExchangeType } from './exchange.js';
import { headersBindingError } from './routing/index.js';
import type { Metadata, MetadataDefaults } from './metadata.js';
import { Persistence } from './persistence.js';
import { VHost } from './vhost.js';

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

const queueNotFound = (vhost: string, name: string) => new AmqpError(NOT_FOUND, `no queue '${name}' in vhost '${vhost}'`);
const exchangeNotFound = (vhost: string, name: string) =>
  new AmqpError(NOT_FOUND, `no exchange '${name}' in vhost '${vhost}'`);

export class Broker implements QueueHost {
  readonly vhosts = new Map<string, VHost>();
  private readonly queueIds = new WeakMap<ClassicQueue, number>();
  private nextQueueId = 1000;

  /** Loads the node's definitions and the messages of its durable queues. */
  static async open(nodeName: string, metadata: Metadata, persistence: Persistence): Promise<Broker> {
    const broker = new Broker(nodeName, metadata, persistence);
    const live = new Set<string>();
    for (const vh of broker.vhosts.values()) {
      for (const q of vh.queues.values()) {
        live.add(Persistence.dirOf(persistence.dataDir, q.vhost, q.name));
        await persistence.attach(q);
      }
    }
    persistence.removeOrphans(live);
    return broker;
  }

  private constructor(
    readonly nodeName: string,
    readonly metadata: Metadata,
    private readonly persistence: Persistence,
  ) {
    for (const v of metadata.vhosts.keys()) this.vhosts.set(v, new VHost(v));
    for (const e of metadata.exchanges.values()) {
      const vh = this.vhosts.get(e.vhost);
      vh?.exchanges.set(e.name, new Exchange(e.vhost, e.name, e.type as ExchangeType, true, e.autoDelete, e.internal, e.args));
    }
    for (const q of metadata.queues.values()) {
      const vh = this.vhosts.get(q.vhost);
      if (vh) vh.queues.set(q.name, this.newQueue(q.vhost, q.name, true, q.autoDelete, undefined, q.args));
    }
    for (const b of metadata.bindings.values()) {
      this.vhosts.get(b.vhost)?.exchanges.get(b.source)?.bind(b.destination, b.routingKey, b.args);
    }
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

  private newQueue(vhost: string, name: string, durable: boolean, autoDelete: boolean, owner: object | undefined, args: FieldTable): ClassicQueue {
    const q = new ClassicQueue(vhost, name, durable, autoDelete, owner, args, settingsFromArguments(args), this);
    this.queueIds.set(q, this.nextQueueId++);
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
    vh.exchanges.set(name, new Exchange(vhostName, name, type as ExchangeType, d.durable, d.autoDelete, d.internal, d.args));
    if (d.durable) {
      this.metadata.apply({
        op: 'exchange.declare',
        exchange: { vhost: vhostName, name, type, autoDelete: d.autoDelete, internal: d.internal, args: d.args },
      });
      await this.metadata.flush();
    }
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
    this.removeExchange(vh, ex);
    if (ex.durable) await this.metadata.flush();
  }

  private isBoundAsDestination(vh: VHost, name: string): boolean {
    const d = exchangeDest(name);
    for (const e of vh.exchanges.values()) if (e.bindings.some((b) => b.destination === d)) return true;
    return false;
  }

  private removeExchange(vh: VHost, ex: Exchange): void {
    vh.exchanges.delete(ex.name);
    vh.unbindEverywhere(exchangeDest(ex.name));
    if (ex.durable) this.metadata.apply({ op: 'exchange.delete', vhost: vh.name, name: ex.name });
  }

  /** An auto-delete exchange goes when its last binding (as a source) is removed. */
  private maybeAutoDeleteExchange(vh: VHost, ex: Exchange | undefined): void {
    if (ex !== undefined && ex.autoDelete && ex.bindings.length === 0) this.removeExchange(vh, ex);
  }

  // ---- queues ----

  /** The queue named `name`, checking exclusivity; 404/405 as RabbitMQ raises them. */
  queue(vhostName: string, name: string, actor: Actor): ClassicQueue {
    const q = this.vhost(vhostName).queues.get(name);
    if (q === undefined) throw queueNotFound(vhostName, name);
    if (q.owner !== undefined && q.owner !== actor.connection) throw this.locked(vhostName, name);
    return q;
  }

  private locked(vhost: string, name: string): AmqpError {
    return new AmqpError(
      RESOURCE_LOCKED,
      `cannot obtain exclusive access to locked queue '${name}' in vhost '${vhost}'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  }

  async declareQueue(vhostName: string, requested: string, d: QueueDeclare, actor: Actor): Promise<ClassicQueue> {
    const vh = this.vhost(vhostName);
    const name = requested === '' ? `amq.gen-${randomBytes(16).toString('base64url').slice(0, 22)}` : requested;
    const existing = vh.queues.get(name);
    if (d.passive) {
      if (existing === undefined) throw queueNotFound(vhostName, name);
      if (existing.owner !== undefined && existing.owner !== actor.connection) throw this.locked(vhostName, name);
      existing.declared();
      return existing;
    }
    if (name.startsWith('amq.') && requested !== '') {
      throw new AmqpError(ACCESS_REFUSED, `queue name '${name}' contains reserved prefix 'amq.*'`);
    }
    this.check(actor, vhostName, 'configure', 'queue', name);
    if (existing !== undefined) {
      if (existing.owner !== undefined && existing.owner !== actor.connection) throw this.locked(vhostName, name);
      const ineq = (arg: string, received: boolean, current: boolean) => {
        if (received !== current) {
          throw new AmqpError(
            PRECONDITION_FAILED,
            `inequivalent arg '${arg}' for queue '${name}' in vhost '${vhostName}': received '${received}' but current is '${current}'`,
          );
        }
      };
      ineq('durable', d.durable, existing.durable);
      ineq('exclusive', d.exclusive, existing.owner !== undefined);
      ineq('auto_delete', d.autoDelete, existing.autoDeleteWhenUnused);
      checkEquivalentArguments(existing.args, d.args, 'queue', name, vhostName);
      existing.declared();
      return existing;
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
    if (limit !== undefined && limit >= 0 && vh.queues.size >= limit) {
      throw new AmqpError(PRECONDITION_FAILED, `cannot declare queue '${name}': queue limit in vhost '${vhostName}' (${limit}) is reached`);
    }
    const q = this.newQueue(vhostName, name, d.durable, d.autoDelete, d.exclusive ? actor.connection : undefined, d.args);
    vh.queues.set(name, q);
    if (d.durable && !d.exclusive) {
      this.metadata.apply({ op: 'queue.declare', queue: { vhost: vhostName, name, autoDelete: d.autoDelete, args: d.args } });
      await Promise.all([this.metadata.flush(), this.persistence.attach(q)]);
    }
    return q;
  }

  async deleteQueue(vhostName: string, name: string, ifUnused: boolean, ifEmpty: boolean, actor: Actor): Promise<number> {
    // Deleting what is not there succeeds, as in RabbitMQ.
    if (!this.vhost(vhostName).queues.has(name)) return 0;
    const q = this.queue(vhostName, name, actor);
    this.check(actor, vhostName, 'configure', 'queue', name);
    if (ifUnused && q.consumers.length > 0) {
      throw new AmqpError(PRECONDITION_FAILED, `queue '${name}' in vhost '${vhostName}' in use`);
    }
    if (ifEmpty && q.messagesReady > 0) {
      throw new AmqpError(PRECONDITION_FAILED, `queue '${name}' in vhost '${vhostName}' not empty`);
    }
    const count = this.removeQueue(q);
    if (q.durable) await this.metadata.flush();
    return count;
  }

  /** Deletes a queue (no checks): consumers are cancelled, bindings removed. */
  removeQueue(q: ClassicQueue): number {
    const vh = this.vhosts.get(q.vhost);
    if (vh === undefined || vh.queues.get(q.name) !== q) return 0;
    vh.queues.delete(q.name);
    const sources = new Set<Exchange>();
    const dest = queueDest(q.name);
    for (const e of vh.exchanges.values()) if (e.bindings.some((b) => b.destination === dest)) sources.add(e);
    vh.unbindEverywhere(dest);
    for (const e of sources) this.maybeAutoDeleteExchange(vh, e);
    if (q.durable && q.owner === undefined) this.metadata.apply({ op: 'queue.delete', vhost: q.vhost, name: q.name });
    this.persistence.drop(q);
    return q.delete();
  }

  purgeQueue(vhostName: string, name: string, actor: Actor): number {
    const q = this.queue(vhostName, name, actor);
    this.check(actor, vhostName, 'read', 'queue', name);
    return q.purge();
  }

  /** Queues a closing connection owned: deleted, as exclusive queues are. */
  connectionClosed(connection: object): void {
    for (const vh of this.vhosts.values()) {
      for (const q of [...vh.queues.values()]) if (q.owner === connection) this.removeQueue(q);
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
      if (q === undefined) throw queueNotFound(vhostName, destName);
      if (q.owner !== undefined && q.owner !== actor.connection) throw this.locked(vhostName, destName);
      destDurable = q.durable && q.owner === undefined;
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
    const changed = unbind ? ex.unbind(dest, routingKey, args) : ex.bind(dest, routingKey, args);
    if (changed && ex.durable && destDurable) {
      this.metadata.apply({
        op: unbind ? 'binding.remove' : 'binding.add',
        binding: { vhost: vhostName, source, destination: dest, routingKey, args },
      });
      await this.metadata.flush();
    }
    if (unbind) this.maybeAutoDeleteExchange(vh, ex);
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
    return this.persistence.durable(queue, entry);
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
    this.removeQueue(queue);
    if (queue.durable) void this.metadata.flush();
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
