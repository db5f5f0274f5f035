// A classic queue: its ready messages (by priority when x-max-priority is set), its consumers
// and who gets the next message, unacknowledged deliveries, requeue to the original place, TTL,
// length limits with overflow behaviour, dead-lettering, single active consumer and expiry.
// Everything here is synchronous and allocation-light: this is the broker's hot path.

import type { FieldTable } from '../amqp/table.js';
import { Deque } from './deque.js';
import type { Message } from './message.js';
import type { QueueSettings } from './arguments.js';

export interface QueueEntry {
  readonly msg: Message;
  /** Queue-local order, so requeued messages go back where they were. */
  readonly seq: number;
  redelivered: boolean;
  /** When the message expires in this queue (ms since epoch), 0 for never. */
  readonly expiresAt: number;
  /** Sequence number in the queue's message store, -1 when not stored. */
  storeSeq: number;
}

/**
 * What a channel consumes from, acks to and rejects to: a queue living on this node, or one
 * living on another node reached over the peer link (cluster/remote-queue.ts).
 */
export interface QueueEndpoint {
  readonly name: string;
  readonly vhost: string;
  readonly consumers: readonly Consumer[];
  readonly messagesReady: number;
  hasExclusiveConsumer(): boolean;
  addConsumer(consumer: Consumer): void;
  removeConsumer(consumer: Consumer): void;
  scheduleDelivery(): void;
  deliverAvailable(): void;
  settle(entry: QueueEntry, consumer: Consumer | undefined): void;
  reject(entries: Array<{ entry: QueueEntry; consumer: Consumer | undefined }>, requeue: boolean): void;
}

/**
 * Hears everything that happens to a queue's messages, in order (a mirrored queue's master
 * sends it to its mirrors). Entries are named by their seq.
 */
export interface QueueObserver {
  enqueued(entry: QueueEntry): void;
  /** Handed to a consumer or basic.get that will ack it. */
  delivered(entry: QueueEntry): void;
  requeued(entries: QueueEntry[]): void;
  /** Gone for good: acked, taken with no-ack, expired, dropped, rejected, purged. */
  removed(entries: QueueEntry[]): void;
}

/** The channel side of a consumer: its window and how a delivery reaches the client. */
export interface ConsumerChannel {
  /** Whether the channel can take another delivery now (global prefetch, socket back-pressure). */
  canAccept(): boolean;
  deliver(consumer: Consumer, queue: QueueEndpoint, entry: QueueEntry): void;
  /** The server cancels the consumer (its queue was deleted). */
  cancelledByServer(consumer: Consumer): void;
}

export class Consumer {
  unacked = 0;

  constructor(
    readonly tag: string,
    readonly channel: ConsumerChannel,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    readonly priority: number,
    /** Per-consumer prefetch; 0 for none. */
    readonly prefetch: number,
    readonly args: FieldTable,
  ) {}

  canTake(): boolean {
    return (this.prefetch === 0 || this.unacked < this.prefetch) && this.channel.canAccept();
  }
}

export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen';

/** What the queue needs from the broker around it. */
export interface QueueHost {
  deadLetter(queue: ClassicQueue, entries: QueueEntry[], reason: DeadLetterReason): void;
  /** The queue deletes itself (auto-delete after its last consumer, x-expires). */
  autoDelete(queue: ClassicQueue): void;
  /** A persistent message enters a durable queue: the store writes it (sets storeSeq). */
  persist(queue: ClassicQueue, entry: QueueEntry): void;
  /** Persistent messages leave the queue (acked, dropped): the store forgets them. */
  forget(queue: ClassicQueue, entries: QueueEntry[]): void;
}

/** Messages delivered per queue before yielding to other work. */
const DELIVERY_BATCH = 1000;
/**
 * Flow control: above this many ready messages while consumers are attached, publishers are
 * slowed until the backlog falls below FLOW_LOW, so consumers get the CPU to catch up (the
 * role RabbitMQ's credit flow plays; such connections show state `flow`).
 */
const FLOW_HIGH = 2_000;
const FLOW_LOW = 500;

export class ClassicQueue implements QueueEndpoint {
  private readonly ready: Deque<QueueEntry>[];
  private readyCount = 0;
  private readyBytes = 0;
  private unackedCount = 0;
  private unackedBytes = 0;
  private nextSeq = 1;
  private readonly consumerList: Consumer[] = [];
  private cursor = 0;
  private delivering = false;
  private deliveryScheduled = false;
  private hadConsumers = false;
  private exclusiveConsumer: Consumer | undefined;
  private ttlTimer: NodeJS.Timeout | undefined;
  private readonly reliefWaiters: Array<() => void> = [];
  private expiryTimer: NodeJS.Timeout | undefined;
  deleted = false;
  /** Set while the queue is mirrored. */
  observer: QueueObserver | undefined;

  constructor(
    readonly vhost: string,
    readonly name: string,
    readonly durable: boolean,
    readonly autoDeleteWhenUnused: boolean,
    /** The connection that owns an exclusive queue. */
    readonly owner: object | undefined,
    readonly args: FieldTable,
    public settings: QueueSettings,
    private readonly host: QueueHost,
  ) {
    const levels = settings.maxPriority === undefined ? 1 : settings.maxPriority + 1;
    this.ready = Array.from({ length: levels }, () => new Deque<QueueEntry>());
    this.touch();
  }

  get messagesReady(): number {
    return this.readyCount;
  }

  get messagesUnacknowledged(): number {
    return this.unackedCount;
  }

  get messageBytesReady(): number {
    return this.readyBytes;
  }

  get messageBytesUnacknowledged(): number {
    return this.unackedBytes;
  }

  get consumers(): readonly Consumer[] {
    return this.consumerList;
  }

  get exclusiveConsumerTag(): string | undefined {
    return this.exclusiveConsumer?.tag;
  }

  /** The consumer that receives messages under single active consumer. */
  get activeConsumer(): Consumer | undefined {
    return this.settings.singleActiveConsumer ? this.consumerList[0] : undefined;
  }

  /** Would a publish be refused under x-overflow reject-publish? */
  wouldRejectPublish(msg: Message): boolean {
    const s = this.settings;
    if (s.overflow === 'drop-head') return false;
    if (s.maxLength !== undefined && this.readyCount >= s.maxLength) return true;
    return s.maxLengthBytes !== undefined && this.readyBytes + msg.body.length > s.maxLengthBytes;
  }

  /** Accepts a routed message. Returns the entry (for the store) or undefined if it was dropped. */
  publish(msg: Message, now: number): QueueEntry | undefined {
    const ttl = this.ttlFor(msg);
    const entry: QueueEntry = {
      msg,
      seq: this.nextSeq++,
      redelivered: false,
      expiresAt: ttl === undefined ? 0 : now + ttl,
      storeSeq: -1,
    };
    if (ttl === 0 && !this.canDeliverNow()) {
      // Expires on arrival unless a consumer takes it at once.
      this.host.deadLetter(this, [entry], 'expired');
      return undefined;
    }
    if (this.durable && msg.persistent) this.host.persist(this, entry);
    this.enqueue(entry);
    this.observer?.enqueued(entry);
    this.enforceLimits();
    this.deliverAvailable();
    if (ttl !== undefined && ttl > 0) this.scheduleTtl();
    return entry;
  }

  private ttlFor(msg: Message): number | undefined {
    const q = this.settings.messageTtl;
    if (msg.ttl < 0) return q;
    return q === undefined ? msg.ttl : Math.min(q, msg.ttl);
  }

  private canDeliverNow(): boolean {
    return this.readyCount === 0 && this.pickConsumer(false) !== undefined;
  }

  private level(entry: QueueEntry): Deque<QueueEntry> {
    if (this.ready.length === 1) return this.ready[0];
    return this.ready[Math.min(entry.msg.priority, this.ready.length - 1)];
  }

  private enqueue(entry: QueueEntry): void {
    this.level(entry).push(entry);
    this.readyCount++;
    this.readyBytes += entry.msg.body.length;
  }

  private takeHead(): QueueEntry | undefined {
    for (let p = this.ready.length - 1; p >= 0; p--) {
      const d = this.ready[p];
      if (d.length > 0) {
        const entry = d.shift() as QueueEntry;
        this.readyCount--;
        this.readyBytes -= entry.msg.body.length;
        if (this.readyCount === FLOW_LOW && this.reliefWaiters.length > 0) this.relieve();
        return entry;
      }
    }
    return undefined;
  }

  /** Whether publishers to this queue should wait for its consumers to catch up. */
  get overloaded(): boolean {
    return this.readyCount > FLOW_HIGH && this.consumerList.length > 0;
  }

  /** Calls `resume` once the backlog is down (or the queue has no consumers, or is gone). */
  whenRelieved(resume: () => void): void {
    this.reliefWaiters.push(resume);
  }

  /** Wakes held publishers on a later turn, never from inside a delivery or a publish. */
  private relieve(): void {
    if (this.reliefWaiters.length === 0) return;
    const waiters = this.reliefWaiters.splice(0);
    setImmediate(() => {
      for (const resume of waiters) resume();
    });
  }

  private peekHead(): QueueEntry | undefined {
    for (let p = this.ready.length - 1; p >= 0; p--) {
      const e = this.ready[p].peek();
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** drop-head: oldest messages go (dead-lettered as maxlen) until the queue fits. */
  private enforceLimits(): void {
    const s = this.settings;
    if (s.overflow !== 'drop-head') return;
    const dropped: QueueEntry[] = [];
    while (
      (s.maxLength !== undefined && this.readyCount > s.maxLength) ||
      (s.maxLengthBytes !== undefined && this.readyBytes > s.maxLengthBytes && this.readyCount > 0)
    ) {
      dropped.push(this.takeHead() as QueueEntry);
    }
    if (dropped.length > 0) this.drop(dropped, 'maxlen');
  }

  /** Drops expired messages at the head (RabbitMQ expires only from the head). */
  private expireHead(now: number): void {
    let expired: QueueEntry[] | undefined;
    for (;;) {
      const head = this.peekHead();
      if (head === undefined || head.expiresAt === 0 || head.expiresAt > now) break;
      (expired ??= []).push(this.takeHead() as QueueEntry);
    }
    if (expired) this.drop(expired, 'expired');
  }

  /** Messages leave for good through the dead-letter path (which drops them without a DLX). */
  private drop(entries: QueueEntry[], reason: DeadLetterReason): void {
    this.observer?.removed(entries);
    this.host.deadLetter(this, entries, reason);
  }

  private scheduleTtl(): void {
    if (this.ttlTimer !== undefined || this.deleted) return;
    const head = this.peekHead();
    if (head === undefined || head.expiresAt === 0) return;
    this.ttlTimer = setTimeout(() => {
      this.ttlTimer = undefined;
      this.expireHead(Date.now());
      this.scheduleTtl();
    }, Math.max(0, head.expiresAt - Date.now()));
    this.ttlTimer.unref();
  }

  private pickConsumer(rotate = true): Consumer | undefined {
    const list = this.consumerList;
    const n = list.length;
    if (n === 0) return undefined;
    if (this.settings.singleActiveConsumer) return list[0].canTake() ? list[0] : undefined;
    let best: Consumer | undefined;
    let bestIndex = -1;
    const top = list[0].priority;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      const c = list[i];
      if (c.canTake() && (best === undefined || c.priority > best.priority)) {
        best = c;
        bestIndex = i;
        if (c.priority === top) break;
      }
    }
    if (best !== undefined && rotate) this.cursor = bestIndex + 1;
    return best;
  }

  /** Hands ready messages to consumers that can take them. */
  deliverAvailable(): void {
    if (this.delivering || this.deleted) return;
    this.delivering = true;
    try {
      let budget = DELIVERY_BATCH;
      const now = Date.now();
      while (this.readyCount > 0) {
        const consumer = this.pickConsumer();
        if (consumer === undefined) break;
        this.expireHead(now);
        const entry = this.takeHead();
        if (entry === undefined) break;
        this.handOver(consumer, entry);
        if (--budget === 0) {
          this.scheduleDelivery();
          break;
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  private handOver(consumer: Consumer, entry: QueueEntry): void {
    if (consumer.noAck) {
      if (entry.storeSeq >= 0) this.host.forget(this, [entry]);
      this.observer?.removed([entry]);
    } else {
      consumer.unacked++;
      this.unackedCount++;
      this.unackedBytes += entry.msg.body.length;
      this.observer?.delivered(entry);
    }
    consumer.channel.deliver(consumer, this, entry);
  }

  /** Continues delivering after other work (a channel's window opened, a batch ran out). */
  scheduleDelivery(): void {
    if (this.deliveryScheduled || this.deleted) return;
    this.deliveryScheduled = true;
    setImmediate(() => {
      this.deliveryScheduled = false;
      this.deliverAvailable();
    });
  }

  /** basic.get: the next ready message, counted as unacked unless noAck. */
  get(noAck: boolean): QueueEntry | undefined {
    this.touch();
    this.expireHead(Date.now());
    const entry = this.takeHead();
    if (entry === undefined) return undefined;
    if (noAck) {
      if (entry.storeSeq >= 0) this.host.forget(this, [entry]);
      this.observer?.removed([entry]);
    } else {
      this.unackedCount++;
      this.unackedBytes += entry.msg.body.length;
      this.observer?.delivered(entry);
    }
    return entry;
  }

  /** A delivery was acknowledged (or its no-ack consumer went away with it). */
  settle(entry: QueueEntry, consumer: Consumer | undefined): void {
    this.unackedCount--;
    this.unackedBytes -= entry.msg.body.length;
    if (consumer) consumer.unacked--;
    if (entry.storeSeq >= 0) this.host.forget(this, [entry]);
    this.observer?.removed([entry]);
  }

  /** Deliveries come back: requeued to their original place, or dead-lettered/dropped. */
  reject(entries: Array<{ entry: QueueEntry; consumer: Consumer | undefined }>, requeue: boolean): void {
    const back: QueueEntry[] = [];
    for (const { entry, consumer } of entries) {
      this.unackedCount--;
      this.unackedBytes -= entry.msg.body.length;
      if (consumer) consumer.unacked--;
      back.push(entry);
    }
    if (this.deleted) return;
    if (!requeue) {
      this.drop(back, 'rejected');
      return;
    }
    this.observer?.requeued(back);
    back.sort((a, b) => b.seq - a.seq);
    for (const entry of back) {
      entry.redelivered = true;
      this.level(entry).insertOrdered(entry, (existing) => existing.seq > entry.seq);
      this.readyCount++;
      this.readyBytes += entry.msg.body.length;
    }
    this.scheduleTtl();
    this.deliverAvailable();
  }

  addConsumer(consumer: Consumer): void {
    this.touch();
    if (consumer.exclusive) this.exclusiveConsumer = consumer;
    // Higher priority first; equal priorities keep arrival order (single active consumer too).
    let i = this.consumerList.length;
    while (i > 0 && this.consumerList[i - 1].priority < consumer.priority && !this.settings.singleActiveConsumer) i--;
    this.consumerList.splice(i, 0, consumer);
    this.hadConsumers = true;
    this.deliverAvailable();
  }

  hasExclusiveConsumer(): boolean {
    return this.exclusiveConsumer !== undefined;
  }

  removeConsumer(consumer: Consumer): void {
    const i = this.consumerList.indexOf(consumer);
    if (i < 0) return;
    this.consumerList.splice(i, 1);
    if (this.cursor > i) this.cursor--;
    if (this.exclusiveConsumer === consumer) this.exclusiveConsumer = undefined;
    this.touch();
    if (this.consumerList.length === 0) this.relieve();
    if (this.consumerList.length === 0 && this.autoDeleteWhenUnused && this.hadConsumers) {
      this.host.autoDelete(this);
      return;
    }
    this.deliverAvailable();
  }

  /** Removes every ready message; returns how many. */
  purge(): number {
    const count = this.readyCount;
    this.relieve();
    const gone: QueueEntry[] = [];
    for (const d of this.ready) gone.push(...d.clear());
    this.readyCount = 0;
    this.readyBytes = 0;
    const stored = gone.filter((e) => e.storeSeq >= 0);
    if (stored.length > 0) this.host.forget(this, stored);
    if (gone.length > 0) this.observer?.removed(gone);
    return count;
  }

  /** Deletes the queue: consumers are cancelled by the server; returns the ready count. */
  delete(): number {
    if (this.deleted) return 0;
    const count = this.readyCount;
    this.deleted = true;
    this.relieve();
    clearTimeout(this.ttlTimer);
    clearTimeout(this.expiryTimer);
    for (const c of [...this.consumerList]) c.channel.cancelledByServer(c);
    this.consumerList.length = 0;
    for (const d of this.ready) d.clear();
    this.readyCount = 0;
    this.readyBytes = 0;
    return count;
  }

  /** Ready messages, in delivery order (for sync, listing and tests). */
  readyEntries(): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (let p = this.ready.length - 1; p >= 0; p--) out.push(...this.ready[p].toArray());
    return out;
  }

  /** Restores messages recovered from disk at start-up, in order. */
  restore(entries: Array<{ msg: Message; storeSeq: number }>): void {
    for (const { msg, storeSeq } of entries) {
      this.enqueue({ msg, seq: this.nextSeq++, redelivered: true, expiresAt: 0, storeSeq });
    }
  }

  /**
   * A promoted mirror's messages, with the seqs its old master gave them (the remaining mirrors
   * know them by those): deliveries that were unacked come back as redelivered.
   */
  restoreMirrored(entries: Array<{ seq: number; msg: Message; storeSeq: number; redelivered: boolean }>): void {
    for (const e of entries) {
      this.enqueue({ msg: e.msg, seq: e.seq, redelivered: e.redelivered, expiresAt: 0, storeSeq: e.storeSeq });
      if (e.seq >= this.nextSeq) this.nextSeq = e.seq + 1;
    }
  }

  /** The seq the next message will get (a new mirror is synchronised once older ones are gone). */
  get nextSeqNumber(): number {
    return this.nextSeq;
  }

  /** Unacked deliveries are the channels'; the queue knows only how many. */
  get totalMessages(): number {
    return this.readyCount + this.unackedCount;
  }

  /** x-expires: the queue is deleted after this long without consumers or use. */
  private touch(): void {
    const expires = this.settings.expires;
    if (expires === undefined || this.deleted) return;
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => {
      if (this.consumerList.length === 0) this.host.autoDelete(this);
      else this.touch();
    }, expires);
    this.expiryTimer.unref();
  }

  /**
   * Runs with new settings because its policy was set, changed or cleared, as RabbitMQ
   * re-initialises a queue process: a lower max-length drops head messages now (drop-head), a new
   * expires restarts the expiry timer, and a message-ttl applies to messages published from now
   * on (those already here keep the expiry they arrived with).
   */
  reshape(settings: QueueSettings): void {
    const before = this.settings;
    // The priority levels are fixed when the queue is created; no policy key changes them.
    this.settings = { ...settings, maxPriority: before.maxPriority };
    this.enforceLimits();
    this.expireHead(Date.now());
    this.scheduleTtl();
    if (settings.expires !== before.expires) {
      if (settings.expires === undefined) clearTimeout(this.expiryTimer);
      else this.touch();
    }
  }

  /** A redeclare counts as use for x-expires. */
  declared(): void {
    this.touch();
  }
}
