// What the AMQP conformance tests share: a per-test scope that opens connections and channels,
// hands out unique queue and exchange names and removes all of it afterwards; a way to read the
// close a server sends (which scope, reply code, reply text); and consumers that collect their
// deliveries so tests can wait for them instead of sleeping.

import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type GetMessage, type Options, type SocketOptions } from 'amqplib';
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { waitFor } from '../harness.js';
import { brokerUnderTest, type BrokerUnderTest } from './amqp-broker.js';

export { waitFor };

/** A connection.close or channel.close sent by the server, as the server worded it. */
export interface ServerClose {
  scope: 'channel' | 'connection';
  code: number;
  text: string;
}

// amqplib words a server close as `Channel closed by server: 404 (NOT-FOUND) with message
// "NOT_FOUND - ..."` (or `Connection closed: ...`); the reply text is the quoted part.
const CLOSE_MESSAGE = /(\d+) \([A-Z_-]+\) with message "(.*)"$/s;

function parseServerClose(scope: ServerClose['scope'], err: Error): ServerClose | undefined {
  const m = CLOSE_MESSAGE.exec(err.message);
  return m ? { scope, code: Number(m[1]), text: m[2] } : undefined;
}

/** The next close the server sends on `ch` or on its connection `conn`. */
export function nextServerClose(conn: ChannelModel, ch?: Channel, timeoutMs = 10_000): Promise<ServerClose> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      conn.off('error', onConnection);
      ch?.off('error', onChannel);
    };
    // Called from amqplib's event emitter, so it must not throw: a socket error or a
    // heartbeat timeout is not a close and fails the wait instead.
    const settle = (scope: ServerClose['scope'], err: Error) => {
      done();
      const close = parseServerClose(scope, err);
      if (close) resolve(close);
      else reject(new Error(`the ${scope} ended without a close from the server: ${err.message}`));
    };
    const onConnection = (err: Error) => settle('connection', err);
    const onChannel = (err: Error) => settle('channel', err);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the server sent no close within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.on('error', onConnection);
    ch?.on('error', onChannel);
  });
}

/** Runs `action` (which the server must refuse) and returns the close it provoked. */
export async function refusal(conn: ChannelModel, ch: Channel | undefined, action: () => unknown): Promise<ServerClose> {
  const closed = nextServerClose(conn, ch);
  try {
    await action();
  } catch {
    // The operation's own rejection says less than the close frame awaited below.
  }
  return closed;
}

/** Deliveries to one consumer, in arrival order. */
export class Inbox {
  readonly messages: ConsumeMessage[] = [];
  /** Set when the server cancelled the consumer (basic.cancel from the broker). */
  cancelledByServer = false;
  consumerTag = '';

  static async consume(ch: Channel, queue: string, options: Options.Consume = {}): Promise<Inbox> {
    const inbox = new Inbox();
    const ok = await ch.consume(
      queue,
      (msg) => {
        if (msg === null) inbox.cancelledByServer = true;
        else inbox.messages.push(msg);
      },
      options,
    );
    inbox.consumerTag = ok.consumerTag;
    return inbox;
  }

  /** Waits until at least `n` messages arrived and returns the first `n`. */
  async first(n: number): Promise<ConsumeMessage[]> {
    await waitFor(`${n} deliveries (have ${this.messages.length})`, () => this.messages.length >= n || undefined, 10_000);
    return this.messages.slice(0, n);
  }

  bodies(): string[] {
    return bodies(this.messages);
  }
}

export function bodies(messages: { content: Buffer }[]): string[] {
  return messages.map((m) => m.content.toString());
}

/**
 * One test's view of the broker: connections and channels it opened (closed afterwards), and
 * names it handed out (queues and exchanges of those names deleted afterwards).
 */
export class AmqpScope {
  private readonly connections: ChannelModel[] = [];
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();

  constructor(readonly url: string) {}

  /** A queue name no other test uses; the queue is deleted after the test. */
  queue(label = 'q'): string {
    const name = `${label}-${crypto.randomBytes(5).toString('hex')}`;
    this.queues.add(name);
    return name;
  }

  /** An exchange name no other test uses; the exchange is deleted after the test. */
  exchange(label = 'x'): string {
    const name = `${label}-${crypto.randomBytes(5).toString('hex')}`;
    this.exchanges.add(name);
    return name;
  }

  /** Deletes a queue the server named, after the test. */
  ownQueue(name: string): string {
    this.queues.add(name);
    return name;
  }

  async connect(url = this.url, socketOptions?: SocketOptions): Promise<ChannelModel> {
    const conn = await amqp.connect(url, socketOptions);
    // Server closes are read through nextServerClose; an unheard 'error' would crash the run.
    conn.on('error', () => {});
    this.connections.push(conn);
    return conn;
  }

  async channel(conn?: ChannelModel): Promise<Channel> {
    const ch = await (conn ?? (await this.connect())).createChannel();
    ch.on('error', () => {});
    return ch;
  }

  async confirmChannel(conn?: ChannelModel): Promise<ConfirmChannel> {
    const ch = await (conn ?? (await this.connect())).createConfirmChannel();
    ch.on('error', () => {});
    return ch;
  }

  /** A fresh connection with one channel on it. */
  async open(): Promise<{ conn: ChannelModel; ch: Channel }> {
    const conn = await this.connect();
    return { conn, ch: await this.channel(conn) };
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.close().catch(() => {})));
    this.connections.length = 0;
    if (this.queues.size === 0 && this.exchanges.size === 0) return;
    const conn = await amqp.connect(this.url);
    conn.on('error', () => {});
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      for (const q of this.queues) await ch.deleteQueue(q);
      for (const x of this.exchanges) await ch.deleteExchange(x);
    } finally {
      await conn.close().catch(() => {});
    }
    this.queues.clear();
    this.exchanges.clear();
  }
}

/** Publishes on a confirm channel and waits until the broker confirmed every message. */
export async function publishConfirmed(ch: ConfirmChannel, exchange: string, routingKey: string, contents: string[], options: Options.Publish = {}): Promise<void> {
  for (const c of contents) ch.publish(exchange, routingKey, Buffer.from(c), options);
  await ch.waitForConfirms();
}

/** Takes every ready message off `queue` with basic.get (no-ack) and returns the bodies. */
export async function drain(ch: Channel, queue: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
}

/** The next `n` messages from `queue` by basic.get in ack mode; fails if fewer are ready. */
export async function getMessages(ch: Channel, queue: string, n: number): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (let i = 0; i < n; i++) {
    const m = await ch.get(queue);
    if (m === false) throw new Error(`queue ${queue} ran out after ${i} messages`);
    out.push(m);
  }
  return out;
}

/**
 * Whether `queue` exists, asked with a passive declare on a channel of its own. Only 404 means
 * it does not: an exclusive queue of another connection answers 405 and exists.
 */
export async function queueExists(conn: ChannelModel, queue: string): Promise<boolean> {
  const ch = await conn.createChannel();
  const closed = nextServerClose(conn, ch);
  closed.catch(() => {});
  try {
    await ch.checkQueue(queue);
  } catch {
    return (await closed).code !== 404;
  }
  await ch.close();
  return true;
}

/**
 * Whether a mandatory publish to `exchange` with `routingKey` reaches a queue: the broker
 * returns an unroutable message before it confirms it. Publishing, unlike a passive declare,
 * does not count as using a queue, so this can watch for x-expires.
 */
export async function routable(ch: ConfirmChannel, exchange: string, routingKey: string): Promise<boolean> {
  let returned = false;
  const onReturn = () => {
    returned = true;
  };
  ch.on('return', onReturn);
  try {
    await new Promise<void>((resolve, reject) =>
      ch.publish(exchange, routingKey, Buffer.from('probe'), { mandatory: true }, (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    ch.off('return', onReturn);
  }
  return !returned;
}

/** The number of ready messages in `queue`, from a passive declare. */
export async function readyCount(ch: Channel, queue: string): Promise<number> {
  return (await ch.checkQueue(queue)).messageCount;
}

/**
 * The hooks every conformance file needs: one broker for the file, a fresh AmqpScope per test
 * (its names and connections cleaned up after it).
 */
export function useBrokerScope(setBroker: (b: BrokerUnderTest) => void, setScope: (s: AmqpScope) => void): void {
  let broker: BrokerUnderTest;
  let scope: AmqpScope;
  beforeAll(async () => {
    broker = await brokerUnderTest();
    setBroker(broker);
  });
  afterAll(() => broker.stop());
  beforeEach(() => {
    scope = new AmqpScope(broker.url);
    setScope(scope);
  });
  afterEach(() => scope.cleanup());
}
