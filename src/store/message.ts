// What the store keeps of a message, and its record payload (layout in format.ts).

import { HEADER_SIZE, RECORD_MESSAGE, sealRecord } from './format.js';

export interface StoredMessage {
  readonly exchange: string;
  readonly routingKey: string;
  /** The content header's property flags and property list, exactly as published. */
  readonly propertyBytes: Buffer;
  readonly body: Buffer;
  /** A byte of flags whose meaning belongs to the queue; the store only keeps it. */
  readonly flags: number;
}

/** A whole message record, ready to append. */
export function encodeMessageRecord(seq: number, message: StoredMessage): Buffer {
  const exchangeLength = shortStringLength(message.exchange, 'exchange');
  const routingKeyLength = shortStringLength(message.routingKey, 'routing key');
  const { propertyBytes, body } = message;
  const record = Buffer.allocUnsafe(
    HEADER_SIZE + 3 + exchangeLength + routingKeyLength + 4 + propertyBytes.length + body.length,
  );
  let at = HEADER_SIZE;
  record[at++] = message.flags;
  record[at++] = exchangeLength;
  at += record.write(message.exchange, at, 'utf8');
  record[at++] = routingKeyLength;
  at += record.write(message.routingKey, at, 'utf8');
  record.writeUInt32BE(propertyBytes.length, at);
  at += 4 + propertyBytes.copy(record, at + 4);
  body.copy(record, at);
  return sealRecord(record, RECORD_MESSAGE, seq);
}

/** Reads a message payload; property bytes and body are views of it. */
export function decodeMessage(payload: Buffer): StoredMessage {
  let at = 0;
  const flags = payload[at++];
  const exchangeEnd = at + 1 + payload[at];
  const exchange = payload.toString('utf8', at + 1, exchangeEnd);
  at = exchangeEnd;
  const routingKeyEnd = at + 1 + payload[at];
  const routingKey = payload.toString('utf8', at + 1, routingKeyEnd);
  at = routingKeyEnd;
  const propertyEnd = at + 4 + payload.readUInt32BE(at);
  if (propertyEnd > payload.length) throw new RangeError('message record payload is shorter than its fields');
  return {
    exchange,
    routingKey,
    propertyBytes: payload.subarray(at + 4, propertyEnd),
    body: payload.subarray(propertyEnd),
    flags,
  };
}

function shortStringLength(value: string, what: string): number {
  const length = Buffer.byteLength(value, 'utf8');
  // AMQP carries both as shortstr, so a longer one never reaches the store from a client.
  if (length > 255) throw new RangeError(`${what} is longer than 255 bytes`);
  return length;
}
