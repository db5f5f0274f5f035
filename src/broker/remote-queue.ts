// Queues that live on another node, used from this one: publishes are forwarded to the home
// node, consumers and basic.get are served by it over the peer link, and acks and rejects go
// back to it. The home side (HomeQueues) keeps, per remote consumer, a stand-in Consumer in
// the real queue whose deliveries it sends to the consumer's node; the using side (RemoteQueue)
// looks like a local queue to a channel.

import { AmqpError } from '../amqp/errors.js';
import { ACCESS_REFUSED } from '../amqp/spec.js';
import { tableFromJson, tableToJson } from './table-json.js';
import type { QueueDef } from './metadata.js';
import { Consumer, type ClassicQueue, type ConsumerChannel, type QueueEndpoint, type QueueEntry } from '../queues/classic-queue.js';
import type { Message } from '../queues/message.js';

/** A message as it crosses a peer link. */
export interface WireMessage {
  e: string;
  k: string;
  p: string;
  b: string;
  d: boolean;
  r: number;
  t: number;
}

export function messageToWire(m: Message): WireMessage {
  return {
    e: m.exchange,
    k: m.routingKey,
    p: m.propertyBytes.toString('base64'),
    b: m.body.toString('base64'),
    d: m.persistent,
    r: m.priority,
    t: m.ttl,
  };
}

export function messageFromWire(w: WireMessage): Message {
  return {
    exchange: w.e,
    routingKey: w.k,
    propertyBytes: Buffer.from(w.p, 'base64'),
    body: Buffer.from(w.b, 'base64'),
    persistent: w.d,
    priority: w.r,
    ttl: w.t,
  };
}

/** What the home node needs to serve a consumer (peer.consume). */
function consumeArgs(consumer: Consumer, cid: string): Record<string, unknown> {
  return {
    cid,
    prefetch: consumer.prefetch,
    noAck: consumer.noAck,
    exclusive: consumer.exclusive,
    priority: consumer.priority,
    args: tableToJson(consumer.args),
  };
}

/** How the using side reaches the home node. */
export interface HomeLink {
  call(node: string, op: string, args: Record<string, unknown>): Promise<unknown>;
  newConsumerId(): string;
  registerConsumer(cid: string, rq: RemoteQueue, consumer: Consumer): void;
  unregisterConsumer(cid: string): void;
}

export class RemoteQueue implements QueueEndpoint {
  readonly consumerList: Consumer[] = [];
  private readonly cids = new Map<Consumer, string>();
  /** Which subscription delivered an entry: after a failover, acks for the old one are void. */
  private readonly entryCid = new WeakMap<QueueEntry, string>();
  private acks = new Map<string, number[]>();
  private ackScheduled = false;
  messagesReady = 0;

  constructor(
    public def: QueueDef,
    private readonly link: HomeLink,
    private readonly unavailable: () => AmqpError,
  ) {}

  get name(): string {
    return this.def.name;
  }

  get vhost(): string {
    return this.def.vhost;
  }

  get consumers(): readonly Consumer[] {
    return this.consumerList;
  }

  hasExclusiveConsumer(): boolean {
    return false;
  }

  private async call(op: string, args: Record<string, unknown>): Promise<unknown> {
    try {
      return await this.link.call(this.def.node, op, { vhost: this.def.vhost, name: this.def.name, ...args });
    } catch (err) {
      if (err instanceof AmqpError) throw err;
      throw this.unavailable();
    }
  }

  /**
   * basic.consume: the home node checks exclusivity and starts delivering. `accepted` runs
   * when it has (consume-ok); deliveries that overtake its answer wait until then.
   */
  async subscribe(consumer: Consumer, accepted?: () => void): Promise<void> {
    const cid = this.link.newConsumerId();
    const early: Array<() => void> = [];
    this.waiting.set(consumer, early);
    this.link.registerConsumer(cid, this, consumer);
    try {
      await this.call('peer.consume', consumeArgs(consumer, cid));
    } catch (err) {
      this.waiting.delete(consumer);
      this.link.unregisterConsumer(cid);
      throw err;
    }
    this.cids.set(consumer, cid);
    this.consumerList.push(consumer);
    accepted?.();
    this.waiting.delete(consumer);
    for (const d of early) d();
  }

  private readonly waiting = new Map<Consumer, Array<() => void>>();

  addConsumer(consumer: Consumer): void {
    void this.subscribe(consumer).catch(() => consumer.channel.cancelledByServer(consumer));
  }

  removeConsumer(consumer: Consumer): void {
    const cid = this.cids.get(consumer);
    if (cid === undefined) return;
    this.flushAcks();
    this.cids.delete(consumer);
    const i = this.consumerList.indexOf(consumer);
    if (i >= 0) this.consumerList.splice(i, 1);
    this.link.unregisterConsumer(cid);
    this.call('peer.cancel', { cid }).catch(() => {});
  }

  /**
   * The queue has a new master (a mirror took over): each consumer subscribes there again,
   * except those that asked for x-cancel-on-ha-failover, which are cancelled.
   */
  retarget(def: QueueDef): void {
    this.def = def;
    for (const consumer of [...this.consumerList]) {
      if (consumer.args.get('x-cancel-on-ha-failover') === true) {
        this.lost(consumer);
        continue;
      }
      const old = this.cids.get(consumer);
      if (old !== undefined) {
        this.link.unregisterConsumer(old);
        this.voidCids.add(old);
      }
      const cid = this.link.newConsumerId();
      this.cids.set(consumer, cid);
      this.link.registerConsumer(cid, this, consumer);
      void this.resubscribe(consumer, cid, def);
    }
  }

  /**
   * Subscribes again at the new master. The new master may not have taken over yet when this
   * node hears of it first: a refusal is retried for a while before the consumer is cancelled.
   */
  private async resubscribe(consumer: Consumer, cid: string, def: QueueDef): Promise<void> {
    const args = consumeArgs(consumer, cid);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.call('peer.consume', args);
        return;
      } catch {
        if (attempt >= 50 || this.def !== def || this.cids.get(consumer) !== cid) {
          if (this.cids.get(consumer) === cid) this.lost(consumer);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** The home node cancelled the consumer, or became unreachable. */
  lost(consumer: Consumer): void {
    const cid = this.cids.get(consumer);
    if (cid === undefined) return;
    this.cids.delete(consumer);
    const i = this.consumerList.indexOf(consumer);
    if (i >= 0) this.consumerList.splice(i, 1);
    this.link.unregisterConsumer(cid);
    consumer.channel.cancelledByServer(consumer);
  }

  /** A delivery from the home node. */
  delivered(consumer: Consumer, id: number, msg: Message, redelivered: boolean): void {
    const entry: QueueEntry = { msg, seq: id, redelivered, expiresAt: 0, storeSeq: -1 };
    this.entryCid.set(entry, this.cids.get(consumer) ?? '');
    const early = this.waiting.get(consumer);
    if (early !== undefined) early.push(() => consumer.channel.deliver(consumer, this, entry));
    else consumer.channel.deliver(consumer, this, entry);
  }

  /** basic.get through the home node. */
  async fetch(noAck: boolean): Promise<{ entry: QueueEntry; messageCount: number } | undefined> {
    const r = (await this.call('peer.get', { noAck })) as { id: number; m: WireMessage; r: boolean; count: number } | null;
    if (r === null) return undefined;
    return { entry: { msg: messageFromWire(r.m), seq: r.id, redelivered: r.r, expiresAt: 0, storeSeq: -1 }, messageCount: r.count };
  }

  /**
   * Forwards a publish to the home node. Publishes of one turn travel together (one request);
   * each resolves with whether the queue took it (and, for `confirm`, holds it safely).
   */
  publish(msg: Message, confirm: boolean): Promise<boolean> {
    if (this.outbox.length === 0) setImmediate(() => this.sendOutbox());
    return new Promise<boolean>((resolve) => this.outbox.push({ m: messageToWire(msg), c: confirm, resolve }));
  }

  private outbox: Array<{ m: WireMessage; c: boolean; resolve: (ok: boolean) => void }> = [];

  private sendOutbox(): void {
    const batch = this.outbox;
    this.outbox = [];
    this.call('peer.publish', { ms: batch.map((p) => p.m), cs: batch.map((p) => p.c) }).then(
      (oks) => batch.forEach((p, i) => p.resolve((oks as boolean[])[i] === true)),
      () => batch.forEach((p) => p.resolve(false)),
    );
  }

  scheduleDelivery(): void {}

  deliverAvailable(): void {}

  /** The subscription an entry came through, if it is still current (else its ack is void). */
  private currentCid(entry: QueueEntry, consumer: Consumer | undefined): string | undefined {
    const cid = this.entryCid.get(entry) ?? (consumer === undefined ? '' : this.cids.get(consumer));
    return cid === undefined || this.voidCids.has(cid) ? undefined : cid;
  }

  /** Subscriptions to a master that has gone: their deliveries were requeued by the new one. */
  private readonly voidCids = new Set<string>();

  settle(entry: QueueEntry, consumer: Consumer | undefined): void {
    const cid = this.currentCid(entry, consumer);
    if (cid === undefined) return;
    let list = this.acks.get(cid);
    if (list === undefined) this.acks.set(cid, (list = []));
    list.push(entry.seq);
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => this.flushAcks());
    }
  }

  private flushAcks(): void {
    this.ackScheduled = false;
    const acks = this.acks;
    if (acks.size === 0) return;
    this.acks = new Map();
    for (const [cid, ids] of acks) this.call('peer.settle', { cid, ids }).catch(() => {});
  }

  reject(entries: Array<{ entry: QueueEntry; consumer: Consumer | undefined }>, requeue: boolean): void {
    this.flushAcks();
    const byCid = new Map<string, number[]>();
    for (const { entry, consumer } of entries) {
      const cid = this.currentCid(entry, consumer);
      if (cid === undefined) continue;
      let list = byCid.get(cid);
      if (list === undefined) byCid.set(cid, (list = []));
      list.push(entry.seq);
    }
    for (const [cid, ids] of byCid) this.call('peer.reject', { cid, ids, requeue }).catch(() => {});
  }
}

/** One delivery on its way to a consumer's node: [consumer id, delivery id, message, redelivered]. */
export type Delivery = [string, number, WireMessage, boolean];

/** A consumer on another node, as the home queue sees it. */
interface RemoteConsumer {
  queue: ClassicQueue;
  consumer: Consumer;
  origin: string;
  unacked: Map<number, QueueEntry>;
}

/** The home side: serves the consumers, gets and publishes of other nodes. */
export class HomeQueues {
  private readonly consumers = new Map<string, RemoteConsumer>();
  /** Unacked basic.get deliveries, per origin node. */
  private readonly gets = new Map<string, Map<number, { queue: ClassicQueue; entry: QueueEntry }>>();
  private nextId = 1;
  /** Set while this node's app stops: its queues closing do not cancel consumers elsewhere. */
  silent = false;

  constructor(
    private readonly send: (node: string, op: string, args: Record<string, unknown>) => Promise<unknown>,
    private readonly writable: (node: string) => boolean,
  ) {}

  consume(queue: ClassicQueue, origin: string, a: Record<string, unknown>): void {
    const exclusive = a.exclusive === true;
    if (queue.hasExclusiveConsumer() || (exclusive && queue.consumers.length > 0)) {
      throw new AmqpError(ACCESS_REFUSED, `queue '${queue.name}' in vhost '${queue.vhost}' in exclusive use`);
    }
    const cid = String(a.cid);
    const unacked = new Map<number, QueueEntry>();
    const channel: ConsumerChannel = {
      canAccept: () => this.writable(origin),
      deliver: (c, _q, entry) => {
        const id = this.nextId++;
        if (!c.noAck) unacked.set(id, entry);
        this.queueDelivery(origin, [cid, id, messageToWire(entry.msg), entry.redelivered]);
      },
      cancelledByServer: () => {
        this.consumers.delete(cid);
        this.flushDeliveries(origin);
        if (!this.silent) this.send(origin, 'peer.cancelled', { cid }).catch(() => {});
      },
    };
    const args = tableFromJson(a.args as Parameters<typeof tableFromJson>[0]);
    const consumer = new Consumer(cid, channel, a.noAck === true, exclusive, Number(a.priority ?? 0), Number(a.prefetch ?? 0), args);
    this.consumers.set(cid, { queue, consumer, origin, unacked });
    queue.addConsumer(consumer);
  }

  /** Deliveries to one node go together, once per turn (one request each way). */
  private readonly deliveries = new Map<string, Delivery[]>();

  private queueDelivery(origin: string, d: Delivery): void {
    let list = this.deliveries.get(origin);
    if (list === undefined) {
      this.deliveries.set(origin, (list = []));
      setImmediate(() => this.flushDeliveries(origin));
    }
    list.push(d);
  }

  private flushDeliveries(origin: string): void {
    const list = this.deliveries.get(origin);
    if (list === undefined) return;
    this.deliveries.delete(origin);
    this.send(origin, 'peer.deliver', { ds: list }).catch(() => {});
  }

  cancel(cid: string): void {
    const rc = this.consumers.get(cid);
    if (rc === undefined) return;
    rc.queue.removeConsumer(rc.consumer);
    // Its unacked deliveries stay until the channel acks or rejects them (or goes away).
    if (rc.unacked.size === 0) this.consumers.delete(cid);
  }

  get(queue: ClassicQueue, origin: string, noAck: boolean): { id: number; m: WireMessage; r: boolean; count: number } | null {
    const entry = queue.get(noAck);
    if (entry === undefined) return null;
    const id = this.nextId++;
    if (!noAck) {
      let map = this.gets.get(origin);
      if (map === undefined) this.gets.set(origin, (map = new Map()));
      map.set(id, { queue, entry });
    }
    return { id, m: messageToWire(entry.msg), r: entry.redelivered, count: queue.messagesReady };
  }

  settle(origin: string, cid: string, ids: number[]): void {
    if (cid === '') {
      const map = this.gets.get(origin);
      for (const id of ids) {
        const g = map?.get(id);
        if (g === undefined) continue;
        map!.delete(id);
        g.queue.settle(g.entry, undefined);
        g.queue.deliverAvailable();
      }
      return;
    }
    const rc = this.consumers.get(cid);
    if (rc === undefined) return;
    for (const id of ids) {
      const entry = rc.unacked.get(id);
      if (entry === undefined) continue;
      rc.unacked.delete(id);
      rc.queue.settle(entry, rc.consumer);
    }
    this.forgetIfDone(cid, rc);
    rc.queue.deliverAvailable();
  }

  reject(origin: string, cid: string, ids: number[], requeue: boolean): void {
    if (cid === '') {
      const map = this.gets.get(origin);
      const byQueue = new Map<ClassicQueue, Array<{ entry: QueueEntry; consumer: Consumer | undefined }>>();
      for (const id of ids) {
        const g = map?.get(id);
        if (g === undefined) continue;
        map!.delete(id);
        let list = byQueue.get(g.queue);
        if (list === undefined) byQueue.set(g.queue, (list = []));
        list.push({ entry: g.entry, consumer: undefined });
      }
      for (const [q, list] of byQueue) q.reject(list, requeue);
      return;
    }
    const rc = this.consumers.get(cid);
    if (rc === undefined) return;
    const list: Array<{ entry: QueueEntry; consumer: Consumer | undefined }> = [];
    for (const id of ids) {
      const entry = rc.unacked.get(id);
      if (entry === undefined) continue;
      rc.unacked.delete(id);
      list.push({ entry, consumer: rc.consumer });
    }
    rc.queue.reject(list, requeue);
    this.forgetIfDone(cid, rc);
  }

  private forgetIfDone(cid: string, rc: RemoteConsumer): void {
    if (rc.unacked.size === 0 && !rc.queue.consumers.includes(rc.consumer)) this.consumers.delete(cid);
  }

  /** A node went away: its consumers leave, what they had unacked goes back to the queues. */
  originDown(origin: string): void {
    for (const [cid, rc] of [...this.consumers]) {
      if (rc.origin !== origin) continue;
      this.consumers.delete(cid);
      rc.queue.removeConsumer(rc.consumer);
      rc.queue.reject([...rc.unacked.values()].map((entry) => ({ entry, consumer: rc.consumer })), true);
    }
    const gets = this.gets.get(origin);
    this.gets.delete(origin);
    for (const g of gets?.values() ?? []) g.queue.reject([{ entry: g.entry, consumer: undefined }], true);
  }
}
