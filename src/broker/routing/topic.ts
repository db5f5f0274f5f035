// The topic exchange's routing table: a trie over the words of binding keys, matched as a set of
// active nodes so that patterns with many `#` cost time linear in the routing key, and a cache of
// the destinations of recent routing keys.
//
// Semantics, as RabbitMQ 3.10 (rabbit_exchange_type_topic) has them:
//  - keys and patterns split on every '.'; words may be empty ("a..b" is "a", "", "b", and "." is
//    two empty words), but the empty key has no words at all: "#" matches it, "*" does not;
//  - in a pattern the word `*` matches exactly one word and `#` zero or more; any other word,
//    "a*" or "#b" too, matches itself only;
//  - a routing key's words are plain text: a word `*` in a routing key is the word "*".
// RabbitMQ walks its trie with backtracking, which is exponential in the number of `#` in a
// pattern; here every node reached after the same number of words is visited once per word.

import type { FieldTable } from './field-table.js';
import { KeyedRoutingTable } from './routing-table.js';

class TrieNode<D> {
  /** Children reached by a literal word. */
  words: Map<string, TrieNode<D>> | null = null;
  star: TrieNode<D> | null = null;
  hash: TrieNode<D> | null = null;
  /** The destinations whose binding key ends at this node. */
  dests: Set<D> | null = null;
  /** The last matching step that made this node active (see TopicTable.match). */
  mark = 0;
  /** A node reached by `#` may consume any number of further words and stay where it is. */
  readonly loops: boolean;

  constructor(
    readonly parent: TrieNode<D> | null,
    readonly word: string,
  ) {
    this.loops = word === '#';
  }

  child(word: string): TrieNode<D> | null {
    if (word === '*') return this.star;
    if (word === '#') return this.hash;
    return this.words?.get(word) ?? null;
  }

  isEmpty(): boolean {
    return this.dests === null && this.words === null && this.star === null && this.hash === null;
  }
}

/** How many routing keys a table remembers the destinations of; beyond that it starts afresh. */
export const ROUTE_CACHE_SIZE = 1024;

const NOWHERE: readonly never[] = [];

export class TopicTable<D> extends KeyedRoutingTable<D> {
  private readonly root = new TrieNode<D>(null, '');
  private nodes = 0;
  /**
   * The destinations of routing keys seen since the bindings last changed. Traffic mostly repeats
   * a few keys, and a cached key costs one Map lookup instead of a walk through the trie.
   */
  private readonly cache = new Map<string, readonly D[]>();
  /** Numbers the steps of matching; a node is active in a step when its mark equals the step's. */
  private step = 0;
  // The active nodes before and after a word, and the destinations found, reused from one match
  // to the next.
  private current: TrieNode<D>[] = [];
  private next: TrieNode<D>[] = [];
  private readonly found = new Set<D>();

  /** Trie nodes besides the root (for tests and diagnostics: unbinding must prune them). */
  get nodeCount(): number {
    return this.nodes;
  }

  /** Routing keys whose destinations are cached (for tests and diagnostics). */
  get cachedKeys(): number {
    return this.cache.size;
  }

  route(routingKey: string, _headers: FieldTable | undefined, out: Set<D>): void {
    let dests = this.cache.get(routingKey);
    if (dests === undefined) {
      dests = this.match(routingKey);
      // Starting afresh costs less than tracking which key was used last, and a key that is
      // still in use comes back at its next message.
      if (this.cache.size === ROUTE_CACHE_SIZE) this.cache.clear();
      this.cache.set(routingKey, dests);
    }
    for (let i = 0; i < dests.length; i++) out.add(dests[i]);
  }

  private match(routingKey: string): readonly D[] {
    let current = this.current;
    let next = this.next;
    let active = activate(current, 0, this.root, ++this.step);
    if (routingKey.length > 0) {
      let start = 0;
      for (;;) {
        const dot = routingKey.indexOf('.', start);
        const word = routingKey.slice(start, dot < 0 ? routingKey.length : dot);
        const step = ++this.step;
        let reached = 0;
        for (let i = 0; i < active; i++) {
          const node = current[i];
          if (node.loops) reached = activate(next, reached, node, step);
          const literal = node.words?.get(word);
          if (literal !== undefined) reached = activate(next, reached, literal, step);
          if (node.star !== null) reached = activate(next, reached, node.star, step);
        }
        if (reached === 0) return NOWHERE;
        active = reached;
        const swap = current;
        current = next;
        next = swap;
        if (dot < 0) break;
        start = dot + 1;
      }
    }
    // Usually one pattern matches; several may share destinations, and only then is a Set needed.
    let first: Set<D> | null = null;
    const found = this.found;
    for (let i = 0; i < active; i++) {
      const dests = current[i].dests;
      if (dests === null) continue;
      if (first === null) first = dests;
      else {
        if (found.size === 0) for (const d of first) found.add(d);
        for (const d of dests) found.add(d);
      }
    }
    if (first === null) return NOWHERE;
    const all = found.size === 0 ? first : found;
    const result = new Array<D>(all.size);
    let n = 0;
    for (const d of all) result[n++] = d;
    found.clear();
    return result;
  }

  protected index(dest: D, key: string): void {
    this.cache.clear();
    let node = this.root;
    for (const word of splitKey(key)) {
      let child = node.child(word);
      if (child === null) {
        child = new TrieNode(node, word);
        if (word === '*') node.star = child;
        else if (word === '#') node.hash = child;
        else (node.words ??= new Map()).set(word, child);
        this.nodes++;
      }
      node = child;
    }
    (node.dests ??= new Set()).add(dest);
  }

  protected unindex(dest: D, key: string): void {
    this.cache.clear();
    let node = this.root;
    for (const word of splitKey(key)) node = node.child(word)!;
    node.dests!.delete(dest);
    if (node.dests!.size === 0) node.dests = null;
    this.prune(node);
  }

  /** Removes node and its ancestors for as long as they lead to no binding. */
  private prune(node: TrieNode<D>): void {
    let pruned = false;
    for (let parent = node.parent; parent !== null && node.isEmpty(); node = parent, parent = node.parent) {
      if (node.word === '*') parent.star = null;
      else if (node.word === '#') parent.hash = null;
      else {
        parent.words!.delete(node.word);
        if (parent.words!.size === 0) parent.words = null;
      }
      this.nodes--;
      pruned = true;
    }
    if (pruned) {
      // The scratch lists would otherwise keep removed nodes alive until overwritten.
      this.current = [];
      this.next = [];
    }
  }
}

/** Adds node to the active list unless it is already there, and with it the `#` below it, since
 * `#` may match no word at all. Returns the new length of the list. */
function activate<D>(list: TrieNode<D>[], length: number, node: TrieNode<D>, step: number): number {
  for (let n: TrieNode<D> | null = node; n !== null && n.mark !== step; n = n.hash) {
    n.mark = step;
    list[length++] = n;
  }
  return length;
}

function splitKey(key: string): string[] {
  return key.length === 0 ? [] : key.split('.');
}
