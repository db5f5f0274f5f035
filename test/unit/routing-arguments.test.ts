import { describe, expect, it } from 'vitest';
import { EVERY_TYPE } from './amqp-samples.js';
import { sameArguments, sameFieldValue, type FieldValue } from '../../src/broker/routing/field-table.js';
import { table } from './routing-helpers.js';

describe('binding argument identity', () => {
  it('ignores the order of top-level entries', () => {
    expect(sameArguments(table({ a: 'x', b: true, c: null }), table({ c: null, a: 'x', b: true }))).toBe(true);
    expect(sameArguments(table(), new Map())).toBe(true);
    expect(sameArguments(EVERY_TYPE, new Map([...EVERY_TYPE].reverse()))).toBe(true);
  });

  it('needs the same keys', () => {
    expect(sameArguments(table({ a: 'x' }), table({ a: 'x', b: 'y' }))).toBe(false);
    expect(sameArguments(table({ a: 'x', b: 'y' }), table({ a: 'x' }))).toBe(false);
    expect(sameArguments(table({ a: 'x' }), table({ b: 'x' }))).toBe(false);
    expect(sameArguments(table({ a: null }), table({ b: null }))).toBe(false);
  });

  // [what, one value, another, the same binding]
  const VALUES: Array<[string, FieldValue, FieldValue, boolean]> = [
    ['equal text', 'x', 'x', true],
    ['other text', 'x', 'y', false],
    ['text is not bytes', 'x', Buffer.from('x'), false],
    ['equal bytes', Buffer.from([1, 2]), Buffer.from([1, 2]), true],
    ['not-UTF-8 longstr', { type: 'S', value: Buffer.from([0xff]) }, { type: 'S', value: Buffer.from([0xff]) }, true],
    ['not-UTF-8 longstr is not bytes', { type: 'S', value: Buffer.from([0xff]) }, Buffer.from([0xff]), false],
    ['same type and value', { type: 'I', value: 1 }, { type: 'I', value: 1 }, true],
    ['signedint is not long', { type: 'I', value: 1 }, { type: 'l', value: 1 }, false],
    ['long is not double', { type: 'l', value: 1 }, { type: 'd', value: 1 }, false],
    ['long as number or bigint', { type: 'l', value: 7 }, { type: 'l', value: 7n }, true],
    ['NaN is one value', { type: 'd', value: NaN }, { type: 'd', value: NaN }, true],
    ['decimal', { type: 'D', scale: 1, value: 5 }, { type: 'D', scale: 1, value: 5 }, true],
    ['decimal scale', { type: 'D', scale: 1, value: 5 }, { type: 'D', scale: 2, value: 50 }, false],
    ['boolean', true, true, true],
    ['boolean is not void', false, null, false],
    ['void', null, null, true],
    ['nested table', table({ a: 'x', b: 'y' }), table({ a: 'x', b: 'y' }), true],
    ['nested table order counts, as RabbitMQ sorts only the top level', table({ a: 'x', b: 'y' }), table({ b: 'y', a: 'x' }), false],
    ['nested table types', table({ a: { type: 'I', value: 1 } }), table({ a: { type: 'l', value: 1 } }), false],
    ['array', ['x', [null]], ['x', [null]], true],
    ['array order', ['x', 'y'], ['y', 'x'], false],
    ['array length', ['x'], ['x', 'x'], false],
    ['empty table is not empty array', table(), [], false],
  ];
  it.each(VALUES)('%s', (_what, a, b, same) => {
    expect(sameFieldValue(a, b)).toBe(same);
    expect(sameFieldValue(b, a)).toBe(same);
    expect(sameArguments(table({ k: a }), table({ k: b }))).toBe(same);
  });
});
