import { describe, expect, it } from 'vitest';
import { DirectTable } from '../../src/broker/routing/direct.js';
import { FanoutTable } from '../../src/broker/routing/fanout.js';
import { NO_ARGUMENTS } from '../../src/broker/routing/field-table.js';
import { createRoutingTable, EXCHANGE_TYPES } from '../../src/broker/routing/index.js';
import { routed, table } from './routing-helpers.js';

describe('direct routing', () => {
  // [binding key, routing key, matches]
  const CASES: Array<[string, string, boolean]> = [
    ['a', 'a', true],
    ['a', 'A', false],
    ['a', 'a.', false],
    ['a.b', 'a.b', true],
    ['', '', true],
    ['', 'a', false],
    ['a', '', false],
    ['*', 'a', false],
    ['#', 'a', false],
    ['#', '#', true],
    ['wörld ☃', 'wörld ☃', true],
  ];
  it.each(CASES)('%j against %j: %s', (bindingKey, routingKey, expected) => {
    const t = new DirectTable<string>();
    t.bind('q', bindingKey, NO_ARGUMENTS);
    expect(routed(t, routingKey)).toEqual(expected ? ['q'] : []);
  });

  it('routes to every destination bound with the key, each once', () => {
    const t = new DirectTable<string>();
    t.bind('q1', 'k', NO_ARGUMENTS);
    t.bind('q1', 'k', table({ a: { type: 'I', value: 1 } }));
    t.bind('q2', 'k', NO_ARGUMENTS);
    t.bind('q3', 'other', NO_ARGUMENTS);
    expect(routed(t, 'k')).toEqual(['q1', 'q2']);
    expect(routed(t, 'other')).toEqual(['q3']);
    expect(routed(t, 'none')).toEqual([]);
  });

  it('compares destinations as Map keys: equal strings, the same object', () => {
    const t = new DirectTable<{ name: string }>();
    const q = { name: 'q' };
    t.bind(q, 'k', NO_ARGUMENTS);
    expect(t.bind({ name: 'q' }, 'k', NO_ARGUMENTS)).toBe(true);
    expect(t.bind(q, 'k', NO_ARGUMENTS)).toBe(false);
    expect(t.unbindAll(q)).toBe(1);
    expect(t.size).toBe(1);
  });

  it('refuses duplicates and forgets keys nobody is bound with', () => {
    const t = new DirectTable<string>();
    expect(t.bind('q', 'k', NO_ARGUMENTS)).toBe(true);
    expect(t.bind('q', 'k', NO_ARGUMENTS)).toBe(false);
    expect(t.bind('q', 'k', table({ x: 'y' }))).toBe(true);
    expect(t.bind('q', 'k2', NO_ARGUMENTS)).toBe(true);
    expect(t.size).toBe(3);
    expect(t.keyCount).toBe(2);
    expect(t.unbind('q', 'k', table({ x: 'z' }))).toBe(false);
    expect(t.unbind('q', 'nope', NO_ARGUMENTS)).toBe(false);
    expect(t.unbind('nobody', 'k', NO_ARGUMENTS)).toBe(false);
    expect(t.unbind('q', 'k', NO_ARGUMENTS)).toBe(true);
    expect(routed(t, 'k')).toEqual(['q']);
    expect(t.unbind('q', 'k', table({ x: 'y' }))).toBe(true);
    expect(routed(t, 'k')).toEqual([]);
    expect(t.keyCount).toBe(1);
    expect(t.unbindAll('q')).toBe(1);
    expect(t.size).toBe(0);
    expect(t.keyCount).toBe(0);
  });

  it('unbinds everything of one destination among many', () => {
    const t = new DirectTable<number>();
    for (let i = 0; i < 10_000; i++) t.bind(i % 10, `key-${i}`, NO_ARGUMENTS);
    t.bind(1, 'key-0', NO_ARGUMENTS);
    expect(t.unbindAll(0)).toBe(1000);
    expect(t.size).toBe(9001);
    expect(t.keyCount).toBe(9001);
    expect(routed(t, 'key-0')).toEqual([1]);
    expect(routed(t, 'key-10')).toEqual([]);
    expect(routed(t, 'key-11')).toEqual([1]);
  });
});

describe('fanout routing', () => {
  it('routes every message to every bound destination, each once', () => {
    const t = new FanoutTable<string>();
    expect(routed(t, 'k')).toEqual([]);
    t.bind('q1', '', NO_ARGUMENTS);
    t.bind('q1', 'ignored', NO_ARGUMENTS);
    t.bind('q2', 'k', table({ x: 'y' }));
    expect(routed(t, '')).toEqual(['q1', 'q2']);
    expect(routed(t, 'anything.at.all', table({ h: 'v' }))).toEqual(['q1', 'q2']);
  });

  it('keeps a destination until its last binding goes', () => {
    const t = new FanoutTable<string>();
    t.bind('q1', 'a', NO_ARGUMENTS);
    t.bind('q1', 'b', NO_ARGUMENTS);
    expect(t.bind('q1', 'b', NO_ARGUMENTS)).toBe(false);
    t.bind('q2', 'a', NO_ARGUMENTS);
    expect(t.size).toBe(3);
    t.unbind('q1', 'a', NO_ARGUMENTS);
    expect(routed(t, 'x')).toEqual(['q1', 'q2']);
    t.unbind('q1', 'b', NO_ARGUMENTS);
    expect(routed(t, 'x')).toEqual(['q2']);
    expect(t.unbindAll('q2')).toBe(1);
    expect(t.size).toBe(0);
    expect(routed(t, 'x')).toEqual([]);
  });
});

describe('createRoutingTable', () => {
  it('makes a table for each exchange type', () => {
    for (const type of EXCHANGE_TYPES) {
      const t = createRoutingTable<string>(type);
      t.bind('q', 'k', NO_ARGUMENTS);
      expect(routed(t, 'k', new Map()), type).toEqual(['q']);
    }
  });
});
