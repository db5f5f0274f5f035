// The typed errors the codec raises. An AmqpError carries what a connection.close or
// channel.close needs: the reply code, RabbitMQ's reply text ("FRAME_ERROR - ...") and the ids
// of the method that failed (0, 0 when no method was involved).
//
// Which code for which fault follows rabbit_reader, rabbit_command_assembler and the generated
// rabbit_framing decoder; where RabbitMQ crashes instead of answering, the spec's code is used:
//   - frame larger than frame_max, bad frame-end octet       501 FRAME_ERROR (reader, fatal)
//   - unknown frame type, heartbeat with a payload,
//     method frame < 4 octets, header frame < 14 octets     501 FRAME_ERROR "unknown_frame"
//   - method fields that do not match the method's layout   501 FRAME_ERROR "cannot decode <<...>>"
//   - invalid UTF-8 in a shortstr of a content-less method  501 FRAME_ERROR "Malformed UTF-8 in shortstr"
//   - content properties that do not match their flags      501 FRAME_ERROR "cannot decode <<...>>"
//                                                           (RabbitMQ decodes them lazily and
//                                                           crashes; same rule as for methods)
//   - a malformed field table (unknown type tag, a value
//     running past the table's end)                         502 SYNTAX_ERROR (RabbitMQ's parse_table
//                                                           crashes; 502 is the spec's "illegal
//                                                           values for one or more fields")
//   - unknown class/method id                               540 NOT_IMPLEMENTED (RabbitMQ exits with
//                                                           unknown_method_id and drops the socket)

import { FRAME_ERROR, REPLY_CODES } from './spec.js';

const MAX_REPLY_TEXT = 255;

export class AmqpError extends Error {
  /** What goes into the close method's reply-text: "NAME - explanation", at most 255 bytes. */
  readonly replyText: string;

  constructor(
    readonly replyCode: number,
    readonly explanation: string,
    readonly classId = 0,
    readonly methodId = 0,
  ) {
    const text = `${REPLY_CODES.get(replyCode)?.name ?? 'INTERNAL_ERROR'} - ${explanation}`;
    super(text);
    this.name = 'AmqpError';
    this.replyText = truncateReplyText(text);
  }

  /** A hard error closes the connection; a soft one only the channel. */
  get hard(): boolean {
    return REPLY_CODES.get(this.replyCode)?.hard ?? true;
  }

  /** The same error, blamed on the method being decoded when it was raised. */
  withMethod(classId: number, methodId: number): AmqpError {
    return new AmqpError(this.replyCode, this.explanation, classId, methodId);
  }
}

/** A client that did not open with a header we speak: answer with PROTOCOL_HEADER and close. */
export class ProtocolHeaderError extends Error {
  constructor(readonly received: Buffer) {
    super(describeBadHeader(received));
    this.name = 'ProtocolHeaderError';
  }
}

// RabbitMQ cuts reply texts longer than a shortstr to 252 bytes and appends "...".
function truncateReplyText(text: string): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= MAX_REPLY_TEXT) return text;
  let cut = MAX_REPLY_TEXT - 3;
  while ((bytes[cut] & 0xc0) === 0x80) cut--; // never split a UTF-8 sequence
  return bytes.toString('utf8', 0, cut) + '...';
}

// The reasons rabbit_reader logs for a refused header.
function describeBadHeader(h: Buffer): string {
  if (h.toString('latin1', 0, 4) === 'GET ') return 'HTTP GET request detected on AMQP port';
  if (h[0] === 0x16 && h[1] === 0x03 && h[5] === 0x01) {
    return 'TLS client detected on non-TLS AMQP port';
  }
  if (h.toString('latin1', 0, 4) === 'AMQP') {
    return `unsupported AMQP protocol version {${h[4]},${h[5]},${h[6]},${h[7]}}`;
  }
  return `client did not start with AMQP protocol header: ${erlangBinary(h, true)}`;
}

/**
 * A binary the way RabbitMQ's messages print one: <<"text">> when every octet is printable
 * ASCII and `asText` allows it (Erlang's ~p), otherwise <<1,2,3>> (Erlang's ~w).
 */
function erlangBinary(bytes: Uint8Array, asText: boolean): string {
  if (asText && bytes.length > 0 && bytes.every((b) => b >= 0x20 && b < 0x7f)) {
    return `<<"${Buffer.from(bytes).toString('latin1').replace(/["\\]/g, '\\$&')}">>`;
  }
  return `<<${bytes.join(',')}>>`;
}

/** rabbit_reader's frame_error text: the frame type, its first 16 octets and the reason. */
export function frameError(type: number, payload: Uint8Array, reason: string): AmqpError {
  const snippet = payload.length <= 16 ? 'all' : 'first 16';
  const shown = erlangBinary(payload.subarray(0, 16), true);
  return new AmqpError(FRAME_ERROR, `type ${type}, ${snippet} octets = ${shown}: ${reason}`);
}

/** rabbit_framing's answer to method fields that do not match the method's layout. */
export function cannotDecode(fields: Uint8Array): AmqpError {
  // The reply text is capped at 255 bytes, so formatting more octets would be wasted.
  return new AmqpError(FRAME_ERROR, `cannot decode ${erlangBinary(fields.subarray(0, 128), false)}`);
}
