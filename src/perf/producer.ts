// One producer: a connection that publishes to one queue through the default exchange, as fast
// as allowed or at a fixed rate, with or without publisher confirms.
//
// The message is encoded once (method, header and body frames) into a template; a batch is the
// template copied n times into one buffer with the send time written into each body's first 8
// octets, and leaves in one socket write. What stops publishing, each waited on without
// spinning: the confirm window is full (a confirm restarts it), the socket's buffer is full
// (its 'drain' restarts it), the broker blocked the connection (connection.unblocked restarts
// it), the rate's next slot has not come (a timer), or the message count is reached.

import { encodeContentMethod } from '../amqp/content.js';
import { EMPTY_PROPERTIES, encodeProperties } from '../amqp/properties.js';
import type { AmqpClient, ContentHandler } from './client.js';
import type { Counters } from './counters.js';

/** A batch is at most this many octets (and at least one message). */
const BATCH_BYTES = 64 * 1024;
/** After a stop, how long unconfirmed messages may take to be confirmed. */
const SETTLE_TIMEOUT_MS = 30_000;

export interface ProducerSettings {
  queue: string;
  size: number;
  persistent: boolean;
  /** Most unconfirmed messages at once; 0 for no confirms. */
  confirmWindow: number;
  /** Messages to publish; 0 for no limit. */
  count: number;
  /** Messages per second; 0 for no limit. */
  rate: number;
}

export class Producer implements ContentHandler {
  private template: Buffer = Buffer.alloc(0);
  /** Where the send time goes in the template, or -1 when the body is under 8 octets. */
  private stampAt = -1;
  private maxBatch = 1;
  private published = 0;
  private confirmed = 0;
  private nacked = 0;
  private returnedCount = 0;
  /** Every sequence number up to this one is confirmed or nacked. */
  private settledUpTo = 0;
  /** Unsettled sequence numbers, by seq & mask (the ring is at least twice the window). */
  private unsettled = new Uint8Array(0);
  private mask = 0;
  private startNs = 0n;
  /** Publishing (between start and the count or a stop). */
  private running = false;
  /** Publishing ended: waiting for the last confirms. */
  private settling = false;
  private scheduled = false;
  private waitingDrain = false;
  private rateTimer: NodeJS.Timeout | undefined;
  private rateWaiting = false;
  private blockedSince = 0n;
  private blockedNs = 0n;
  private finished!: () => void;
  /** Resolves when publishing ended (count reached, or stopped) and every confirm came in. */
  readonly done: Promise<void> = new Promise((resolve) => (this.finished = resolve));
  private countReached = false;

  constructor(
    private readonly client: AmqpClient,
    private readonly settings: ProducerSettings,
    private readonly counters: Counters,
    private readonly slot: number,
  ) {
    client.handler = this;
    client.onBlocked = (blocked) => this.onBlocked(blocked);
  }

  async setup(): Promise<void> {
    const { settings: s, client } = this;
    await client.openChannel(1);
    if (s.confirmWindow > 0) {
      await client.confirmSelect(1);
      let ring = 2;
      while (ring < 2 * s.confirmWindow) ring *= 2;
      this.unsettled = new Uint8Array(ring);
      this.mask = ring - 1;
    }
    const properties = s.persistent ? encodeProperties({ deliveryMode: 2 }) : EMPTY_PROPERTIES;
    const train = encodeContentMethod(
      1,
      'basic.publish',
      { ticket: 0, exchange: '', routingKey: s.queue, mandatory: false, immediate: false },
      { propertyBytes: properties, body: Buffer.alloc(s.size) },
      client.frameMax,
    );
    this.template = Buffer.concat(train);
    if (s.size >= 8) {
      const header = 8 + this.template.readUInt32BE(3);
      this.stampAt = header + 8 + this.template.readUInt32BE(header + 3) + 7;
    }
    this.maxBatch = Math.max(1, Math.floor(BATCH_BYTES / this.template.length));
  }

  start(startNs: bigint): void {
    this.startNs = startNs;
    this.running = true;
    this.schedule();
  }

  /** Stops publishing; `done` resolves once what was sent is confirmed (or after a timeout). */
  stop(): Promise<void> {
    this.running = false;
    this.settling = true;
    clearTimeout(this.rateTimer);
    this.settleIfDone();
    const timeout = setTimeout(() => this.finish(), SETTLE_TIMEOUT_MS);
    return this.done.finally(() => clearTimeout(timeout));
  }

  get isFinishedPublishing(): boolean {
    return this.countReached;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    if (!this.running || this.waitingDrain || this.client.blocked || this.client.failure !== undefined) return;
    const s = this.settings;
    let n = this.maxBatch;
    if (s.count > 0) {
      n = Math.min(n, s.count - this.published);
      if (n <= 0) {
        this.countReached = true;
        this.running = false;
        this.settling = true;
        this.settleIfDone();
        return;
      }
    }
    if (s.confirmWindow > 0) {
      const outstanding = this.published - this.confirmed - this.nacked;
      const room = Math.min(s.confirmWindow - outstanding, this.mask + 1 - (this.published - this.settledUpTo));
      if (room <= 0) return; // a confirm reschedules
      n = Math.min(n, room);
    }
    if (s.rate > 0) {
      const now = process.hrtime.bigint();
      let elapsedNs = Number(now - this.startNs);
      // After a pause (blocked, a full window, a full socket) catch up by at most 100 ms worth:
      // a burst of everything missed would not be the fixed rate asked for.
      const backlog = (s.rate * elapsedNs) / 1e9 - this.published;
      if (backlog > s.rate / 10 + this.maxBatch) {
        elapsedNs = ((this.published + s.rate / 10) * 1e9) / s.rate;
        this.startNs = now - BigInt(Math.round(elapsedNs));
      }
      const allowed = Math.floor((s.rate * elapsedNs) / 1e9) - this.published;
      if (allowed <= 0) {
        if (!this.rateWaiting) {
          this.rateWaiting = true;
          const dueMs = ((this.published + 1) * 1000) / s.rate - elapsedNs / 1e6;
          this.rateTimer = setTimeout(() => {
            this.rateWaiting = false;
            this.pump();
          }, Math.max(1, Math.ceil(dueMs)));
        }
        return;
      }
      n = Math.min(n, allowed);
    }
    const batch = this.batch(n);
    if (s.confirmWindow > 0) {
      for (let seq = this.published + 1; seq <= this.published + n; seq++) this.unsettled[seq & this.mask] = 1;
    }
    this.published += n;
    this.counters.set(this.slot, 'published', this.published);
    this.counters.set(this.slot, 'lastPublishedNs', process.hrtime.bigint());
    if (this.client.write(batch)) {
      this.schedule();
    } else {
      this.waitingDrain = true;
      this.client.socket.once('drain', () => {
        this.waitingDrain = false;
        this.schedule();
      });
    }
  };

  /** n copies of the template (by doubling: few native copies), each stamped with the time. */
  private batch(n: number): Buffer {
    const t = this.template;
    const per = t.length;
    const out = Buffer.allocUnsafe(n * per);
    t.copy(out, 0);
    for (let filled = per; filled < out.length; ) filled += out.copy(out, filled, 0, Math.min(filled, out.length - filled));
    if (this.stampAt >= 0) {
      const now = process.hrtime.bigint();
      for (let i = 0, o = this.stampAt; i < n; i++, o += per) out.writeBigUInt64BE(now, o);
    }
    return out;
  }

  // ---- what the broker sends back (ContentHandler) ----

  chunkStart(): void {}
  deliver(): void {}
  body(): void {}
  delivered(): void {}

  confirm(tag: number, multiple: boolean, nack: boolean): void {
    const ring = this.unsettled;
    const mask = this.mask;
    let settled = 0;
    if (multiple) {
      for (let seq = this.settledUpTo + 1; seq <= tag; seq++) {
        if (ring[seq & mask] === 1) {
          ring[seq & mask] = 0;
          settled++;
        }
      }
    } else if (tag > this.settledUpTo && ring[tag & mask] === 1) {
      ring[tag & mask] = 0;
      settled = 1;
    }
    while (this.settledUpTo < this.published && ring[(this.settledUpTo + 1) & mask] === 0) this.settledUpTo++;
    if (nack) this.nacked += settled;
    else this.confirmed += settled;
  }

  returned(): void {
    this.returnedCount++;
  }

  chunkEnd(): void {
    this.counters.set(this.slot, 'confirmed', this.confirmed);
    if (this.nacked > 0) this.counters.set(this.slot, 'nacked', this.nacked);
    if (this.returnedCount > 0) this.counters.set(this.slot, 'returned', this.returnedCount);
    if (this.settling) this.settleIfDone();
    else if (this.running && this.settings.confirmWindow > 0) this.schedule();
  }

  private onBlocked(blocked: boolean): void {
    const now = process.hrtime.bigint();
    if (blocked) {
      this.blockedSince = now;
    } else {
      this.blockedNs += now - this.blockedSince;
      this.counters.set(this.slot, 'blockedNs', this.blockedNs);
      if (this.running) this.schedule();
    }
    this.counters.set(this.slot, 'blocked', blocked ? 1 : 0);
  }

  private settleIfDone(): void {
    if (!this.settling) return;
    if (this.settings.confirmWindow === 0 || this.confirmed + this.nacked >= this.published) this.finish();
  }

  private finish(): void {
    if (this.client.blocked) {
      this.blockedNs += process.hrtime.bigint() - this.blockedSince;
      this.counters.set(this.slot, 'blockedNs', this.blockedNs);
    }
    this.finished();
  }
}
