// A raw AMQP 0-9-1 client for tests that must send what no library sends: it does the
// handshake with Warren's own codec, then writes arbitrary bytes and reports how the server
// answered (the connection.close reply code, or a plain socket close).

import net from 'node:net';
import { FrameParser } from '../src/amqp/frame-parser.js';
import { decodeMethod, encodeMethodFrame } from '../src/amqp/methods.js';
import { PROTOCOL_HEADER } from '../src/amqp/spec.js';

export interface RawOutcome {
  /** Reply code of the connection.close the server sent, if it sent one. */
  closeCode?: number;
  closeText?: string;
  /** Reply code of a channel.close, if the server closed a channel instead. */
  channelCloseCode?: number;
  socketClosed: boolean;
}

export class RawClient {
  private readonly parser = new FrameParser({ protocolHeader: false, frameMax: 0 });
  private readonly waiters: Array<() => void> = [];
  readonly outcome: RawOutcome = { socketClosed: false };
  private methods: string[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      try {
        this.parser.push(d);
        let f;
        while ((f = this.parser.next()) !== null) {
          if (f.type !== 1) continue;
          const m = decodeMethod(f.payload);
          this.methods.push(m.name);
          if (m.name === 'connection.close') {
            this.outcome.closeCode = m.args.replyCode;
            this.outcome.closeText = m.args.replyText;
            socket.write(encodeMethodFrame(0, 'connection.close-ok', {}));
          }
          if (m.name === 'channel.close') this.outcome.channelCloseCode = m.args.replyCode;
        }
      } catch {
        // The server sent its protocol header back (wrong header test): not frames.
      }
      this.wake();
    });
    socket.on('close', () => {
      this.outcome.socketClosed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until(cond: () => boolean, timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) return false;
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return true;
  }

  /** Connects and completes the handshake up to connection.open-ok (and opens channel 1). */
  static async open(port: number, openChannel = true): Promise<RawClient> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawClient(socket);
    socket.write(PROTOCOL_HEADER);
    await c.until(() => c.methods.includes('connection.start'));
    socket.write(
      encodeMethodFrame(0, 'connection.start-ok', {
        clientProperties: new Map([['capabilities', new Map([['authentication_failure_close', true]])]]),
        mechanism: 'PLAIN',
        response: Buffer.from('\u0000guest\u0000guest'),
        locale: 'en_US',
      }),
    );
    await c.until(() => c.methods.includes('connection.tune'));
    socket.write(encodeMethodFrame(0, 'connection.tune-ok', { channelMax: 0, frameMax: 131072, heartbeat: 0 }));
    socket.write(encodeMethodFrame(0, 'connection.open', { virtualHost: '/', capabilities: '', insist: false }));
    await c.until(() => c.methods.includes('connection.open-ok'));
    if (openChannel) {
      socket.write(encodeMethodFrame(1, 'channel.open', { outOfBand: '' }));
      await c.until(() => c.methods.includes('channel.open-ok'));
    }
    return c;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits for the server to close the connection (with or without a close method). */
  async closed(timeoutMs = 5000): Promise<RawOutcome> {
    await this.until(() => this.outcome.socketClosed || this.outcome.closeCode !== undefined, timeoutMs);
    return this.outcome;
  }

  /** Waits for any reaction: a connection or channel close. */
  async reaction(timeoutMs = 3000): Promise<RawOutcome> {
    await this.until(
      () => this.outcome.socketClosed || this.outcome.closeCode !== undefined || this.outcome.channelCloseCode !== undefined,
      timeoutMs,
    );
    return this.outcome;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A frame with the given type, channel and payload (and a correct frame-end octet). */
export function frame(type: number, channel: number, payload: Buffer, end = 0xce): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = type;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b[7 + payload.length] = end;
  return b;
}
