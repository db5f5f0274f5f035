// The value model that every formatter renders: a small mirror of the Erlang terms that
// rabbitmqctl prints, so that one piece of data can be shown as a table cell, as JSON and as an
// Erlang term without each command knowing the formatters' rules.
//
// A plain JS string is an Erlang binary (<<"x">>), a JS number an integer, a boolean the atom
// true/false and an array a list. Everything else has a class of its own.

export class Atom {
  constructor(readonly name: string) {}
}

/** An Erlang string (a list of character codes), printed "like this". */
export class Charlist {
  constructor(readonly text: string) {}
}

export class Float {
  constructor(readonly value: number) {}
}

export class Tuple {
  constructor(readonly items: Term[]) {}
}

export class ErlMap {
  constructor(readonly entries: Array<[Term, Term]>) {}
}

/** A process id: node name, node incarnation ("creation"), process number and serial. */
export class Pid {
  constructor(
    readonly node: string,
    readonly creation: number,
    readonly id: number,
    readonly serial: number,
  ) {}
}

/** A value that is not there: an empty table cell, "" in JSON, '' in Erlang. */
export const ABSENT: unique symbol = Symbol('absent');

export type Term =
  | number
  | boolean
  | string
  | Atom
  | Charlist
  | Float
  | Tuple
  | ErlMap
  | Pid
  | typeof ABSENT
  | Term[];

/** One row of a list_* command: column name and value, in the order asked for. */
export type Row = Array<[string, Term]>;

export const atom = (name: string): Atom => new Atom(name);
export const charlist = (text: string): Charlist => new Charlist(text);
export const tuple = (...items: Term[]): Tuple => new Tuple(items);
export const float = (value: number): Float => new Float(value);
