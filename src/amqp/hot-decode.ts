// Hand-tuned decoders for the methods a busy broker receives per message: basic.publish and the
// acknowledgements basic.ack, basic.nack and basic.reject. They accept and reject exactly what
// the generated decoders do (a test holds them to that) but read the fixed layout in one pass
// with a single bounds check where the layout allows, and skip the empty default exchange name.

import { cannotDecode } from './errors.js';
import type { MethodArgs } from './methods.js';

const TWO_32 = 2 ** 32;

export function decodeBasicPublish(b: Buffer, o: number, e: number): MethodArgs<'basic.publish'> {
  const s = o;
  // ticket, exchange length; then exchange, routing-key length; then routing key, bits.
  if (o + 3 > e) throw cannotDecode(b.subarray(s, e));
  const ticket = (b[o] << 8) | b[o + 1];
  let n = b[o + 2];
  o += 3;
  if (o + n + 1 > e) throw cannotDecode(b.subarray(s, e));
  const exchange = n === 0 ? '' : b.toString('utf8', o, o + n);
  o += n;
  n = b[o++];
  if (o + n + 1 !== e) throw cannotDecode(b.subarray(s, e));
  const routingKey = b.toString('utf8', o, o + n);
  const bits = b[o + n];
  return { ticket, exchange, routingKey, mandatory: (bits & 1) !== 0, immediate: (bits & 2) !== 0 };
}

export function decodeBasicAck(b: Buffer, o: number, e: number): MethodArgs<'basic.ack'> {
  if (e - o !== 9) throw cannotDecode(b.subarray(o, e));
  return { deliveryTag: deliveryTag(b, o), multiple: (b[o + 8] & 1) !== 0 };
}

export function decodeBasicNack(b: Buffer, o: number, e: number): MethodArgs<'basic.nack'> {
  if (e - o !== 9) throw cannotDecode(b.subarray(o, e));
  const bits = b[o + 8];
  return { deliveryTag: deliveryTag(b, o), multiple: (bits & 1) !== 0, requeue: (bits & 2) !== 0 };
}

export function decodeBasicReject(b: Buffer, o: number, e: number): MethodArgs<'basic.reject'> {
  if (e - o !== 9) throw cannotDecode(b.subarray(o, e));
  return { deliveryTag: deliveryTag(b, o), requeue: (b[o + 8] & 1) !== 0 };
}

function deliveryTag(b: Buffer, o: number): number {
  return b.readUInt32BE(o) * TWO_32 + b.readUInt32BE(o + 4);
}
