import { describe, expect, it } from 'vitest';
import { readTable, tableSize, writeTable } from '../../src/amqp/table.js';
import { equalValues, type FieldTable, type FieldValue, type TypedValue } from '../../src/broker/routing/field-table.js';
import { HeadersTable, headersBindingError } from '../../src/broker/routing/headers.js';
import { pick, random, routed, table } from './routing-helpers.js';

const num = (type: 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'f' | 'd' | 'l' | 'T', value: number | bigint) =>
  ({ type, value }) as TypedValue;
const notUtf8 = Buffer.from([0xff, 0xfe]);

function matches(args: FieldTable, headers: FieldTable | undefined): boolean {
  const t = new HeadersTable<string>();
  t.bind('q', '', args);
  return routed(t, '', headers).length === 1;
}

// [what, binding arguments, message headers (undefined: none), matches]
const CASES: Array<[string, Record<string, FieldValue>, Record<string, FieldValue> | undefined, boolean]> = [
  // x-match all, the default
  ['all: equal value', { a: 'x' }, { a: 'x' }, true],
  ['all: other value', { a: 'x' }, { a: 'y' }, false],
  ['all: missing header', { a: 'x' }, { b: 'x' }, false],
  ['all: empty headers', { a: 'x' }, {}, false],
  ['all: no headers', { a: 'x' }, undefined, false],
  ['all: extra headers do not matter', { a: 'x' }, { a: 'x', b: 'y' }, true],
  ['all: every argument', { 'x-match': 'all', a: 'x', b: 'y' }, { a: 'x', b: 'y' }, true],
  ['all: one of two', { 'x-match': 'all', a: 'x', b: 'y' }, { a: 'x' }, false],
  ['all: one of two wrong', { 'x-match': 'all', a: 'x', b: 'y' }, { a: 'x', b: 'z' }, false],
  ['all: no arguments match no headers', {}, undefined, true],
  ['all: no arguments match empty headers', {}, {}, true],
  ['all: no arguments match any headers', { 'x-match': 'all' }, { z: 'z' }, true],
  ['all: x- arguments are ignored', { 'x-foo': 'bar' }, undefined, true],
  ['all: x- arguments are ignored even when the header differs', { 'x-foo': 'bar', a: 'x' }, { 'x-foo': 'baz', a: 'x' }, true],
  // RabbitMQ refuses bindings with these two (see headersBindingError); its matcher reads them as all.
  ['all: an x-match of another type means all', { 'x-match': num('I', 1), a: 'x' }, { a: 'x' }, true],
  ['all: an unknown x-match means all', { 'x-match': 'ALL', a: 'x', b: 'y' }, { a: 'x' }, false],
  // x-match any
  ['any: one of two', { 'x-match': 'any', a: 'x', b: 'y' }, { a: 'x' }, true],
  ['any: the other of two', { 'x-match': 'any', a: 'x', b: 'y' }, { a: 'no', b: 'y' }, true],
  ['any: none', { 'x-match': 'any', a: 'x', b: 'y' }, { a: 'no', b: 'no' }, false],
  ['any: no headers', { 'x-match': 'any', a: 'x' }, undefined, false],
  ['any: no arguments match nothing', { 'x-match': 'any' }, { a: 'x' }, false],
  ['any: no arguments, no headers', { 'x-match': 'any' }, undefined, false],
  ['any: x- arguments are ignored', { 'x-match': 'any', 'x-foo': 'bar' }, { 'x-foo': 'bar' }, false],
  // x-match all-with-x and any-with-x
  ['all-with-x: x- arguments count', { 'x-match': 'all-with-x', 'x-foo': 'bar' }, { 'x-foo': 'bar' }, true],
  ['all-with-x: x- argument missing', { 'x-match': 'all-with-x', 'x-foo': 'bar' }, { a: 'x' }, false],
  ['all-with-x: x- argument differs', { 'x-match': 'all-with-x', 'x-foo': 'bar', a: 'x' }, { 'x-foo': 'baz', a: 'x' }, false],
  ['all-with-x: x-match itself is never matched', { 'x-match': 'all-with-x' }, undefined, true],
  ['any-with-x: x- arguments count', { 'x-match': 'any-with-x', 'x-foo': 'bar', a: 'x' }, { 'x-foo': 'bar' }, true],
  ['any-with-x: x-match itself is never matched', { 'x-match': 'any-with-x' }, { 'x-match': 'any-with-x' }, false],
  // void arguments: presence only
  ['void: any value', { a: null }, { a: 'whatever' }, true],
  ['void: a void header', { a: null }, { a: null }, true],
  ['void: a number', { a: null }, { a: num('l', 5) }, true],
  ['void: missing', { a: null }, { b: 'x' }, false],
  ['void: no headers', { a: null }, undefined, false],
  ['void under any', { 'x-match': 'any', a: null, b: 'x' }, { a: true }, true],
  ['a void header equals no value', { a: 'x' }, { a: null }, false],
  // numbers compare by value whatever their width
  ['signedint 1 = long 1', { a: num('I', 1) }, { a: num('l', 1) }, true],
  ['long 1 = double 1.0', { a: num('l', 1) }, { a: num('d', 1) }, true],
  ['byte 1 = timestamp 1', { a: num('b', 1) }, { a: num('T', 1) }, true],
  ['unsignedbyte 200 = short 200', { a: num('B', 200) }, { a: num('s', 200) }, true],
  ['unsignedint = long', { a: num('i', 4294967295) }, { a: num('l', 4294967295) }, true],
  ['float 1.5 = double 1.5', { a: num('f', 1.5) }, { a: num('d', 1.5) }, true],
  ['float 0.1 is not double 0.1', { a: num('f', Math.fround(0.1)) }, { a: num('d', 0.1) }, false],
  ['-1 = -1.0', { a: num('s', -1) }, { a: num('f', -1) }, true],
  ['0 = -0.0', { a: num('I', 0) }, { a: num('d', -0) }, true],
  ['1 is not 2', { a: num('I', 1) }, { a: num('I', 2) }, false],
  ['long 2^60 as bigint = double 2^60', { a: num('l', 2n ** 60n) }, { a: num('d', 2 ** 60) }, true],
  ['double 2^60 = long 2^60 as bigint', { a: num('d', 2 ** 60) }, { a: num('l', 2n ** 60n) }, true],
  ['long 2^53 + 1 is not double 2^53', { a: num('l', 2n ** 53n + 1n) }, { a: num('d', 2 ** 53) }, false],
  ['double 2^53 is not long 2^53 + 1', { a: num('d', 2 ** 53) }, { a: num('l', 2n ** 53n + 1n) }, false],
  ['bigint long = bigint timestamp', { a: num('l', 2n ** 63n - 1n) }, { a: num('T', 2n ** 63n - 1n) }, true],
  ['bigint long = number long', { a: num('l', 5n) }, { a: num('l', 5) }, true],
  ['NaN is one value', { a: num('d', NaN) }, { a: num('f', NaN) }, true],
  ['NaN is not a number', { a: num('d', NaN) }, { a: num('d', 0) }, false],
  ['a number is not its text', { a: num('I', 1) }, { a: '1' }, false],
  ['text is not a number', { a: '1' }, { a: num('I', 1) }, false],
  ['true is not 1', { a: true }, { a: num('b', 1) }, false],
  // text and bytes compare by bytes
  ['longstr = longstr', { a: 'wörld ☃' }, { a: 'wörld ☃' }, true],
  ['longstr = byte array', { a: 'abc' }, { a: Buffer.from('abc') }, true],
  ['byte array = longstr', { a: Buffer.from('abc') }, { a: 'abc' }, true],
  ['byte array = byte array', { a: Buffer.from([1, 2]) }, { a: Buffer.from([1, 2]) }, true],
  ['not UTF-8: byte array = longstr', { a: notUtf8 }, { a: { type: 'S', value: Buffer.from(notUtf8) } }, true],
  ['not UTF-8: longstr = byte array', { a: { type: 'S', value: notUtf8 } }, { a: Buffer.from(notUtf8) }, true],
  ['not UTF-8: different bytes', { a: notUtf8 }, { a: Buffer.from([0xff]) }, false],
  ['empty longstr', { a: '' }, { a: '' }, true],
  ['empty longstr is not void', { a: '' }, { a: null }, false],
  ['case matters', { a: 'X' }, { a: 'x' }, false],
  // booleans, decimals
  ['true = true', { a: true }, { a: true }, true],
  ['false is not true', { a: false }, { a: true }, false],
  ['decimal = decimal', { a: { type: 'D', scale: 2, value: 100 } }, { a: { type: 'D', scale: 2, value: 100 } }, true],
  ['decimal 1.00 is not 1.0', { a: { type: 'D', scale: 2, value: 100 } }, { a: { type: 'D', scale: 1, value: 10 } }, false],
  ['decimal is not its number', { a: { type: 'D', scale: 0, value: 1 } }, { a: num('I', 1) }, false],
  // tables and arrays: in order, with types
  ['table = table', { a: table({ k: 'v', n: num('I', 1) }) }, { a: table({ k: 'v', n: num('I', 1) }) }, true],
  ['table in another order', { a: table({ k: 'v', n: num('I', 1) }) }, { a: table({ n: num('I', 1), k: 'v' }) }, false],
  ['table: nested types matter', { a: table({ n: num('I', 1) }) }, { a: table({ n: num('l', 1) }) }, false],
  ['table: nested longstr is not byte array', { a: table({ k: 'v' }) }, { a: table({ k: Buffer.from('v') }) }, false],
  ['table: nested not-UTF-8 longstr', { a: table({ k: { type: 'S', value: notUtf8 } }) }, { a: table({ k: { type: 'S', value: notUtf8 } }) }, true],
  ['array = array', { a: ['x', num('I', 1), [true]] }, { a: ['x', num('I', 1), [true]] }, true],
  ['array: nested types matter', { a: [num('I', 1)] }, { a: [num('l', 1)] }, false],
  ['array: order matters', { a: ['x', 'y'] }, { a: ['y', 'x'] }, false],
  ['empty table = empty array', { a: table() }, { a: [] }, true],
  ['empty array = empty table', { a: [] }, { a: table() }, true],
  ['a table is not an array', { a: table({ k: 'v' }) }, { a: ['v'] }, false],
];

describe('headers routing', () => {
  it.each(CASES)('%s', (_what, args, headers, expected) => {
    expect(matches(table(args), headers && table(headers))).toBe(expected);
    expect(referenceMatch(table(args), headers && table(headers))).toBe(expected);
  });

  it('routes each destination once, whichever bindings match', () => {
    const t = new HeadersTable<string>();
    t.bind('q1', '', table({ a: 'x' }));
    t.bind('q1', '', table({ 'x-match': 'any', b: 'y', c: null }));
    t.bind('q1', 'other key', table({ a: 'x' }));
    t.bind('q2', '', table({ a: 'x', b: 'y' }));
    t.bind('q3', '', table());
    t.bind('q4', '', table({ 'x-match': 'any' }));
    expect(routed(t, '', table({ a: 'x', b: 'y', c: true }))).toEqual(['q1', 'q2', 'q3']);
    expect(routed(t, '', table({ a: 'x' }))).toEqual(['q1', 'q3']);
    expect(routed(t, '', undefined)).toEqual(['q3']);
  });

  it('counts the arguments of an all binding per message, not across messages', () => {
    const t = new HeadersTable<string>();
    t.bind('q', '', table({ a: 'x', b: num('I', 2), c: null, d: table({ k: 'v' }) }));
    expect(routed(t, '', table({ a: 'x', b: num('l', 2) }))).toEqual([]);
    expect(routed(t, '', table({ c: 'y', d: table({ k: 'v' }) }))).toEqual([]);
    expect(routed(t, '', table({ a: 'x', b: num('d', 2), c: 'y', d: table({ k: 'v' }) }))).toEqual(['q']);
    expect(routed(t, '', table({ a: 'x', b: num('d', 2), c: 'y', d: table({ k: 'w' }) }))).toEqual([]);
  });

  it('ignores the routing key', () => {
    const t = new HeadersTable<string>();
    t.bind('q', 'bound.key', table({ a: 'x' }));
    expect(routed(t, 'another.key', table({ a: 'x' }))).toEqual(['q']);
  });

  it('routes headers decoded by the AMQP codec', () => {
    const headers = decoded(
      table({ n: num('l', 42), big: num('l', -(2n ** 63n)), s: 'wörld', bytes: Buffer.from('abc'), f: num('f', 0.5) }),
    );
    const t = new HeadersTable<string>();
    t.bind('numbers', '', table({ n: num('I', 42), big: num('l', -(2n ** 63n)), f: num('d', 0.5) }));
    t.bind('text', '', table({ s: Buffer.from('wörld'), bytes: 'abc' }));
    t.bind('other', '', table({ n: num('I', 43) }));
    expect(routed(t, '', headers)).toEqual(['numbers', 'text']);
  });

  it('agrees with the reference on thousands of random bindings and messages', () => {
    const next = random(42);
    const names = ['a', 'b', 'c', 'x-a', 'x-match'];
    const values: FieldValue[] = [
      'v', 'w', '1', Buffer.from('v'), notUtf8, null, true, num('I', 1), num('d', 1), num('l', 2n ** 60n),
      num('d', 2 ** 60), num('f', 0.5), { type: 'D', scale: 1, value: 5 }, table({ k: 'v' }), [], table(),
    ];
    const modes = [undefined, 'all', 'any', 'all-with-x', 'any-with-x', 'other'];
    const randomTable = (size: number, withMode: boolean) => {
      const t = new Map<string, FieldValue>();
      const mode = pick(next, modes);
      if (withMode && mode !== undefined) t.set('x-match', mode);
      for (let i = 0; i < size; i++) {
        const name = pick(next, names);
        if (name !== 'x-match') t.set(name, pick(next, values));
      }
      return t;
    };
    const t = new HeadersTable<number>();
    const bindings: FieldTable[] = [];
    for (let i = 0; i < 300; i++) {
      bindings.push(randomTable(Math.floor(next() * 4), true));
      t.bind(i, '', bindings[i]);
    }
    const check = (bound: (i: number) => boolean) => {
      for (let n = 0; n < 2000; n++) {
        const headers = next() < 0.1 ? undefined : randomTable(Math.floor(next() * 5), false);
        const expected = bindings.flatMap((args, i) => (bound(i) && referenceMatch(args, headers) ? [i] : []));
        expect(routed(t, '', headers)).toEqual(expected);
      }
    };
    check(() => true);
    for (let i = 0; i < 300; i += 3) expect(t.unbind(i, '', bindings[i])).toBe(true);
    check((i) => i % 3 !== 0);
  });
});

describe('headers bindings', () => {
  it('identifies a binding by destination, key and arguments in any order', () => {
    const t = new HeadersTable<string>();
    expect(t.bind('q', '', table({ a: 'x', b: 'y' }))).toBe(true);
    expect(t.bind('q', '', table({ b: 'y', a: 'x' }))).toBe(false);
    expect(t.bind('q', 'k', table({ a: 'x', b: 'y' }))).toBe(true);
    expect(t.bind('q', '', table({ a: 'x', b: Buffer.from('y') }))).toBe(true);
    expect(t.bind('q2', '', table({ a: 'x', b: 'y' }))).toBe(true);
    expect(t.size).toBe(4);
    expect(t.unbind('q', '', table({ a: 'x' }))).toBe(false);
    expect(t.unbind('q', '', table({ b: 'y', a: 'x' }))).toBe(true);
    expect(t.unbind('q', '', table({ b: 'y', a: 'x' }))).toBe(false);
    expect(t.size).toBe(3);
    expect(routed(t, '', table({ a: 'x', b: 'y' }))).toEqual(['q', 'q2']);
  });

  it('leaves no index behind after unbind and unbindAll', () => {
    const t = new HeadersTable<string>();
    const argsList = [
      table(),
      table({ 'x-match': 'any' }),
      table({ a: 'x', b: null }),
      table({ 'x-match': 'any-with-x', 'x-a': num('I', 1), c: notUtf8 }),
      table({ 'x-match': 'all', d: table({ k: 'v' }), e: num('l', 2n ** 62n + 1n) }),
    ];
    for (const args of argsList) {
      t.bind('gone', '', args);
      t.bind('kept', '', args);
    }
    // a (the anchor of the first all binding), x-a and c (any), d (the second all binding's anchor)
    expect(t.headerCount).toBe(4);
    expect(t.unbindAll('gone')).toBe(argsList.length);
    expect(t.unbindAll('gone')).toBe(0);
    expect(routed(t, '', table({ a: 'x', b: true }))).toEqual(['kept']);
    for (const args of argsList) expect(t.unbind('kept', '', args)).toBe(true);
    expect(t.size).toBe(0);
    expect(t.headerCount).toBe(0);
    expect(routed(t, '', table({ a: 'x', b: true }))).toEqual([]);
    expect(routed(t, '', undefined)).toEqual([]);
  });
});

describe('headersBindingError', () => {
  it('accepts the four x-match modes, or none', () => {
    for (const mode of ['all', 'any', 'all-with-x', 'any-with-x']) expect(headersBindingError(table({ 'x-match': mode }))).toBe(null);
    expect(headersBindingError(table({ a: 'b' }))).toBe(null);
  });

  it('refuses any other x-match with RabbitMQ words', () => {
    expect(headersBindingError(table({ 'x-match': 'ALL' }))).toBe(
      'Invalid x-match field value <<"ALL">>; expected all, any, all-with-x, or any-with-x',
    );
    expect(headersBindingError(table({ 'x-match': num('l', 1) }))).toBe(
      'Invalid x-match field type long (value 1); expected longstr',
    );
    expect(headersBindingError(table({ 'x-match': Buffer.from('all') }))).toBe(
      'Invalid x-match field type binary (value <<"all">>); expected longstr',
    );
    expect(headersBindingError(table({ 'x-match': true }))).toBe(
      'Invalid x-match field type bool (value true); expected longstr',
    );
    expect(headersBindingError(table({ 'x-match': num('d', 1) }))).toBe(
      'Invalid x-match field type double (value 1.0); expected longstr',
    );
  });
});

/** RabbitMQ's rule, one binding at a time, as rabbit_exchange_type_headers states it. */
function referenceMatch(args: FieldTable, headers: FieldTable | undefined): boolean {
  const mode = args.get('x-match');
  const any = mode === 'any' || mode === 'any-with-x';
  const withX = mode === 'all-with-x' || mode === 'any-with-x';
  let all = true;
  let some = false;
  for (const [name, expected] of args) {
    if (name === 'x-match' || (!withX && name.startsWith('x-'))) continue;
    const actual = headers?.get(name);
    const ok = actual !== undefined && (expected === null || equalValues(expected, actual));
    all &&= ok;
    some ||= ok;
  }
  return any ? some : all;
}

function decoded(headers: FieldTable): FieldTable {
  const b = Buffer.alloc(tableSize(headers));
  writeTable(b, 0, headers);
  return readTable(b, 4, b.length);
}
