import { describe, expect, it } from 'vitest';
import { AmqpError } from '../../src/amqp/errors.js';
import { readTable, tableSize, writeTable, type FieldTable, type FieldValue } from '../../src/amqp/table.js';
import { EVERY_TYPE } from './amqp-samples.js';

function encode(table: FieldTable): Buffer {
  const b = Buffer.alloc(tableSize(table));
  expect(writeTable(b, 0, table)).toBe(b.length);
  return b;
}

function decode(b: Buffer): FieldTable {
  return readTable(b, 4, 4 + b.readUInt32BE(0));
}

function entries(...bytes: Array<number | string>): Buffer {
  const body = Buffer.concat(bytes.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from([x]))));
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(body.length);
  return Buffer.concat([prefix, body]);
}

function syntaxError(b: Buffer): string {
  try {
    decode(b);
  } catch (err) {
    expect(err).toBeInstanceOf(AmqpError);
    expect((err as AmqpError).replyCode).toBe(502);
    return (err as AmqpError).replyText;
  }
  throw new Error('decoded without error');
}

describe('field tables', () => {
  it('round-trips every value type, keeping key order', () => {
    const decoded = decode(encode(EVERY_TYPE));
    expect(decoded).toEqual(EVERY_TYPE);
    expect([...decoded.keys()]).toEqual([...EVERY_TYPE.keys()]);
  });

  it('re-encodes a decoded table to the same bytes', () => {
    const bytes = encode(EVERY_TYPE);
    expect(encode(decode(bytes)).equals(bytes)).toBe(true);
  });

  it('encodes each type with its RabbitMQ tag and width', () => {
    const cases: Array<[FieldValue, number[]]> = [
      [true, [0x74, 1]],
      [{ type: 'b', value: -1 }, [0x62, 0xff]],
      [{ type: 'B', value: 200 }, [0x42, 200]],
      [{ type: 's', value: -2 }, [0x73, 0xff, 0xfe]],
      [{ type: 'u', value: 513 }, [0x75, 2, 1]],
      [{ type: 'I', value: -1 }, [0x49, 0xff, 0xff, 0xff, 0xff]],
      [{ type: 'i', value: 0x01020304 }, [0x69, 1, 2, 3, 4]],
      [{ type: 'l', value: -2 }, [0x6c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]],
      [{ type: 'l', value: 2 ** 32 + 1 }, [0x6c, 0, 0, 0, 1, 0, 0, 0, 1]],
      [{ type: 'f', value: 1 }, [0x66, 0x3f, 0x80, 0, 0]],
      [{ type: 'd', value: 1 }, [0x64, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]],
      [{ type: 'D', scale: 3, value: 5 }, [0x44, 3, 0, 0, 0, 5]],
      ['hi', [0x53, 0, 0, 0, 2, 0x68, 0x69]],
      [Buffer.from([9]), [0x78, 0, 0, 0, 1, 9]],
      [{ type: 'T', value: 1 }, [0x54, 0, 0, 0, 0, 0, 0, 0, 1]],
      [null, [0x56]],
      [[], [0x41, 0, 0, 0, 0]],
      [new Map(), [0x46, 0, 0, 0, 0]],
    ];
    for (const [value, bytes] of cases) {
      const encoded = encode(new Map([['k', value]]));
      expect([...encoded.subarray(6)]).toEqual(bytes);
    }
  });

  it("reads 'L' as the signed 64-bit long RabbitMQ takes it for", () => {
    const b = entries(1, 'k', 'L', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd);
    expect(decode(b)).toEqual(new Map([['k', { type: 'l', value: -3 }]]));
  });

  it('keeps 64-bit values beyond 2^53 exact as bigints', () => {
    const b = entries(1, 'a', 'l', 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 'b', 'T', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    expect(decode(b)).toEqual(
      new Map([
        ['a', { type: 'l', value: 2n ** 63n - 1n }],
        ['b', { type: 'T', value: 2n ** 64n - 1n }],
      ]),
    );
    expect(encode(decode(b)).equals(b)).toBe(true);
  });

  it('tags a longstr that is not UTF-8 and keeps its bytes', () => {
    const b = entries(1, 'k', 'S', 0, 0, 0, 2, 0xc3, 0x28);
    expect(decode(b)).toEqual(new Map([['k', { type: 'S', value: Buffer.from([0xc3, 0x28]) }]]));
    expect(encode(decode(b)).equals(b)).toBe(true);
  });

  it('copies byte arrays out of the frame', () => {
    const b = entries(1, 'k', 'x', 0, 0, 0, 1, 7);
    const value = decode(b).get('k') as Buffer;
    b[b.length - 1] = 8;
    expect([...value]).toEqual([7]);
  });

  it('keeps the first of two equal keys, the one RabbitMQ looks up', () => {
    const b = entries(1, 'k', 'S', 0, 0, 0, 1, 'a', 1, 'k', 'S', 0, 0, 0, 1, 'b');
    expect(decode(b)).toEqual(new Map([['k', 'a']]));
  });

  it('carries an x-death header as RabbitMQ writes one', () => {
    const xDeath: FieldTable = new Map<string, FieldValue>([
      [
        'x-death',
        [
          new Map<string, FieldValue>([
            ['count', { type: 'l', value: 1 }],
            ['reason', 'expired'],
            ['queue', 'orders'],
            ['time', { type: 'T', value: 1700000000 }],
            ['exchange', ''],
            ['routing-keys', ['orders']],
          ]),
        ],
      ],
      ['x-first-death-reason', 'expired'],
    ]);
    expect(decode(encode(xDeath))).toEqual(xDeath);
  });

  it('refuses values it cannot encode', () => {
    expect(() => encode(new Map([['k', 5 as unknown as FieldValue]]))).toThrow(TypeError);
    expect(() => encode(new Map([['k'.repeat(256), true]]))).toThrow(RangeError);
    expect(() => encode(new Map([['k', { type: 'l', value: 0.5 }]]))).toThrow(RangeError);
  });
});

describe('malformed tables are 502 SYNTAX_ERROR', () => {
  it('an unknown type tag', () => {
    expect(syntaxError(entries(1, 'k', 'Z'))).toBe(
      "SYNTAX_ERROR - malformed field table: unknown field value type 'Z' for key 'k'",
    );
    expect(syntaxError(entries(1, 'k', 0))).toContain('unknown field value type 0');
  });

  it('a value running past the end', () => {
    expect(syntaxError(entries(1, 'k', 'I', 0, 0))).toBe(
      "SYNTAX_ERROR - malformed field table: the value of 'k' runs past the end of its table",
    );
    expect(syntaxError(entries(1, 'k', 'S', 0, 0, 0, 9, 'a'))).toContain('runs past');
    expect(syntaxError(entries(1, 'k', 'A', 0, 0, 0, 2, 'I'))).toContain('runs past');
  });

  it('a key without a value, or a key running past the end', () => {
    expect(syntaxError(entries(1, 'k'))).toContain('a table key runs past the end');
    expect(syntaxError(entries(5, 'k'))).toContain('a table key runs past the end');
  });

  it('a nested table whose length overruns its parent', () => {
    expect(syntaxError(entries(1, 'k', 'F', 0, 0, 0, 3, 1, 'j'))).toContain('runs past');
  });
});
