// The direct exchange's routing table: a message goes to the destinations bound with exactly its
// routing key (RabbitMQ compares the bytes; the empty key is a key like any other).

import type { FieldTable } from './field-table.js';
import { KeyedRoutingTable } from './routing-table.js';

export class DirectTable<D> extends KeyedRoutingTable<D> {
  private readonly byKey = new Map<string, Set<D>>();

  /** How many distinct keys have bindings (the index's size, for tests and diagnostics). */
  get keyCount(): number {
    return this.byKey.size;
  }

  route(routingKey: string, _headers: FieldTable | undefined, out: Set<D>): void {
    const dests = this.byKey.get(routingKey);
    if (dests !== undefined) for (const d of dests) out.add(d);
  }

  protected index(dest: D, key: string): void {
    const dests = this.byKey.get(key);
    if (dests === undefined) this.byKey.set(key, new Set([dest]));
    else dests.add(dest);
  }

  protected unindex(dest: D, key: string): void {
    const dests = this.byKey.get(key)!;
    dests.delete(dest);
    if (dests.size === 0) this.byKey.delete(key);
  }
}
