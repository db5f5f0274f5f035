// Frames on the distribution port: [u32 length][JSON]. The control traffic (CLI requests, peer
// metadata) is small and infrequent, so JSON keeps it readable; bulk data gets its own frames
// when it needs them.

import type { Socket } from 'node:net';

export const MAX_FRAME = 64 * 1024 * 1024;

export type Message = { t: string } & Record<string, unknown>;

export function encodeFrame(msg: Message): Buffer {
  const body = Buffer.from(JSON.stringify(msg), 'utf8');
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** Calls `onMessage` for each whole frame read from `socket`; a malformed stream closes it. */
export function readFrames(
  socket: Socket,
  onMessage: (msg: Message) => void,
  maxFrame: () => number = () => MAX_FRAME,
): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const len = pending.readUInt32BE(0);
      if (len > maxFrame()) {
        socket.destroy(new Error(`control frame of ${len} bytes is over the limit`));
        return;
      }
      if (pending.length < 4 + len) return;
      let msg: Message;
      try {
        msg = JSON.parse(pending.toString('utf8', 4, 4 + len)) as Message;
      } catch {
        socket.destroy(new Error('malformed control frame'));
        return;
      }
      pending = pending.subarray(4 + len);
      if (typeof msg !== 'object' || msg === null || typeof msg.t !== 'string') {
        socket.destroy(new Error('malformed control frame'));
        return;
      }
      onMessage(msg);
      if (socket.destroyed) return;
    }
  });
}
