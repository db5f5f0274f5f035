// A raw AMQP 0-9-1 client for the conformance tests that need what no client library does on
// purpose: a wrong protocol header, garbage frames, a silent peer that stops heartbeating, a
// handshake whose refusal text the library would swallow. It is written by hand from the spec
// (section 4.2 for frames, 1.4 for the connection class) and knows only the few methods it
// needs, so a broker is never tested against its own codec.

import net from 'node:net';

export const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');

export const FRAME_METHOD = 1;
export const FRAME_HEARTBEAT = 8;
const FRAME_END = 0xce;

export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

/** A decoded connection.close (class 10, method 50). */
export interface ConnectionClose {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

export class WireClient {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  /** Resolves with the time (ms since epoch) at which the server closed the socket. */
  readonly ended: Promise<number>;
  private isEnded = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    this.ended = new Promise((resolve) => {
      socket.on('close', () => {
        this.isEnded = true;
        this.wake();
        resolve(Date.now());
      });
    });
    // A reset from the server ends the conversation just as a FIN does.
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, localAddress }, () => {
        socket.off('error', reject);
        resolve(new WireClient(socket));
      });
      socket.once('error', reject);
    });
  }

  write(data: Buffer): void {
    this.socket.write(data);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private async until(have: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!have()) {
      if (this.isEnded) throw new Error(`the server closed the socket before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The next `n` raw bytes from the server. */
  async readBytes(n: number, timeoutMs = 10_000): Promise<Buffer> {
    await this.until(() => this.buffer.length >= n, `${n} bytes`, timeoutMs);
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Every byte the server sends until it closes the socket. */
  async readToEnd(timeoutMs = 10_000): Promise<Buffer> {
    await this.until(() => this.isEnded, 'the socket to close', timeoutMs);
    const out = this.buffer;
    this.buffer = Buffer.alloc(0);
    return out;
  }

  async readFrame(timeoutMs = 10_000): Promise<Frame> {
    const header = await this.readBytes(7, timeoutMs);
    const size = header.readUInt32BE(3);
    const rest = await this.readBytes(size + 1, timeoutMs);
    if (rest[size] !== FRAME_END) throw new Error(`frame without frame-end octet: ${rest[size]}`);
    return { type: header[0], channel: header.readUInt16BE(1), payload: rest.subarray(0, size) };
  }

  /** The next method frame, skipping heartbeats. */
  async readMethod(timeoutMs = 10_000): Promise<{ classId: number; methodId: number; args: Buffer }> {
    for (;;) {
      const f = await this.readFrame(timeoutMs);
      if (f.type === FRAME_HEARTBEAT) continue;
      if (f.type !== FRAME_METHOD) throw new Error(`expected a method frame, got type ${f.type}`);
      return { classId: f.payload.readUInt16BE(0), methodId: f.payload.readUInt16BE(2), args: f.payload.subarray(4) };
    }
  }

  sendMethod(channel: number, classId: number, methodId: number, args: Buffer): void {
    const payload = Buffer.concat([u16(classId), u16(methodId), args]);
    this.write(frame(FRAME_METHOD, channel, payload));
  }
}

export function frame(type: number, channel: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([FRAME_END])]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function shortstr(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

function longstr(b: Buffer): Buffer {
  return Buffer.concat([u32(b.length), b]);
}

/** A field table holding one nested table `capabilities` of true booleans. */
function clientProperties(capabilities: string[]): Buffer {
  const caps = Buffer.concat(capabilities.map((c) => Buffer.concat([shortstr(c), Buffer.from('t\x01', 'latin1')])));
  const entry = Buffer.concat([shortstr('capabilities'), Buffer.from('F', 'latin1'), longstr(caps)]);
  return longstr(entry);
}

export function decodeConnectionClose(args: Buffer): ConnectionClose {
  const textLength = args[2];
  return {
    replyCode: args.readUInt16BE(0),
    replyText: args.subarray(3, 3 + textLength).toString('utf8'),
    classId: args.readUInt16BE(3 + textLength),
    methodId: args.readUInt16BE(5 + textLength),
  };
}

export interface HandshakeOptions {
  user?: string;
  password?: string;
  vhost?: string;
  /** Heartbeat for tune-ok; the server's proposal when undefined. */
  heartbeat?: number;
}

export type HandshakeOutcome =
  | { opened: true; tune: { channelMax: number; frameMax: number; heartbeat: number } }
  | { opened: false; close: ConnectionClose };

/**
 * The opening handshake of section 2.2.4: header, start/start-ok (PLAIN), tune/tune-ok,
 * open/open-ok. It announces authentication_failure_close, as every modern client does, so a
 * broker explains a refused login instead of dropping the socket.
 */
export async function handshake(client: WireClient, options: HandshakeOptions = {}): Promise<HandshakeOutcome> {
  const { user = 'guest', password = 'guest', vhost = '/' } = options;
  client.write(PROTOCOL_HEADER);
  const start = await client.readMethod();
  if (start.classId !== 10 || start.methodId !== 10) throw new Error(`expected connection.start, got ${start.classId}.${start.methodId}`);
  client.sendMethod(
    0,
    10,
    11,
    Buffer.concat([
      clientProperties(['authentication_failure_close', 'consumer_cancel_notify']),
      shortstr('PLAIN'),
      longstr(Buffer.from(`\0${user}\0${password}`, 'utf8')),
      shortstr('en_US'),
    ]),
  );
  const tune = await client.readMethod();
  if (tune.classId === 10 && tune.methodId === 50) return { opened: false, close: decodeConnectionClose(tune.args) };
  if (tune.classId !== 10 || tune.methodId !== 30) throw new Error(`expected connection.tune, got ${tune.classId}.${tune.methodId}`);
  const proposed = { channelMax: tune.args.readUInt16BE(0), frameMax: tune.args.readUInt32BE(2), heartbeat: tune.args.readUInt16BE(6) };
  const heartbeat = options.heartbeat ?? proposed.heartbeat;
  client.sendMethod(0, 10, 31, Buffer.concat([u16(proposed.channelMax), u32(proposed.frameMax), u16(heartbeat)]));
  client.sendMethod(0, 10, 40, Buffer.concat([shortstr(vhost), shortstr(''), Buffer.from([0])]));
  const open = await client.readMethod();
  if (open.classId === 10 && open.methodId === 50) return { opened: false, close: decodeConnectionClose(open.args) };
  if (open.classId !== 10 || open.methodId !== 41) throw new Error(`expected connection.open-ok, got ${open.classId}.${open.methodId}`);
  return { opened: true, tune: proposed };
}
