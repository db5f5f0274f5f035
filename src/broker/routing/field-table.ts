// Field tables as the routing tables see them, and how RabbitMQ compares two of them when it asks
// whether a binding already exists.
//
// The types have the shape of the AMQP codec's (src/amqp/table.ts), so a table decoded from a
// client passes straight in; they are declared here so that routing does not depend on the codec.
//
// RabbitMQ 3.10 decodes every value to a {Type, Value} pair (rabbit_binary_parser) and identifies
// a binding by (source, key, destination, args) with args sorted by key at the top level only
// (rabbit_binding:add). Two bindings are the same when those terms are identical, so:
//  - the top-level entries of two argument tables may come in any order;
//  - values must have the same type ({long, 1} is not {signedint, 1}) and equal values;
//  - nested tables keep their order, as RabbitMQ does not sort them.
// The headers exchange compares a binding argument with a message header more loosely; see
// headers.ts.

export type FieldTable = Map<string, FieldValue>;

export type FieldValue = boolean | string | null | Buffer | FieldTable | FieldValue[] | TypedValue;

export type TypedValue =
  | { readonly type: 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'f' | 'd'; readonly value: number }
  | { readonly type: 'l' | 'T'; readonly value: number | bigint }
  | { readonly type: 'D'; readonly scale: number; readonly value: number }
  // A longstr that is not UTF-8 keeps its bytes.
  | { readonly type: 'S'; readonly value: Buffer };

/** The empty argument table, for bindings that have none; never modified. */
export const NO_ARGUMENTS: FieldTable = new Map();

/** Whether two argument tables identify the same binding: same keys, each with the same value. */
export function sameArguments(a: FieldTable, b: FieldTable): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    const other = b.get(key);
    if (other === undefined || !sameFieldValue(value, other)) return false;
  }
  return true;
}

/** Erlang term equality of the decoded values: the same type and an equal value. */
export function sameFieldValue(a: FieldValue, b: FieldValue): boolean {
  return wireType(a) === wireType(b) && equalValues(a, b);
}

/**
 * Erlang's `==` on the value halves of two decoded values, their types dropped: numbers of any
 * width compare by value (1 == 1.0), longstrs and byte arrays by their bytes, decimals by scale
 * and digits, tables and arrays element by element in order, each element with its type.
 */
export function equalValues(a: FieldValue, b: FieldValue): boolean {
  const kind = kindOf(a);
  if (kind !== kindOf(b)) {
    // A table decodes to a list of {Key, Type, Value} and an array to a list of {Type, Value}:
    // they can only be equal when both are the empty list.
    return isList(kind) && isList(kindOf(b)) && listLength(a) === 0 && listLength(b) === 0;
  }
  switch (kind) {
    case Kind.Number:
      return sameNumber((a as NumberValue).value, (b as NumberValue).value);
    case Kind.Binary:
      return typeof a === 'string' && typeof b === 'string' ? a === b : bytesOf(a).equals(bytesOf(b));
    case Kind.Decimal:
      return (a as DecimalValue).scale === (b as DecimalValue).scale && (a as DecimalValue).value === (b as DecimalValue).value;
    case Kind.Table:
      return sameTablesInOrder(a as FieldTable, b as FieldTable);
    case Kind.Array:
      return sameArraysInOrder(a as FieldValue[], b as FieldValue[]);
    default:
      return a === b; // booleans and void
  }
}

type NumberValue = Extract<TypedValue, { value: number | bigint }>;
type DecimalValue = Extract<TypedValue, { type: 'D' }>;

const enum Kind {
  Boolean,
  Void,
  Binary,
  Number,
  Decimal,
  Table,
  Array,
}

function kindOf(v: FieldValue): Kind {
  switch (typeof v) {
    case 'boolean':
      return Kind.Boolean;
    case 'string':
      return Kind.Binary;
  }
  if (v === null) return Kind.Void;
  if (v instanceof Map) return Kind.Table;
  if (Array.isArray(v)) return Kind.Array;
  if (Buffer.isBuffer(v)) return Kind.Binary;
  if (v.type === 'S') return Kind.Binary;
  return v.type === 'D' ? Kind.Decimal : Kind.Number;
}

/** The AMQP type tag, which maps one to one onto RabbitMQ's type atoms. */
function wireType(v: FieldValue): string {
  switch (typeof v) {
    case 'boolean':
      return 't';
    case 'string':
      return 'S';
  }
  if (v === null) return 'V';
  if (v instanceof Map) return 'F';
  if (Array.isArray(v)) return 'A';
  if (Buffer.isBuffer(v)) return 'x';
  return v.type;
}

function sameNumber(a: number | bigint, b: number | bigint): boolean {
  // `==` on number | bigint compares exactly, as Erlang does (2^53 + 1 is not 2^53 as a float).
  // RabbitMQ cannot decode a NaN at all; here NaN is one value, so a binding holding it can be
  // found again to be removed.
  return a == b || (a !== a && b !== b);
}

function isList(kind: Kind): boolean {
  return kind === Kind.Table || kind === Kind.Array;
}

function listLength(v: FieldValue): number {
  return v instanceof Map ? v.size : (v as FieldValue[]).length;
}

function bytesOf(v: FieldValue): Buffer {
  if (typeof v === 'string') return Buffer.from(v);
  return Buffer.isBuffer(v) ? v : (v as { value: Buffer }).value;
}

function sameTablesInOrder(a: FieldTable, b: FieldTable): boolean {
  if (a.size !== b.size) return false;
  const other = b.entries();
  for (const [key, value] of a) {
    const [otherKey, otherValue] = other.next().value as [string, FieldValue];
    if (key !== otherKey || !sameFieldValue(value, otherValue)) return false;
  }
  return true;
}

function sameArraysInOrder(a: FieldValue[], b: FieldValue[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameFieldValue(a[i], b[i])) return false;
  return true;
}
