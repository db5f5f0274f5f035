// FrameParser: turns the chunks a socket delivers into frames.
//
// A frame that lies inside one chunk is handed out as a view into that chunk, never copied.
// Only a frame that spans chunks is copied, once, into a buffer of exactly its size (its size is
// known from its header), so a 1 MB frame arriving in 64 KB chunks costs one copy, not sixteen.
// Frames are pulled with next(); a connection under back-pressure stops pulling and stops
// reading its socket, and the parser holds nothing but the bytes that arrived and were not
// pulled yet.
//
// Payload views share memory with the socket chunk they arrived in: whoever keeps a small body
// for long (a queue holding messages) should copy it so that it does not pin the whole chunk.
//
// Errors, as rabbit_reader raises them (all AmqpError 501 FRAME_ERROR):
//   - payload larger than frame_max (RabbitMQ's tolerance: it refuses payload > frame_max,
//     though frame_max bounds the whole frame, because clients get it wrong by up to 8 octets);
//   - a frame-end octet other than 0xCE.
// Both mean framing is lost: the parser stays failed and the connection must close. An unknown
// frame type, or a heartbeat with a payload, is also 501 but framing is intact: the parser
// moves past the frame and can go on (RabbitMQ keeps reading while it waits for close-ok).

import { AmqpError, ProtocolHeaderError, frameError } from './errors.js';
import type { Frame } from './frame.js';
import {
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  FRAME_OVERHEAD,
} from './spec.js';

const EMPTY = Buffer.alloc(0);

export interface FrameParserOptions {
  /** Largest frame accepted; 0 for no limit. Defaults to 4096, RabbitMQ's limit before tuning. */
  frameMax?: number;
  /** Expect the 8-octet protocol header before the first frame (a server does). Default true. */
  protocolHeader?: boolean;
}

export class FrameParser {
  /** Set it to the negotiated value after connection.tune-ok. */
  frameMax: number;
  private awaitingHeader: boolean;
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** A frame spanning chunks, being filled; its size is exact. */
  private partial: Buffer | null = null;
  private filled = 0;
  /** A spanning frame that is complete and comes before `buf`. */
  private ready: Buffer | null = null;
  private failure: AmqpError | null = null;

  constructor(options: FrameParserOptions = {}) {
    this.frameMax = options.frameMax ?? FRAME_MIN_SIZE;
    this.awaitingHeader = options.protocolHeader ?? true;
  }

  push(chunk: Buffer): void {
    if (this.partial !== null) {
      const n = chunk.copy(this.partial, this.filled);
      this.filled += n;
      if (this.filled < this.partial.length) return;
      this.ready = this.partial;
      this.partial = null;
      this.filled = 0;
      this.buf = chunk.subarray(n);
      this.pos = 0;
      return;
    }
    const left = this.buf.length - this.pos;
    if (left === 0) {
      this.buf = chunk;
      this.pos = 0;
      return;
    }
    const rest = this.buf.subarray(this.pos);
    if (!this.awaitingHeader && this.ready === null && left + chunk.length >= 7) {
      const size = this.peekSize(rest, chunk);
      const total = size + FRAME_OVERHEAD;
      const spans = left < total && !this.tooLarge(size);
      if (spans && left + chunk.length < total) {
        this.partial = Buffer.allocUnsafe(total);
        rest.copy(this.partial);
        this.filled = left + chunk.copy(this.partial, left);
        this.buf = EMPTY;
        this.pos = 0;
        return;
      }
      if (spans) {
        // The spanning frame completes in this chunk: copy just that frame.
        const frame = Buffer.allocUnsafe(total);
        rest.copy(frame);
        chunk.copy(frame, left, 0, total - left);
        this.ready = frame;
        this.buf = chunk.subarray(total - left);
        this.pos = 0;
        return;
      }
    }
    // A partial frame header or protocol header, an oversize frame next() will refuse, or
    // frames the caller has not pulled yet.
    this.buf = Buffer.concat([rest, chunk]);
    this.pos = 0;
  }

  /**
   * Consumes the protocol header: '0-9-1', or '0-9' (which RabbitMQ also serves as 0-9-1), or
   * null until 8 octets have arrived. Anything else throws ProtocolHeaderError; the server then
   * answers with PROTOCOL_HEADER and closes the socket.
   */
  readProtocolHeader(): '0-9-1' | '0-9' | null {
    if (!this.awaitingHeader) throw new Error('the protocol header was already read');
    if (this.buf.length - this.pos < 8) return null;
    const h = this.buf.subarray(this.pos, this.pos + 8);
    this.pos += 8;
    this.awaitingHeader = false;
    if (h.readUInt32BE(0) === 0x414d5150) {
      const version = h.readUInt32BE(4);
      if (version === 0x00000901) return '0-9-1';
      if (version === 0x01010009) return '0-9';
    }
    throw new ProtocolHeaderError(Buffer.from(h));
  }

  /** The next complete frame, or null until more bytes arrive. Throws AmqpError (see top). */
  next(): Frame | null {
    if (this.failure !== null) throw this.failure;
    if (this.awaitingHeader) throw new Error('read the protocol header first');
    if (this.ready !== null) {
      const frame = this.ready;
      this.ready = null;
      return this.frameAt(frame, 0, frame.length - FRAME_OVERHEAD);
    }
    const buf = this.buf;
    const pos = this.pos;
    if (buf.length - pos < 7) return null;
    const size = buf.readUInt32BE(pos + 3);
    if (this.tooLarge(size)) {
      const limit = this.frameMax - FRAME_OVERHEAD;
      throw this.fail(frameError(buf[pos], EMPTY, `{frame_too_large,${size},${limit}}`));
    }
    if (buf.length - pos < size + FRAME_OVERHEAD) return null;
    this.pos = pos + size + FRAME_OVERHEAD;
    if (this.pos === buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
    }
    return this.frameAt(buf, pos, size);
  }

  private frameAt(b: Buffer, o: number, size: number): Frame {
    const type = b[o];
    const payload = b.subarray(o + 7, o + 7 + size);
    const end = b[o + 7 + size];
    if (end !== FRAME_END) {
      throw this.fail(frameError(type, payload, `{invalid_frame_end_marker,${end}}`));
    }
    const known =
      type === FRAME_METHOD ||
      type === FRAME_HEADER ||
      type === FRAME_BODY ||
      (type === FRAME_HEARTBEAT && size === 0);
    if (!known) throw frameError(type, payload, 'unknown_frame');
    return { type, channel: (b[o + 1] << 8) | b[o + 2], payload };
  }

  private tooLarge(size: number): boolean {
    return this.frameMax !== 0 && size > this.frameMax;
  }

  /** The size field of a frame header split between the end of `a` and the start of `b`. */
  private peekSize(a: Buffer, b: Buffer): number {
    let size = 0;
    for (let i = 3; i < 7; i++) size = size * 256 + (i < a.length ? a[i] : b[i - a.length]);
    return size;
  }

  private fail(error: AmqpError): AmqpError {
    this.failure = error;
    return error;
  }
}
