// Field tables as JSON for the metadata journal: typed numbers keep their type, bigints and
// byte arrays survive, so a queue's arguments come back from disk exactly as declared.

import type { FieldTable, FieldValue } from '../amqp/table.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function valueToJson(v: FieldValue): Json {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return { $bytes: v.toString('base64') };
  if (v instanceof Map) return { $table: tableToJson(v) };
  if (Array.isArray(v)) return { $array: v.map(valueToJson) };
  if (v.type === 'S') return { $S: v.value.toString('base64') };
  if (v.type === 'D') return { $D: [v.scale, v.value] };
  return { [`$${v.type}`]: typeof v.value === 'bigint' ? `${v.value}n` : v.value };
}

export function tableToJson(t: FieldTable): Array<[string, Json]> {
  return [...t].map(([k, v]) => [k, valueToJson(v)]);
}

export function valueFromJson(j: Json): FieldValue {
  if (j === null || typeof j === 'boolean' || typeof j === 'string') return j;
  if (typeof j === 'number' || Array.isArray(j)) throw new Error('malformed table value in metadata');
  const [tag, raw] = Object.entries(j)[0];
  switch (tag) {
    case '$bytes':
      return Buffer.from(raw as string, 'base64');
    case '$table':
      return tableFromJson(raw as Array<[string, Json]>);
    case '$array':
      return (raw as Json[]).map(valueFromJson);
    case '$S':
      return { type: 'S', value: Buffer.from(raw as string, 'base64') };
    case '$D': {
      const [scale, value] = raw as [number, number];
      return { type: 'D', scale, value };
    }
    default: {
      const type = tag.slice(1) as 'b' | 'B' | 's' | 'u' | 'I' | 'i' | 'f' | 'd';
      if (typeof raw === 'string' && raw.endsWith('n')) return { type: type as 'l', value: BigInt(raw.slice(0, -1)) };
      return { type, value: raw as number };
    }
  }
}

export function tableFromJson(j: Array<[string, Json]>): FieldTable {
  return new Map(j.map(([k, v]) => [k, valueFromJson(v)]));
}
