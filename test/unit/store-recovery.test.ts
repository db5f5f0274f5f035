import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEADER_SIZE, encodeAckRecord } from '../../src/store/format.js';
import { encodeMessageRecord } from '../../src/store/message.js';
import { filesIn, openStore, sample, tempDir } from './store-samples.js';

const BODY = 1000;
const RECORD = encodeMessageRecord(1, sample(1, BODY)).length;
const SEGMENT_SIZE = 4 * RECORD; // messages 1-4, 5-8, 9-12 ...
const name = (firstSeq: number, suffix = '.seg'): string => String(firstSeq).padStart(20, '0') + suffix;

/** A closed store holding messages 1..count, one segment per four. */
async function storeWith(count: number, acked: number[] = []): Promise<string> {
  const dir = tempDir();
  const { store } = await openStore(dir, { segmentSize: SEGMENT_SIZE });
  for (let n = 1; n <= count; n++) store.append(sample(n, BODY));
  store.ack(acked);
  await store.close();
  return dir;
}

/** Flips a bit of message `seq`'s body, in the segment holding it. */
function flipBodyBit(dir: string, seq: number): void {
  const file = path.join(dir, name(Math.floor((seq - 1) / 4) * 4 + 1));
  const data = fs.readFileSync(file);
  data[((seq - 1) % 4) * RECORD + HEADER_SIZE + 500] ^= 0x10;
  fs.writeFileSync(file, data);
}

const reopen = (dir: string) => openStore(dir, { segmentSize: SEGMENT_SIZE });
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('recovery', () => {
  it('drops a torn tail record in the last segment and truncates the file there', async () => {
    const dir = await storeWith(11); // the last segment holds 9, 10, 11
    const last = path.join(dir, name(9));
    fs.truncateSync(last, 2 * RECORD + 100); // 11 cut short
    const { bodies, warnings, store } = await reopen(dir);
    expect(bodies).toEqual(range(1, 10));
    expect(warnings).toEqual([`${last}: dropped a torn tail of 100 bytes at offset ${2 * RECORD}; truncating`]);
    expect(fs.statSync(last).size).toBe(2 * RECORD);

    // Appends continue after the good data, and the next recovery finds nothing wrong.
    expect(store.append(sample(12, BODY))).toBe(11);
    await store.close();
    const again = await reopen(dir);
    expect(again.seqs).toEqual(range(1, 11));
    expect(again.bodies).toEqual([...range(1, 10), 12]);
    expect(again.warnings).toEqual([]);
  });

  it('drops exactly the damaged records: a flipped bit in a body, a torn tail', async () => {
    const dir = await storeWith(11);
    flipBodyBit(dir, 10); // the middle of the last segment
    flipBodyBit(dir, 2); // the middle of an older one
    const last = path.join(dir, name(9));
    fs.truncateSync(last, 3 * RECORD - 1);
    const { bodies, warnings } = await reopen(dir);
    expect(bodies).toEqual([1, 3, 4, 5, 6, 7, 8, 9]);
    expect(warnings).toEqual([
      `${path.join(dir, name(1))}: dropped record seq 2 at offset ${RECORD}: payload checksum mismatch`,
      `${last}: dropped record seq 10 at offset ${RECORD}: payload checksum mismatch`,
      `${last}: dropped a torn tail of ${RECORD - 1} bytes at offset ${2 * RECORD}; truncating`,
    ]);
  });

  it('drops a damaged last record as a torn tail', async () => {
    const dir = await storeWith(11);
    flipBodyBit(dir, 11);
    const { bodies, warnings } = await reopen(dir);
    expect(bodies).toEqual(range(1, 10));
    expect(warnings).toEqual([
      `${path.join(dir, name(9))}: dropped a torn tail of ${RECORD} bytes at offset ${2 * RECORD}; truncating`,
    ]);
  });

  it('skips from a damaged header in an older segment to the next record', async () => {
    const dir = await storeWith(11);
    const file = path.join(dir, name(5));
    const data = fs.readFileSync(file);
    data.fill(0xee, RECORD + 3, RECORD + 20); // the header of 6
    fs.writeFileSync(file, data);
    const { bodies, warnings } = await reopen(dir);
    expect(bodies).toEqual([1, 2, 3, 4, 5, 7, 8, 9, 10, 11]);
    expect(warnings).toEqual([`${file}: skipped ${RECORD} unreadable bytes at offset ${RECORD}`]);
  });

  it('drops a record whose seq is out of order', async () => {
    const dir = tempDir();
    const records = [1, 2, 2, 1, 3].map((seq) => encodeMessageRecord(seq, sample(seq * 10)));
    fs.writeFileSync(path.join(dir, name(1)), Buffer.concat(records));
    const { bodies, warnings } = await reopen(dir);
    expect(bodies).toEqual([10, 20, 30]);
    expect(warnings).toEqual([
      `${path.join(dir, name(1))}: dropped a record with seq 2 out of order (after 2)`,
      `${path.join(dir, name(1))}: dropped a record with seq 1 out of order (after 2)`,
    ]);
  });

  it('keeps the acks before a torn tail of an ack file', async () => {
    const dir = await storeWith(6);
    const { store } = await reopen(dir);
    store.ack([5]);
    await store.durable(store.append(sample(7, BODY)));
    store.ack([6]);
    await store.close();
    const acks = path.join(dir, name(5, '.ack'));
    fs.truncateSync(acks, fs.statSync(acks).size - 3);
    const { bodies, warnings } = await reopen(dir);
    expect(bodies).toEqual([1, 2, 3, 4, 6, 7]);
    expect(warnings).toEqual([
      `${acks}: dropped a torn tail of ${HEADER_SIZE + 8 - 3} bytes at offset ${HEADER_SIZE + 8}; truncating`,
    ]);
  });

  it('deletes segments whose messages are all acked, and ack files without a segment', async () => {
    const dir = await storeWith(12);
    // As if the node died after writing these acks but before deleting what they empty.
    fs.writeFileSync(path.join(dir, name(1, '.ack')), encodeAckRecord([1, 2, 3, 4]));
    fs.writeFileSync(path.join(dir, name(77, '.ack')), 'orphan');
    const { bodies, warnings } = await reopen(dir);
    expect(bodies).toEqual(range(5, 12));
    expect(warnings).toEqual([]);
    expect(filesIn(dir)).toEqual([name(5), name(9)]);
  });

  it('copies the messages of a mostly acked segment out of it, and no others', async () => {
    const dir = await storeWith(8, [1, 2, 3]);
    const { messages } = await reopen(dir);
    expect(messages.map((m) => m.seq)).toEqual([4, 5, 6, 7, 8]);
    const [sparse, ...full] = messages.map((m) => m.message.body.buffer.byteLength);
    expect(sparse).toBe(RECORD - HEADER_SIZE);
    for (const size of full) expect(size).toBe(4 * RECORD);
  });

  it('recovers an empty directory, and one whose messages were all acked', async () => {
    expect((await reopen(tempDir())).seqs).toEqual([]);
    const dir = await storeWith(8, range(1, 8));
    const { seqs, store } = await reopen(dir);
    expect(seqs).toEqual([]);
    expect(filesIn(dir)).toEqual([name(5, '.ack'), name(5)]); // the last segment takes appends
    expect(store.append(sample(9, BODY))).toBe(9);
  });
});
