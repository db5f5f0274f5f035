// A file that only grows, written during flushes: appended records wait in memory until the
// next flush takes them all and writes them with one writev.

import fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Syscall counts, for tests and for whoever wants to watch the disk. */
export interface IoStats {
  flushes: number;
  writes: number;
  syncs: number;
}

export class AppendFile {
  /** Bytes on disk plus bytes pending. */
  size: number;
  /** Written since the last sync. */
  unsynced = false;
  /** Created by this process and its directory entry not yet synced. */
  isNew: boolean;
  private pending: Buffer[] = [];
  private handle: FileHandle | undefined;

  constructor(
    readonly path: string,
    size: number,
    isNew: boolean,
  ) {
    this.size = size;
    this.isNew = isNew;
  }

  append(record: Buffer): void {
    this.pending.push(record);
    this.size += record.length;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Hands over everything pending; what is appended from now on waits for the next flush. */
  take(): Buffer[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /** Forgets pending records: their file is about to be deleted. */
  discard(): void {
    this.pending = [];
  }

  async write(records: Buffer[], stats: IoStats): Promise<void> {
    // 'a' (O_APPEND) creates the file on first use and puts every write at its end.
    this.handle ??= await fs.open(this.path, 'a');
    let length = 0;
    for (const record of records) length += record.length;
    const { bytesWritten } = await this.handle.writev(records);
    stats.writes++;
    if (bytesWritten !== length) throw new Error(`${this.path}: wrote ${bytesWritten} of ${length} bytes`);
    this.unsynced = true;
  }

  async sync(stats: IoStats): Promise<void> {
    if (this.handle === undefined || !this.unsynced) return;
    await this.handle.datasync();
    stats.syncs++;
    this.unsynced = false;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

/** Makes the entries of a directory (files created, deleted) durable. */
export async function syncDirectory(dir: string, stats: IoStats): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
    stats.syncs++;
  } finally {
    await handle.close();
  }
}
