// The headers exchange's routing table: bindings match on the message's headers, not its routing
// key, and are indexed by header name and value so that routing costs what the message's headers
// hit, not what the exchange holds.
//
// Semantics, as RabbitMQ 3.10 has them (rabbit_exchange_type_headers):
//  - `x-match` is `all` (also when absent), `any`, `all-with-x` or `any-with-x`; a binding with
//    any other x-match is refused (headersBindingError). The binding's arguments other than
//    `x-match` are matched against the headers, except that plain `all` and `any` skip those
//    whose name starts with `x-`;
//  - an argument matches when the message has a header of that name and either the argument is
//    void (then only presence counts, whatever the header's value) or the two values are equal;
//  - `all` needs every argument to match, so a binding with none matches every message, with or
//    without headers; `any` needs one, so a binding with none matches nothing;
//  - equality is Erlang's `==` on the decoded values with their types dropped (`PV == DV`):
//    numbers of any width compare by value (long 1 == double 1.0 == timestamp 1), a longstr equals
//    a byte array with the same bytes, booleans equal only booleans, a void header equals no
//    argument, decimals need the same scale and digits, and nested tables and arrays must be equal
//    element by element in order, types included; an empty table equals an empty array (both are
//    the empty list to Erlang). See equalValues in field-table.ts.
// A binding is still identified by (destination, key, arguments), the key being ignored for
// routing.

import { isUtf8 } from 'node:buffer';
import { equalValues, sameArguments, type FieldTable, type FieldValue } from './field-table.js';
import type { RoutingTable } from './routing-table.js';

// How a binding is found: an `any` binding is indexed under every argument it matches on, and
// one matching argument routes. An `all` binding is indexed under one argument only, its
// anchor (preferably one indexed by value, so few messages reach it), and a message that
// matches the anchor is then checked against the rest.

interface HeadersBinding<D> {
  readonly dest: D;
  readonly key: string;
  readonly args: FieldTable;
  /** `any` or `any-with-x`: one matching argument is enough. */
  readonly any: boolean;
  /** The arguments that are matched against headers. */
  readonly tests: readonly ArgumentTest<D>[];
}

/** One argument of a binding, filed in its header's index under `slot` when indexed. */
interface ArgumentTest<D> {
  readonly binding: HeadersBinding<D>;
  readonly header: string;
  readonly value: FieldValue;
  readonly slot: Slot;
}

type Slot =
  | { readonly list: 'present' }
  | { readonly list: 'other' }
  // A value's text or number: a JS Map keeps "1" and 1 apart, as RabbitMQ keeps <<"1">> and 1.
  | { readonly list: 'byValue'; readonly key: string | number };

/** The indexed arguments on one header name, filed so that a header's value finds its equals by lookup. */
class HeaderIndex<D> {
  /** Void arguments: the header only has to be there. */
  readonly present: ArgumentTest<D>[] = [];
  /** Longstr and byte-array arguments that are UTF-8, by their text, and numeric arguments that a
   * JS number holds exactly, by their value. */
  readonly byValue = new Map<string | number, ArgumentTest<D>[]>();
  /** Everything else, compared one by one. */
  readonly other: ArgumentTest<D>[] = [];
  size = 0;
}

export class HeadersTable<D> implements RoutingTable<D> {
  private readonly byDest = new Map<D, HeadersBinding<D>[]>();
  private readonly byHeader = new Map<string, HeaderIndex<D>>();
  /** Destinations of `all` bindings without arguments to match, and how many such bindings each has. */
  private readonly matchEverything = new Map<D, number>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** How many header names have arguments indexed on them (for tests and diagnostics). */
  get headerCount(): number {
    return this.byHeader.size;
  }

  bind(dest: D, key: string, args: FieldTable): boolean {
    let bindings = this.byDest.get(dest);
    if (bindings?.some((b) => b.key === key && sameArguments(b.args, args))) return false;
    if (bindings === undefined) this.byDest.set(dest, (bindings = []));
    const binding = compile(dest, key, args);
    bindings.push(binding);
    if (binding.tests.length === 0) {
      if (!binding.any) this.matchEverything.set(dest, (this.matchEverything.get(dest) ?? 0) + 1);
    } else {
      for (const test of this.indexedTests(binding)) this.index(test);
    }
    this.count++;
    return true;
  }

  unbind(dest: D, key: string, args: FieldTable): boolean {
    const bindings = this.byDest.get(dest);
    const i = bindings === undefined ? -1 : bindings.findIndex((b) => b.key === key && sameArguments(b.args, args));
    if (i < 0) return false;
    this.forget(bindings![i]);
    bindings!.splice(i, 1);
    if (bindings!.length === 0) this.byDest.delete(dest);
    return true;
  }

  unbindAll(dest: D): number {
    const bindings = this.byDest.get(dest);
    if (bindings === undefined) return 0;
    for (const b of bindings) this.forget(b);
    this.byDest.delete(dest);
    return bindings.length;
  }

  route(_routingKey: string, headers: FieldTable | undefined, out: Set<D>): void {
    for (const d of this.matchEverything.keys()) out.add(d);
    if (headers === undefined || this.byHeader.size === 0) return;
    for (const [name, value] of headers) {
      const index = this.byHeader.get(name);
      if (index === undefined) continue;
      foundAll(index.present, headers, out);
      const equal = lookup(index, value);
      if (equal !== undefined) foundAll(equal, headers, out);
      for (const test of index.other) if (equalValues(test.value, value)) found(test, headers, out);
    }
  }

  /** The arguments a binding is indexed under: all of them for `any`, the anchor for `all`. */
  private indexedTests(binding: HeadersBinding<D>): readonly ArgumentTest<D>[] {
    if (binding.any) return binding.tests;
    return [binding.tests.find((t) => t.slot.list === 'byValue') ?? binding.tests[0]];
  }

  private forget(binding: HeadersBinding<D>): void {
    if (binding.tests.length === 0) {
      if (!binding.any) {
        const n = this.matchEverything.get(binding.dest)!;
        if (n === 1) this.matchEverything.delete(binding.dest);
        else this.matchEverything.set(binding.dest, n - 1);
      }
    } else {
      for (const test of this.indexedTests(binding)) this.unindex(test);
    }
    this.count--;
  }

  private index(test: ArgumentTest<D>): void {
    let index = this.byHeader.get(test.header);
    if (index === undefined) this.byHeader.set(test.header, (index = new HeaderIndex()));
    const { slot } = test;
    if (slot.list !== 'byValue') index[slot.list].push(test);
    else {
      const list = index.byValue.get(slot.key);
      if (list === undefined) index.byValue.set(slot.key, [test]);
      else list.push(test);
    }
    index.size++;
  }

  private unindex(test: ArgumentTest<D>): void {
    const index = this.byHeader.get(test.header)!;
    const { slot } = test;
    if (slot.list !== 'byValue') remove(index[slot.list], test);
    else {
      const list = index.byValue.get(slot.key)!;
      remove(list, test);
      if (list.length === 0) index.byValue.delete(slot.key);
    }
    if (--index.size === 0) this.byHeader.delete(test.header);
  }
}

/** Why RabbitMQ would refuse these arguments for a headers binding (406 PRECONDITION_FAILED), or null. */
export function headersBindingError(args: FieldTable): string | null {
  const xMatch = args.get('x-match');
  if (xMatch === undefined || (typeof xMatch === 'string' && MATCH_MODES.has(xMatch))) return null;
  const [type, value] = erlangTerm(xMatch);
  if (type === 'longstr') return `Invalid x-match field value ${value}; expected all, any, all-with-x, or any-with-x`;
  return `Invalid x-match field type ${type} (value ${value}); expected longstr`;
}

const MATCH_MODES = new Set(['all', 'any', 'all-with-x', 'any-with-x']);

function compile<D>(dest: D, key: string, args: FieldTable): HeadersBinding<D> {
  const xMatch = args.get('x-match');
  const any = xMatch === 'any' || xMatch === 'any-with-x';
  const withX = xMatch === 'all-with-x' || xMatch === 'any-with-x';
  const tests: ArgumentTest<D>[] = [];
  const binding: HeadersBinding<D> = { dest, key, args, any, tests };
  for (const [header, value] of args) {
    if (header === 'x-match' || (!withX && header.startsWith('x-'))) continue;
    tests.push({ binding, header, value, slot: slotOf(value) });
  }
  return binding;
}

function slotOf(value: FieldValue): Slot {
  if (value === null) return { list: 'present' };
  if (typeof value === 'string') return { list: 'byValue', key: value };
  if (Buffer.isBuffer(value)) return isUtf8(value) ? { list: 'byValue', key: value.toString() } : { list: 'other' };
  const n = exactNumber(value);
  return n === undefined ? { list: 'other' } : { list: 'byValue', key: n };
}

/** The value as a JS number, if it is numeric and a number holds it exactly. */
function exactNumber(value: FieldValue): number | undefined {
  if (typeof value !== 'object' || value === null || value instanceof Map || Array.isArray(value) || Buffer.isBuffer(value)) {
    return undefined;
  }
  if (value.type === 'D' || value.type === 'S') return undefined;
  const v = value.value;
  if (typeof v === 'number') return v;
  const n = Number(v);
  return BigInt(n) === v ? n : undefined;
}

/** The indexed arguments equal to a header's value. */
function lookup<D>(index: HeaderIndex<D>, value: FieldValue): ArgumentTest<D>[] | undefined {
  if (index.byValue.size === 0) return undefined;
  if (typeof value === 'string') return index.byValue.get(value);
  if (Buffer.isBuffer(value)) return isUtf8(value) ? index.byValue.get(value.toString()) : undefined;
  const n = exactNumber(value);
  return n === undefined ? undefined : index.byValue.get(n);
}

function foundAll<D>(tests: readonly ArgumentTest<D>[], headers: FieldTable, out: Set<D>): void {
  for (let i = 0; i < tests.length; i++) found(tests[i], headers, out);
}

/** The message matches this indexed argument: enough for `any`; `all` checks the others. */
function found<D>(test: ArgumentTest<D>, headers: FieldTable, out: Set<D>): void {
  const binding = test.binding;
  if (binding.any || matchesOthers(binding.tests, test, headers)) out.add(binding.dest);
}

function matchesOthers<D>(tests: readonly ArgumentTest<D>[], anchor: ArgumentTest<D>, headers: FieldTable): boolean {
  for (let i = 0; i < tests.length; i++) {
    const test = tests[i];
    if (test === anchor) continue;
    const value = headers.get(test.header);
    if (value === undefined) return false;
    if (test.value !== null && value !== test.value && !equalValues(test.value, value)) return false;
  }
  return true;
}

function remove<T>(list: T[], item: T): void {
  list.splice(list.indexOf(item), 1);
}

// RabbitMQ formats the offending x-match value with ~p. Strings, integers and booleans, the
// values a client plausibly sends, come out as RabbitMQ prints them; very large or small floats,
// tables and arrays only approximately.
function erlangTerm(value: FieldValue): [type: string, value: string] {
  if (typeof value === 'string') return ['longstr', erlangBinary(Buffer.from(value))];
  if (typeof value === 'boolean') return ['bool', String(value)];
  if (value === null) return ['void', 'undefined'];
  if (value instanceof Map) return ['table', '[...]'];
  if (Array.isArray(value)) return ['array', '[...]'];
  if (Buffer.isBuffer(value)) return ['binary', erlangBinary(value)];
  switch (value.type) {
    case 'S':
      return ['longstr', erlangBinary(value.value)];
    case 'D':
      return ['decimal', `{${value.scale},${value.value}}`];
    case 'f':
    case 'd':
      return [ERLANG_TYPES[value.type], erlangFloat(value.value)];
    default:
      return [ERLANG_TYPES[value.type], String(value.value)];
  }
}

function erlangBinary(bytes: Buffer): string {
  const printable = bytes.every((c) => c >= 0x20 && c < 0x7f);
  return printable ? `<<${JSON.stringify(bytes.toString('latin1'))}>>` : `<<${bytes.join(',')}>>`;
}

/** Erlang prints a float with a fraction (1.0); it turns to exponents earlier than JS does. */
function erlangFloat(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e16 ? n.toFixed(1) : String(n);
}

const ERLANG_TYPES = {
  b: 'byte',
  B: 'unsignedbyte',
  s: 'short',
  u: 'unsignedshort',
  I: 'signedint',
  i: 'unsignedint',
  l: 'long',
  f: 'float',
  d: 'double',
  T: 'timestamp',
} as const;
