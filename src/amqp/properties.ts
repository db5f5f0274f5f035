// The basic class's content properties: the JS shape, and the bytes a content header carries
// after its body size (16-bit presence flags, then the properties that are present).
//
// A message keeps these bytes as they came (RabbitMQ's properties_bin) and is delivered with
// them untouched, so most messages are never decoded or re-encoded here; the broker decodes
// when it must look inside (persistence, TTL, priority, headers routing) and encodes only
// properties it changed (x-death). Decoded objects always carry all fourteen keys, absent ones
// undefined, so every one has the same hidden class.

import { PROPERTIES_CODEC, type DomainTypes } from './codegen.js';
import type { BASIC_PROPERTIES } from './spec.js';

export type BasicProperties = {
  [P in (typeof BASIC_PROPERTIES)[number] as P[0]]?: DomainTypes[P[1]];
};

/** The property bytes of a message without properties. */
export const EMPTY_PROPERTIES: Buffer = Buffer.from([0, 0]);

export function encodeProperties(properties: BasicProperties): Buffer {
  const b = Buffer.allocUnsafe(PROPERTIES_CODEC.size(properties));
  PROPERTIES_CODEC.write(b, 0, properties);
  return b;
}

/** Throws AmqpError 501 when the bytes do not match their flags, 502 for a bad headers table. */
export function decodeProperties(bytes: Buffer): BasicProperties {
  return PROPERTIES_CODEC.decode(bytes, 0, bytes.length) as BasicProperties;
}
