// Shared pieces of the routing suites: building argument tables and collecting what a table routes.

import type { FieldTable, FieldValue } from '../../src/broker/routing/field-table.js';
import type { RoutingTable } from '../../src/broker/routing/routing-table.js';

export function table(entries: Record<string, FieldValue> = {}): FieldTable {
  return new Map(Object.entries(entries));
}

/** The destinations a message goes to, sorted, so results compare as lists. */
export function routed<D>(t: RoutingTable<D>, routingKey: string, headers?: FieldTable): D[] {
  const out = new Set<D>();
  t.route(routingKey, headers, out);
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A small seeded generator (mulberry32), so a failing random case can be replayed. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)];
}
