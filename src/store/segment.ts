// One segment of a queue store: its message file, its ack file, and which of its messages are
// live (stored and not yet acked), kept as one bit per seq so that a long queue costs the store
// little memory.

import path from 'node:path';
import { AppendFile } from './append-file.js';

export const SEGMENT_SUFFIX = '.seg';
export const ACK_SUFFIX = '.ack';

/** `00000000000000000042.seg`: the name sorts as the number does. */
export function segmentFileName(firstSeq: number, suffix: string): string {
  return String(firstSeq).padStart(20, '0') + suffix;
}

export class Segment {
  liveCount = 0;
  /** Acks not yet handed to the ack file; written as one record per flush. */
  pendingAcks: number[] = [];
  private live = new Uint8Array(64);

  constructor(
    readonly firstSeq: number,
    readonly messages: AppendFile,
    readonly acks: AppendFile,
  ) {}

  /** A segment this process starts; its files appear with its first write. */
  static create(dir: string, firstSeq: number): Segment {
    return new Segment(
      firstSeq,
      new AppendFile(path.join(dir, segmentFileName(firstSeq, SEGMENT_SUFFIX)), 0, true),
      new AppendFile(path.join(dir, segmentFileName(firstSeq, ACK_SUFFIX)), 0, true),
    );
  }

  markLive(seq: number): void {
    const bit = seq - this.firstSeq;
    if (bit >> 3 >= this.live.length) {
      const grown = new Uint8Array(Math.max(this.live.length * 2, (bit >> 3) + 1));
      grown.set(this.live);
      this.live = grown;
    }
    if ((this.live[bit >> 3] & (1 << (bit & 7))) === 0) this.liveCount++;
    this.live[bit >> 3] |= 1 << (bit & 7);
  }

  /** Returns whether `seq` was live: acking a message twice, or one never stored, does nothing. */
  unmarkLive(seq: number): boolean {
    const bit = seq - this.firstSeq;
    if (bit < 0 || bit >> 3 >= this.live.length || (this.live[bit >> 3] & (1 << (bit & 7))) === 0) return false;
    this.live[bit >> 3] &= ~(1 << (bit & 7));
    this.liveCount--;
    return true;
  }

  /** Every message of the segment is gone (a purge). */
  unmarkAll(): void {
    this.live.fill(0);
    this.liveCount = 0;
  }

  /** Drops whatever has not been written yet: the segment is to be deleted. */
  discardPending(): void {
    this.messages.discard();
    this.acks.discard();
    this.pendingAcks = [];
  }

  async close(): Promise<void> {
    await Promise.all([this.messages.close(), this.acks.close()]);
  }
}
