// Turning the node's tagged JSON values (control/term-json.ts) into printable terms, and
// Erlang-shaped terms into the JSON rabbitmqctl prints (proplists become objects).

import type { TermJson } from '../control/term-json.js';
import { ABSENT, Atom, Charlist, ErlMap, Float, Tuple, type Term } from './term.js';

export function termFromJson(value: TermJson): Term {
  if (value === null) return ABSENT;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(termFromJson);
  if ('$atom' in value) return new Atom(value.$atom);
  if ('$str' in value) return new Charlist(value.$str);
  if ('$float' in value) return new Float(value.$float);
  if ('$tuple' in value) return new Tuple(value.$tuple.map(termFromJson));
  return new ErlMap(value.$map.map(([k, v]) => [termFromJson(k), termFromJson(v)]));
}

function isProplist(term: Term[]): term is Tuple[] {
  return term.length > 0 && term.every((t) => t instanceof Tuple && t.items.length === 2 && t.items[0] instanceof Atom);
}

export function jsonFromTerm(term: Term): unknown {
  if (term === ABSENT) return '';
  if (typeof term === 'number' || typeof term === 'boolean' || typeof term === 'string') return term;
  if (term instanceof Atom) return term.name;
  if (term instanceof Charlist) return term.text;
  if (term instanceof Float) return term.value;
  if (Array.isArray(term)) {
    if (!isProplist(term)) return term.map(jsonFromTerm);
    return Object.fromEntries(term.map((t) => [(t.items[0] as Atom).name, jsonFromTerm(t.items[1])]));
  }
  if (term instanceof Tuple) return term.items.map(jsonFromTerm);
  if (term instanceof ErlMap) return Object.fromEntries(term.entries.map(([k, v]) => [String(jsonFromTerm(k)), jsonFromTerm(v)]));
  return String(term);
}

/** JSON as RabbitMQ re-encodes a decoded document: compact, object keys sorted (Erlang maps). */
export function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
