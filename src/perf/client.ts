// warren-perf's AMQP 0-9-1 client, on Warren's own codec (src/amqp): the handshake (PLAIN),
// channels with synchronous request/reply for setup, connection.blocked, heartbeats, and a hot
// path for what arrives per message (basic.deliver, its content, publisher confirms), which it
// reads in place from the frame and hands to a ContentHandler without building objects.
//
// Why not amqplib: it decodes every delivery into objects, copies each body and emits an event
// per message; on this 2-core machine it would use the CPU the broker needs and measure itself.
// Sending is left to the caller: a producer writes whole pre-encoded batches with write().

import net from 'node:net';
import { HEARTBEAT_FRAME } from '../amqp/frame.js';
import { FrameParser } from '../amqp/frame-parser.js';
import { decodeMethod, encodeMethodFrame, type Method, type MethodArgs } from '../amqp/methods.js';
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_METHOD,
  PROTOCOL_HEADER,
  REPLY_SUCCESS,
  type MethodName,
} from '../amqp/spec.js';
import type { FieldTable, FieldValue } from '../amqp/table.js';
import type { AmqpUri } from './uri.js';

const DELIVER = (60 << 16) | 60;
const RETURN = (60 << 16) | 50;
const ACK = (60 << 16) | 80;
const NACK = (60 << 16) | 120;
const TWO_32 = 2 ** 32;
/** The largest frame we ask for: RabbitMQ's default, and what PerfTest gets. */
const FRAME_MAX = 131072;
const CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;

/** The broker closed a channel or the connection (reply code and text as it sent them). */
export class BrokerError extends Error {
  constructor(
    readonly scope: 'channel' | 'connection',
    readonly replyCode: number,
    readonly replyText: string,
  ) {
    super(`the broker closed the ${scope}: ${replyCode} ${replyText}`);
    this.name = 'BrokerError';
  }
}

/** The socket failed, or closed without a close handshake. */
export class ConnectionFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionFailure';
  }
}

/** Receives the per-message traffic of a connection, in arrival order. */
export interface ContentHandler {
  /** Once per socket chunk, before its frames: a consumer reads the clock here. */
  chunkStart(): void;
  deliver(deliveryTag: number): void;
  /** A body frame of the delivered message; `first` for its first body frame. */
  body(payload: Buffer, first: boolean): void;
  /** The delivered message is complete. */
  delivered(): void;
  confirm(deliveryTag: number, multiple: boolean, nack: boolean): void;
  returned(): void;
  /** After the chunk's frames: a consumer writes its acks here, once. */
  chunkEnd(): void;
}

export interface ClientOptions {
  /** Shown as connection_name in the broker's list_connections. */
  name: string;
  /** Seconds; undefined takes the broker's proposal. */
  heartbeat?: number;
}

interface Pending {
  channel: number;
  reply: MethodName;
  resolve(m: Method): void;
  reject(e: Error): void;
}

const enum ContentState {
  None,
  Deliver,
  Skip,
}

export class AmqpClient {
  frameMax = FRAME_MAX;
  blocked = false;
  /** Set when the connection failed; every later request rejects with it. */
  failure: Error | undefined;
  handler: ContentHandler | undefined;
  /** Called once if the connection fails outside a request (broker close, socket loss). */
  onFailure: ((e: Error) => void) | undefined;
  onBlocked: ((blocked: boolean) => void) | undefined;
  private readonly parser = new FrameParser({ protocolHeader: false, frameMax: 0 });
  private pending: Pending[] = [];
  private closing = false;
  private closed = false;
  private content = ContentState.None;
  private remaining = 0;
  private firstBody = false;
  private wrote = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new ConnectionFailure(err.message)));
    socket.on('close', () => {
      this.closed = true;
      clearInterval(this.heartbeatTimer);
      if (!this.closing) this.fail(new ConnectionFailure('the broker closed the socket'));
    });
  }

  static async connect(uri: AmqpUri, options: ClientOptions): Promise<AmqpClient> {
    const socket = net.connect({ host: uri.host, port: uri.port });
    const client = new AmqpClient(socket);
    const timer = setTimeout(() => {
      client.fail(new ConnectionFailure(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`));
      socket.destroy();
    }, CONNECT_TIMEOUT_MS);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      await client.handshake(uri, options);
      return client;
    } catch (err) {
      socket.destroy();
      const e = err as NodeJS.ErrnoException;
      if (err instanceof BrokerError) throw err;
      throw new ConnectionFailure(`cannot connect to ${uri.host}:${uri.port}: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async handshake(uri: AmqpUri, options: ClientOptions): Promise<void> {
    const started = this.expect(0, 'connection.start');
    this.socket.write(PROTOCOL_HEADER);
    const start = (await started) as Extract<Method, { name: 'connection.start' }>;
    if (!start.args.mechanisms.toString().split(' ').includes('PLAIN')) {
      throw new ConnectionFailure(`the broker does not offer PLAIN (it offers ${start.args.mechanisms.toString()})`);
    }
    const capabilities: FieldTable = new Map([
      ['publisher_confirms', true],
      ['basic.nack', true],
      ['consumer_cancel_notify', true],
      ['connection.blocked', true],
      ['authentication_failure_close', true],
    ]);
    const tuned = this.expect(0, 'connection.tune');
    this.sendMethod(0, 'connection.start-ok', {
      clientProperties: new Map<string, FieldValue>([
        ['product', 'warren-perf'],
        ['platform', `Node.js ${process.version}`],
        ['capabilities', capabilities],
        ['connection_name', options.name],
      ]),
      mechanism: 'PLAIN',
      response: Buffer.from(`\0${uri.user}\0${uri.password}`),
      locale: 'en_US',
    });
    const tune = (await tuned) as Extract<Method, { name: 'connection.tune' }>;
    const serverMax = tune.args.frameMax;
    this.frameMax = serverMax === 0 ? FRAME_MAX : Math.min(serverMax, FRAME_MAX);
    const heartbeat = options.heartbeat ?? tune.args.heartbeat;
    this.sendMethod(0, 'connection.tune-ok', { channelMax: tune.args.channelMax, frameMax: this.frameMax, heartbeat });
    this.parser.frameMax = this.frameMax;
    await this.request(0, 'connection.open', { virtualHost: uri.vhost, capabilities: '', insist: false }, 'connection.open-ok');
    if (heartbeat > 0) {
      this.heartbeatTimer = setInterval(() => {
        if (!this.wrote) this.socket.write(HEARTBEAT_FRAME);
        this.wrote = false;
      }, (heartbeat * 1000) / 2);
      this.heartbeatTimer.unref();
    }
  }

  // ---- sending ----

  /** Writes pre-encoded frames; false means the socket's buffer is full (wait for 'drain'). */
  write(frames: Buffer): boolean {
    this.wrote = true;
    return this.socket.write(frames);
  }

  sendMethod<N extends MethodName>(channel: number, name: N, args: MethodArgs<N>): boolean {
    return this.write(encodeMethodFrame(channel, name, args));
  }

  /** Sends a synchronous method and resolves with its reply's arguments. */
  async request<N extends MethodName, R extends MethodName>(
    channel: number,
    name: N,
    args: MethodArgs<N>,
    reply: R,
  ): Promise<MethodArgs<R>> {
    const answered = this.expect(channel, reply);
    this.sendMethod(channel, name, args);
    return (await answered).args as MethodArgs<R>;
  }

  private expect(channel: number, reply: MethodName): Promise<Method> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.push({ channel, reply, resolve, reject }));
  }

  // ---- the usual requests ----

  async openChannel(channel: number): Promise<void> {
    await this.request(channel, 'channel.open', { outOfBand: '' }, 'channel.open-ok');
  }

  declareQueue(
    channel: number,
    queue: string,
    options: { durable?: boolean; exclusive?: boolean; autoDelete?: boolean; passive?: boolean; arguments?: FieldTable } = {},
  ): Promise<MethodArgs<'queue.declare-ok'>> {
    return this.request(
      channel,
      'queue.declare',
      {
        ticket: 0,
        queue,
        passive: options.passive ?? false,
        durable: options.durable ?? false,
        exclusive: options.exclusive ?? false,
        autoDelete: options.autoDelete ?? false,
        nowait: false,
        arguments: options.arguments ?? new Map(),
      },
      'queue.declare-ok',
    );
  }

  deleteQueue(channel: number, queue: string): Promise<MethodArgs<'queue.delete-ok'>> {
    return this.request(channel, 'queue.delete', { ticket: 0, queue, ifUnused: false, ifEmpty: false, nowait: false }, 'queue.delete-ok');
  }

  async bindQueue(channel: number, queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.request(channel, 'queue.bind', { ticket: 0, queue, exchange, routingKey, nowait: false, arguments: new Map() }, 'queue.bind-ok');
  }

  async unbindQueue(channel: number, queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.request(channel, 'queue.unbind', { ticket: 0, queue, exchange, routingKey, arguments: new Map() }, 'queue.unbind-ok');
  }

  async qos(channel: number, prefetchCount: number): Promise<void> {
    await this.request(channel, 'basic.qos', { prefetchSize: 0, prefetchCount, global: false }, 'basic.qos-ok');
  }

  async consume(channel: number, queue: string, noAck: boolean): Promise<string> {
    const ok = await this.request(
      channel,
      'basic.consume',
      { ticket: 0, queue, consumerTag: '', noLocal: false, noAck, exclusive: false, nowait: false, arguments: new Map() },
      'basic.consume-ok',
    );
    return ok.consumerTag;
  }

  async confirmSelect(channel: number): Promise<void> {
    await this.request(channel, 'confirm.select', { nowait: false }, 'confirm.select-ok');
  }

  /** The close handshake; the socket is destroyed if the broker does not answer in time. */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    clearInterval(this.heartbeatTimer);
    if (this.failure === undefined) {
      const done = this.expect(0, 'connection.close-ok').catch(() => undefined);
      this.sendMethod(0, 'connection.close', { replyCode: REPLY_SUCCESS, replyText: 'warren-perf done', classId: 0, methodId: 0 });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((r) => (timer = setTimeout(r, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
    }
    this.socket.destroy();
  }

  // ---- receiving ----

  private onData(chunk: Buffer): void {
    const h = this.handler;
    h?.chunkStart();
    this.parser.push(chunk);
    try {
      for (let f = this.parser.next(); f !== null; f = this.parser.next()) {
        const p = f.payload;
        if (f.type === FRAME_METHOD) {
          const id = p.length >= 4 ? p.readUInt32BE(0) : 0;
          if (h !== undefined) {
            if (id === DELIVER) {
              const o = 5 + p[4];
              h.deliver(p.readUInt32BE(o) * TWO_32 + p.readUInt32BE(o + 4));
              this.content = ContentState.Deliver;
              continue;
            }
            if (id === ACK || id === NACK) {
              h.confirm(p.readUInt32BE(4) * TWO_32 + p.readUInt32BE(8), (p[12] & 1) !== 0, id === NACK);
              continue;
            }
            if (id === RETURN) {
              h.returned();
              this.content = ContentState.Skip;
              continue;
            }
          }
          this.onMethod(f.channel, decodeMethod(p));
        } else if (f.type === FRAME_HEADER) {
          this.remaining = p.readUInt32BE(4) * TWO_32 + p.readUInt32BE(8);
          this.firstBody = true;
          if (this.remaining === 0) this.contentDone();
        } else if (f.type === FRAME_BODY) {
          if (this.content === ContentState.Deliver) h!.body(p, this.firstBody);
          this.firstBody = false;
          this.remaining -= p.length;
          if (this.remaining <= 0) this.contentDone();
        }
      }
    } catch (err) {
      this.fail(new ConnectionFailure(`cannot read what the broker sent: ${(err as Error).message}`));
      this.socket.destroy();
      return;
    }
    h?.chunkEnd();
  }

  private contentDone(): void {
    if (this.content === ContentState.Deliver) this.handler!.delivered();
    this.content = ContentState.None;
  }

  private onMethod(channel: number, m: Method): void {
    const i = this.pending.findIndex((p) => p.channel === channel);
    const waiting = i >= 0 ? this.pending[i] : undefined;
    if (waiting !== undefined && waiting.reply === m.name) {
      this.pending.splice(i, 1);
      waiting.resolve(m);
      return;
    }
    switch (m.name) {
      case 'connection.blocked':
      case 'connection.unblocked':
        this.blocked = m.name === 'connection.blocked';
        this.onBlocked?.(this.blocked);
        return;
      case 'connection.close': {
        this.sendMethod(0, 'connection.close-ok', {});
        this.fail(new BrokerError('connection', m.args.replyCode, m.args.replyText));
        this.closing = true;
        this.socket.end();
        return;
      }
      case 'channel.close': {
        this.sendMethod(channel, 'channel.close-ok', {});
        this.fail(new BrokerError('channel', m.args.replyCode, m.args.replyText));
        return;
      }
      case 'basic.cancel':
        this.fail(new BrokerError('channel', 0, `the broker cancelled consumer ${m.args.consumerTag} (was the queue deleted?)`));
        return;
      default:
      // Replies nobody waits for (a late consume-ok, a flow-ok) change nothing here.
    }
  }

  /** Records the first failure, rejects every request and tells the owner. */
  private fail(e: Error): void {
    if (this.failure !== undefined) return;
    this.failure = e;
    for (const p of this.pending.splice(0)) p.reject(e);
    if (!this.closing) this.onFailure?.(e);
  }
}
