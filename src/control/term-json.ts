// How Erlang-shaped values (for `environment` and other term-valued replies) travel as JSON:
// a plain string is a binary, and the kinds JSON cannot tell apart carry a one-key tag.
// The node builds these with the helpers below; the CLI turns them into printable terms.

export type TermJson =
  | null
  | number
  | boolean
  | string
  | TermJson[]
  | { $atom: string }
  | { $str: string }
  | { $float: number }
  | { $tuple: TermJson[] }
  | { $map: Array<[TermJson, TermJson]> };

export const tAtom = (name: string): TermJson => ({ $atom: name });
export const tStr = (text: string): TermJson => ({ $str: text });
export const tFloat = (value: number): TermJson => ({ $float: value });
export const tTuple = (...items: TermJson[]): TermJson => ({ $tuple: items });
export const tMap = (entries: Array<[TermJson, TermJson]>): TermJson => ({ $map: entries });

/** A proplist with atom keys: [{key, value}, ...]. */
export function tProplist(entries: Array<[string, TermJson]>): TermJson {
  return entries.map(([k, v]) => tTuple(tAtom(k), v));
}
