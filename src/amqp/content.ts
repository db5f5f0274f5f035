// Content: the content header frame and the body frames that follow a content-carrying method
// (basic.publish, basic.return, basic.deliver, basic.get-ok), in both directions.
//
// Encoding computes the size of the whole train first and writes it once. A body up to
// INLINE_BODY_MAX is copied in so the train is a single Buffer (one write, one syscall); a larger
// body is not copied at all: the train becomes a list of buffers whose body parts are views of
// the message body, separated by small frame-end/frame-header pieces, ready for
// socket.cork()/write()/uncork() or writev. Bodies are split at frame_max - 8.

import { frameError } from './errors.js';
import { writeFrameHeader } from './frame.js';
import { methodCodec, type MethodArgs } from './methods.js';
import {
  BASIC_CLASS_ID,
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_METHOD,
  FRAME_OVERHEAD,
  METHODS,
  type MethodName,
} from './spec.js';
import { writeUint64 } from './table.js';

/** Above this a body is framed as views rather than copied. */
export const INLINE_BODY_MAX = 16 * 1024;

export interface ContentHeader {
  readonly classId: number;
  /** Always 0 from a well-behaved peer; RabbitMQ treats anything else as an unexpected frame. */
  readonly weight: number;
  readonly bodySize: number;
  /** Presence flags and property list, a view into the frame (see properties.ts). */
  readonly propertyBytes: Buffer;
}

export interface Content {
  readonly propertyBytes: Buffer;
  readonly body: Buffer;
}

export type ContentMethodName = {
  [N in MethodName]: (typeof METHODS)[N]['content'] extends true ? N : never;
}[MethodName];

/** Reads a content header frame's payload without decoding the properties. */
export function decodeContentHeader(payload: Buffer): ContentHeader {
  if (payload.length < 14) throw frameError(FRAME_HEADER, payload, 'unknown_frame');
  return {
    classId: payload.readUInt16BE(0),
    weight: payload.readUInt16BE(2),
    bodySize: payload.readUInt32BE(4) * 2 ** 32 + payload.readUInt32BE(8),
    propertyBytes: payload.subarray(12),
  };
}

/** Any content-carrying method with its header and body frames. */
export function encodeContentMethod<N extends ContentMethodName>(
  channel: number,
  name: N,
  args: MethodArgs<N>,
  content: Content,
  frameMax: number,
): Buffer[] {
  const codec = methodCodec(name);
  const size = codec.size(args);
  const out = layoutContent(size + FRAME_OVERHEAD, channel, codec.spec.classId, content, frameMax);
  const b = out[0];
  codec.write(b, writeFrameHeader(b, 0, FRAME_METHOD, channel, size), args);
  b[7 + size] = FRAME_END;
  return out;
}

/** basic.deliver with its content: the per-message encoder, written out by hand. */
export function encodeBasicDeliver(
  channel: number,
  consumerTag: string,
  deliveryTag: number,
  redelivered: boolean,
  exchange: string,
  routingKey: string,
  content: Content,
  frameMax: number,
): Buffer[] {
  const tagLength = Buffer.byteLength(consumerTag);
  const exchangeLength = Buffer.byteLength(exchange);
  const keyLength = Buffer.byteLength(routingKey);
  if (tagLength > 255 || exchangeLength > 255 || keyLength > 255) {
    throw new RangeError('basic.deliver: a shortstr is longer than 255 bytes');
  }
  const size = 16 + tagLength + exchangeLength + keyLength;
  const out = layoutContent(size + FRAME_OVERHEAD, channel, BASIC_CLASS_ID, content, frameMax);
  const b = out[0];
  let o = writeFrameHeader(b, 0, FRAME_METHOD, channel, size);
  b.writeUInt32BE(0x003c003c, o); // class 60, method 60
  o = writeShortstr(b, o + 4, consumerTag, tagLength);
  o = writeUint64(b, o, deliveryTag);
  b[o] = redelivered ? 1 : 0;
  o = writeShortstr(b, o + 1, exchange, exchangeLength);
  o = writeShortstr(b, o, routingKey, keyLength);
  b[o] = FRAME_END;
  return out;
}

// Buffer#write is a native call costing about 90 ns; a short ASCII string (the usual consumer
// tag, exchange name or routing key) is copied by hand in a fraction of that. A string is
// ASCII exactly when its UTF-8 length equals its UTF-16 length.
function writeShortstr(b: Buffer, o: number, s: string, byteLength: number): number {
  b[o++] = byteLength;
  if (byteLength !== s.length || byteLength > 32) return o + b.write(s, o, byteLength);
  for (let i = 0; i < byteLength; i++) b[o + i] = s.charCodeAt(i);
  return o + byteLength;
}

/**
 * Lays out the header and body frames behind a method frame of `methodFrameSize` octets, which
 * the caller writes at the start of the first buffer.
 */
function layoutContent(
  methodFrameSize: number,
  channel: number,
  classId: number,
  content: Content,
  frameMax: number,
): Buffer[] {
  const { propertyBytes, body } = content;
  const bodySize = body.length;
  if (frameMax !== 0 && frameMax <= FRAME_OVERHEAD) throw new RangeError(`frame_max ${frameMax}`);
  const chunk = frameMax === 0 ? bodySize : frameMax - FRAME_OVERHEAD;
  const frames = bodySize === 0 ? 0 : Math.ceil(bodySize / chunk);
  const prefix = methodFrameSize + FRAME_OVERHEAD + 12 + propertyBytes.length;

  if (bodySize <= INLINE_BODY_MAX) {
    const b = Buffer.allocUnsafe(prefix + bodySize + frames * FRAME_OVERHEAD);
    let o = writeHeaderFrame(b, methodFrameSize, channel, classId, bodySize, propertyBytes);
    for (let p = 0; p < bodySize; p += chunk) {
      const n = Math.min(chunk, bodySize - p);
      o = writeFrameHeader(b, o, FRAME_BODY, channel, n);
      o += body.copy(b, o, p, p + n);
      b[o++] = FRAME_END;
    }
    return [b];
  }

  const head = Buffer.allocUnsafe(prefix + 7);
  const o = writeHeaderFrame(head, methodFrameSize, channel, classId, bodySize, propertyBytes);
  writeFrameHeader(head, o, FRAME_BODY, channel, Math.min(chunk, bodySize));
  // Between two body slices: the frame end of one and the header of the next.
  const joints = Buffer.allocUnsafe((frames - 1) * FRAME_OVERHEAD + 1);
  const out = [head, body.subarray(0, chunk)];
  let j = 0;
  for (let p = chunk; p < bodySize; p += chunk) {
    const n = Math.min(chunk, bodySize - p);
    joints[j] = FRAME_END;
    writeFrameHeader(joints, j + 1, FRAME_BODY, channel, n);
    out.push(joints.subarray(j, j + FRAME_OVERHEAD), body.subarray(p, p + n));
    j += FRAME_OVERHEAD;
  }
  joints[j] = FRAME_END;
  out.push(joints.subarray(j, j + 1));
  return out;
}

function writeHeaderFrame(
  b: Buffer,
  o: number,
  channel: number,
  classId: number,
  bodySize: number,
  propertyBytes: Buffer,
): number {
  o = writeFrameHeader(b, o, FRAME_HEADER, channel, 12 + propertyBytes.length);
  b.writeUInt32BE(classId * 0x10000, o); // class id, then weight 0
  o = writeUint64(b, o + 4, bodySize);
  o += propertyBytes.copy(b, o);
  b[o] = FRAME_END;
  return o + 1;
}
