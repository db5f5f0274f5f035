// Method frames: decoding any method frame payload into { name, args }, and encoding any method
// into a complete frame. Decoding goes through the hand-tuned decoders for the per-message
// methods and the generated ones for the rest; encoding always uses the generated encoders.
// The JS type of each field domain is decided in codegen.ts.

import { AmqpError, frameError } from './errors.js';
import { writeFrameHeader } from './frame.js';
import { decodeBasicAck, decodeBasicNack, decodeBasicPublish, decodeBasicReject } from './hot-decode.js';
import { GENERIC_CODECS, type AnyArgs, type DomainTypes, type MethodCodec } from './codegen.js';
import {
  FRAME_END,
  FRAME_METHOD,
  METHODS,
  NOT_IMPLEMENTED,
  type Domain,
  type FieldSpec,
  type MethodName,
} from './spec.js';

type ArgsOf<F extends readonly FieldSpec[]> = {
  [P in F[number] as P[0]]: DomainTypes[P[1] & Domain];
};

/** The arguments of method `N`, e.g. MethodArgs<'basic.ack'> = { deliveryTag, multiple }. */
export type MethodArgs<N extends MethodName> = ArgsOf<(typeof METHODS)[N]['fields']>;

/** A decoded method; switching on `name` narrows `args`. */
export type Method = { [N in MethodName]: { name: N; args: MethodArgs<N> } }[MethodName];

type Decoder = (b: Buffer, o: number, end: number) => AnyArgs;

interface Entry {
  readonly name: MethodName;
  readonly classId: number;
  readonly methodId: number;
  readonly decode: Decoder;
}

const HOT_DECODERS: Partial<Record<MethodName, Decoder>> = {
  'basic.publish': decodeBasicPublish,
  'basic.ack': decodeBasicAck,
  'basic.nack': decodeBasicNack,
  'basic.reject': decodeBasicReject,
};

const BY_ID = new Map<number, Entry>();
for (const codec of GENERIC_CODECS.values()) {
  const { classId, methodId } = codec.spec;
  const decode = HOT_DECODERS[codec.name] ?? codec.decode;
  BY_ID.set(classId * 0x10000 + methodId, { name: codec.name, classId, methodId, decode });
}

/** Decodes the payload of a method frame. Throws AmqpError (see errors.ts for which code). */
export function decodeMethod(payload: Buffer): Method {
  if (payload.length < 4) throw frameError(FRAME_METHOD, payload, 'unknown_frame');
  const id = payload.readUInt32BE(0);
  const entry = BY_ID.get(id);
  if (entry === undefined) {
    const classId = id >>> 16;
    const methodId = id & 0xffff;
    throw new AmqpError(NOT_IMPLEMENTED, `unknown method id {${classId},${methodId}}`, classId, methodId);
  }
  try {
    return { name: entry.name, args: entry.decode(payload, 4, payload.length) } as Method;
  } catch (err) {
    if (err instanceof AmqpError) throw err.withMethod(entry.classId, entry.methodId);
    throw err;
  }
}

/** The generated codec of a method, for encoders that lay out several frames at once. */
export function methodCodec(name: MethodName): MethodCodec {
  return GENERIC_CODECS.get(name)!;
}

/** A complete method frame, sized before it is written. */
export function encodeMethodFrame<N extends MethodName>(
  channel: number,
  name: N,
  args: MethodArgs<N>,
): Buffer {
  const codec = methodCodec(name);
  const size = codec.size(args);
  const b = Buffer.allocUnsafe(size + 8);
  codec.write(b, writeFrameHeader(b, 0, FRAME_METHOD, channel, size), args);
  b[7 + size] = FRAME_END;
  return b;
}
