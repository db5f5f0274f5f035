// How one value looks in a table cell and in JSON, following rabbitmqctl: pids as
// <node.creation.id.serial> in tables and "#PID<n.id.serial>" in JSON, lists as "[a, b]",
// absent values as empty cells or "".

import { ABSENT, Atom, Charlist, ErlMap, Float, Pid, Tuple, type Term } from '../term.js';
import { formatErlangFlat } from './erlang.js';

export function tableCell(term: Term): string {
  if (term === ABSENT) return '';
  if (typeof term === 'string') return term;
  if (typeof term === 'number' || typeof term === 'boolean') return String(term);
  if (term instanceof Atom) return term.name;
  if (term instanceof Charlist) return term.text;
  if (term instanceof Float) return formatErlangFlat(term);
  if (term instanceof Pid) return `<${term.node}.${term.creation}.${term.id}.${term.serial}>`;
  if (Array.isArray(term)) return `[${term.map(listItem).join(', ')}]`;
  if (term instanceof Tuple) return `{${term.items.map(tableCell).join(', ')}}`;
  return formatErlangFlat(term);
}

/** Inside a list, a tuple prints compactly with its strings quoted: {"x-queue-type","quorum"}. */
function listItem(term: Term): string {
  return term instanceof Tuple || term instanceof ErlMap ? nested(term) : tableCell(term);
}

function nested(term: Term): string {
  if (typeof term === 'string') return JSON.stringify(term);
  if (term instanceof Tuple) return `{${term.items.map(nested).join(',')}}`;
  if (Array.isArray(term)) return `[${term.map(nested).join(',')}]`;
  if (term instanceof ErlMap) return formatErlangFlat(term);
  return tableCell(term);
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

export function jsonValue(term: Term, pids: Map<string, number> = new Map()): unknown {
  if (term === ABSENT) return '';
  if (typeof term === 'string' || typeof term === 'number' || typeof term === 'boolean') return term;
  if (term instanceof Atom) return term.name;
  if (term instanceof Charlist) return term.text;
  if (term instanceof Float) return term.value;
  if (term instanceof Pid) return `#PID<${pidNodeNumber(term.node, pids)}.${term.id}.${term.serial}>`;
  if (Array.isArray(term)) return term.map((t) => jsonValue(t, pids));
  if (term instanceof Tuple) return term.items.map((t) => jsonValue(t, pids));
  const obj: Record<string, unknown> = {};
  for (const [k, v] of term.entries) obj[String(jsonValue(k, pids))] = jsonValue(v, pids);
  return obj;
}
