// The on-disk format of a queue's message store, and the code that frames and scans records.
// Nothing else in src/store/ knows a byte offset inside a file.
//
// One directory per queue, holding pairs of files named by a 20-digit sequence number:
//
//   00000000000000000001.seg   a segment: message and purge records, in increasing seq order
//   00000000000000000001.ack   acks of messages in that segment
//
// A segment is named after the first seq it may hold and holds seqs up to the next segment's
// name. A new segment starts when the next record would take the current one past the size
// limit (16 MiB by default); only a segment holding a single bigger record exceeds it. A segment
// that is no longer appended to is deleted with its ack file (.seg first) once all its messages
// are acked. A purge starts a new segment with a purge record, and deletes the older segments
// once that record is on disk.
//
// Both kinds of file are a sequence of records. Integers are big-endian:
//
//   offset  size
//        0     2  magic 0x5752 ("WR")
//        2     1  type: 1 message, 2 acks, 3 purge
//        3     1  format version: 1
//        4     4  payload length n
//        8     8  seq: the message's (type 1) or the purge's (type 3); 0 in an ack record
//       16     4  CRC-32 of the payload
//       20     4  CRC-32 of bytes 0..19
//       24     n  payload
//
// Payloads:
//   message  u8 flags (owned by the queue), u8 exchange length, exchange (UTF-8), u8 routing key
//            length, routing key (UTF-8), u32 property bytes length, the property bytes (the
//            content header's property flags and list, as the publisher sent them), then the body
//   acks     the acked seqs, 8 bytes each; every seq belongs to the segment of this ack file
//   purge    empty: every message with a lower seq is gone
//
// The header has a checksum of its own so that its length can be trusted when only the payload
// is damaged: then exactly that record is lost, and the next one is found by the length.

import { crc32 } from './crc32.js';

const MAGIC = 0x5752;
const VERSION = 1;
export const HEADER_SIZE = 24;

export const RECORD_MESSAGE = 1;
export const RECORD_ACKS = 2;
export const RECORD_PURGE = 3;

const MAGIC_BYTES = Buffer.from([MAGIC >> 8, MAGIC & 0xff]);
const U32 = 2 ** 32;

/** Fills in the header of a record whose payload is already at `record[HEADER_SIZE..]`. */
export function sealRecord(record: Buffer, type: number, seq: number): Buffer {
  const payloadLength = record.length - HEADER_SIZE;
  record.writeUInt16BE(MAGIC, 0);
  record[2] = type;
  record[3] = VERSION;
  record.writeUInt32BE(payloadLength, 4);
  writeSeq(record, 8, seq);
  record.writeUInt32BE(crc32(record.subarray(HEADER_SIZE)), 16);
  record.writeUInt32BE(crc32(record.subarray(0, 20)), 20);
  return record;
}

export function encodeAckRecord(seqs: readonly number[]): Buffer {
  const record = Buffer.allocUnsafe(HEADER_SIZE + 8 * seqs.length);
  for (let i = 0; i < seqs.length; i++) writeSeq(record, HEADER_SIZE + 8 * i, seqs[i]);
  return sealRecord(record, RECORD_ACKS, 0);
}

export function decodeAcks(payload: Buffer, onSeq: (seq: number) => void): void {
  for (let at = 0; at + 8 <= payload.length; at += 8) onSeq(readSeq(payload, at));
}

export function encodePurgeRecord(seq: number): Buffer {
  return sealRecord(Buffer.allocUnsafe(HEADER_SIZE), RECORD_PURGE, seq);
}

/** Seqs stay below 2^53, so they are plain numbers, written as two 32-bit halves. */
function writeSeq(buf: Buffer, at: number, seq: number): void {
  buf.writeUInt32BE(Math.floor(seq / U32), at);
  buf.writeUInt32BE(seq >>> 0, at + 4);
}

function readSeq(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * U32 + buf.readUInt32BE(at + 4);
}

export type RecordVisitor = (type: number, seq: number, payload: Buffer) => void;

/**
 * Walks the records of a whole file's contents. A record whose header checks but whose payload
 * does not is reported through `warn` and stepped over by its length. Bytes that are not a
 * record header are skipped up to the next complete record (both checksums good), with a
 * warning. Returns where the readable records end: the file's length, or the start of a torn
 * tail (a record cut short, a damaged last record, or bytes with no record after them), which
 * the caller truncates.
 */
export function scanRecords(data: Buffer, name: string, visit: RecordVisitor, warn: (message: string) => void): number {
  let at = 0;
  while (at < data.length) {
    if (!headerChecks(data, at)) {
      const next = findRecord(data, at + 1);
      if (next < 0) return at;
      warn(`${name}: skipped ${next - at} unreadable bytes at offset ${at}`);
      at = next;
      continue;
    }
    const end = at + HEADER_SIZE + data.readUInt32BE(at + 4);
    if (end > data.length) return at;
    const seq = readSeq(data, at + 8);
    if (payloadChecks(data, at, end)) {
      visit(data[at + 2], seq, data.subarray(at + HEADER_SIZE, end));
    } else if (end === data.length) {
      return at;
    } else {
      warn(`${name}: dropped record seq ${seq} at offset ${at}: payload checksum mismatch`);
    }
    at = end;
  }
  return at;
}

function headerChecks(data: Buffer, at: number): boolean {
  return (
    at + HEADER_SIZE <= data.length &&
    data.readUInt16BE(at) === MAGIC &&
    data[at + 3] === VERSION &&
    data[at + 2] >= RECORD_MESSAGE &&
    data[at + 2] <= RECORD_PURGE &&
    crc32(data.subarray(at, at + 20)) === data.readUInt32BE(at + 20)
  );
}

function payloadChecks(data: Buffer, at: number, end: number): boolean {
  return crc32(data.subarray(at + HEADER_SIZE, end)) === data.readUInt32BE(at + 16);
}

/** The offset of the next whole, intact record at or after `from`, or -1. */
function findRecord(data: Buffer, from: number): number {
  for (let at = data.indexOf(MAGIC_BYTES, from); at >= 0; at = data.indexOf(MAGIC_BYTES, at + 1)) {
    if (!headerChecks(data, at)) continue;
    const end = at + HEADER_SIZE + data.readUInt32BE(at + 4);
    if (end <= data.length && payloadChecks(data, at, end)) return at;
  }
  return -1;
}
