// The node's group commit: one Flusher per node serves every queue store. A store that has
// something to write calls schedule(); the flusher then asks every such store to flush, all at
// once, and waits for all of them before it starts the next round. So whatever arrives while
// the disk is busy goes out together in the next round: the busier the node, the more each
// write and fdatasync carries, and never one fsync per message.
//
// Rounds never overlap, so a store's files see one flush at a time; a store does all its file
// work (writes, syncs, deletions, closing) inside its flush.

import type { IoStats } from './append-file.js';

export interface Flushable {
  /** Writes and syncs what the store has pending. Never rejects: failures belong to the store. */
  flush(stats: IoStats): Promise<void>;
}

export class Flusher {
  readonly stats: IoStats = { flushes: 0, writes: 0, syncs: 0 };
  private dirty = new Set<Flushable>();
  private running = false;

  schedule(store: Flushable): void {
    this.dirty.add(store);
    if (this.running) return;
    this.running = true;
    // setImmediate, not a microtask: everything the current round of socket reads appends
    // joins the first flush.
    setImmediate(() => void this.run());
  }

  private async run(): Promise<void> {
    while (this.dirty.size > 0) {
      const stores = this.dirty;
      this.dirty = new Set();
      this.stats.flushes++;
      await Promise.all([...stores].map((store) => store.flush(this.stats)));
    }
    this.running = false;
  }
}
