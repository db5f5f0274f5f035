// One consumer: a connection that consumes from one queue, with automatic acknowledgement
// (no-ack) or acking every n messages with multiple = true, and records each message's
// end-to-end latency from the send time its producer wrote into the first 8 octets of the body.
//
// The clock is read once per socket chunk: the messages of a chunk arrived together. Acks go
// out once per chunk too, so a chunk of 500 deliveries costs at most one write.

import type { AmqpClient, ContentHandler } from './client.js';
import type { Counters } from './counters.js';
import { Histogram } from './histogram.js';

/** A latency above this means the body does not hold our timestamp (another publisher). */
const MAX_LATENCY_NS = 3_600_000_000_000;

export interface ConsumerSettings {
  queue: string;
  /** Ack every n messages (multiple = true); 0 consumes with no-ack. */
  ackEvery: number;
  /** basic.qos prefetch count; 0 sends no basic.qos. */
  prefetch: number;
}

/** basic.ack on channel 1, multiple = true; the delivery tag goes at offset 11. */
const ACK_FRAME = Buffer.from([1, 0, 1, 0, 0, 0, 13, 0, 60, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xce]);

export class Consumer implements ContentHandler {
  readonly latency = new Histogram();
  private now = 0n;
  private consumed = 0;
  /** What the shared counter holds. */
  private reported = 0;
  private lastTag = 0;
  private unacked = 0;
  private ackTo = 0;
  private ackEvery: number;

  constructor(
    private readonly client: AmqpClient,
    private readonly settings: ConsumerSettings,
    private readonly counters: Counters,
    private readonly slot: number,
  ) {
    client.handler = this;
    // With prefetch p, a consumer that waits for more than p messages before acking waits forever.
    this.ackEvery = settings.prefetch > 0 ? Math.min(settings.ackEvery, settings.prefetch) : settings.ackEvery;
  }

  async setup(): Promise<void> {
    const { client, settings: s } = this;
    await client.openChannel(1);
    if (s.prefetch > 0 && s.ackEvery > 0) await client.qos(1, s.prefetch);
  }

  async start(): Promise<void> {
    await this.client.consume(1, this.settings.queue, this.settings.ackEvery === 0);
  }

  chunkStart(): void {
    this.now = process.hrtime.bigint();
  }

  deliver(deliveryTag: number): void {
    this.lastTag = deliveryTag;
  }

  body(payload: Buffer, first: boolean): void {
    if (!first || payload.length < 8) return;
    const ns = this.now - payload.readBigUInt64BE(0);
    if (ns >= 0n && ns < MAX_LATENCY_NS) this.latency.record(Number(ns) / 1000);
  }

  delivered(): void {
    this.consumed++;
    if (this.ackEvery > 0 && ++this.unacked >= this.ackEvery) {
      this.ackTo = this.lastTag;
      this.unacked = 0;
    }
  }

  confirm(): void {}
  returned(): void {}

  chunkEnd(): void {
    if (this.ackTo > 0) {
      this.sendAck(this.ackTo);
      this.ackTo = 0;
    }
    if (this.consumed !== this.reported) {
      this.reported = this.consumed;
      this.counters.set(this.slot, 'consumed', this.consumed);
      this.counters.set(this.slot, 'lastConsumedNs', this.now);
    }
  }

  /** Acks what is still unacked, so that nothing goes back to the queue when we close. */
  ackRemaining(): void {
    if (this.unacked > 0 && this.client.failure === undefined) {
      this.sendAck(this.lastTag);
      this.unacked = 0;
    }
  }

  private sendAck(tag: number): void {
    const frame = Buffer.from(ACK_FRAME);
    frame.writeUInt32BE(Math.floor(tag / 2 ** 32), 11);
    frame.writeUInt32BE(tag >>> 0, 15);
    this.client.write(frame);
  }
}
