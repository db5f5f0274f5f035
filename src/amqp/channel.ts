// One AMQP channel: its methods (exchange, queue, basic, confirm, tx), content assembly for
// publishes, deliveries to its consumers with their delivery tags and prefetch windows,
// acknowledgements, publisher confirms, transactions and direct reply-to. Channel-level
// errors raise AmqpError; the connection closes the channel (or itself, for hard errors).

import { randomBytes } from 'node:crypto';
import type { Actor, Broker } from '../broker/broker.js';
import { Consumer, type ClassicQueue, type ConsumerChannel, type QueueEndpoint, type QueueEntry } from '../queues/classic-queue.js';
import { RemoteQueue } from '../broker/remote-queue.js';
import type { QueueDef } from '../broker/metadata.js';
import { parseExpiration, scanProperties, type Message } from '../queues/message.js';
import { encodeBasicDeliver, encodeContentMethod, decodeContentHeader } from './content.js';
import { AmqpError } from './errors.js';
import type { Method, MethodArgs } from './methods.js';
import { decodeProperties, encodeProperties } from './properties.js';
import {
  ACCESS_REFUSED,
  BASIC_CLASS_ID,
  COMMAND_INVALID,
  FRAME_ERROR,
  NOT_ALLOWED,
  NOT_FOUND,
  NO_ROUTE,
  PRECONDITION_FAILED,
  UNEXPECTED_FRAME,
  type MethodName,
} from './spec.js';
import type { FieldTable } from './table.js';

/** What a channel needs from its connection. */
export interface ChannelHost {
  readonly broker: Broker;
  readonly user: string;
  readonly vhost: string;
  readonly frameMax: number;
  readonly consumerCancelNotify: boolean;
  /** The connection, as owner of exclusive queues. */
  readonly owner: object;
  sendMethod<N extends MethodName>(channel: number, name: N, args: MethodArgs<N>): void;
  sendFrames(frames: Buffer[]): void;
  /** Can the socket take more deliveries without buffering without bound? */
  writable(): boolean;
  /** A queue this connection publishes to is backed up: stop reading until it is relieved. */
  throttle(queue: ClassicQueue): void;
  readonly replyTo: ReplyToRegistry;
}

export interface ReplyToRegistry {
  register(channel: Channel): string;
  unregister(id: string): void;
  lookup(id: string): Channel | undefined;
}

const REPLY_TO = 'amq.rabbitmq.reply-to';

interface Unacked {
  queue: QueueEndpoint | undefined;
  entry: QueueEntry;
  consumer: Consumer | undefined;
}

interface Pending {
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  bodySize: number;
  /** The content header's property bytes, still a view into the socket's buffer. */
  headerBytes: Buffer | undefined;
  propertyBytes: Buffer | undefined;
  chunks: Buffer[];
  received: number;
}

const EMPTY_BODY = Buffer.alloc(0);
/** The user-id property's presence flag. */
const USER_ID_FLAG = 0x0010;

function copy(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  b.copy(out);
  return out;
}

export class Channel implements ConsumerChannel {
  private pending: Pending | undefined;
  private nextDeliveryTag = 1;
  private readonly unacked = new Map<number, Unacked>();
  private readonly consumers = new Map<string, { consumer: Consumer; queue: QueueEndpoint | undefined }>();
  private prefetchCount = 0;
  private globalPrefetch = 0;
  private flowActive = true;
  private confirmMode = false;
  private txMode = false;
  private publishSeq = 0;
  private readonly outstandingConfirms = new Set<number>();
  private confirmsToSend: number[] = [];
  private nacksToSend: number[] = [];
  private confirmFlushScheduled = false;
  private txPublishes: Message[] = [];
  private txMandatory: boolean[] = [];
  private txAcks: Array<() => void> = [];
  private replyToId: string | undefined;
  private replyConsumerTag: string | undefined;
  private readonly kicked = new Set<QueueEndpoint>();
  /** Reused for every publish: routing allocates nothing per message. */
  private readonly routed = new Set<ClassicQueue>();
  private readonly routedRemote = new Set<QueueDef>();
  closing = false;

  constructor(
    readonly id: number,
    private readonly host: ChannelHost,
  ) {}

  private get actor(): Actor {
    return { user: this.host.user, connection: this.host.owner };
  }

  // ---- frames ----

  /** A method frame for this channel. Returns a promise when the method is asynchronous. */
  handleMethod(method: Method): Promise<void> | void {
    if (this.pending !== undefined) {
      throw new AmqpError(
        UNEXPECTED_FRAME,
        `expected content header for class ${BASIC_CLASS_ID}, got non content header frame instead`,
      );
    }
    switch (method.name) {
      case 'basic.publish':
        return this.startPublish(method.args);
      case 'basic.ack':
        return this.ack(method.args.deliveryTag, method.args.multiple);
      case 'basic.nack':
        return this.nack(method.args.deliveryTag, method.args.multiple, method.args.requeue, 'basic.nack');
      case 'basic.reject':
        return this.nack(method.args.deliveryTag, false, method.args.requeue, 'basic.reject');
      case 'basic.qos':
        return this.qos(method.args);
      case 'basic.consume':
        return this.consume(method.args);
      case 'basic.cancel':
        return this.cancel(method.args.consumerTag, method.args.nowait);
      case 'basic.get':
        return this.get(method.args);
      case 'basic.recover':
      case 'basic.recover-async':
        this.requeueAll();
        if (method.name === 'basic.recover') this.send('basic.recover-ok', {});
        return;
      case 'exchange.declare':
        return this.exchangeDeclare(method.args);
      case 'exchange.delete':
        return this.after(
          this.host.broker.deleteExchange(this.host.vhost, method.args.exchange, method.args.ifUnused, this.actor),
          method.args.nowait,
          'exchange.delete-ok',
          {},
        );
      case 'exchange.bind':
      case 'exchange.unbind': {
        const a = method.args;
        const unbind = method.name === 'exchange.unbind';
        return this.after(
          this.host.broker.bind(this.host.vhost, 'exchange', a.destination, a.source, a.routingKey, a.arguments, this.actor, unbind),
          a.nowait,
          unbind ? 'exchange.unbind-ok' : 'exchange.bind-ok',
          {},
        );
      }
      case 'queue.declare':
        return this.queueDeclare(method.args);
      case 'queue.bind':
      case 'queue.unbind': {
        const a = method.args;
        const unbind = method.name === 'queue.unbind';
        const nowait = unbind ? false : (a as MethodArgs<'queue.bind'>).nowait;
        return this.after(
          this.host.broker.bind(this.host.vhost, 'queue', a.queue, a.exchange, a.routingKey, a.arguments, this.actor, unbind),
          nowait,
          unbind ? 'queue.unbind-ok' : 'queue.bind-ok',
          {},
        );
      }
      case 'queue.purge': {
        const count = this.host.broker.purgeQueue(this.host.vhost, method.args.queue, this.actor);
        const nowait = method.args.nowait;
        if (typeof count === 'number') {
          if (!nowait) this.send('queue.purge-ok', { messageCount: count });
          return;
        }
        return count.then((n) => {
          if (!nowait && !this.closing) this.send('queue.purge-ok', { messageCount: n });
        });
      }
      case 'queue.delete':
        return this.queueDelete(method.args);
      case 'confirm.select':
        if (this.txMode) throw new AmqpError(PRECONDITION_FAILED, 'cannot switch from tx to confirm mode');
        this.confirmMode = true;
        if (!method.args.nowait) this.send('confirm.select-ok', {});
        return;
      case 'tx.select':
        if (this.confirmMode) throw new AmqpError(PRECONDITION_FAILED, 'cannot switch from confirm to tx mode');
        this.txMode = true;
        this.send('tx.select-ok', {});
        return;
      case 'tx.commit':
        if (!this.txMode) throw new AmqpError(PRECONDITION_FAILED, 'channel is not transactional');
        this.commit();
        this.send('tx.commit-ok', {});
        return;
      case 'tx.rollback':
        if (!this.txMode) throw new AmqpError(PRECONDITION_FAILED, 'channel is not transactional');
        this.txPublishes = [];
        this.txMandatory = [];
        this.txAcks = [];
        this.send('tx.rollback-ok', {});
        return;
      case 'channel.flow':
        this.flowActive = method.args.active;
        this.send('channel.flow-ok', { active: method.args.active });
        if (this.flowActive) this.kickConsumers();
        return;
      case 'access.request':
        this.send('access.request-ok', { ticket: 1 });
        return;
      default:
        throw new AmqpError(COMMAND_INVALID, `unimplemented method ${method.name}`);
    }
  }

  private send<N extends MethodName>(name: N, args: MethodArgs<N>): void {
    this.host.sendMethod(this.id, name, args);
  }

  private async after<N extends MethodName>(work: Promise<unknown>, nowait: boolean, ok: N, args: MethodArgs<N>): Promise<void> {
    await work;
    if (!nowait && !this.closing) this.send(ok, args);
  }

  /** A content header frame. */
  handleHeader(payload: Buffer): void {
    const p = this.pending;
    if (p === undefined || p.headerBytes !== undefined) {
      throw new AmqpError(UNEXPECTED_FRAME, `expected method frame, got non method frame instead`);
    }
    const header = decodeContentHeader(payload);
    if (header.classId !== BASIC_CLASS_ID) {
      throw new AmqpError(FRAME_ERROR, `unexpected content header class ${header.classId}`);
    }
    p.bodySize = header.bodySize;
    p.headerBytes = header.propertyBytes;
    if (p.bodySize === 0) {
      p.propertyBytes = copy(header.propertyBytes);
      this.finishPublish(EMPTY_BODY);
    }
  }

  /** A content body frame. */
  handleBody(payload: Buffer): void {
    const p = this.pending;
    if (p === undefined || p.headerBytes === undefined) {
      throw new AmqpError(UNEXPECTED_FRAME, `expected method frame, got non method frame instead`);
    }
    p.received += payload.length;
    if (p.received > p.bodySize) {
      throw new AmqpError(FRAME_ERROR, `content body larger than the declared size ${p.bodySize}`);
    }
    if (p.received === p.bodySize && p.chunks.length === 0) {
      // The usual case, one body frame: properties and body share one copy out of the socket
      // buffer (one allocation, and the socket's chunk is not kept alive by the message).
      const both = Buffer.allocUnsafe(p.headerBytes.length + payload.length);
      p.headerBytes.copy(both, 0);
      payload.copy(both, p.headerBytes.length);
      p.propertyBytes = both.subarray(0, p.headerBytes.length);
      this.finishPublish(both.subarray(p.headerBytes.length));
      return;
    }
    if (p.propertyBytes === undefined) p.propertyBytes = copy(p.headerBytes);
    p.chunks.push(copy(payload));
    if (p.received === p.bodySize) this.finishPublish(Buffer.concat(p.chunks, p.bodySize));
  }

  /** Mid-publish when a method arrives: the spec's unexpected frame. */
  get awaitingContent(): boolean {
    return this.pending !== undefined;
  }

  // ---- publishing ----

  private startPublish(a: MethodArgs<'basic.publish'>): void {
    this.pending = {
      exchange: a.exchange,
      routingKey: a.routingKey,
      mandatory: a.mandatory,
      bodySize: 0,
      headerBytes: undefined,
      propertyBytes: undefined,
      chunks: [],
      received: 0,
    };
  }

  private finishPublish(body: Buffer): void {
    const p = this.pending as Pending;
    this.pending = undefined;
    let propertyBytes = p.propertyBytes as Buffer;
    const scanned = scanProperties(propertyBytes);
    if (scanned === undefined) throw new AmqpError(FRAME_ERROR, 'malformed content header properties');
    if (propertyBytes.readUInt16BE(0) & USER_ID_FLAG) this.checkUserId(propertyBytes);
    const ttl = parseExpiration(scanned.expiration);
    if (ttl === -2) throw new AmqpError(PRECONDITION_FAILED, `invalid expiration '${scanned.expiration}'`);
    const vh = this.host.broker.vhost(this.host.vhost);
    const exchange = vh.exchanges.get(p.exchange);
    if (exchange === undefined) throw new AmqpError(NOT_FOUND, `no exchange '${p.exchange}' in vhost '${this.host.vhost}'`);
    if (exchange.internal) {
      throw new AmqpError(ACCESS_REFUSED, `cannot publish to internal exchange '${p.exchange}' in vhost '${this.host.vhost}'`);
    }
    // The default exchange is 'amq.default' to permissions, as in RabbitMQ.
    this.host.broker.checkPublish(this.actor, this.host.vhost, p.exchange === '' ? 'amq.default' : p.exchange);
    if (scanned.replyTo === REPLY_TO) propertyBytes = this.rewriteReplyTo(propertyBytes);
    const msg: Message = {
      exchange: p.exchange,
      routingKey: p.routingKey,
      propertyBytes,
      body,
      persistent: scanned.deliveryMode === 2,
      priority: scanned.priority,
      ttl,
    };
    const seq = this.confirmMode ? ++this.publishSeq : 0;
    if (this.txMode) {
      this.txPublishes.push(msg);
      this.txMandatory.push(p.mandatory);
      return;
    }
    this.route(msg, p.mandatory, seq);
  }

  /** A message may only claim the user who published it. */
  private checkUserId(propertyBytes: Buffer): void {
    const userId = decodeProperties(propertyBytes).userId;
    if (userId !== undefined && userId !== this.host.user) {
      throw new AmqpError(
        PRECONDITION_FAILED,
        `user_id property set to '${userId}' but authenticated user was '${this.host.user}'`,
      );
    }
  }

  private route(msg: Message, mandatory: boolean, seq: number): void {
    if (msg.exchange === '' && msg.routingKey.startsWith(`${REPLY_TO}.`)) {
      this.replyDirect(msg, mandatory, seq);
      return;
    }
    const broker = this.host.broker;
    const vh = broker.vhost(this.host.vhost);
    const exchange = vh.exchanges.get(msg.exchange);
    const queues = this.routed;
    const remote = this.routedRemote;
    queues.clear();
    remote.clear();
    if (exchange !== undefined) {
      vh.route(exchange, msg.routingKey, exchange.type === 'headers' ? this.headersOf(msg) : undefined, queues, remote);
    }
    if (remote.size > 0) {
      this.routeRemote(msg, mandatory, seq, queues);
      return;
    }
    if (queues.size === 0) {
      if (mandatory) this.returnMessage(msg, NO_ROUTE, 'NO_ROUTE');
      if (seq > 0) this.confirm(seq, true);
      return;
    }
    const now = Date.now();
    let rejected = false;
    const durable: Array<Promise<void>> = [];
    for (const q of queues) {
      if (q.wouldRejectPublish(msg)) {
        rejected = true;
        if (q.settings.overflow === 'reject-publish-dlx') broker.deadLetterRejected(q, msg);
        continue;
      }
      const entry = q.publish(msg, now);
      if (q.overloaded) this.host.throttle(q);
      if (entry !== undefined && seq > 0) {
        const done = broker.durable(q, entry);
        if (done !== undefined) durable.push(done);
      }
    }
    if (seq === 0) return;
    if (durable.length === 0) this.confirm(seq, !rejected);
    else {
      this.outstandingConfirms.add(seq);
      void Promise.all(durable).then(
        () => this.confirmLater(seq, !rejected),
        () => this.confirmLater(seq, false),
      );
    }
  }

  /**
   * A message reaching queues on other nodes: each home node gets it over the peer link; the
   * confirm waits for every home (and every local store) to hold it.
   */
  private routeRemote(msg: Message, mandatory: boolean, seq: number, local: Set<ClassicQueue>): void {
    const broker = this.host.broker;
    const now = Date.now();
    const waits: Array<Promise<boolean>> = [];
    for (const def of this.routedRemote) waits.push(broker.remoteEndpoint(def).publish(msg, seq > 0).catch(() => false));
    for (const q of local) {
      if (q.wouldRejectPublish(msg)) {
        waits.push(Promise.resolve(false));
        if (q.settings.overflow === 'reject-publish-dlx') broker.deadLetterRejected(q, msg);
        continue;
      }
      const entry = q.publish(msg, now);
      const done = entry === undefined ? undefined : broker.durable(q, entry);
      if (done !== undefined) waits.push(done.then(() => true));
    }
    if (seq > 0) this.outstandingConfirms.add(seq);
    void Promise.all(waits).then((oks) => {
      // A home that is down took nothing: routed nowhere, as RabbitMQ treats a down queue.
      if (local.size === 0 && oks.every((ok) => !ok) && mandatory) this.returnMessage(msg, NO_ROUTE, 'NO_ROUTE');
      // Confirmed only if every queue has it: a failed hand-over (a master dying) is a nack.
      if (seq > 0) this.confirmLater(seq, oks.every((ok) => ok));
    });
  }

  private confirmLater(seq: number, ok: boolean): void {
    this.outstandingConfirms.delete(seq);
    this.confirm(seq, ok);
  }

  private headersOf(msg: Message): FieldTable | undefined {
    try {
      return decodeProperties(msg.propertyBytes).headers;
    } catch {
      return undefined;
    }
  }

  private returnMessage(msg: Message, code: number, text: string): void {
    this.host.sendFrames(
      encodeContentMethod(
        this.id,
        'basic.return',
        { replyCode: code, replyText: text, exchange: msg.exchange, routingKey: msg.routingKey },
        msg,
        this.host.frameMax,
      ),
    );
  }

  /** Collects confirms and sends them once per turn, coalesced with `multiple` where it can. */
  private confirm(seq: number, ack: boolean): void {
    (ack ? this.confirmsToSend : this.nacksToSend).push(seq);
    if (this.confirmFlushScheduled) return;
    this.confirmFlushScheduled = true;
    setImmediate(() => this.flushConfirms());
  }

  private flushConfirms(): void {
    this.confirmFlushScheduled = false;
    if (this.closing) return;
    let oldestOutstanding = Infinity;
    for (const s of this.outstandingConfirms) if (s < oldestOutstanding) oldestOutstanding = s;
    // RabbitMQ sets requeue on the nacks it sends, though it means nothing there.
    for (const seq of this.nacksToSend) this.send('basic.nack', { deliveryTag: seq, multiple: false, requeue: true });
    let covered = 0;
    let coveredCount = 0;
    for (const seq of this.confirmsToSend) {
      if (seq < oldestOutstanding) {
        covered = Math.max(covered, seq);
        coveredCount++;
      } else this.send('basic.ack', { deliveryTag: seq, multiple: false });
    }
    // Every tag below the oldest outstanding one is settled, so one ack covers them all.
    if (covered > 0) this.send('basic.ack', { deliveryTag: covered, multiple: coveredCount > 1 });
    this.confirmsToSend = [];
    this.nacksToSend = [];
  }

  private commit(): void {
    const publishes = this.txPublishes;
    const mandatory = this.txMandatory;
    const acks = this.txAcks;
    this.txPublishes = [];
    this.txMandatory = [];
    this.txAcks = [];
    publishes.forEach((m, i) => this.route(m, mandatory[i], 0));
    for (const ack of acks) ack();
  }

  // ---- direct reply-to ----

  private rewriteReplyTo(propertyBytes: Buffer): Buffer {
    if (this.replyToId === undefined) {
      throw new AmqpError(PRECONDITION_FAILED, 'fast reply consumer does not exist');
    }
    const props = decodeProperties(propertyBytes);
    return encodeProperties({ ...props, replyTo: `${REPLY_TO}.${this.replyToId}` });
  }

  private replyDirect(msg: Message, mandatory: boolean, seq: number): void {
    const target = this.host.replyTo.lookup(msg.routingKey.slice(REPLY_TO.length + 1));
    if (target === undefined) {
      if (mandatory) this.returnMessage(msg, NO_ROUTE, 'NO_ROUTE');
    } else target.deliverReply(msg);
    if (seq > 0) this.confirm(seq, true);
  }

  private deliverReply(msg: Message): void {
    if (this.replyConsumerTag === undefined || this.closing) return;
    this.host.sendFrames(
      encodeBasicDeliver(this.id, this.replyConsumerTag, this.nextDeliveryTag++, false, msg.exchange, msg.routingKey, msg, this.host.frameMax),
    );
  }

  // ---- exchanges and queues ----

  private async exchangeDeclare(a: MethodArgs<'exchange.declare'>): Promise<void> {
    await this.host.broker.declareExchange(
      this.host.vhost,
      a.exchange,
      a.type,
      { passive: a.passive, durable: a.durable, autoDelete: a.autoDelete, internal: a.internal, args: a.arguments },
      this.actor,
    );
    if (!a.nowait && !this.closing) this.send('exchange.declare-ok', {});
  }

  private async queueDeclare(a: MethodArgs<'queue.declare'>): Promise<void> {
    if (a.passive && (a.queue === REPLY_TO || a.queue.startsWith(`${REPLY_TO}.`))) {
      // The pseudo-queue exists for every channel; a reply-to name while its requester consumes.
      const known = a.queue === REPLY_TO || this.host.replyTo.lookup(a.queue.slice(REPLY_TO.length + 1)) !== undefined;
      if (!known) throw new AmqpError(NOT_FOUND, `no queue '${a.queue}' in vhost '${this.host.vhost}'`);
      if (!a.nowait) this.send('queue.declare-ok', { queue: a.queue, messageCount: 0, consumerCount: 1 });
      return;
    }
    const q = await this.host.broker.declareQueue(
      this.host.vhost,
      a.queue,
      { passive: a.passive, durable: a.durable, exclusive: a.exclusive, autoDelete: a.autoDelete, args: a.arguments },
      this.actor,
    );
    if (!a.nowait && !this.closing) {
      this.send('queue.declare-ok', { queue: q.name, messageCount: q.messageCount, consumerCount: q.consumerCount });
    }
  }

  private async queueDelete(a: MethodArgs<'queue.delete'>): Promise<void> {
    const count = await this.host.broker.deleteQueue(this.host.vhost, a.queue, a.ifUnused, a.ifEmpty, this.actor);
    if (!a.nowait && !this.closing) this.send('queue.delete-ok', { messageCount: count });
  }

  // ---- consuming ----

  private qos(a: MethodArgs<'basic.qos'>): void {
    if (a.global) this.globalPrefetch = a.prefetchCount;
    else this.prefetchCount = a.prefetchCount;
    this.send('basic.qos-ok', {});
    this.kickConsumers();
  }

  private consume(a: MethodArgs<'basic.consume'>): Promise<void> | void {
    const tag = a.consumerTag === '' ? `amq.ctag-${randomBytes(16).toString('base64url').slice(0, 22)}` : a.consumerTag;
    if (this.consumers.has(tag) || tag === this.replyConsumerTag) {
      throw new AmqpError(NOT_ALLOWED, `attempt to reuse consumer tag '${tag}'`);
    }
    if (a.queue === REPLY_TO) {
      if (!a.noAck) throw new AmqpError(PRECONDITION_FAILED, 'reply consumer cannot acknowledge');
      this.replyConsumerTag = tag;
      this.replyToId = this.host.replyTo.register(this);
      if (!a.nowait) this.send('basic.consume-ok', { consumerTag: tag });
      return;
    }
    const vhost = this.host.vhost;
    const q = this.host.broker.queue(vhost, a.queue, this.actor);
    this.host.broker.checkRead(this.actor, vhost, a.queue);
    if (q.hasExclusiveConsumer() || (a.exclusive && q.consumers.length > 0)) {
      throw new AmqpError(ACCESS_REFUSED, `queue '${a.queue}' in vhost '${vhost}' in exclusive use`);
    }
    const priorityArg = a.arguments.get('x-priority');
    const priority = priorityArg !== null && typeof priorityArg === 'object' && 'value' in priorityArg ? Number(priorityArg.value) : 0;
    const consumer = new Consumer(tag, this, a.noAck, a.exclusive, priority, this.prefetchCount, a.arguments);
    if (q instanceof RemoteQueue) return this.consumeRemote(q, consumer, a.nowait);
    this.consumers.set(tag, { consumer, queue: q });
    // consume-ok goes out before the first delivery.
    if (!a.nowait) this.send('basic.consume-ok', { consumerTag: tag });
    q.addConsumer(consumer);
  }

  /** A consumer on a queue living on another node: consume-ok once its home has it. */
  private async consumeRemote(q: RemoteQueue, consumer: Consumer, nowait: boolean): Promise<void> {
    this.consumers.set(consumer.tag, { consumer, queue: q });
    try {
      if (!nowait) {
        // The home's first deliveries may arrive before its answer: hold them until consume-ok.
        await q.subscribe(consumer, () => this.send('basic.consume-ok', { consumerTag: consumer.tag }));
      } else {
        await q.subscribe(consumer);
      }
    } catch (err) {
      this.consumers.delete(consumer.tag);
      throw err;
    }
  }

  private cancel(tag: string, nowait: boolean): void {
    if (tag === this.replyConsumerTag) {
      this.dropReplyConsumer();
    } else {
      const c = this.consumers.get(tag);
      if (c !== undefined) {
        this.consumers.delete(tag);
        c.queue?.removeConsumer(c.consumer);
      }
    }
    if (!nowait) this.send('basic.cancel-ok', { consumerTag: tag });
  }

  private dropReplyConsumer(): void {
    if (this.replyToId !== undefined) this.host.replyTo.unregister(this.replyToId);
    this.replyToId = undefined;
    this.replyConsumerTag = undefined;
  }

  private get(a: MethodArgs<'basic.get'>): Promise<void> | undefined {
    const vhost = this.host.vhost;
    const q = this.host.broker.queue(vhost, a.queue, this.actor);
    this.host.broker.checkRead(this.actor, vhost, a.queue);
    if (q instanceof RemoteQueue) return this.getRemote(q, a.noAck);
    const entry = q.get(a.noAck);
    this.sendGot(q, entry, a.noAck, q.messagesReady);
    return undefined;
  }

  private async getRemote(q: RemoteQueue, noAck: boolean): Promise<void> {
    const got = await q.fetch(noAck);
    if (this.closing) {
      if (got !== undefined && !noAck) q.reject([{ entry: got.entry, consumer: undefined }], true);
      return;
    }
    this.sendGot(q, got?.entry, noAck, got?.messageCount ?? 0);
  }

  private sendGot(q: QueueEndpoint, entry: QueueEntry | undefined, noAck: boolean, messageCount: number): void {
    if (entry === undefined) {
      this.send('basic.get-empty', { clusterId: '' });
      return;
    }
    const tag = this.nextDeliveryTag++;
    if (!noAck) this.unacked.set(tag, { queue: q, entry, consumer: undefined });
    const m = entry.msg;
    this.host.sendFrames(
      encodeContentMethod(
        this.id,
        'basic.get-ok',
        { deliveryTag: tag, redelivered: entry.redelivered, exchange: m.exchange, routingKey: m.routingKey, messageCount },
        m,
        this.host.frameMax,
      ),
    );
  }

  canAccept(): boolean {
    return (
      !this.closing &&
      this.flowActive &&
      (this.globalPrefetch === 0 || this.unacked.size < this.globalPrefetch) &&
      this.host.writable()
    );
  }

  deliver(consumer: Consumer, queue: QueueEndpoint, entry: QueueEntry): void {
    const tag = this.nextDeliveryTag++;
    if (!consumer.noAck) this.unacked.set(tag, { queue, entry, consumer });
    const m = entry.msg;
    this.host.sendFrames(
      encodeBasicDeliver(this.id, consumer.tag, tag, entry.redelivered, m.exchange, m.routingKey, m, this.host.frameMax),
    );
  }

  cancelledByServer(consumer: Consumer): void {
    if (this.consumers.get(consumer.tag)?.consumer !== consumer) return;
    this.consumers.delete(consumer.tag);
    if (this.host.consumerCancelNotify && !this.closing) {
      this.send('basic.cancel', { consumerTag: consumer.tag, nowait: true });
    }
  }

  /** Socket drained or window opened: let the queues of our consumers deliver again. */
  kickConsumers(): void {
    for (const { queue } of this.consumers.values()) queue?.scheduleDelivery();
  }

  // ---- acknowledgements ----

  private takeUnacked(deliveryTag: number, multiple: boolean, method: string): Unacked[] {
    if (multiple) {
      const out: Unacked[] = [];
      for (const [tag, u] of this.unacked) {
        if (deliveryTag !== 0 && tag > deliveryTag) break;
        out.push(u);
        this.unacked.delete(tag);
      }
      if (out.length === 0 && deliveryTag !== 0 && deliveryTag >= this.nextDeliveryTag) {
        throw new AmqpError(PRECONDITION_FAILED, `unknown delivery tag ${deliveryTag}`);
      }
      return out;
    }
    const u = this.unacked.get(deliveryTag);
    if (u === undefined) {
      void method;
      throw new AmqpError(PRECONDITION_FAILED, `unknown delivery tag ${deliveryTag}`);
    }
    this.unacked.delete(deliveryTag);
    return [u];
  }

  private ack(deliveryTag: number, multiple: boolean): void {
    const apply = () => {
      for (const u of this.takeUnacked(deliveryTag, multiple, 'basic.ack')) {
        u.queue?.settle(u.entry, u.consumer);
        if (u.queue !== undefined) this.kicked.add(u.queue);
      }
      this.kickSettledQueues();
    };
    this.settleOrDefer(deliveryTag, multiple, apply);
  }

  private nack(deliveryTag: number, multiple: boolean, requeue: boolean, method: string): void {
    this.settleOrDefer(deliveryTag, multiple, () => this.returnToQueues(this.takeUnacked(deliveryTag, multiple, method), requeue));
  }

  /** In a transaction acks wait for commit (the deliveries stay unacked until then). */
  private settleOrDefer(deliveryTag: number, multiple: boolean, apply: () => void): void {
    if (!this.txMode) {
      apply();
      return;
    }
    if (!multiple && !this.unacked.has(deliveryTag)) {
      throw new AmqpError(PRECONDITION_FAILED, `unknown delivery tag ${deliveryTag}`);
    }
    this.txAcks.push(apply);
  }

  private kickSettledQueues(): void {
    for (const q of this.kicked) q.deliverAvailable();
    this.kicked.clear();
    if (this.globalPrefetch > 0) this.kickConsumers();
  }

  private returnToQueues(items: Unacked[], requeue: boolean): void {
    const byQueue = new Map<QueueEndpoint, Array<{ entry: QueueEntry; consumer: Consumer | undefined }>>();
    for (const u of items) {
      if (u.queue === undefined) continue;
      let list = byQueue.get(u.queue);
      if (list === undefined) byQueue.set(u.queue, (list = []));
      list.push({ entry: u.entry, consumer: u.consumer });
    }
    for (const [q, list] of byQueue) q.reject(list, requeue);
  }

  private requeueAll(): void {
    const all = [...this.unacked.values()];
    this.unacked.clear();
    this.returnToQueues(all, true);
  }

  /** The channel is gone: consumers leave their queues, unacked deliveries are requeued. */
  close(): void {
    this.closing = true;
    this.pending = undefined;
    for (const { consumer, queue } of this.consumers.values()) queue?.removeConsumer(consumer);
    this.consumers.clear();
    this.dropReplyConsumer();
    this.requeueAll();
  }

  get consumerCount(): number {
    return this.consumers.size + (this.replyConsumerTag === undefined ? 0 : 1);
  }

  get unackedCount(): number {
    return this.unacked.size;
  }

  get prefetch(): number {
    return this.prefetchCount;
  }

  get globalPrefetchCount(): number {
    return this.globalPrefetch;
  }

  get inConfirmMode(): boolean {
    return this.confirmMode;
  }

  get transactional(): boolean {
    return this.txMode;
  }

  consumerEntries(): Array<{ tag: string; queue: QueueEndpoint | undefined; consumer: Consumer }> {
    return [...this.consumers].map(([tag, c]) => ({ tag, queue: c.queue, consumer: c.consumer }));
  }
}
