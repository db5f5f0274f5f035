// One virtual host's live objects: its exchanges (with routing tables) and its queues, plus
// routing a message through exchanges (default exchange, exchange-to-exchange bindings,
// alternate exchanges) to the set of queues it reaches.

import type { FieldTable } from '../amqp/table.js';
import type { ClassicQueue } from '../queues/classic-queue.js';
import { Exchange, type DestinationId, type ExchangeType } from './exchange.js';

/** The exchanges every virtual host has (RabbitMQ's defaults). */
export const STANDARD_EXCHANGES: Array<{ name: string; type: ExchangeType; internal: boolean }> = [
  { name: '', type: 'direct', internal: false },
  { name: 'amq.direct', type: 'direct', internal: false },
  { name: 'amq.fanout', type: 'fanout', internal: false },
  { name: 'amq.headers', type: 'headers', internal: false },
  { name: 'amq.match', type: 'headers', internal: false },
  { name: 'amq.topic', type: 'topic', internal: false },
  { name: 'amq.rabbitmq.trace', type: 'topic', internal: true },
];

export class VHost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, ClassicQueue>();
  connections = 0;
  private readonly visited = new Set<string>();
  private readonly scratch: Array<Set<DestinationId>> = [];

  constructor(readonly name: string) {
    for (const e of STANDARD_EXCHANGES) {
      this.exchanges.set(e.name, new Exchange(name, e.name, e.type, true, false, e.internal, new Map()));
    }
  }

  /**
   * The queues a message published to `exchange` reaches. Follows exchange-to-exchange
   * bindings (each exchange visited once) and alternate exchanges for unroutable messages.
   */
  route(exchange: Exchange, routingKey: string, headers: FieldTable | undefined, out: Set<ClassicQueue>): void {
    if (exchange.name === '') {
      const q = this.queues.get(routingKey);
      if (q !== undefined) out.add(q);
      return;
    }
    this.visited.clear();
    this.routeVia(exchange, routingKey, headers, out, this.visited, 0);
  }

  private routeVia(
    exchange: Exchange,
    routingKey: string,
    headers: FieldTable | undefined,
    out: Set<ClassicQueue>,
    visited: Set<string>,
    depth: number,
  ): void {
    visited.add(exchange.name);
    const before = out.size;
    // One scratch set per depth of exchange-to-exchange hops, reused across publishes.
    const dests = (this.scratch[depth] ??= new Set<DestinationId>());
    dests.clear();
    exchange.table.route(routingKey, headers, dests);
    let reachedExchange = false;
    for (const d of dests) {
      const name = d.slice(2);
      if (d.charCodeAt(0) === 113 /* q */) {
        const q = this.queues.get(name);
        if (q !== undefined) out.add(q);
      } else if (!visited.has(name)) {
        const next = this.exchanges.get(name);
        if (next !== undefined) {
          reachedExchange = true;
          this.routeVia(next, routingKey, headers, out, visited, depth + 1);
        }
      }
    }
    if (out.size === before && !reachedExchange) {
      const ae = exchange.alternateExchange;
      const alt = ae === undefined || visited.has(ae) ? undefined : this.exchanges.get(ae);
      if (alt !== undefined) this.routeVia(alt, routingKey, headers, out, visited, depth + 1);
    }
  }

  /** Removes every binding that points at `destination` (a deleted queue or exchange). */
  unbindEverywhere(destination: DestinationId): void {
    for (const e of this.exchanges.values()) e.unbindAll(destination);
  }
}
