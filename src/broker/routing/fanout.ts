// The fanout exchange's routing table: a message goes to every bound destination, whatever its
// routing key and headers. The binding set already lists the destinations, so there is no index.

import type { FieldTable } from './field-table.js';
import { KeyedRoutingTable } from './routing-table.js';

export class FanoutTable<D> extends KeyedRoutingTable<D> {
  route(_routingKey: string, _headers: FieldTable | undefined, out: Set<D>): void {
    for (const d of this.bindings.destinations()) out.add(d);
  }

  protected index(): void {}

  protected unindex(): void {}
}
