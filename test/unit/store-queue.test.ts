import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Flusher } from '../../src/store/flusher.js';
import { QueueStore } from '../../src/store/queue-store.js';
import { filesIn, openStore, sample, tempDir } from './store-samples.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Names of the files in `dir` this process holds open (Linux). */
function openFilesIn(dir: string): string[] {
  const targets = fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [fs.readlinkSync(path.join('/proc/self/fd', fd))];
    } catch {
      return []; // the descriptor readdir itself used
    }
  });
  return targets.filter((target) => target.startsWith(dir + path.sep)).map((target) => path.basename(target)).sort();
}

describe('a queue store', () => {
  it('gives back every message in order, byte for byte, after close and open', async () => {
    const dir = tempDir();
    const { store } = await openStore(dir);
    const seqs = range(1, 50).map((n) => store.append(sample(n, n * 10)));
    expect(seqs).toEqual(range(1, 50));
    await store.close();

    const { store: reopened, messages } = await QueueStore.open(dir, { flusher: new Flusher(), warn: () => {} });
    expect(messages.map((m) => m.seq)).toEqual(range(1, 50));
    messages.forEach((m, i) => expect(m.message).toEqual(sample(i + 1, (i + 1) * 10)));
    await reopened.close();
  });

  it('does not give back acked messages, and continues the seqs', async () => {
    const dir = tempDir();
    const first = await openStore(dir);
    range(1, 10).forEach((n) => first.store.append(sample(n)));
    first.store.ack([2, 4, 6]);
    first.store.ack([4, 8, 10, 999]); // 4 twice and 999 never stored: ignored
    await first.store.close();

    const second = await openStore(dir);
    expect(second.bodies).toEqual([1, 3, 5, 7, 9]);
    second.store.ack([1, 3]);
    expect(second.store.append(sample(11))).toBe(11);
    await second.store.close();

    expect((await openStore(dir)).bodies).toEqual([5, 7, 9, 11]);
  });

  it('has written acks for a kill -9 once a later append is durable', async () => {
    const dir = tempDir();
    const { store } = await openStore(dir);
    range(1, 5).forEach((n) => store.append(sample(n)));
    await store.durable();
    store.ack([1, 2]);
    store.append(sample(6));
    await store.durable();
    // No close: a second store reads the files as a restarted node would.
    const after = await openStore(dir);
    expect(after.bodies).toEqual([3, 4, 5, 6]);
    expect(after.warnings).toEqual([]);
  });

  it('starts a new segment at the size limit and deletes a segment once all of it is acked', async () => {
    const dir = tempDir();
    // 3 records of ~1.1 KiB fit in 4 KiB.
    const { store } = await openStore(dir, { segmentSize: 4096 });
    range(1, 10).forEach((n) => store.append(sample(n, 1024)));
    await store.durable();
    const segments = filesIn(dir).filter((f) => f.endsWith('.seg'));
    expect(segments).toEqual([
      '00000000000000000001.seg',
      '00000000000000000004.seg',
      '00000000000000000007.seg',
      '00000000000000000010.seg',
    ]);
    for (const name of segments) expect(fs.statSync(path.join(dir, name)).size).toBeLessThanOrEqual(4096);

    store.ack([1, 2, 4, 5, 6]); // all of the second segment, not all of the first
    store.ack([10]); // the whole active segment: kept, it takes the next appends
    await store.durable(store.append(sample(11, 1024)));
    expect(filesIn(dir)).toEqual([
      '00000000000000000001.ack',
      '00000000000000000001.seg',
      '00000000000000000007.seg',
      '00000000000000000010.ack',
      '00000000000000000010.seg',
    ]);
    store.ack([3]);
    await store.close();
    expect(filesIn(dir)).toEqual(['00000000000000000007.seg', '00000000000000000010.ack', '00000000000000000010.seg']);
    expect((await openStore(dir, { segmentSize: 4096 })).bodies).toEqual([7, 8, 9, 11]);
  });

  it('keeps one message file open, the active segment', async () => {
    const dir = tempDir();
    const { store } = await openStore(dir, { segmentSize: 4096 });
    range(1, 30).forEach((n) => store.append(sample(n, 1024)));
    store.ack([1, 4, 7]);
    await store.durable();
    expect(openFilesIn(dir)).toEqual([
      '00000000000000000001.ack',
      '00000000000000000004.ack',
      '00000000000000000007.ack',
      '00000000000000000028.seg',
    ]);
  });

  it('gives a record bigger than the limit a segment of its own', async () => {
    const dir = tempDir();
    const { store } = await openStore(dir, { segmentSize: 4096 });
    store.append(sample(1, 100));
    store.append(sample(2, 10_000));
    store.append(sample(3, 100));
    await store.close();
    expect(filesIn(dir)).toEqual(['00000000000000000001.seg', '00000000000000000002.seg', '00000000000000000003.seg']);
    expect((await openStore(dir)).bodies).toEqual([1, 2, 3]);
  });

  it('purges: the old segments go, seqs continue, later messages stay', async () => {
    const dir = tempDir();
    const { store } = await openStore(dir, { segmentSize: 4096 });
    range(1, 10).forEach((n) => store.append(sample(n, 1024)));
    await store.purge();
    expect(filesIn(dir)).toEqual(['00000000000000000011.seg']);
    store.ack([3]); // purged already: ignored
    expect(store.append(sample(12))).toBe(12);
    await store.close();
    expect((await openStore(dir)).seqs).toEqual([12]);
  });

  it('honours a purge record even if the purged segments were not deleted', async () => {
    const dir = tempDir();
    const { store } = await openStore(dir);
    range(1, 3).forEach((n) => store.append(sample(n)));
    await store.durable();
    const before = fs.readFileSync(path.join(dir, '00000000000000000001.seg'));
    await store.purge();
    store.append(sample(5));
    await store.close();
    // As if the node died between writing the purge record and deleting the segment.
    fs.writeFileSync(path.join(dir, '00000000000000000001.seg'), before);

    const after = await openStore(dir);
    expect(after.bodies).toEqual([5]);
    expect(after.warnings).toEqual([]);
    expect(filesIn(dir)).toEqual(['00000000000000000004.seg']);
  });

  it('destroys its directory; pending messages are never written', async () => {
    const dir = path.join(tempDir(), 'queue');
    const { store } = await openStore(dir);
    store.append(sample(1));
    await store.durable();
    const seq = store.append(sample(2));
    const waiting = store.durable(seq);
    await store.destroy();
    await waiting;
    expect(fs.existsSync(dir)).toBe(false);
    expect(() => store.append(sample(3))).toThrow(/closed/);
  });

  it('creates its directory, parents included', async () => {
    const dir = path.join(tempDir(), 'queues', 'vhost', 'queue');
    const { store } = await openStore(dir);
    store.append(sample(1));
    await store.close();
    expect((await openStore(dir)).bodies).toEqual([1]);
  });

  it('refuses appends and acks once closed; close twice is one close', async () => {
    const { store } = await openStore(tempDir());
    const closing = store.close();
    expect(store.close()).toBe(closing);
    await closing;
    expect(() => store.append(sample(1))).toThrow(/closed/);
    expect(() => store.ack([1])).toThrow(/closed/);
  });

  it('gives no seq to a message it refuses', async () => {
    const { store } = await openStore(tempDir());
    expect(() => store.append({ ...sample(1), exchange: 'x'.repeat(256) })).toThrow(/exchange/);
    expect(store.append(sample(2))).toBe(1);
  });

  it('fails on an I/O error: durable() rejects, append() throws, close() still returns', async () => {
    const dir = tempDir();
    const { store } = await openStore(dir);
    fs.mkdirSync(path.join(dir, '00000000000000000001.seg')); // the segment file cannot be opened
    const durable = store.durable(store.append(sample(1)));
    await expect(durable).rejects.toThrow(/EISDIR/);
    expect(() => store.append(sample(2))).toThrow(/EISDIR/);
    await expect(store.close()).rejects.toThrow(/EISDIR/);
  });
});

describe('durable()', () => {
  it('resolves only after the covering flush has synced the segment', async () => {
    const flusher = new Flusher();
    const { store } = await openStore(tempDir(), { flusher });
    const seq = store.append(sample(1));
    let syncsWhenResolved = -1;
    const done = store.durable(seq).then(() => (syncsWhenResolved = flusher.stats.syncs));
    await new Promise((resolve) => setTimeout(resolve, 0));
    await done;
    expect(syncsWhenResolved).toBeGreaterThanOrEqual(1);
    expect(flusher.stats.flushes).toBe(1);
  });

  it('waits for the next flush for what is appended during a flush', async () => {
    const flusher = new Flusher();
    const { store } = await openStore(tempDir(), { flusher });
    const first = store.durable(store.append(sample(1)));
    await new Promise((resolve) => setImmediate(resolve)); // the first flush is under way
    const second = store.durable(store.append(sample(2)));
    expect(store.durable(1)).toBe(first);
    await first;
    expect(flusher.stats.flushes).toBe(1);
    await second;
    expect(flusher.stats.flushes).toBe(2);
    await expect(store.durable(1)).resolves.toBeUndefined();
  });

  it('resolves for a record the flush under way covers, asked for during that flush', async () => {
    const { store } = await openStore(tempDir());
    const seq = store.append(sample(1));
    await new Promise((resolve) => setImmediate(resolve)); // the flush is under way
    await store.durable(seq);
  });
});

describe('group commit', () => {
  it('writes and syncs each file once per flush, however many messages and queues', async () => {
    const flusher = new Flusher();
    const dirs = range(1, 20).map(() => tempDir());
    const stores = await Promise.all(dirs.map(async (dir) => (await openStore(dir, { flusher })).store));

    const round = async (): Promise<void> => {
      const waits = stores.flatMap((store) => range(1, 100).map((n) => store.durable(store.append(sample(n)))));
      await Promise.all(waits);
    };
    await round(); // creates the segment files: one directory sync each
    expect(flusher.stats).toEqual({ flushes: 1, writes: 20, syncs: 40 });
    await round();
    expect(flusher.stats).toEqual({ flushes: 2, writes: 40, syncs: 60 });

    for (const store of stores) store.ack(range(1, 100));
    await Promise.all(stores.map((store) => store.durable(store.append(sample(0)))));
    // Ack files are written with the messages but not synced; their creation syncs the directory.
    expect(flusher.stats).toEqual({ flushes: 3, writes: 80, syncs: 100 });
    // Closing syncs them, in one flush for all.
    await Promise.all(stores.map((store) => store.close()));
    expect(flusher.stats).toEqual({ flushes: 4, writes: 80, syncs: 120 });
  });
});
