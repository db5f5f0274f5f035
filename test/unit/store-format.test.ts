import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Table } from '../../src/store/crc32.js';
import {
  HEADER_SIZE,
  RECORD_ACKS,
  RECORD_MESSAGE,
  RECORD_PURGE,
  decodeAcks,
  encodeAckRecord,
  encodePurgeRecord,
  scanRecords,
} from '../../src/store/format.js';
import { decodeMessage, encodeMessageRecord } from '../../src/store/message.js';
import { sample } from './store-samples.js';

interface Scanned {
  records: Array<{ type: number; seq: number; payload: Buffer }>;
  end: number;
  warnings: string[];
}

function scan(data: Buffer): Scanned {
  const records: Scanned['records'] = [];
  const warnings: string[] = [];
  const visit = (type: number, seq: number, payload: Buffer): number => records.push({ type, seq, payload });
  const end = scanRecords(data, 'test.seg', visit, (warning) => warnings.push(warning));
  return { records, end, warnings };
}

describe('crc32', () => {
  it('has the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Table(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Table(Buffer.alloc(0))).toBe(0);
  });

  it('computes the same value with the table as natively, whole or in pieces', () => {
    for (const size of [1, 7, 64, 1024, 65537]) {
      const data = randomBytes(size);
      expect(crc32Table(data)).toBe(crc32(data));
      const cut = size >> 1;
      expect(crc32Table(data.subarray(cut), crc32Table(data.subarray(0, cut)))).toBe(crc32(data));
    }
  });
});

describe('message records', () => {
  it('round-trip every field', () => {
    const message = { ...sample(7, 1024), exchange: 'ëx', routingKey: 'ключ.☃', flags: 0xa5 };
    const record = encodeMessageRecord(2 ** 40 + 3, message);
    const { records, end, warnings } = scan(record);
    expect(end).toBe(record.length);
    expect(warnings).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0].type).toBe(RECORD_MESSAGE);
    expect(records[0].seq).toBe(2 ** 40 + 3);
    expect(decodeMessage(records[0].payload)).toEqual(message);
  });

  it('round-trip empty strings, properties and body', () => {
    const message = { exchange: '', routingKey: '', propertyBytes: Buffer.alloc(0), body: Buffer.alloc(0), flags: 0 };
    const record = encodeMessageRecord(1, message);
    expect(decodeMessage(record.subarray(HEADER_SIZE))).toEqual(message);
  });

  it('refuse an exchange or routing key longer than a shortstr', () => {
    expect(() => encodeMessageRecord(1, { ...sample(1), routingKey: 'k'.repeat(256) })).toThrow(/routing key/);
    expect(() => encodeMessageRecord(1, { ...sample(1), exchange: 'é'.repeat(128) })).toThrow(/exchange/);
  });
});

describe('ack and purge records', () => {
  it('carry their seqs', () => {
    const seqs = [1, 2, 2 ** 32 + 1, 2 ** 53 - 1];
    const { records } = scan(Buffer.concat([encodeAckRecord(seqs), encodePurgeRecord(99)]));
    expect(records.map((r) => [r.type, r.seq])).toEqual([
      [RECORD_ACKS, 0],
      [RECORD_PURGE, 99],
    ]);
    const decoded: number[] = [];
    decodeAcks(records[0].payload, (seq) => decoded.push(seq));
    expect(decoded).toEqual(seqs);
  });
});

describe('scanRecords', () => {
  const records = [1, 2, 3, 4].map((n) => encodeMessageRecord(n, sample(n)));
  const file = Buffer.concat(records);
  const offsetOf = (i: number): number => records.slice(0, i).reduce((sum, r) => sum + r.length, 0);
  const seqsOf = (s: Scanned): number[] => s.records.map((r) => r.seq);

  it('ends at a record cut short', () => {
    for (const cut of [1, HEADER_SIZE - 1, HEADER_SIZE, records[3].length - 1]) {
      const torn = scan(file.subarray(0, offsetOf(3) + cut));
      expect(seqsOf(torn)).toEqual([1, 2, 3]);
      expect(torn.end).toBe(offsetOf(3));
      expect(torn.warnings).toEqual([]);
    }
  });

  it('ends before a damaged last record, and before zeros after the last record', () => {
    const damaged = Buffer.from(file);
    damaged[file.length - 5] ^= 0x01;
    expect(seqsOf(scan(damaged))).toEqual([1, 2, 3]);
    expect(scan(damaged).end).toBe(offsetOf(3));
    const zeros = scan(Buffer.concat([file, Buffer.alloc(4096)]));
    expect(seqsOf(zeros)).toEqual([1, 2, 3, 4]);
    expect(zeros.end).toBe(file.length);
  });

  it('drops exactly a record whose payload is damaged', () => {
    const damaged = Buffer.from(file);
    damaged[offsetOf(1) + HEADER_SIZE + 50] ^= 0x80;
    const result = scan(damaged);
    expect(seqsOf(result)).toEqual([1, 3, 4]);
    expect(result.end).toBe(file.length);
    expect(result.warnings).toEqual([
      `test.seg: dropped record seq 2 at offset ${offsetOf(1)}: payload checksum mismatch`,
    ]);
  });

  it('skips to the next intact record after a damaged header', () => {
    const damaged = Buffer.from(file);
    damaged[offsetOf(1) + 5] ^= 0x40; // the length
    const result = scan(damaged);
    expect(seqsOf(result)).toEqual([1, 3, 4]);
    expect(result.warnings).toEqual([
      `test.seg: skipped ${records[1].length} unreadable bytes at offset ${offsetOf(1)}`,
    ]);
  });
});
