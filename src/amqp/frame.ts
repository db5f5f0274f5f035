// The frame envelope shared by the parser and the encoders: type octet, channel short, payload
// size long, payload, frame-end octet.

import { FRAME_END, FRAME_HEARTBEAT } from './spec.js';

export interface Frame {
  readonly type: number;
  readonly channel: number;
  /** A view into the received bytes: valid as long as it is referenced, never copied. */
  readonly payload: Buffer;
}

/** Writes the 7-octet frame header at `o`; returns the offset of the payload. */
export function writeFrameHeader(
  b: Buffer,
  o: number,
  type: number,
  channel: number,
  size: number,
): number {
  b[o] = type;
  b[o + 1] = channel >>> 8;
  b[o + 2] = channel & 0xff;
  b.writeUInt32BE(size, o + 3);
  return o + 7;
}

export const HEARTBEAT_FRAME: Buffer = Buffer.from([FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END]);
