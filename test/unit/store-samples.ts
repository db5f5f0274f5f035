// Shared helpers for the store suites: temp directories, sample messages, and opening a store
// whose warnings are collected.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { Flusher } from '../../src/store/flusher.js';
import type { StoredMessage } from '../../src/store/message.js';
import { QueueStore, type QueueStoreOptions } from '../../src/store/queue-store.js';
import type { RecoveredMessage } from '../../src/store/recovery.js';

const made: string[] = [];
const opened: QueueStore[] = [];
afterEach(async () => {
  // Tests that play a crash leave their stores open; a closed store's close() is a no-op.
  await Promise.allSettled(opened.splice(0).map((store) => store.close()));
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warren-store-'));
  made.push(dir);
  return dir;
}

/** Message `n`: its body says which it is, so a test can tell messages apart after recovery. */
export function sample(n: number, bodySize = 100): StoredMessage {
  const body = Buffer.alloc(bodySize, n & 0xff);
  body.write(`m${n}:`);
  return {
    exchange: 'amq.direct',
    routingKey: `key.${String(n).padStart(6, '0')}`,
    propertyBytes: Buffer.from([0x10, 0x00, 0x02]), // delivery-mode present, = 2
    body,
    flags: n & 0xff,
  };
}

/** The n of a sample(n); NaN for other messages. */
export function bodyNumber(message: StoredMessage): number {
  return Number(/^m(\d+):/.exec(message.body.toString('latin1', 0, 24))?.[1]);
}

export interface Opened {
  store: QueueStore;
  messages: RecoveredMessage[];
  seqs: number[];
  bodies: number[];
  warnings: string[];
}

/** Opens (recovers) a store and lists what came back. */
export async function openStore(dir: string, options: Partial<QueueStoreOptions> = {}): Promise<Opened> {
  const warnings: string[] = [];
  const { store, messages } = await QueueStore.open(dir, {
    flusher: options.flusher ?? new Flusher(),
    warn: (message) => warnings.push(message),
    segmentSize: options.segmentSize,
  });
  opened.push(store);
  return {
    store,
    messages,
    seqs: messages.map((m) => m.seq),
    bodies: messages.map((m) => bodyNumber(m.message)),
    warnings,
  };
}

export function filesIn(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}
