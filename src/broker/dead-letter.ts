// Dead-lettering a message: the copy that goes to the dead-letter exchange carries an x-death
// history (one entry per queue and reason, with a count, most recent first) and the
// x-first-death-* headers, as RabbitMQ 3.10 writes them. A message that expired by its own TTL
// loses its expiration property (kept as original-expiration), so it does not expire again.

import { decodeProperties, encodeProperties } from '../amqp/properties.js';
import type { FieldTable, FieldValue } from '../amqp/table.js';
import { scanProperties, type Message } from '../queues/message.js';
import type { DeadLetterReason } from '../queues/classic-queue.js';

export interface DeadLettered {
  message: Message;
  headers: FieldTable;
  /** Whether any death in its history was a rejection (for cycle detection). */
  everRejected: boolean;
}

export function deadLetterMessage(
  msg: Message,
  queue: string,
  reason: DeadLetterReason,
  routingKeyOverride: string | undefined,
  now: number,
): DeadLettered | undefined {
  let props;
  try {
    props = decodeProperties(msg.propertyBytes);
  } catch {
    return undefined;
  }
  const headers: FieldTable = new Map(props.headers ?? []);
  const history = (Array.isArray(headers.get('x-death')) ? (headers.get('x-death') as FieldValue[]) : []).filter(
    (e): e is FieldTable => e instanceof Map,
  );
  const routingKeys: FieldValue[] = [msg.routingKey];
  const i = history.findIndex((e) => e.get('queue') === queue && e.get('reason') === reason);
  let entry: FieldTable;
  if (i >= 0) {
    entry = new Map(history[i]);
    const count = entry.get('count');
    const n = count !== null && typeof count === 'object' && 'value' in count ? Number(count.value) : 0;
    entry.set('count', { type: 'l', value: n + 1 });
    entry.set('time', { type: 'T', value: Math.floor(now / 1000) });
    history.splice(i, 1);
  } else {
    entry = new Map<string, FieldValue>([
      ['count', { type: 'l', value: 1 }],
      ['reason', reason],
      ['queue', queue],
      ['time', { type: 'T', value: Math.floor(now / 1000) }],
      ['exchange', msg.exchange],
      ['routing-keys', routingKeys],
    ]);
    if (reason === 'expired' && props.expiration !== undefined) entry.set('original-expiration', props.expiration);
  }
  history.unshift(entry);
  headers.set('x-death', history);
  if (!headers.has('x-first-death-reason')) {
    headers.set('x-first-death-reason', reason);
    headers.set('x-first-death-queue', queue);
    headers.set('x-first-death-exchange', msg.exchange);
  }
  const propertyBytes = encodeProperties({ ...props, headers, expiration: undefined });
  const scanned = scanProperties(propertyBytes);
  return {
    message: {
      exchange: msg.exchange,
      routingKey: routingKeyOverride ?? msg.routingKey,
      propertyBytes,
      body: msg.body,
      persistent: msg.persistent,
      priority: scanned?.priority ?? 0,
      ttl: -1,
    },
    headers,
    everRejected: history.some((e) => e.get('reason') === 'rejected'),
  };
}
