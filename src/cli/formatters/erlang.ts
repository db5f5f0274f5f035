// Erlang term printing: renders a Term the way rabbitmqctl's Erlang formatter shows it, which is
// `io_lib:format("~p", [Term])` on Erlang/OTP 25 (its `io_lib_pretty` layout at line width 80).
//
// This module owns three things:
//   - the text of each leaf value (atoms with Erlang's quoting, binaries and strings with its
//     escapes and printability rules, floats in Erlang's shortest form, pids as remote pids);
//   - the order in which map keys are printed (Erlang's term order, as small maps iterate);
//   - the line-breaking layout of containers, decision for decision the same as io_lib_pretty's.
//
// The layout works on a pre-rendered tree (`Node`) that knows the one-line width of every
// subterm, the way io_lib_pretty measures the whole term before deciding where to break.

import { ABSENT, Atom, Charlist, ErlMap, Float, Pid, Tuple, type Term } from '../term.js';

export interface ErlangFormatOptions {
  /** Characters already on the line before the term starts; continuation lines indent past it. */
  column?: number;
  /** Line width the layout tries to stay within (Erlang's default for ~p is 80). */
  width?: number;
  /** The node number shown as the first part of a pid, `<N.id.serial>`. */
  pidNode?: (pid: Pid) => number;
}

/**
 * Numbers pids' nodes the way a CLI node does: each node gets the next number when it is first
 * seen. 12571 is what captured rabbitmqctl output most often shows for the node it talks to.
 */
export function pidNodeNumbering(first = 12571): (pid: Pid) => number {
  const numbers = new Map<string, number>();
  return (pid) => {
    let n = numbers.get(pid.node);
    if (n === undefined) {
      n = first + numbers.size;
      numbers.set(pid.node, n);
    }
    return n;
  };
}

// One numbering for the whole process, as in the Erlang VM: a node keeps its number across calls.
const processPidNode = pidNodeNumbering();

/** The term as `~p` prints it, with no trailing newline. */
export function formatErlangTerm(term: Term, opts: ErlangFormatOptions = {}): string {
  const node = toNode(term, opts.pidNode ?? processPidNode);
  // io_lib_pretty counts columns from 1; `column` counts the characters before the term.
  const col = (opts.column ?? 0) + 1;
  return new Layout(opts.width ?? 80, node.len).print(node, col);
}

/** The term on one line: what `~p` prints when it fits, whatever its length. */
export function formatErlangFlat(term: Term, opts: Pick<ErlangFormatOptions, 'pidNode'> = {}): string {
  return flat(toNode(term, opts.pidNode ?? processPidNode));
}

// ---------------------------------------------------------------------------------------------
// The measured tree

/**
 * A leaf is printed as its text and may share a line with its neighbours. Containers (and
 * binaries that print as byte lists) are "not atomic": even when one fits on a line, the
 * element after it starts a new line — io_lib_pretty's rule that keeps nested structures apart.
 */
type Node =
  | { kind: 'leaf'; text: string; len: number }
  | { kind: 'bytes'; bytes: string[]; len: number }
  | { kind: 'list'; items: Node[]; len: number }
  | { kind: 'tuple'; items: Node[]; tagged: boolean; len: number }
  | { kind: 'map'; pairs: Pair[]; len: number };

interface Pair {
  key: Node;
  value: Node;
  len: number;
}

const leaf = (text: string): Node => ({ kind: 'leaf', text, len: text.length });

/** Container width: brackets plus elements plus the commas between them. */
const spanLen = (open: number, items: Array<{ len: number }>): number =>
  items.reduce((sum, item) => sum + item.len, open + 1 + Math.max(0, items.length - 1));

function toNode(term: Term, pidNode: (pid: Pid) => number): Node {
  const sub = (t: Term): Node => toNode(t, pidNode);
  if (typeof term === 'string') return binaryNode(term);
  // A number is an integer in the model; one with a fraction can only be shown as a float.
  if (typeof term === 'number') return leaf(Number.isInteger(term) ? String(term) : floatText(term));
  if (isAtom(term)) return leaf(atomText(atomName(term)));
  if (term instanceof Float) return leaf(floatText(term.value));
  if (term instanceof Charlist) return charlistNode(term.text);
  if (term instanceof Pid) return leaf(`<${pidNode(term)}.${term.id}.${term.serial}>`);
  if (Array.isArray(term)) {
    if (term.length === 0) return leaf('[]');
    const items = term.map(sub);
    return { kind: 'list', items, len: spanLen(1, items) };
  }
  if (term instanceof Tuple) {
    if (term.items.length === 0) return leaf('{}');
    const items = term.items.map(sub);
    const tagged = items.length > 1 && isAtom(term.items[0]!);
    return { kind: 'tuple', items, tagged, len: spanLen(1, items) };
  }
  if (term.entries.length === 0) return leaf('#{}');
  const pairs = [...term.entries]
    .sort(([a], [b]) => compareTerms(a, b))
    .map(([k, v]): Pair => {
      const key = sub(k);
      const value = sub(v);
      return { key, value, len: key.len + 4 + value.len };
    });
  return { kind: 'map', pairs, len: spanLen(2, pairs) };
}

type AtomLike = Atom | boolean | typeof ABSENT;

const isAtom = (t: Term): t is AtomLike => typeof t === 'boolean' || t === ABSENT || t instanceof Atom;

const atomName = (t: AtomLike): string =>
  t === ABSENT ? '' : typeof t === 'boolean' ? String(t) : t.name;

// ---------------------------------------------------------------------------------------------
// Leaf text

const RESERVED = new Set(
  ('after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if let not ' +
    'of or orelse receive rem try when xor').split(' '),
);

// Latin-1 letters count as letters in unquoted atoms; × and ÷ do not.
const isLower = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c <= 0xff && c !== 0xf7);
const isNameChar = (c: number) =>
  isLower(c) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0xc0 && c <= 0xde && c !== 0xd7) ||
  (c >= 0x30 && c <= 0x39) ||
  c === 0x5f ||
  c === 0x40;

function atomText(name: string): string {
  const codes = [...name].map((ch) => ch.codePointAt(0)!);
  const bare = codes.length > 0 && isLower(codes[0]!) && codes.every(isNameChar) && !RESERVED.has(name);
  return bare ? name : quoted(codes, "'");
}

const NAMED_ESCAPES: Record<number, string> = {
  0x0a: 'n', 0x0d: 'r', 0x09: 't', 0x0b: 'v', 0x08: 'b', 0x0c: 'f', 0x1b: 'e', 0x7f: 'd',
};

function quoted(codes: number[], quote: string): string {
  let out = quote;
  for (const c of codes) {
    const ch = String.fromCodePoint(c);
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff)) out += ch;
    else if (c > 0xff) out += `\\x{${c.toString(16).toUpperCase()}}`;
    else if (NAMED_ESCAPES[c] !== undefined) out += '\\' + NAMED_ESCAPES[c];
    else out += '\\' + c.toString(8).padStart(3, '0');
  }
  return out + quote;
}

/** ~p shows a list or binary as text only when every character is printable Latin-1. */
const isPrintable = (c: number) =>
  (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || (c >= 0x08 && c <= 0x0d) || c === 0x1b;

/**
 * A binary holds the UTF-8 bytes of the string. `~p` (not `~tp`) judges and prints them one byte
 * per character, so non-ASCII text shows as Latin-1 characters, or as a byte list when some byte
 * is not printable.
 */
function binaryNode(text: string): Node {
  if (text === '') return leaf('<<>>');
  const bytes = [...Buffer.from(text, 'utf8')];
  if (bytes.every(isPrintable)) return leaf(`<<${quoted(bytes, '"')}>>`);
  const parts = bytes.map(String);
  return { kind: 'bytes', bytes: parts, len: 4 + parts.join(',').length };
}

function charlistNode(text: string): Node {
  const codes = [...text].map((ch) => ch.codePointAt(0)!);
  if (codes.length === 0) return leaf('[]');
  if (codes.every(isPrintable)) return leaf(quoted(codes, '"'));
  const items = codes.map((c) => leaf(String(c)));
  return { kind: 'list', items, len: spanLen(1, items) };
}

/**
 * Erlang prints the shortest digits that read back as the same float (as JS finds them), always
 * with a fraction part, choosing between plain and exponent notation by where the last digit
 * falls — the ranges of OTP's float_to_list(F, [short]). Integral values from 2^53 up always
 * take the exponent form, since plain digits there would suggest more precision than they have.
 */
function floatText(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`Erlang has no float ${value}`);
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const [mantissa, exp] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const sciExp = Number(exp);
  const last = sciExp - digits.length + 1; // the power of ten of the last digit
  const [lower, upper] = digits.length === 1 ? [-4, 2] : [-(digits.length + 2), sciExp >= 10 ? 2 : 1];
  if (last < lower || last > upper || Math.abs(value) >= 2 ** 53) {
    return `${sign}${digits[0]}.${digits.slice(1) || '0'}e${sciExp}`;
  }
  const whole = digits.length + last;
  if (last >= 0) return `${sign}${digits}${'0'.repeat(last)}.0`;
  if (whole > 0) return `${sign}${digits.slice(0, whole)}.${digits.slice(whole)}`;
  return `${sign}0.${'0'.repeat(-whole)}${digits}`;
}

// ---------------------------------------------------------------------------------------------
// Map key order: Erlang's term order (number < atom < pid < tuple < map < [] < list < binary),
// in the exact form maps use, where every integer sorts before every float. Pids order by
// serial, then number, then node.

function termRank(t: Term): number {
  if (typeof t === 'number' || t instanceof Float) return 0;
  if (isAtom(t)) return 1;
  if (t instanceof Pid) return 2;
  if (t instanceof Tuple) return 3;
  if (t instanceof ErlMap) return 4;
  if (typeof t === 'string') return 7;
  return listItems(t).length === 0 ? 5 : 6;
}

const listItems = (t: Term[] | Charlist): Term[] =>
  t instanceof Charlist ? [...t.text].map((ch) => ch.codePointAt(0)!) : t;

const cmp = <T extends number | string>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);

function compareSeq(a: Term[], b: Term[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareTerms(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return cmp(a.length, b.length);
}

function compareTerms(a: Term, b: Term): number {
  const rank = cmp(termRank(a), termRank(b));
  if (rank !== 0) return rank;
  if (typeof a === 'number' || a instanceof Float) {
    const value = (t: Term) => (t instanceof Float ? t.value : (t as number));
    return cmp(Number.isInteger(a) ? 0 : 1, Number.isInteger(b) ? 0 : 1) || cmp(value(a), value(b));
  }
  if (isAtom(a)) return compareCodePoints(atomName(a), atomName(b as AtomLike));
  if (a instanceof Pid) {
    const p = b as Pid;
    const byNumbers = cmp(a.serial, p.serial) || cmp(a.id, p.id);
    return byNumbers || compareCodePoints(a.node, p.node) || cmp(a.creation, p.creation);
  }
  if (a instanceof Tuple) {
    const t = b as Tuple;
    return cmp(a.items.length, t.items.length) || compareSeq(a.items, t.items);
  }
  if (a instanceof ErlMap) {
    const sorted = (m: ErlMap) => [...m.entries].sort(([x], [y]) => compareTerms(x, y));
    const [x, y] = [sorted(a), sorted(b as ErlMap)];
    return (
      cmp(x.length, y.length) ||
      compareSeq(x.map(([k]) => k), y.map(([k]) => k)) ||
      compareSeq(x.map(([, v]) => v), y.map(([, v]) => v))
    );
  }
  if (typeof a === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b as string, 'utf8'));
  return compareSeq(listItems(a as Term[] | Charlist), listItems(b as Term[] | Charlist));
}

const compareCodePoints = (a: string, b: string): number =>
  compareSeq([...a].map((ch) => ch.codePointAt(0)!), [...b].map((ch) => ch.codePointAt(0)!));

// ---------------------------------------------------------------------------------------------
// One-line form

function flat(node: Node): string {
  switch (node.kind) {
    case 'leaf':
      return node.text;
    case 'bytes':
      return `<<${node.bytes.join(',')}>>`;
    case 'list':
      return `[${node.items.map(flat).join(',')}]`;
    case 'tuple':
      return `{${node.items.map(flat).join(',')}}`;
    case 'map':
      return `#{${node.pairs.map(flatPair).join(',')}}`;
  }
}

const flatPair = (p: Pair): string => `${flat(p.key)} => ${flat(p.value)}`;

const isLeaf = (n: Node): boolean => n.kind === 'leaf';
const isLeafPair = (p: Pair): boolean => isLeaf(p.key) && isLeaf(p.value);

// ---------------------------------------------------------------------------------------------
// Layout
//
// Names follow io_lib_pretty's state: `col` is the 1-based column where output continues, `ind`
// the indentation (in spaces) of continuation lines, `w` how much of the current line this term
// has used so far, and `ld` how many closing brackets must still fit after the current element.
// `max` is the length of the whole term on one line, which bounds how much may share a line.
// Widths returned by the element helpers are `width` (the line length) to force the next
// element onto a new line.

class Layout {
  // Indentation for the elements after a tuple's leading atom, chosen once per term.
  private tagIndent = -1;

  constructor(
    private readonly width: number,
    private readonly max: number,
  ) {}

  print(node: Node, col: number): string {
    if (node.len < this.width - col) return flat(node);
    // Prefer a tag followed by its first element on the same line (-1); when that pushes some
    // tuple's elements past half the line, put long tags' elements on the next line 4 in, and
    // failing that, 1 in.
    this.tagIndent = [-1, 4].find((t) => this.check(t, node, col)) ?? 1;
    return this.pp(node, col, col - 1, 0, 0);
  }

  private fits(len: number, col: number, ld: number, w: number): boolean {
    return len < this.width - col - ld && len + w + ld <= this.max;
  }

  /**
   * Walks the elements after a container's first: a leaf (or a pair of leaves) stays on the
   * current line when it fits there with its comma, or with the closing brackets if it is last;
   * anything else starts a new line at `col0`, and `onNewLine` lays it out and returns the width
   * it took (`width` when the next element must not follow it on that line).
   */
  private walkTail<T extends Node | Pair>(
    items: T[],
    col0: number,
    col: number,
    ld: number,
    w: number,
    isLeaf: (item: T) => boolean,
    onLine: (item: T) => void,
    onNewLine: (item: T, ld: number) => number,
  ): void {
    items.forEach((item, i) => {
      const ld1 = i === items.length - 1 ? ld + 1 : 0;
      const len = item.len + 1;
      const tail = Math.max(ld1, 1);
      if (isLeaf(item) && len + tail < this.width - col && w + len + tail <= this.max) {
        onLine(item);
        col += len;
        w += len;
      } else {
        const used = onNewLine(item, ld1);
        col = col0 + used;
        w = used;
      }
    });
  }

  private pp(node: Node, col: number, ind: number, ld: number, w: number): string {
    if (this.fits(node.len, col, ld, w)) return flat(node);
    switch (node.kind) {
      case 'leaf':
        return node.text;
      case 'bytes':
        return this.ppBytes(node.bytes, col + 2, ind + 2, ld, w);
      case 'list':
        return `[${this.ppList(node.items, col + 1, ind + 1, ld, w + 1)}]`;
      case 'tuple':
        return node.tagged
          ? `{${this.ppTagged(node.items, col, ind, ld, w + 1)}}`
          : `{${this.ppList(node.items, col + 1, ind + 1, ld, w + 1)}}`;
      case 'map':
        // io_lib_pretty counts only one of the two opening characters in `w` here.
        return `#{${this.ppMap(node.pairs, col + 2, ind + 2, ld, w + 1)}}`;
    }
  }

  private ppTagged(items: Node[], col: number, ind: number, ld: number, w: number): string {
    const [tag, ...rest] = items as [Node, ...Node[]];
    const tagCol = col + tag.len + 2;
    if (this.tagIndent > 0 && tag.len + 2 > this.tagIndent) {
      const indented = col + this.tagIndent;
      return flat(tag) + this.ppTail(rest, indented, tagCol, ind + this.tagIndent, ld, w + tag.len);
    }
    return `${flat(tag)},${this.ppList(rest, tagCol, ind + tag.len + 2, ld, w + tag.len + 1)}`;
  }

  private ppList(items: Node[], col0: number, ind: number, ld: number, w: number): string {
    const [first, ...rest] = items as [Node, ...Node[]];
    const [text, used] = this.ppElement(first, col0, ind, lastDepth(rest, ld), w);
    return text + this.ppTail(rest, col0, col0 + used, ind, ld, w + used);
  }

  private ppTail(items: Node[], col0: number, col: number, ind: number, ld: number, w: number): string {
    let out = '';
    this.walkTail(items, col0, col, ld, w, isLeaf, (node) => (out += ',' + flat(node)), (node, ld1) => {
      const [text, used] = this.ppElement(node, col0, ind, ld1, 0);
      out += `,\n${' '.repeat(ind)}${text}`;
      return used;
    });
    return out;
  }

  private ppElement(node: Node, col: number, ind: number, ld: number, w: number): [string, number] {
    if (node.kind === 'leaf' && this.fits(node.len, col, ld, w)) return [node.text, node.len];
    return [this.pp(node, col, ind, ld, w), this.width];
  }

  private ppMap(pairs: Pair[], col0: number, ind: number, ld: number, w: number): string {
    const [first, ...rest] = pairs as [Pair, ...Pair[]];
    let [out, used] = this.ppPair(first, col0, ind, lastDepth(rest, ld), w);
    // Unlike lists, the first pair's width replaces what the line had before it.
    const onLine = (pair: Pair) => (out += ',' + flatPair(pair));
    this.walkTail(rest, col0, col0 + used, ld, used, isLeafPair, onLine, (pair, ld1) => {
      const [text, pairUsed] = this.ppPair(pair, col0, ind, ld1, 0);
      out += `,\n${' '.repeat(ind)}${text}`;
      return pairUsed;
    });
    return out;
  }

  private ppPair(pair: Pair, col: number, ind: number, ld: number, w: number): [string, number] {
    if (this.fits(pair.len, col, ld, w)) return [flatPair(pair), isLeafPair(pair) ? pair.len : this.width];
    const valueIndent = mapValueIndent(this.tagIndent);
    const key = this.pp(pair.key, col, ind, ld, w);
    const value = this.pp(pair.value, col + valueIndent, ind + valueIndent, ld, 0);
    return [`${key} =>\n${' '.repeat(ind + valueIndent)}${value}`, this.width];
  }

  /** A byte list fills lines up to the margin, wrapping after a comma. */
  private ppBytes(bytes: string[], col: number, ind: number, ld: number, w: number): string {
    const room = Math.max(8, Math.min(this.width - col, this.max - 4 - w) - ld);
    const newline = '\n' + ' '.repeat(ind);
    let left = room;
    let out = '<<';
    bytes.forEach((b, i) => {
      if (i === bytes.length - 1) {
        out += b.length > left ? newline + b : b;
        return;
      }
      const len = b.length + 1;
      if (left - len < 0) {
        out += `${newline}${b},`;
        left = room - len;
      } else {
        out += `${b},`;
        left -= len;
      }
    });
    return out + '>>';
  }

  // --- Choosing the tag indentation --------------------------------------------------------
  //
  // A dry run of the layout with a candidate tag indentation `t`, which fails when a tagged
  // tuple would put its elements beyond half the line (unless the whole term fits after them).
  // It follows the layout above except for two ways io_lib_pretty counts `w` (noted below).

  private check(t: number, node: Node, col: number): boolean {
    try {
      this.dryRun(t, node, col, 0, 0);
      return true;
    } catch (e) {
      if (e === TOO_DEEP) return false;
      throw e;
    }
  }

  private dryRun(t: number, node: Node, col: number, ld: number, w: number): void {
    if (this.fits(node.len, col, ld, w)) return;
    if (node.kind === 'list') this.dryList(t, node.items, col + 1, ld, w + 1);
    else if (node.kind === 'tuple' && !node.tagged) this.dryList(t, node.items, col + 1, ld, w + 1);
    else if (node.kind === 'tuple') this.dryTagged(t, node.items, col, ld, w + 1);
    // Both opening characters count here.
    else if (node.kind === 'map') this.dryMap(t, node.pairs, col + 2, ld, w + 2);
  }

  private dryTagged(t: number, items: Node[], col: number, ld: number, w: number): void {
    const [tag, ...rest] = items as [Node, ...Node[]];
    const tagCol = col + tag.len + 2;
    const half = Math.floor(this.width / 2);
    if (t > 0 && tag.len + 2 > t) {
      if (!(this.max + col + t <= this.width || col + t <= half)) throw TOO_DEEP;
      return this.dryTail(t, rest, col + t, tagCol, ld, w + tag.len);
    }
    // Strictly less than here, where the indented case above allows equality.
    if (!(this.max + tagCol < this.width || tagCol < half)) throw TOO_DEEP;
    this.dryList(t, rest, tagCol, ld, w + tag.len + 1);
  }

  private dryList(t: number, items: Node[], col0: number, ld: number, w: number): void {
    const [first, ...rest] = items as [Node, ...Node[]];
    const used = this.dryElement(t, first, col0, lastDepth(rest, ld), w);
    this.dryTail(t, rest, col0, col0 + used, ld, w + used);
  }

  private dryTail(t: number, items: Node[], col0: number, col: number, ld: number, w: number): void {
    const onNewLine = (node: Node, ld1: number) => this.dryElement(t, node, col0, ld1, 0);
    this.walkTail(items, col0, col, ld, w, isLeaf, () => {}, onNewLine);
  }

  private dryElement(t: number, node: Node, col: number, ld: number, w: number): number {
    if (node.kind === 'leaf' && this.fits(node.len, col, ld, w)) return node.len;
    this.dryRun(t, node, col, ld, w);
    return this.width;
  }

  private dryMap(t: number, pairs: Pair[], col0: number, ld: number, w: number): void {
    const [first, ...rest] = pairs as [Pair, ...Pair[]];
    const used = this.dryPair(t, first, col0, lastDepth(rest, ld), w);
    // The first pair's width adds to the line's here.
    const onNewLine = (pair: Pair, ld1: number) => this.dryPair(t, pair, col0, ld1, 0);
    this.walkTail(rest, col0, col0 + used, ld, w + used, isLeafPair, () => {}, onNewLine);
  }

  private dryPair(t: number, pair: Pair, col: number, ld: number, w: number): number {
    if (this.fits(pair.len, col, ld, w)) return isLeafPair(pair) ? pair.len : this.width;
    this.dryRun(t, pair.key, col, ld, w);
    this.dryRun(t, pair.value, col + mapValueIndent(t), ld, 0);
    return this.width;
  }
}

const TOO_DEEP = Symbol('too deep');

/** A map value that goes on its own line is indented like a long tag's elements, else by 4. */
const mapValueIndent = (tagIndent: number): number => (tagIndent > 0 ? tagIndent : 4);

const lastDepth = (rest: unknown[], ld: number): number => (rest.length > 0 ? 0 : ld + 1);
