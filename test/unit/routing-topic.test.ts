import { describe, expect, it } from 'vitest';
import { NO_ARGUMENTS } from '../../src/broker/routing/field-table.js';
import { ROUTE_CACHE_SIZE, TopicTable } from '../../src/broker/routing/topic.js';
import { pick, random, routed, table } from './routing-helpers.js';

/** The reference: RabbitMQ's rules written as plainly as possible, memoised so `#` stays cheap. */
function referenceMatch(pattern: string, key: string): boolean {
  const p = words(pattern);
  const k = words(key);
  const memo = new Map<number, boolean>();
  const match = (i: number, j: number): boolean => {
    const id = i * 1000 + j;
    let result = memo.get(id);
    if (result !== undefined) return result;
    if (i === p.length) result = j === k.length;
    else if (p[i] === '#') result = match(i + 1, j) || (j < k.length && match(i, j + 1));
    else result = j < k.length && (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
    memo.set(id, result);
    return result;
  };
  return match(0, 0);
}

function words(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

function matches(pattern: string, key: string): boolean {
  const t = new TopicTable<string>();
  t.bind('q', pattern, NO_ARGUMENTS);
  return routed(t, key).length === 1;
}

// [pattern, routing key, matches]
const CASES: Array<[string, string, boolean]> = [
  // plain words
  ['a', 'a', true],
  ['a', 'b', false],
  ['a', 'A', false],
  ['a.b', 'a.b', true],
  ['a.b', 'a', false],
  ['a', 'a.b', false],
  ['a.b', 'a.b.c', false],
  ['ab', 'a.b', false],
  ['a.b', 'ab', false],
  // the empty key has no words
  ['', '', true],
  ['', 'a', false],
  ['a', '', false],
  ['#', '', true],
  ['*', '', false],
  ['#.#', '', true],
  ['#.#.#', '', true],
  ['*.#', '', false],
  ['#.*', '', false],
  // empty words are words
  ['', '.', false],
  ['.', '.', true],
  ['.', '', false],
  ['*', '.', false],
  ['*.*', '.', true],
  ['#', '.', true],
  ['#.#', '.', true],
  ['a..b', 'a..b', true],
  ['a..b', 'a.b', false],
  ['a.*.b', 'a..b', true],
  ['a.#.b', 'a..b', true],
  ['a.b', 'a..b', false],
  ['..', '..', true],
  ['*.*.*', '..', true],
  ['*.*', '..', false],
  // leading and trailing dots
  ['.a', '.a', true],
  ['*.a', '.a', true],
  ['#.a', '.a', true],
  ['a', '.a', false],
  ['a.', 'a.', true],
  ['a.*', 'a.', true],
  ['a.#', 'a.', true],
  ['a', 'a.', false],
  ['a.', 'a', false],
  ['.a.', '.a.', true],
  ['*.a.*', '.a.', true],
  // * is exactly one word
  ['*', 'a', true],
  ['*', 'a.b', false],
  ['a.*', 'a', false],
  ['a.*', 'a.b', true],
  ['a.*', 'a.b.c', false],
  ['*.b', 'a.b', true],
  ['*.*', 'a.b', true],
  ['*.*', 'a', false],
  ['a.*.c', 'a.b.c', true],
  ['a.*.c', 'a.c', false],
  // # at every position
  ['#', 'a', true],
  ['#', 'a.b.c', true],
  ['#.a', 'a', true],
  ['#.a', 'b.a', true],
  ['#.a', 'b.c.a', true],
  ['#.a', 'a.b', false],
  ['a.#', 'a', true],
  ['a.#', 'a.b', true],
  ['a.#', 'a.b.c', true],
  ['a.#', 'b.a', false],
  ['a.#', 'ab', false],
  ['a.#.b', 'a.b', true],
  ['a.#.b', 'a.x.b', true],
  ['a.#.b', 'a.x.y.b', true],
  ['a.#.b', 'a.b.b', true],
  ['a.#.b', 'a.b.c', false],
  ['a.#.b', 'b', false],
  ['#.b.#', 'b', true],
  ['#.b.#', 'a.b.c', true],
  ['#.b.#', 'abc', false],
  // several # and *
  ['#.#', 'a', true],
  ['#.#', 'a.b.c', true],
  ['*.#', 'a', true],
  ['*.#', 'a.b', true],
  ['#.*', 'a', true],
  ['#.*', 'a.b.c', true],
  ['*.#.*', 'a', false],
  ['*.#.*', 'a.b', true],
  ['*.#.*', 'a.b.c.d', true],
  ['#.*.#', '', false],
  ['#.*.#', 'a', true],
  ['#.a.#.a.#', 'a', false],
  ['#.a.#.a.#', 'a.a', true],
  ['#.a.#.a.#', 'b.a.c.a.d', true],
  ['#.a.#.a.#', 'b.a.c.d', false],
  ['#.#.#.a', 'a', true],
  ['a.#.#.b', 'a.b', true],
  ['a.#.*.b', 'a.b', false],
  ['a.#.*.b', 'a.x.b', true],
  ['a.*.#.b', 'a.x.y.z.b', true],
  // wildcards only when they are a whole word
  ['a*', 'ab', false],
  ['a*', 'a*', true],
  ['#b', 'b', false],
  ['#b', '#b', true],
  ['a.b*', 'a.bc', false],
  // a routing key's * and # are plain words
  ['a.b', 'a.*', false],
  ['a.*', 'a.*', true],
  ['a.#', 'a.#', true],
  ['a', '#', false],
  ['a', '*', false],
  ['*', '#', true],
  ['#', '*', true],
];

describe('topic routing', () => {
  it.each(CASES)('%j against %j: %s', (pattern, key, expected) => {
    expect(matches(pattern, key)).toBe(expected);
    expect(referenceMatch(pattern, key)).toBe(expected);
  });

  it('matches very long keys', () => {
    const key = Array(128).fill('a').join('.'); // 255 bytes, the most a routing key can be
    expect(key.length).toBe(255);
    expect(matches('#.a', key)).toBe(true);
    expect(matches('a.#', key)).toBe(true);
    expect(matches('#.b', key)).toBe(false);
    expect(matches(Array(128).fill('*').join('.'), key)).toBe(true);
    expect(matches(Array(127).fill('*').join('.'), key)).toBe(false);
    expect(matches(Array(127).fill('*').join('.') + '.#', key)).toBe(true);
    expect(matches(Array(129).fill('*').join('.'), key)).toBe(false);
    expect(matches(Array(128).fill('#').join('.'), key)).toBe(true);
  });

  it('does not backtrack exponentially through many #', () => {
    // Backtracking tries every way to split 120 words among 30 # before failing.
    const pattern = Array(30).fill('#').join('.') + '.b';
    const key = Array(120).fill('a').join('.');
    const start = performance.now();
    expect(matches(pattern, key)).toBe(false);
    expect(matches(pattern, key + '.b')).toBe(true);
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('routes to every destination whose pattern matches, each once', () => {
    const t = new TopicTable<string>();
    t.bind('q1', 'a.b', NO_ARGUMENTS);
    t.bind('q1', 'a.*', NO_ARGUMENTS);
    t.bind('q1', '#', NO_ARGUMENTS);
    t.bind('q2', '*.b', NO_ARGUMENTS);
    t.bind('q3', 'a.#.b', NO_ARGUMENTS);
    t.bind('q4', 'b.#', NO_ARGUMENTS);
    expect(routed(t, 'a.b')).toEqual(['q1', 'q2', 'q3']);
    expect(routed(t, 'x')).toEqual(['q1']);
    const out = new Set(['earlier']);
    t.route('a.b', undefined, out);
    expect([...out].sort()).toEqual(['earlier', 'q1', 'q2', 'q3']);
  });

  it('routes through many bindings', () => {
    const t = new TopicTable<number>();
    for (let i = 0; i < 10_000; i++) t.bind(i, `stock.${i % 100}.${i}`, NO_ARGUMENTS);
    t.bind(-1, 'stock.7.#', NO_ARGUMENTS);
    t.bind(-2, '*.*.9999', NO_ARGUMENTS);
    expect(t.size).toBe(10_002);
    expect(routed(t, 'stock.7.107')).toEqual([-1, 107]);
    expect(routed(t, 'stock.99.9999')).toEqual([-2, 9999]);
    expect(routed(t, 'stock.7.108')).toEqual([-1]);
    expect(routed(t, 'stock.8.107')).toEqual([]);
  });

  it('agrees with the reference on thousands of random patterns and keys', () => {
    const next = random(20240611);
    const patternWords = ['a', 'b', '', '*', '#', '#'];
    const keyWords = ['a', 'b', 'c', '', '*', '#'];
    const make = (alphabet: string[], maxWords: number) => {
      const n = Math.floor(next() * (maxWords + 1));
      return n === 0 ? '' : Array.from({ length: n }, () => pick(next, alphabet)).join('.');
    };
    const t = new TopicTable<number>();
    const patterns: string[] = [];
    for (let i = 0; i < 400; i++) {
      patterns.push(make(patternWords, 6));
      t.bind(i, patterns[i], NO_ARGUMENTS);
    }
    const check = (bound: (i: number) => boolean) => {
      for (let n = 0; n < 2000; n++) {
        const key = make(keyWords, 8);
        const expected = patterns.flatMap((p, i) => (bound(i) && referenceMatch(p, key) ? [i] : []));
        expect(routed(t, key), `key ${JSON.stringify(key)}`).toEqual(expected);
      }
    };
    check(() => true);
    // Unbinding half of them must leave exactly the other half routing.
    for (let i = 0; i < 400; i += 2) t.unbind(i, patterns[i], NO_ARGUMENTS);
    check((i) => i % 2 === 1);
  });
});

describe('topic route cache', () => {
  it('forgets what it cached whenever the bindings change', () => {
    const t = new TopicTable<string>();
    t.bind('q1', 'a.*', NO_ARGUMENTS);
    expect(routed(t, 'a.b')).toEqual(['q1']);
    expect(routed(t, 'a.b')).toEqual(['q1']);
    expect(routed(t, 'x')).toEqual([]);
    expect(t.cachedKeys).toBe(2);
    t.bind('q2', '#', NO_ARGUMENTS);
    expect(t.cachedKeys).toBe(0);
    expect(routed(t, 'a.b')).toEqual(['q1', 'q2']);
    expect(routed(t, 'x')).toEqual(['q2']);
    t.unbind('q1', 'a.*', NO_ARGUMENTS);
    expect(routed(t, 'a.b')).toEqual(['q2']);
    t.unbindAll('q2');
    expect(routed(t, 'a.b')).toEqual([]);
  });

  it('keeps a binding that only adds arguments from clearing it, since routing is the same', () => {
    const t = new TopicTable<string>();
    t.bind('q', 'a', NO_ARGUMENTS);
    routed(t, 'a');
    t.bind('q', 'a', table({ x: 'y' }));
    expect(t.cachedKeys).toBe(1);
    expect(routed(t, 'a')).toEqual(['q']);
  });

  it('holds at most ROUTE_CACHE_SIZE keys', () => {
    const t = new TopicTable<string>();
    t.bind('q', 'k.*', NO_ARGUMENTS);
    for (let i = 0; i <= ROUTE_CACHE_SIZE; i++) expect(routed(t, `k.${i}`)).toEqual(['q']);
    expect(t.cachedKeys).toBeLessThanOrEqual(ROUTE_CACHE_SIZE);
    expect(routed(t, 'k.0')).toEqual(['q']);
  });

  it('hands out copies: what the caller does with the Set does not reach the cache', () => {
    const t = new TopicTable<string>();
    t.bind('q1', 'a', NO_ARGUMENTS);
    t.bind('q2', '#', NO_ARGUMENTS);
    const out = new Set<string>();
    t.route('a', undefined, out);
    out.delete('q1');
    out.add('intruder');
    expect(routed(t, 'a')).toEqual(['q1', 'q2']);
  });
});

describe('topic bindings', () => {
  it('refuses an exact duplicate and tells arguments apart', () => {
    const t = new TopicTable<string>();
    expect(t.bind('q', 'a.*', NO_ARGUMENTS)).toBe(true);
    expect(t.bind('q', 'a.*', new Map())).toBe(false);
    expect(t.bind('q', 'a.*', table({ x: 'y' }))).toBe(true);
    expect(t.size).toBe(2);
    expect(routed(t, 'a.b')).toEqual(['q']);
    // The pair stays routed until its last binding goes.
    expect(t.unbind('q', 'a.*', NO_ARGUMENTS)).toBe(true);
    expect(routed(t, 'a.b')).toEqual(['q']);
    expect(t.unbind('q', 'a.*', NO_ARGUMENTS)).toBe(false);
    expect(t.unbind('q', 'a.*', table({ x: 'y' }))).toBe(true);
    expect(routed(t, 'a.b')).toEqual([]);
    expect(t.size).toBe(0);
  });

  it('prunes the trie on unbind, keeping shared prefixes', () => {
    const t = new TopicTable<string>();
    t.bind('q1', 'a.b.c', NO_ARGUMENTS);
    t.bind('q2', 'a.b', NO_ARGUMENTS);
    t.bind('q3', 'a.*.#', NO_ARGUMENTS);
    expect(t.nodeCount).toBe(5); // a, a.b, a.b.c, a.*, a.*.#
    t.unbind('q1', 'a.b.c', NO_ARGUMENTS);
    expect(t.nodeCount).toBe(4);
    expect(routed(t, 'a.b')).toEqual(['q2', 'q3']);
    t.unbind('q3', 'a.*.#', NO_ARGUMENTS);
    expect(t.nodeCount).toBe(2);
    t.unbind('q2', 'a.b', NO_ARGUMENTS);
    expect(t.nodeCount).toBe(0);
    expect(t.size).toBe(0);
    expect(routed(t, 'a.b')).toEqual([]);
  });

  it('unbinds everything of a destination and leaves no nodes behind', () => {
    const t = new TopicTable<string>();
    const keys = ['', '#', '*', 'a.#.b', '#.#', '..', 'a.b.c', 'x.*.y'];
    for (const key of keys) {
      t.bind('gone', key, NO_ARGUMENTS);
      t.bind('gone', key, table({ n: { type: 'I', value: 1 } }));
    }
    t.bind('kept', 'a.b.c', NO_ARGUMENTS);
    expect(t.unbindAll('gone')).toBe(keys.length * 2);
    expect(t.unbindAll('gone')).toBe(0);
    expect(t.size).toBe(1);
    expect(t.nodeCount).toBe(3);
    expect(routed(t, 'a.b.c')).toEqual(['kept']);
    expect(routed(t, '')).toEqual([]);
    t.unbindAll('kept');
    expect(t.nodeCount).toBe(0);
  });

  it('leaves no nodes after binding and unbinding thousands of random patterns', () => {
    const next = random(7);
    const t = new TopicTable<number>();
    const bound: Array<[number, string]> = [];
    for (let i = 0; i < 3000; i++) {
      const key = Array.from({ length: 1 + Math.floor(next() * 5) }, () => pick(next, ['a', 'b', '*', '#', ''])).join('.');
      const dest = Math.floor(next() * 50);
      if (t.bind(dest, key, NO_ARGUMENTS)) bound.push([dest, key]);
    }
    expect(t.size).toBe(bound.length);
    for (const [dest, key] of bound.slice(0, 1000)) expect(t.unbind(dest, key, NO_ARGUMENTS)).toBe(true);
    for (let dest = 0; dest < 50; dest++) t.unbindAll(dest);
    expect(t.size).toBe(0);
    expect(t.nodeCount).toBe(0);
  });
});
