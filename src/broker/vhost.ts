// One virtual host's live objects: its exchanges (with routing tables) and its queues, plus
// routing a message through exchanges (default exchange, exchange-to-exchange bindings,
// alternate exchanges) to the set of queues it reaches.

import type { FieldTable } from '../amqp/table.js';
import type { ClassicQueue } from '../queues/classic-queue.js';
import type { QueueDef } from './metadata.js';
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
  /** The queues whose home is this node. */
  readonly queues = new Map<string, ClassicQueue>();
  /** The cluster's other queues (their records; they live on other nodes). */
  readonly remoteQueues = new Map<string, QueueDef>();
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
  route(
    exchange: Exchange,
    routingKey: string,
    headers: FieldTable | undefined,
    out: Set<ClassicQueue>,
    remoteOut?: Set<QueueDef>,
  ): void {
    if (exchange.name === '') {
      const q = this.queues.get(routingKey);
      if (q !== undefined) out.add(q);
      else this.addRemote(routingKey, remoteOut);
      return;
    }
    this.visited.clear();
    this.routeVia(exchange, routingKey, headers, out, this.visited, 0, remoteOut);
  }

  private addRemote(name: string, remoteOut: Set<QueueDef> | undefined): void {
    if (remoteOut === undefined || this.remoteQueues.size === 0) return;
    const def = this.remoteQueues.get(name);
    if (def !== undefined) remoteOut.add(def);
  }

  private routeVia(
    exchange: Exchange,
    routingKey: string,
    headers: FieldTable | undefined,
    out: Set<ClassicQueue>,
    visited: Set<string>,
    depth: number,
    remoteOut: Set<QueueDef> | undefined,
  ): void {
    visited.add(exchange.name);
    const before = out.size;
    const remoteBefore = remoteOut?.size ?? 0;
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
        else this.addRemote(name, remoteOut);
      } else if (!visited.has(name)) {
        const next = this.exchanges.get(name);
        if (next !== undefined) {
          reachedExchange = true;
          this.routeVia(next, routingKey, headers, out, visited, depth + 1, remoteOut);
        }
      }
    }
    if (out.size === before && (remoteOut?.size ?? 0) === remoteBefore && !reachedExchange) {
      const ae = exchange.alternateExchange;
      const alt = ae === undefined || visited.has(ae) ? undefined : this.exchanges.get(ae);
      if (alt !== undefined) this.routeVia(alt, routingKey, headers, out, visited, depth + 1, remoteOut);
    }
  }

  /** Removes every binding that points at `destination` (a deleted queue or exchange). */
  unbindEverywhere(destination: DestinationId): void {
    for (const e of this.exchanges.values()) e.unbindAll(destination);
  }
}
