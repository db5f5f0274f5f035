// set_vhost_limits' definition, read as RabbitMQ reads it: a JSON object whose values must be
// integers (1 is one, 1.0 is not, so numbers keep the form they were written in), with only the
// known keys. Failures carry the offending values as Erlang-shaped terms (control/term-json.ts)
// so the CLI can print them the way RabbitMQ's validation does.

import { ControlError } from '../control/errors.js';
import { tAtom, tFloat, tMap, type TermJson } from '../control/term-json.js';
import type { VhostLimits } from '../broker/metadata.js';

/** The keys in the order RabbitMQ validates (and reports) them. */
const KNOWN: Array<keyof VhostLimits> = ['max-queues', 'max-connections'];

export class BadJson extends Error {}

/** A JSON text as terms: integers as numbers, other numbers as floats, null as the atom null. */
export function parseJson(text: string): TermJson {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw new BadJson();
  };
  const literal = (word: string, value: TermJson): TermJson => {
    if (!text.startsWith(word, i)) fail();
    i += word.length;
    return value;
  };
  const value = (): TermJson => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: Array<[TermJson, TermJson]> = [];
      ws();
      if (text[i] === '}') {
        i++;
        return tMap(entries);
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const key = value();
        ws();
        if (text[i++] !== ':') fail();
        entries.push([key, value()]);
        ws();
        const sep = text[i++];
        if (sep === '}') return tMap(entries);
        if (sep !== ',') fail();
      }
    }
    if (c === '[') {
      i++;
      const items: TermJson[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return items;
      }
      for (;;) {
        items.push(value());
        ws();
        const sep = text[i++];
        if (sep === ']') return items;
        if (sep !== ',') fail();
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(i));
      if (!m) fail();
      i += m![0].length;
      return JSON.parse(m![0]) as string;
    }
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', tAtom('null'));
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
    const n = Number(m![0]);
    return m![2] === undefined && m![3] === undefined ? n : tFloat(n);
  };
  const v = value();
  ws();
  if (i !== text.length) fail();
  return v;
}

/** The limits a definition sets, or a ControlError with RabbitMQ's reason. */
export function parseLimits(definition: string): VhostLimits {
  let parsed: TermJson;
  try {
    parsed = parseJson(definition);
  } catch {
    throw new ControlError('json_decoding_error', 'JSON decoding error. Reason: badarg');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !('$map' in parsed)) {
    throw new ControlError('badmap', 'not a JSON object', { value: parsed });
  }
  const entries = new Map(parsed.$map.map(([k, v]) => [k as string, v]));
  const unknown = [...entries].filter(([k]) => !KNOWN.includes(k as keyof VhostLimits)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const invalid = KNOWN.filter((k) => entries.has(k) && !Number.isInteger(entries.get(k))).map((k) => [k, entries.get(k)]);
  if (unknown.length > 0 || invalid.length > 0) {
    throw new ControlError('validation_failed', 'Validation failed', { unknown, invalid });
  }
  const limits: VhostLimits = {};
  for (const k of KNOWN) if (entries.has(k)) limits[k] = entries.get(k) as number;
  return limits;
}

/** Limits as RabbitMQ shows them: compact JSON with the keys in order. */
export function limitsJson(limits: VhostLimits): string {
  return JSON.stringify(Object.fromEntries(Object.entries(limits).sort(([a], [b]) => (a < b ? -1 : 1))));
}
