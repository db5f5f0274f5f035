// How one value looks in a table cell, a pretty_table cell and JSON, following rabbitmqctl:
// pids as <node.creation.id.serial> in tables and "#PID<n.id.serial>" in JSON, lists as
// "[a, b]", IP address tuples as dotted text, AMQP tables (queue arguments, client properties)
// as [{"key",value}], absent values as empty cells or "".

import { ABSENT, Atom, Charlist, ErlMap, Float, Pid, Tuple, type Term } from '../term.js';
import { formatErlangFlat, formatErlangTerm } from './erlang.js';

/** The table formatter's text for a value (rabbitmqctl's Table.format_info_item). */
export function tableCell(term: Term): string {
  if (term === ABSENT) return '';
  if (typeof term === 'string') return term;
  if (typeof term === 'number' || typeof term === 'boolean') return String(term);
  if (term instanceof Atom) return term.name;
  if (term instanceof Charlist) return term.text;
  if (term instanceof Float) return formatErlangFlat(term);
  if (term instanceof Pid) return `<${term.node}.${term.creation}.${term.id}.${term.serial}>`;
  if (Array.isArray(term)) return listCell(term);
  if (term instanceof Tuple) return tupleCell(term);
  return formatErlangFlat(term);
}

function listCell(list: Term[]): string {
  if (list.length === 0) return '[]';
  if (isAmqpTable(list)) return formatErlangFlat(prettifyTable(list));
  const first = list[0];
  // A list of numbers is printed as a term (~tp), every other list element by element.
  if (typeof first === 'number' || first instanceof Float) return formatErlangFlat(list);
  return `[${list.map(listItem).join(', ')}]`;
}

/** Inside a list, a tuple keyed by a string prints compactly with its strings quoted: {"k","v"}. */
function listItem(term: Term): string {
  if (term instanceof Tuple && typeof term.items[0] === 'string') return nested(term);
  return term instanceof ErlMap ? nested(term) : tableCell(term);
}

function nested(term: Term): string {
  if (typeof term === 'string') return JSON.stringify(term);
  if (term instanceof Tuple) return `{${term.items.map(nested).join(',')}}`;
  if (Array.isArray(term)) return `[${term.map(nested).join(',')}]`;
  if (term instanceof ErlMap) return formatErlangFlat(term);
  return tableCell(term);
}

function tupleCell(t: Tuple): string {
  const ints = t.items.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0);
  if (ints && t.items.length === 4 && t.items.every((x) => (x as number) <= 0xff)) return t.items.join('.');
  if (ints && t.items.length === 8 && t.items.every((x) => (x as number) <= 0xffff)) return ipv6Text(t.items as number[]);
  if (t.items.length === 2) return `{${formatErlangFlat(t.items[0])}, ${tableCell(t.items[1])}}`;
  return formatErlangFlat(t);
}

/** inet:ntoa for IPv6: an IPv4-mapped address as dotted text, else the longest zero run as "::". */
export function ipv6Text(g: number[]): string {
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return [g[6] >> 8, g[6] & 0xff, g[7] >> 8, g[7] & 0xff].join('.');
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** An AMQP table term: [{<<"key">>, type, value}]. */
function isAmqpTable(list: Term[]): boolean {
  const first = list[0];
  return first instanceof Tuple && first.items.length === 3 && typeof first.items[0] === 'string' && first.items[1] instanceof Atom;
}

/** rabbitmqctl's prettify_amqp_table: {"key", value}, with strings as strings and types dropped. */
function prettifyTable(list: Term[]): Term {
  return list.map((entry) => {
    const [key, type, value] = (entry as Tuple).items;
    return new Tuple([new Charlist(key as string), prettifyValue((type as Atom).name, value)]);
  });
}

function prettifyValue(type: string, value: Term): Term {
  if (type === 'longstr' && typeof value === 'string') return new Charlist(value);
  if (type === 'table' && Array.isArray(value)) return prettifyTable(value);
  if (type === 'array' && Array.isArray(value)) {
    return value.map((item) => {
      const [t, v] = (item as Tuple).items;
      return prettifyValue((t as Atom).name, v);
    });
  }
  return value;
}

/**
 * The pretty_table formatter's text for a value (stdout_formatter's paragraph rules): atoms and
 * strings as text, integers in decimal, floats with six decimals, lists as their elements
 * concatenated, and anything else (pids, tuples) as `~p` prints it.
 */
export function prettyCell(term: Term): string {
  if (term === ABSENT) return '';
  if (typeof term === 'string') return term;
  if (typeof term === 'number' || typeof term === 'boolean') return String(term);
  if (term instanceof Atom) return term.name;
  if (term instanceof Charlist) return term.text;
  if (term instanceof Float) return term.value.toFixed(6);
  if (Array.isArray(term)) return term.map(prettyCell).join('');
  return formatErlangTerm(term);
}

/** The CLI-local number rabbitmqctl shows for a remote node's pids in JSON and Erlang output. */
export function pidNodeNumber(node: string, seen: Map<string, number>): number {
  let n = seen.get(node);
  if (n === undefined) {
    n = 12571 + seen.size;
    seen.set(node, n);
  }
  return n;
}

/** A list of {atom, value} pairs, which rabbitmqctl's JSON encoder writes as an object. */
function isProplist(list: Term[]): list is Tuple[] {
  return list.length > 0 && list.every((t) => t instanceof Tuple && t.items.length === 2 && t.items[0] instanceof Atom);
}

export function jsonValue(term: Term, pids: Map<string, number> = new Map()): unknown {
  if (term === ABSENT) return '';
  if (typeof term === 'string' || typeof term === 'number' || typeof term === 'boolean') return term;
  if (term instanceof Atom) return term.name;
  if (term instanceof Charlist) return term.text;
  if (term instanceof Float) return term.value;
  if (term instanceof Pid) return `#PID<${pidNodeNumber(term.node, pids)}.${term.id}.${term.serial}>`;
  if (Array.isArray(term)) {
    if (!isProplist(term)) return term.map((t) => jsonValue(t, pids));
    return Object.fromEntries(term.map((t) => [(t.items[0] as Atom).name, jsonValue(t.items[1], pids)]));
  }
  if (term instanceof Tuple) return term.items.map((t) => jsonValue(t, pids));
  const obj: Record<string, unknown> = {};
  for (const [k, v] of term.entries) obj[String(jsonValue(k, pids))] = jsonValue(v, pids);
  return obj;
}

/** A value as JSON text, with floats written as rabbitmqctl writes them (1.0, not 1). */
export function jsonText(term: Term, pids: Map<string, number> = new Map()): string {
  if (term instanceof Float) return Number.isFinite(term.value) ? formatErlangFlat(term) : 'null';
  const text = (t: Term) => jsonText(t, pids);
  if (Array.isArray(term)) {
    if (!isProplist(term)) return `[${term.map(text).join(',')}]`;
    return `{${term.map((t) => `${JSON.stringify((t.items[0] as Atom).name)}:${text(t.items[1])}`).join(',')}}`;
  }
  if (term instanceof Tuple) return `[${term.items.map(text).join(',')}]`;
  if (term instanceof ErlMap) {
    return `{${term.entries.map(([k, v]) => `${JSON.stringify(String(jsonValue(k, pids)))}:${text(v)}`).join(',')}}`;
  }
  return JSON.stringify(jsonValue(term, pids));
}
