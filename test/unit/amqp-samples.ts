// Shared test data for the AMQP codec suites: a field table holding every value type, sample
// method arguments built from spec.ts, and a helper that parses encoded frames back.

import { FrameParser } from '../../src/amqp/frame-parser.js';
import type { Frame } from '../../src/amqp/frame.js';
import type { Domain, FieldSpec } from '../../src/amqp/spec.js';
import type { FieldTable, FieldValue } from '../../src/amqp/table.js';

export const EVERY_TYPE: FieldTable = new Map<string, FieldValue>([
  ['bool', true],
  ['boolFalse', false],
  ['int8', { type: 'b', value: -128 }],
  ['uint8', { type: 'B', value: 255 }],
  ['int16', { type: 's', value: -32768 }],
  ['uint16', { type: 'u', value: 65535 }],
  ['int32', { type: 'I', value: -2147483648 }],
  ['uint32', { type: 'i', value: 4294967295 }],
  ['int64', { type: 'l', value: -(2 ** 53 - 1) }],
  ['int64Big', { type: 'l', value: -(2n ** 63n) }],
  ['float', { type: 'f', value: 1.5 }],
  ['double', { type: 'd', value: Math.PI }],
  ['decimal', { type: 'D', scale: 2, value: 4294967295 }],
  ['longstr', 'hello wörld ☃'],
  ['emptyLongstr', ''],
  ['notUtf8', { type: 'S', value: Buffer.from([0xff, 0xfe, 0x41]) }],
  ['bytes', Buffer.from([0, 1, 2, 255])],
  ['array', ['a', { type: 'I', value: 1 }, [true, null], new Map([['k', null]])]],
  ['emptyArray', []],
  ['timestamp', { type: 'T', value: 1700000000 }],
  ['timestampBig', { type: 'T', value: 2n ** 64n - 1n }],
  ['table', new Map([['nested', new Map<string, FieldValue>([['deep', 'x']])]])],
  ['void', null],
  ['1', 'a numeric key keeps its place'],
  ['__proto__', 'not special in a Map'],
]);

/** Four argument sets per method: empty/zero, maximal, typical, and the other bit pattern. */
export function sampleArgs(fields: readonly FieldSpec[], variant: number): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  let bit = 0;
  for (const [name, domain] of fields) {
    args[name] = domain === 'bit' ? sampleBit(variant, bit++) : sampleValue(domain, variant);
  }
  return args;
}

function sampleBit(variant: number, index: number): boolean {
  return [false, true, index % 2 === 0, index % 2 === 1][variant];
}

function sampleValue(domain: Exclude<Domain, 'bit'>, variant: number): unknown {
  const pick = <T>(...values: T[]): T => values[variant % values.length];
  switch (domain) {
    case 'octet':
      return pick(0, 255, 9, 128);
    case 'short':
      return pick(0, 65535, 1234, 32768);
    case 'long':
      return pick(0, 4294967295, 131072, 2147483648);
    case 'longlong':
    case 'timestamp':
      return pick(0, 2 ** 53 - 1, 2 ** 32 + 5, 1);
    case 'shortstr':
      return pick('', 'x'.repeat(255), 'amq.gen-héllo ☃', 'a');
    case 'longstr':
      return pick(Buffer.alloc(0), Buffer.alloc(100_000, 0xab), Buffer.from('\0guest\0guest'), Buffer.from([0]));
    case 'table':
      return pick(new Map(), EVERY_TYPE, new Map([['x-max-length', { type: 'l', value: 10 }]]), EVERY_TYPE);
  }
}

/** Every frame in `chunks`, as a parser without a protocol header and frame limit sees them. */
export function parseFrames(...chunks: Buffer[]): Frame[] {
  const parser = new FrameParser({ frameMax: 0, protocolHeader: false });
  const frames: Frame[] = [];
  for (const chunk of chunks) {
    parser.push(chunk);
    for (let f = parser.next(); f !== null; f = parser.next()) frames.push(f);
  }
  return frames;
}

/** Whether `view` lies inside `chunk`'s memory (small Buffers share pooled ArrayBuffers). */
export function isViewOf(view: Buffer, chunk: Buffer): boolean {
  return (
    view.buffer === chunk.buffer &&
    view.byteOffset >= chunk.byteOffset &&
    view.byteOffset + view.length <= chunk.byteOffset + chunk.length
  );
}
