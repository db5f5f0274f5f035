// One client connection: the protocol header, start/start-ok (PLAIN, AMQPLAIN), tune, open,
// heartbeats both ways, channel dispatch, close handshakes, connection.blocked, and writes
// batched per turn of the event loop (cork/uncork, so many frames leave in one syscall).
// Errors follow the spec: a soft error closes its channel, a hard one the connection.

import type net from 'node:net';
import { authenticate, isLoopback, parseCredentials } from '../broker/auth.js';
import type { Broker } from '../broker/broker.js';
import type { ClassicQueue } from '../queues/classic-queue.js';
import { Channel, type ChannelHost, type ReplyToRegistry } from './channel.js';
import { AmqpError, ProtocolHeaderError } from './errors.js';
import { HEARTBEAT_FRAME } from './frame.js';
import { FrameParser } from './frame-parser.js';
import { decodeMethod, encodeMethodFrame, methodCodec, type Method, type MethodArgs } from './methods.js';
import {
  ACCESS_REFUSED,
  CHANNEL_ERROR,
  COMMAND_INVALID,
  FRAME_BODY,
  FRAME_ERROR,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  INTERNAL_ERROR,
  NOT_ALLOWED,
  PROTOCOL_HEADER,
  type MethodName,
} from './spec.js';
import type { FieldTable, FieldValue } from './table.js';

export interface ConnectionSettings {
  frameMax: number;
  channelMax: number;
  heartbeat: number;
  loopbackUsers: string[];
  serverProperties: FieldTable;
  handshakeTimeoutMs: number;
}

export interface ConnectionHost {
  broker: Broker;
  settings: ConnectionSettings;
  replyTo: ReplyToRegistry;
  log(level: 'info' | 'warning' | 'error', text: string): void;
  opened(c: AmqpConnection): void;
  closed(c: AmqpConnection): void;
  /** Whether publishers must be held (a resource alarm is on). */
  alarmed(): boolean;
}

type State = 'header' | 'start' | 'tune' | 'open' | 'running' | 'closing' | 'closed';

/** How long a refused or misbehaving client waits before its socket closes (slows guessing). */
const REFUSAL_DELAY_MS = 3000;

/** The longest a publisher waits for a backed-up queue; then it publishes freely for a while. */
const MAX_THROTTLE_MS = 1000;
const THROTTLE_GRACE_MS = 100;

/** Pending writes above this stop deliveries until the socket drains. */
const WRITE_HIGH_WATER = 1024 * 1024;

export class AmqpConnection implements ChannelHost {
  private state: State = 'header';
  private readonly parser = new FrameParser({ protocolHeader: true });
  private readonly channels = new Map<number, Channel>();
  private outbox: Buffer[] = [];
  private flushScheduled = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private lastReceived = Date.now();
  private sentSinceBeat = false;
  private blocked = false;
  /** A publish arrived while blocked: reading and frame handling wait for the unblock. */
  private heldByAlarm = false;
  /** Queues this connection waits on under flow control (see ClassicQueue.overloaded). */
  private throttledBy = 0;
  private throttleGraceUntil = 0;
  private processing = false;
  private closedChannels = new Set<number>();
  user = '';
  vhost = '';
  frameMax = FRAME_MIN_SIZE;
  channelMax = 0;
  heartbeat = 0;
  clientProperties: FieldTable = new Map();
  consumerCancelNotify = false;
  private authFailureClose = false;
  readonly connectedAt = Date.now();
  readonly owner: object = this;

  constructor(
    readonly socket: net.Socket,
    private readonly host: ConnectionHost,
    readonly id: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      for (const ch of this.channels.values()) ch.kickConsumers();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.teardown());
    this.handshakeTimer = setTimeout(() => {
      if (this.state !== 'running') socket.destroy();
    }, host.settings.handshakeTimeoutMs);
  }

  get broker(): Broker {
    return this.host.broker;
  }

  get replyTo(): ReplyToRegistry {
    return this.host.replyTo;
  }

  get peer(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  channelList(): Channel[] {
    return [...this.channels.values()];
  }

  // ---- writing ----

  sendMethod<N extends MethodName>(channel: number, name: N, args: MethodArgs<N>): void {
    this.queueWrite(encodeMethodFrame(channel, name, args));
  }

  sendFrames(frames: Buffer[]): void {
    for (const f of frames) this.queueWrite(f);
  }

  private queueWrite(b: Buffer): void {
    if (this.state === 'closed') return;
    this.outbox.push(b);
    this.sentSinceBeat = true;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.socket.destroyed) return;
    const out = this.outbox;
    this.outbox = [];
    this.socket.cork();
    for (const b of out) this.socket.write(b);
    this.socket.uncork();
  }

  writable(): boolean {
    return this.socket.writableLength + this.outbox.length * 64 < WRITE_HIGH_WATER;
  }

  // ---- reading ----

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    if (this.state === 'closed') return;
    this.parser.push(chunk);
    if (!this.processing) {
      this.processing = true;
      void this.drain();
    }
  }

  /** Handles frames in order; an asynchronous method (a durable declare) holds the ones after it. */
  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.state === 'header') {
          const version = this.parser.readProtocolHeader();
          if (version === null) return;
          this.startHandshake();
          continue;
        }
        // Blocked by an alarm: hold this connection's frames after its first publish.
        if ((this.blocked && this.heldByAlarm) || this.throttledBy > 0) return;
        const frame = this.parser.next();
        if (frame === null) return;
        const pending = this.handleFrame(frame.type, frame.channel, frame.payload);
        if (pending !== undefined) await pending;
        if (this.state === 'closed') return;
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.processing = false;
    }
  }

  private fail(err: unknown): void {
    if (err instanceof ProtocolHeaderError) {
      this.socket.end(PROTOCOL_HEADER);
      this.state = 'closed';
      return;
    }
    if (err instanceof AmqpError) {
      if (this.state === 'start' || this.state === 'tune') {
        this.host.log('warning', `AMQP connection ${this.peer}: dropped during the handshake: ${err.replyText}`);
        // Before the connection is open a broken client gets no explanation, only a delay.
        this.dropAfterDelay();
        return;
      }
      this.closeConnection(err);
      return;
    }
    this.host.log('error', `AMQP connection ${this.peer}: ${(err as Error).stack ?? String(err)}`);
    this.closeConnection(new AmqpError(INTERNAL_ERROR, 'internal error'));
  }

  private handleFrame(type: number, channel: number, payload: Buffer): Promise<void> | void {
    if (type === FRAME_HEARTBEAT) return;
    if (this.state === 'closing') {
      if (type === FRAME_METHOD && channel === 0) {
        const m = decodeMethod(payload);
        if (m.name === 'connection.close-ok' || m.name === 'connection.close') {
          if (m.name === 'connection.close') this.sendMethod(0, 'connection.close-ok', {});
          this.finish();
        }
      }
      return;
    }
    if (channel === 0) {
      if (type !== FRAME_METHOD) throw new AmqpError(COMMAND_INVALID, 'unexpected content frame on channel 0');
      return this.connectionMethod(decodeMethod(payload));
    }
    if (this.state !== 'running') throw new AmqpError(COMMAND_INVALID, 'channel frames before connection.open');
    if (this.closedChannels.has(channel)) {
      // After the server closed a channel only close/close-ok count.
      if (type === FRAME_METHOD) {
        const m = decodeMethod(payload);
        if (m.name === 'channel.close-ok') this.closedChannels.delete(channel);
        else if (m.name === 'channel.close') {
          this.closedChannels.delete(channel);
          this.sendMethod(channel, 'channel.close-ok', {});
        }
      }
      return;
    }
    const ch = this.channels.get(channel);
    if (type === FRAME_METHOD) {
      const m = decodeMethod(payload);
      if (ch === undefined) {
        if (m.name !== 'channel.open') throw new AmqpError(CHANNEL_ERROR, `expected 'channel.open'`);
        if (channel > this.channelMax && this.channelMax !== 0) {
          throw new AmqpError(CHANNEL_ERROR, `channel ${channel} is above channel_max ${this.channelMax}`);
        }
        this.channels.set(channel, new Channel(channel, this));
        this.sendMethod(channel, 'channel.open-ok', { channelId: Buffer.alloc(0) });
        return;
      }
      if (m.name === 'channel.open') throw new AmqpError(CHANNEL_ERROR, `second 'channel.open' seen`);
      if (m.name === 'channel.close') {
        ch.close();
        this.channels.delete(channel);
        this.sendMethod(channel, 'channel.close-ok', {});
        return;
      }
      if (m.name === 'channel.close-ok') return;
      return this.channelCall(ch, () => ch.handleMethod(m));
    }
    if (ch === undefined) throw new AmqpError(CHANNEL_ERROR, `expected 'channel.open'`);
    if (type === FRAME_HEADER) return this.channelCall(ch, () => ch.handleHeader(payload));
    if (type === FRAME_BODY) {
      if (this.blocked) {
        this.heldByAlarm = true;
        this.socket.pause();
      }
      return this.channelCall(ch, () => ch.handleBody(payload));
    }
    throw new AmqpError(FRAME_ERROR, `unknown frame type ${type}`);
  }

  /** Runs a channel's method; a soft error closes that channel only. */
  private channelCall(ch: Channel, work: () => Promise<void> | void): Promise<void> | void {
    try {
      const r = work();
      if (r !== undefined) return r.catch((err) => this.channelError(ch, err));
    } catch (err) {
      this.channelError(ch, err);
    }
  }

  private channelError(ch: Channel, err: unknown): void {
    if (!(err instanceof AmqpError) || err.hard) throw err;
    if (ch.closing) return;
    ch.close();
    this.channels.delete(ch.id);
    this.closedChannels.add(ch.id);
    this.sendMethod(ch.id, 'channel.close', {
      replyCode: err.replyCode,
      replyText: err.replyText,
      classId: err.classId,
      methodId: err.methodId,
    });
  }

  // ---- connection class ----

  private startHandshake(): void {
    this.state = 'start';
    this.sendMethod(0, 'connection.start', {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: this.host.settings.serverProperties,
      mechanisms: Buffer.from('AMQPLAIN PLAIN'),
      locales: Buffer.from('en_US'),
    });
  }

  private dropAfterDelay(): void {
    this.state = 'closed';
    this.socket.pause();
    setTimeout(() => this.socket.destroy(), REFUSAL_DELAY_MS).unref();
  }

  private connectionMethod(m: Method): Promise<void> | void {
    try {
      return this.connectionMethodOf(m);
    } catch (err) {
      // Refusals of the handshake's own methods (login, vhost) are explained with a close.
      if (err instanceof AmqpError && (m.name === 'connection.start-ok' || m.name === 'connection.open' || m.name === 'connection.tune-ok')) {
        const { classId, methodId } = methodCodec(m.name).spec;
        this.closeConnection(err.withMethod(classId, methodId));
        return;
      }
      throw err;
    }
  }

  private connectionMethodOf(m: Method): Promise<void> | void {
    switch (m.name) {
      case 'connection.start-ok':
        if (this.state !== 'start') break;
        return this.startOk(m.args);
      case 'connection.tune-ok':
        if (this.state !== 'tune') break;
        return this.tuneOk(m.args);
      case 'connection.open':
        if (this.state !== 'open') break;
        return this.open(m.args.virtualHost);
      case 'connection.close':
        this.sendMethod(0, 'connection.close-ok', {});
        this.finish();
        return;
      case 'connection.close-ok':
        this.finish();
        return;
      case 'connection.update-secret':
        this.sendMethod(0, 'connection.update-secret-ok', {});
        return;
      default:
        break;
    }
    throw new AmqpError(COMMAND_INVALID, `unexpected method ${m.name} in connection state ${this.state}`);
  }

  private startOk(a: MethodArgs<'connection.start-ok'>): void {
    this.clientProperties = a.clientProperties;
    const caps = a.clientProperties.get('capabilities');
    const cap = (name: string) => caps instanceof Map && caps.get(name) === true;
    this.consumerCancelNotify = cap('consumer_cancel_notify');
    this.authFailureClose = cap('authentication_failure_close');
    const mechanism = a.mechanism;
    if (mechanism !== 'PLAIN' && mechanism !== 'AMQPLAIN') {
      throw new AmqpError(COMMAND_INVALID, `unknown authentication mechanism '${mechanism}'`);
    }
    const creds = parseCredentials(mechanism, a.response);
    const refuse = (why: string) => {
      this.host.log('warning', `AMQP connection ${this.peer}: login refused for user '${creds?.username ?? ''}': ${why}`);
      const err = new AmqpError(
        ACCESS_REFUSED,
        `Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
      );
      // The refusal is explained to clients that can take it; the socket closes after a delay
      // either way, without waiting for close-ok.
      if (this.authFailureClose) this.sendMethod(0, 'connection.close', {
        replyCode: err.replyCode,
        replyText: err.replyText,
        classId: 0,
        methodId: 0,
      });
      this.flush();
      this.dropAfterDelay();
    };
    if (creds === undefined) return refuse('malformed credentials');
    if (!authenticate(this.host.broker.metadata, creds)) return refuse('invalid credentials');
    if (this.host.settings.loopbackUsers.includes(creds.username) && !isLoopback(this.socket.remoteAddress)) {
      return refuse(`user '${creds.username}' can only connect via localhost`);
    }
    this.user = creds.username;
    this.state = 'tune';
    const s = this.host.settings;
    this.sendMethod(0, 'connection.tune', { channelMax: s.channelMax, frameMax: s.frameMax, heartbeat: s.heartbeat });
  }

  private tuneOk(a: MethodArgs<'connection.tune-ok'>): void {
    const s = this.host.settings;
    const frameMax = a.frameMax === 0 ? s.frameMax : a.frameMax;
    if (frameMax < FRAME_MIN_SIZE) {
      throw new AmqpError(NOT_ALLOWED, `frame_max=${frameMax} < ${FRAME_MIN_SIZE} min_size`);
    }
    if (frameMax > s.frameMax) {
      throw new AmqpError(NOT_ALLOWED, `frame_max=${frameMax} > ${s.frameMax} max_size`);
    }
    this.frameMax = frameMax;
    this.parser.frameMax = frameMax;
    this.channelMax = a.channelMax === 0 ? s.channelMax : Math.min(a.channelMax, s.channelMax);
    this.heartbeat = a.heartbeat;
    this.state = 'open';
    this.startHeartbeats();
  }

  private open(vhost: string): void {
    const broker = this.host.broker;
    const vh = broker.vhosts.get(vhost);
    if (vh === undefined) throw new AmqpError(NOT_ALLOWED, `vhost ${vhost} not found`);
    if (broker.metadata.permissionsFor(this.user, vhost) === undefined) {
      throw new AmqpError(NOT_ALLOWED, `access to vhost '${vhost}' refused for user '${this.user}'`);
    }
    const limit = broker.metadata.limits.get(vhost)?.['max-connections'];
    if (limit !== undefined && limit >= 0 && vh.connections >= limit) {
      throw new AmqpError(
        NOT_ALLOWED,
        `access to vhost '${vhost}' refused for user '${this.user}': connection limit (${limit}) is reached`,
      );
    }
    vh.connections++;
    this.vhost = vhost;
    this.state = 'running';
    clearTimeout(this.handshakeTimer);
    this.sendMethod(0, 'connection.open-ok', { knownHosts: '' });
    this.host.opened(this);
    if (this.host.alarmed()) this.setBlocked(true);
  }

  // ---- heartbeats, blocking, closing ----

  private startHeartbeats(): void {
    if (this.heartbeat === 0) return;
    const periodMs = (this.heartbeat * 1000) / 2;
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastReceived > this.heartbeat * 2 * 1000) {
        this.host.log('warning', `AMQP connection ${this.peer}: missed heartbeats from client, timeout: ${this.heartbeat}s`);
        this.socket.destroy();
        return;
      }
      if (!this.sentSinceBeat) this.queueWrite(HEARTBEAT_FRAME);
      this.sentSinceBeat = false;
    }, periodMs);
    this.heartbeatTimer.unref();
  }

  /**
   * Flow control for a connection that only publishes: reading pauses until the backed-up
   * queue's consumers catch up. A connection with consumers of its own is never paused (its
   * acks must keep flowing), as a publisher-only connection is RabbitMQ's usual flow case.
   */
  throttle(queue: ClassicQueue): void {
    if (Date.now() < this.throttleGraceUntil || this.channelList().some((c) => c.consumerCount > 0)) return;
    this.throttledBy++;
    this.socket.pause();
    let released = false;
    const release = (timedOut: boolean) => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      // After waiting in vain, publish freely for as long again (and read a close, say).
      if (timedOut) this.throttleGraceUntil = Date.now() + THROTTLE_GRACE_MS;
      if (--this.throttledBy > 0 || this.state === 'closed') return;
      if (!(this.blocked && this.heldByAlarm)) this.socket.resume();
      if (!this.processing) {
        this.processing = true;
        void this.drain();
      }
    };
    // Paced, never stuck: consumers that stop taking messages do not hold publishers forever.
    const timer = setTimeout(() => release(true), MAX_THROTTLE_MS);
    queue.whenRelieved(() => release(false));
  }

  /** The state list_connections shows: flow while held back by a backed-up queue. */
  get flowing(): boolean {
    return this.throttledBy > 0;
  }

  /** A resource alarm: tell the client and stop reading its publishes (consumers go on). */
  setBlocked(on: boolean, reason = 'low on memory'): void {
    if (this.state !== 'running' || on === this.blocked) return;
    this.blocked = on;
    const caps = this.clientProperties.get('capabilities');
    const wants = caps instanceof Map && (caps.get('connection.blocked') as FieldValue) === true;
    if (on) {
      // Reading stops at this connection's next publish (see handleFrame); consumers go on.
      if (wants) this.sendMethod(0, 'connection.blocked', { reason });
    } else {
      if (wants) this.sendMethod(0, 'connection.unblocked', {});
      this.heldByAlarm = false;
      this.socket.resume();
      if (!this.processing) {
        this.processing = true;
        void this.drain();
      }
    }
  }

  /** Closes the connection with an error (or a forced close), then waits for close-ok. */
  closeConnection(err: AmqpError): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.host.log('warning', `AMQP connection ${this.peer}: closing with ${err.replyCode}: ${err.replyText}`);
    this.state = 'closing';
    this.sendMethod(0, 'connection.close', {
      replyCode: err.replyCode,
      replyText: err.replyText,
      classId: err.classId,
      methodId: err.methodId,
    });
    setTimeout(() => this.finish(), 1000).unref();
  }

  private finish(): void {
    this.flush();
    this.state = 'closed';
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private teardown(): void {
    this.state = 'closed';
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.handshakeTimer);
    for (const ch of this.channels.values()) ch.close();
    this.channels.clear();
    const vh = this.host.broker.vhosts.get(this.vhost);
    if (vh !== undefined && this.vhost !== '') vh.connections--;
    this.host.broker.connectionClosed(this);
    this.host.closed(this);
  }
}
