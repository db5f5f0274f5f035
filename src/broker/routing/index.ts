// What the broker uses to route: one routing table per exchange, chosen by the exchange's type.

import { DirectTable } from './direct.js';
import { FanoutTable } from './fanout.js';
import { HeadersTable } from './headers.js';
import type { RoutingTable } from './routing-table.js';
import { TopicTable } from './topic.js';

export { DirectTable, FanoutTable, HeadersTable, TopicTable };
export { headersBindingError } from './headers.js';
export { NO_ARGUMENTS, sameArguments, type FieldTable, type FieldValue } from './field-table.js';
export type { RoutingTable } from './routing-table.js';

export const EXCHANGE_TYPES = ['direct', 'fanout', 'topic', 'headers'] as const;
export type ExchangeType = (typeof EXCHANGE_TYPES)[number];

export function createRoutingTable<D>(type: ExchangeType): RoutingTable<D> {
  switch (type) {
    case 'direct':
      return new DirectTable<D>();
    case 'fanout':
      return new FanoutTable<D>();
    case 'topic':
      return new TopicTable<D>();
    case 'headers':
      return new HeadersTable<D>();
  }
}
