// An exchange: its declared properties and the routing table of its type. A binding's
// destination is a queue or another exchange (exchange-to-exchange bindings), named by a
// string id so bindings survive the objects being recreated (recovery, cluster replicas).

import type { FieldTable } from '../amqp/table.js';
import { createRoutingTable, sameArguments, type ExchangeType, type RoutingTable } from './routing/index.js';

export { EXCHANGE_TYPES, type ExchangeType } from './routing/index.js';

/** "q:<name>" for a queue, "e:<name>" for an exchange, within one vhost. */
export type DestinationId = string;

export const queueDest = (name: string): DestinationId => `q:${name}`;
export const exchangeDest = (name: string): DestinationId => `e:${name}`;

export interface Binding {
  source: string;
  destination: DestinationId;
  routingKey: string;
  args: FieldTable;
}

export class Exchange {
  readonly table: RoutingTable<DestinationId>;
  /** Bindings in the order they were made (for list_bindings). */
  readonly bindings: Binding[] = [];

  constructor(
    readonly vhost: string,
    readonly name: string,
    readonly type: ExchangeType,
    readonly durable: boolean,
    readonly autoDelete: boolean,
    readonly internal: boolean,
    readonly args: FieldTable,
  ) {
    this.table = createRoutingTable<DestinationId>(type);
  }

  get alternateExchange(): string | undefined {
    const ae = this.args.get('alternate-exchange');
    return typeof ae === 'string' ? ae : undefined;
  }

  /** Bindings without arguments (nearly all), by destination and key, for `find`. */
  private readonly plain = new Map<string, Binding>();

  bind(destination: DestinationId, routingKey: string, args: FieldTable): boolean {
    if (!this.table.bind(destination, routingKey, args)) return false;
    const b: Binding = { source: this.name, destination, routingKey, args };
    this.bindings.push(b);
    if (args.size === 0) this.plain.set(`${destination}\u0000${routingKey}`, b);
    return true;
  }

  /** The binding with this destination, key and arguments, if there is one. */
  find(destination: DestinationId, routingKey: string, args: FieldTable): Binding | undefined {
    if (args.size === 0) return this.plain.get(`${destination}\u0000${routingKey}`);
    return this.bindings.find((b) => b.destination === destination && b.routingKey === routingKey && sameArguments(b.args, args));
  }

  unbind(destination: DestinationId, routingKey: string, args: FieldTable): boolean {
    if (!this.table.unbind(destination, routingKey, args)) return false;
    if (args.size === 0) this.plain.delete(`${destination}\u0000${routingKey}`);
    const i = this.bindings.findIndex(
      (b) => b.destination === destination && b.routingKey === routingKey && sameArguments(b.args, args),
    );
    if (i >= 0) this.bindings.splice(i, 1);
    return true;
  }

  unbindAll(destination: DestinationId): Binding[] {
    this.table.unbindAll(destination);
    const removed = this.bindings.filter((b) => b.destination === destination);
    for (const b of removed) if (b.args.size === 0) this.plain.delete(`${destination}\u0000${b.routingKey}`);
    if (removed.length > 0) {
      const keep = this.bindings.filter((b) => b.destination !== destination);
      this.bindings.length = 0;
      this.bindings.push(...keep);
    }
    return removed;
  }
}
