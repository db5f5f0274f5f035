// Elixir's `inspect` for the few terms rabbitmqctl shows that way (raw error terms): numbers,
// strings, atoms, lists, tuples and maps.

import { ABSENT, Atom, Charlist, ErlMap, Float, Pid, Tuple, type Term } from '../term.js';
import { formatErlangFlat } from './erlang.js';

export function elixirInspect(term: Term): string {
  if (term === ABSENT) return ':""';
  if (typeof term === 'string') return JSON.stringify(term);
  if (typeof term === 'number' || typeof term === 'boolean') return String(term);
  if (term instanceof Atom) return /^[A-Za-z_][A-Za-z0-9_@]*[?!]?$/.test(term.name) ? `:${term.name}` : `:${JSON.stringify(term.name)}`;
  if (term instanceof Float) return formatErlangFlat(term);
  if (term instanceof Charlist) return `'${term.text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
  if (term instanceof Pid) return formatErlangFlat(term);
  if (Array.isArray(term)) return `[${term.map(elixirInspect).join(', ')}]`;
  if (term instanceof Tuple) return `{${term.items.map(elixirInspect).join(', ')}}`;
  return `%{${(term as ErlMap).entries.map(([k, v]) => `${elixirInspect(k)} => ${elixirInspect(v)}`).join(', ')}}`;
}
