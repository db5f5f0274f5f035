// The message store of one durable queue: its persistent messages in append-only segment files
// (the format is in format.ts, recovery in recovery.ts). The queue keeps the messages it needs
// in memory; the store keeps only their bytes on disk and a bit per message saying whether it
// is still live.
//
// Durability contract: append() returns the message's seq at once and buffers the record. The
// promise from durable(seq) resolves once the flush that wrote that record has fdatasync'd its
// segment file (and synced the directory, if that flush created the file); only then may the
// publisher be confirmed. All stores of a node share one Flusher, which batches their writes
// and syncs (see flusher.ts). Acks are written by the next flush too, so they survive a kill -9
// at once, but are fdatasync'd only by close(): after a power loss a few acked messages may come
// back, never an unacked message go missing.
//
// After an I/O error the store is failed: append() and ack() throw the error, durable() rejects
// with it; close() and destroy() still release the files.

import path from 'node:path';
import fs from 'node:fs/promises';
import { syncDirectory, type AppendFile, type IoStats } from './append-file.js';
import { encodeAckRecord, encodePurgeRecord } from './format.js';
import type { Flushable, Flusher } from './flusher.js';
import { encodeMessageRecord, type StoredMessage } from './message.js';
import { recover, type RecoveredMessage } from './recovery.js';
import { Segment } from './segment.js';

export type { StoredMessage } from './message.js';
export type { RecoveredMessage } from './recovery.js';

export const DEFAULT_SEGMENT_SIZE = 16 * 1024 * 1024;

export interface QueueStoreOptions {
  /** The node's flusher, shared by all its queue stores. */
  readonly flusher: Flusher;
  /** Receives a line for every record recovery drops and every file it truncates. */
  readonly warn: (message: string) => void;
  /** Bytes after which a new segment starts; 16 MiB unless given. */
  readonly segmentSize?: number;
}

/** Records taken for one file by a flush; `sync` for message files (see the contract above). */
interface Write {
  readonly file: AppendFile;
  readonly records: Buffer[];
  readonly sync: boolean;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

const RESOLVED = Promise.resolve();

export class QueueStore implements Flushable {
  private readonly flusher: Flusher;
  private readonly segmentSize: number;
  /** In seq order; the last one takes appends. */
  private segments: Segment[];
  /** Fully acked or purged; the next flush deletes them, oldest first. */
  private dead: Segment[] = [];
  private nextSeq: number;
  /** Every record up to this seq is on disk. */
  private durableSeq: number;
  /** The flush under way covers records up to this seq. */
  private flushingSeq: number;
  /** Waiters for the flush under way, and for the one after it. */
  private flushing: Deferred | undefined;
  private waiting: Deferred | undefined;
  private state: 'open' | 'closing' | 'destroying' | 'closed' = 'open';
  private ended: Deferred | undefined;
  private failure: Error | undefined;

  private constructor(
    readonly dir: string,
    options: QueueStoreOptions,
    segments: Segment[],
    nextSeq: number,
  ) {
    this.flusher = options.flusher;
    this.segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.segments = segments;
    this.nextSeq = nextSeq;
    this.durableSeq = this.flushingSeq = nextSeq - 1;
  }

  /** Opens (creating if need be) the store in `dir` and returns its unacked messages in order. */
  static async open(
    dir: string,
    options: QueueStoreOptions,
  ): Promise<{ store: QueueStore; messages: RecoveredMessage[] }> {
    const absolute = path.resolve(dir);
    const { segments, messages, nextSeq } = await recover(absolute, options.warn, options.flusher.stats);
    return { store: new QueueStore(absolute, options, segments, nextSeq), messages };
  }

  /** Buffers a message for the next flush and returns its seq. */
  append(message: StoredMessage): number {
    this.checkOpen();
    const seq = this.nextSeq;
    const record = encodeMessageRecord(seq, message);
    this.nextSeq++;
    const segment = this.segmentFor(seq, record.length);
    segment.markLive(seq);
    segment.messages.append(record);
    this.flusher.schedule(this);
    return seq;
  }

  /** Resolves once every record up to `seq` (by default, every one appended so far) is on disk. */
  durable(seq = this.nextSeq - 1): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (seq <= this.durableSeq || this.state === 'closed') return RESOLVED;
    if (seq <= this.flushingSeq) return (this.flushing ??= deferred()).promise;
    return (this.waiting ??= deferred()).promise;
  }

  /** Forgets messages for good. Seqs that are not live (never stored, acked already) are ignored. */
  ack(seqs: readonly number[]): void {
    this.checkOpen();
    const active = this.segments[this.segments.length - 1];
    let changed = false;
    for (const seq of seqs) {
      const segment = this.segmentOf(seq);
      if (segment === undefined || !segment.unmarkLive(seq)) continue;
      changed = true;
      if (segment.liveCount === 0 && segment !== active) this.retire(segment);
      else segment.pendingAcks.push(seq);
    }
    if (changed) this.flusher.schedule(this);
  }

  /**
   * Drops every message: one purge record in a fresh segment, then the older segments are
   * deleted. Resolves once the purge record is on disk.
   */
  purge(): Promise<void> {
    this.checkOpen();
    const seq = this.nextSeq++;
    for (const segment of [...this.segments]) this.retire(segment);
    this.segments = [Segment.create(this.dir, seq)];
    this.segments[0].messages.append(encodePurgeRecord(seq));
    this.flusher.schedule(this);
    return this.durable(seq);
  }

  /** Writes and syncs everything pending, acks included, and closes the files. */
  close(): Promise<void> {
    return this.end('closing');
  }

  /** Closes the files and deletes the store's directory; what is pending is never written. */
  async destroy(): Promise<void> {
    if (this.state === 'open') for (const segment of this.segments) segment.discardPending();
    await this.end('destroying');
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  /** Called by the flusher, never while another flush of this store runs. */
  async flush(stats: IoStats): Promise<void> {
    if (this.state === 'closed') return;
    // Taken together and before any await: this flush covers exactly the seqs appended so far.
    const state = this.state;
    const writes = this.failure === undefined && state !== 'destroying' ? this.takeWrites() : [];
    const dead = this.dead;
    this.dead = [];
    this.flushingSeq = this.nextSeq - 1;
    this.flushing = this.waiting;
    this.waiting = undefined;
    try {
      await this.write(writes, state === 'closing', stats);
      // Only now: a purge record must be on disk before the segments it empties disappear.
      for (; dead.length > 0; dead.shift()) await deleteSegment(dead[0]);
    } catch (error) {
      this.failure ??= error as Error;
      this.dead.unshift(...dead);
    }
    if (state === 'closing' || state === 'destroying') await this.release();
    // Read only now: durable() may have created it during the flush.
    const flushing = this.flushing;
    this.flushing = undefined;
    if (this.failure === undefined) flushing?.resolve();
    else flushing?.reject(this.failure);
  }

  private async write(writes: Write[], syncAll: boolean, stats: IoStats): Promise<void> {
    await Promise.all(writes.map(({ file, records }) => file.write(records, stats)));
    const toSync = syncAll
      ? this.segments.flatMap((segment) => [segment.messages, segment.acks])
      : writes.filter((write) => write.sync).map((write) => write.file);
    await Promise.all(toSync.map((file) => file.sync(stats)));
    const created = writes.map((write) => write.file).filter((file) => file.isNew);
    if (created.length > 0) {
      await syncDirectory(this.dir, stats);
      for (const file of created) file.isNew = false;
    }
    this.durableSeq = this.flushingSeq;
    // Segments behind the active one take no more records: one open message file per queue.
    const behind = this.segments.slice(0, -1).filter((segment) => !segment.messages.hasPending);
    await Promise.all(behind.map((segment) => segment.messages.close()));
  }

  /** The final step of close() and destroy(). */
  private async release(): Promise<void> {
    try {
      await Promise.all([...this.segments, ...this.dead].map((segment) => segment.close()));
    } catch (error) {
      this.failure ??= error as Error;
    }
    this.state = 'closed';
    if (this.failure === undefined) this.ended?.resolve();
    else this.ended?.reject(this.failure);
  }

  private end(state: 'closing' | 'destroying'): Promise<void> {
    if (this.state === 'open') {
      this.state = state;
      this.ended = deferred();
      this.flusher.schedule(this);
    }
    return this.ended?.promise ?? RESOLVED;
  }

  private takeWrites(): Write[] {
    const writes: Write[] = [];
    for (const segment of this.segments) {
      if (segment.pendingAcks.length > 0) {
        segment.acks.append(encodeAckRecord(segment.pendingAcks));
        segment.pendingAcks = [];
      }
      const { messages, acks } = segment;
      if (messages.hasPending) writes.push({ file: messages, records: messages.take(), sync: true });
      if (acks.hasPending) writes.push({ file: acks, records: acks.take(), sync: false });
    }
    return writes;
  }

  /** The segment to append a record of `length` bytes to, starting a new one when it is full. */
  private segmentFor(seq: number, length: number): Segment {
    const active = this.segments[this.segments.length - 1];
    if (active.messages.size === 0 || active.messages.size + length <= this.segmentSize) return active;
    if (active.liveCount === 0) this.retire(active);
    const next = Segment.create(this.dir, seq);
    this.segments.push(next);
    return next;
  }

  /** The segment whose seq range holds `seq`. */
  private segmentOf(seq: number): Segment | undefined {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.segments[middle].firstSeq <= seq) low = middle;
      else high = middle - 1;
    }
    const segment = this.segments[low];
    return segment !== undefined && segment.firstSeq <= seq ? segment : undefined;
  }

  /** Takes a segment out of use; the next flush deletes its files. */
  private retire(segment: Segment): void {
    segment.discardPending();
    this.segments.splice(this.segments.indexOf(segment), 1);
    this.dead.push(segment);
  }

  private checkOpen(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.state !== 'open') throw new Error(`queue store ${this.dir} is closed`);
  }
}

/** The .seg first: an ack file without its segment is harmless, the reverse brings messages back. */
async function deleteSegment(segment: Segment): Promise<void> {
  await segment.close();
  await fs.rm(segment.messages.path, { force: true });
  await fs.rm(segment.acks.path, { force: true });
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
