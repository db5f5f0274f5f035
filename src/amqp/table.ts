// AMQP field tables and arrays: their JS representation, size, encoder and decoder.
//
// Representation. A table is a Map (insertion order is wire order, and keys such as "1" or
// "__proto__" need no care). Values are bare where the JS type says what the wire type is, and
// tagged where it cannot:
//   t boolean        -> boolean           S longstr (UTF-8)  -> string
//   V void           -> null              x byte array       -> Buffer
//   F table          -> Map               A array            -> FieldValue[]
//   every number     -> { type, value }   (b B s u I i l f d T: a JS number does not say which)
//   D decimal        -> { type: 'D', scale, value }
//   S that is not UTF-8 -> { type: 'S', value: Buffer }
// So a table decoded from a client re-encodes to the same bytes: RabbitMQ hands client headers on
// unchanged, and clients read the wire type back (a Java client casts x-death's count to Long).
//
// longstr is a string because what lives in tables is text: header values, queue arguments
// (x-queue-type, x-dead-letter-exchange), x-death's queue/reason/exchange/routing-keys, and
// list_queues prints them as text. The rare longstr that is not UTF-8 keeps its bytes, tagged.
//
// 'l' and 'T' values are numbers when exact (|n| <= 2^53 - 1), bigints otherwise. RabbitMQ reads
// 'L' as the same signed 64-bit long as 'l' and never sends 'L', so 'L' decodes to 'l'. 'D' is
// a scale octet and an unsigned 32-bit value, as rabbit_binary_parser reads it. A key that
// appears twice keeps its first value, the one RabbitMQ's table_lookup finds.
//
// Byte arrays and non-UTF-8 longstrs are copied out of the frame so that a table kept for long
// (queue arguments) does not pin the socket buffer it arrived in.

import { isUtf8 } from 'node:buffer';
import { AmqpError } from './errors.js';
import { SYNTAX_ERROR } from './spec.js';

export type FieldTable = Map<string, FieldValue>;

export type FieldValue =
  | boolean
  | string
  | null
  | Buffer
  | FieldTable
  | FieldValue[]
  | TypedValue;

export type TypedValue =
  | { readonly type: 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'f' | 'd'; readonly value: number }
  | { readonly type: 'l' | 'T'; readonly value: number | bigint }
  | { readonly type: 'D'; readonly scale: number; readonly value: number }
  | { readonly type: 'S'; readonly value: Buffer };

const TWO_32 = 2 ** 32;

/** Encoded size of a table, including its 4-byte length prefix. */
export function tableSize(table: FieldTable): number {
  let size = 4;
  for (const [key, value] of table) size += shortKeySize(key) + valueSize(value);
  return size;
}

/** Writes the table with its length prefix at `o`; returns the offset after it. */
export function writeTable(b: Buffer, o: number, table: FieldTable): number {
  const start = o;
  o += 4;
  for (const [key, value] of table) {
    const n = b.write(key, o + 1);
    b[o] = n;
    o = writeValue(b, o + 1 + n, value);
  }
  b.writeUInt32BE(o - start - 4, start);
  return o;
}

/** Decodes the entries between `o` and `end` (the bytes after a table's length prefix). */
export function readTable(b: Buffer, o: number, end: number): FieldTable {
  const table: FieldTable = new Map();
  while (o < end) {
    const n = b[o];
    if (o + 1 + n >= end) throw malformed('a table key runs past the end of the table');
    const key = b.toString('utf8', o + 1, o + 1 + n);
    const r = readValue(b, o + 1 + n, end, key);
    if (!table.has(key)) table.set(key, r.value);
    o = r.next;
  }
  return table;
}

function shortKeySize(key: string): number {
  const n = Buffer.byteLength(key);
  if (n > 255) throw new RangeError(`field table key longer than 255 bytes: ${key.slice(0, 40)}...`);
  return 1 + n;
}

function valueSize(v: FieldValue): number {
  switch (typeof v) {
    case 'boolean':
      return 2;
    case 'string':
      return 5 + Buffer.byteLength(v);
    case 'object':
      if (v === null) return 1;
      if (v instanceof Map) return 1 + tableSize(v);
      if (Array.isArray(v)) return 1 + arraySize(v);
      if (Buffer.isBuffer(v)) return 5 + v.length;
      return 1 + typedSize(v);
  }
  throw new TypeError(`not a field value: ${String(v)}`);
}

function typedSize(v: TypedValue): number {
  switch (v.type) {
    case 'b':
    case 'B':
      return 1;
    case 's':
    case 'u':
      return 2;
    case 'I':
    case 'i':
    case 'f':
      return 4;
    case 'l':
    case 'd':
    case 'T':
      return 8;
    case 'D':
      return 5;
    case 'S':
      return 4 + v.value.length;
  }
  throw new TypeError(`unknown field value type: ${JSON.stringify((v as { type: unknown }).type)}`);
}

function arraySize(a: readonly FieldValue[]): number {
  let size = 4;
  for (const v of a) size += valueSize(v);
  return size;
}

function writeValue(b: Buffer, o: number, v: FieldValue): number {
  switch (typeof v) {
    case 'boolean':
      b[o] = 0x74; // t
      b[o + 1] = v ? 1 : 0;
      return o + 2;
    case 'string': {
      b[o] = 0x53; // S
      const n = b.write(v, o + 5);
      b.writeUInt32BE(n, o + 1);
      return o + 5 + n;
    }
  }
  if (v === null) {
    b[o] = 0x56; // V
    return o + 1;
  }
  if (v instanceof Map) {
    b[o] = 0x46; // F
    return writeTable(b, o + 1, v);
  }
  if (Array.isArray(v)) {
    b[o] = 0x41; // A
    const start = o + 1;
    o = start + 4;
    for (const item of v) o = writeValue(b, o, item);
    b.writeUInt32BE(o - start - 4, start);
    return o;
  }
  if (Buffer.isBuffer(v)) {
    b[o] = 0x78; // x
    b.writeUInt32BE(v.length, o + 1);
    return o + 5 + v.copy(b, o + 5);
  }
  return writeTyped(b, o, v);
}

function writeTyped(b: Buffer, o: number, v: TypedValue): number {
  b[o] = v.type.charCodeAt(0);
  o++;
  switch (v.type) {
    case 'b':
      return b.writeInt8(v.value, o);
    case 'B':
      return b.writeUInt8(v.value, o);
    case 's':
      return b.writeInt16BE(v.value, o);
    case 'u':
      return b.writeUInt16BE(v.value, o);
    case 'I':
      return b.writeInt32BE(v.value, o);
    case 'i':
      return b.writeUInt32BE(v.value, o);
    case 'f':
      return b.writeFloatBE(v.value, o);
    case 'd':
      return b.writeDoubleBE(v.value, o);
    case 'l':
      return typeof v.value === 'bigint' ? b.writeBigInt64BE(v.value, o) : writeInt64(b, o, v.value);
    case 'T':
      return typeof v.value === 'bigint' ? b.writeBigUInt64BE(v.value, o) : writeUint64(b, o, v.value);
    case 'D':
      b[o] = v.scale;
      return b.writeUInt32BE(v.value, o + 1);
    case 'S':
      b.writeUInt32BE(v.value.length, o);
      return o + 4 + v.value.copy(b, o + 4);
  }
}

function writeInt64(b: Buffer, o: number, n: number): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a 64-bit integer: ${n}`);
  const hi = Math.floor(n / TWO_32);
  b.writeInt32BE(hi, o);
  b.writeUInt32BE(n - hi * TWO_32, o + 4);
  return o + 8;
}

/** Writes a non-negative safe integer as an unsigned 64-bit value; shared with the method codecs. */
export function writeUint64(b: Buffer, o: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not an unsigned 64-bit integer: ${n}`);
  const hi = Math.floor(n / TWO_32);
  b.writeUInt32BE(hi, o);
  b.writeUInt32BE(n - hi * TWO_32, o + 4);
  return o + 8;
}

interface Read {
  value: FieldValue;
  next: number;
}

function readValue(b: Buffer, o: number, end: number, key: string): Read {
  const tag = b[o++];
  const need = (n: number): void => {
    if (o + n > end) throw malformed(`the value of '${key}' runs past the end of its table`);
  };
  switch (tag) {
    case 0x53: {
      // S
      need(4);
      const n = b.readUInt32BE(o);
      need(4 + n);
      const s = b.subarray(o + 4, o + 4 + n);
      const value = isUtf8(s) ? s.toString('utf8') : { type: 'S' as const, value: Buffer.from(s) };
      return { value, next: o + 4 + n };
    }
    case 0x74: // t
      need(1);
      return { value: b[o] !== 0, next: o + 1 };
    case 0x62: // b
      need(1);
      return { value: { type: 'b', value: b.readInt8(o) }, next: o + 1 };
    case 0x42: // B
      need(1);
      return { value: { type: 'B', value: b[o] }, next: o + 1 };
    case 0x73: // s
      need(2);
      return { value: { type: 's', value: b.readInt16BE(o) }, next: o + 2 };
    case 0x75: // u
      need(2);
      return { value: { type: 'u', value: b.readUInt16BE(o) }, next: o + 2 };
    case 0x49: // I
      need(4);
      return { value: { type: 'I', value: b.readInt32BE(o) }, next: o + 4 };
    case 0x69: // i
      need(4);
      return { value: { type: 'i', value: b.readUInt32BE(o) }, next: o + 4 };
    case 0x6c: // l
    case 0x4c: // L
      need(8);
      return { value: { type: 'l', value: readInt64(b, o) }, next: o + 8 };
    case 0x66: // f
      need(4);
      return { value: { type: 'f', value: b.readFloatBE(o) }, next: o + 4 };
    case 0x64: // d
      need(8);
      return { value: { type: 'd', value: b.readDoubleBE(o) }, next: o + 8 };
    case 0x54: // T
      need(8);
      return { value: { type: 'T', value: readUint64(b, o) }, next: o + 8 };
    case 0x44: // D
      need(5);
      return { value: { type: 'D', scale: b[o], value: b.readUInt32BE(o + 1) }, next: o + 5 };
    case 0x78: {
      // x
      need(4);
      const n = b.readUInt32BE(o);
      need(4 + n);
      return { value: Buffer.from(b.subarray(o + 4, o + 4 + n)), next: o + 4 + n };
    }
    case 0x46: {
      // F
      need(4);
      const n = b.readUInt32BE(o);
      need(4 + n);
      return { value: readTable(b, o + 4, o + 4 + n), next: o + 4 + n };
    }
    case 0x41: {
      // A
      need(4);
      const n = b.readUInt32BE(o);
      need(4 + n);
      const items: FieldValue[] = [];
      let p = o + 4;
      while (p < o + 4 + n) {
        const r = readValue(b, p, o + 4 + n, key);
        items.push(r.value);
        p = r.next;
      }
      return { value: items, next: p };
    }
    case 0x56: // V
      return { value: null, next: o };
  }
  throw malformed(`unknown field value type ${erlangChar(tag)} for key '${key}'`);
}

function erlangChar(tag: number): string {
  return tag >= 0x20 && tag < 0x7f ? `'${String.fromCharCode(tag)}'` : `${tag}`;
}

function readInt64(b: Buffer, o: number): number | bigint {
  const hi = b.readInt32BE(o);
  // Exact as a double while the high word stays within 21 bits of sign.
  if (hi >= -0x200000 && hi < 0x200000) {
    const n = hi * TWO_32 + b.readUInt32BE(o + 4);
    if (Number.isSafeInteger(n)) return n;
  }
  return b.readBigInt64BE(o);
}

function readUint64(b: Buffer, o: number): number | bigint {
  const hi = b.readUInt32BE(o);
  if (hi < 0x200000) return hi * TWO_32 + b.readUInt32BE(o + 4);
  return b.readBigUInt64BE(o);
}

function malformed(explanation: string): AmqpError {
  return new AmqpError(SYNTAX_ERROR, `malformed field table: ${explanation}`);
}
