// Bad input from one client never crashes the node or disturbs other clients: each malformed
// frame gets the spec's reply code and a closed connection, and random or mutated frames are
// survived while a well-behaved connection keeps publishing and consuming next to them.

import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMethodFrame } from '../../src/amqp/methods.js';
import { Host, type NodeHandle } from '../harness.js';
import { RawClient, frame } from '../raw-amqp.js';

/** A small deterministic PRNG so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const methodPayload = (classId: number, methodId: number, rest: Buffer = Buffer.alloc(0)) => {
  const b = Buffer.alloc(4 + rest.length);
  b.writeUInt16BE(classId, 0);
  b.writeUInt16BE(methodId, 2);
  rest.copy(b, 4);
  return b;
};

describe('malformed AMQP input', () => {
  const host = new Host();
  let node: NodeHandle;
  let healthy: amqp.ChannelModel;
  let healthyChannel: amqp.Channel;
  let healthyQueue: string;

  beforeAll(async () => {
    await host.startMapper();
    node = await host.startNode('rabbit');
    healthy = await amqp.connect(`amqp://guest:guest@127.0.0.1:${node.amqpPort}`);
    healthyChannel = await healthy.createChannel();
    healthyQueue = (await healthyChannel.assertQueue('', { exclusive: true })).queue;
  });
  afterAll(async () => {
    await healthy.close().catch(() => {});
    await host.cleanup();
  });

  /** The well-behaved connection still works: a message makes the round trip. */
  async function stillServing(): Promise<void> {
    const body = `ping-${Math.random()}`;
    healthyChannel.sendToQueue(healthyQueue, Buffer.from(body));
    for (let i = 0; i < 50; i++) {
      const m = await healthyChannel.get(healthyQueue, { noAck: true });
      if (m && m.content.toString() === body) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the healthy connection stopped working');
  }

  const cases: Array<[string, () => Buffer, number]> = [
    ['a frame larger than frame_max', () => {
      const b = frame(1, 1, Buffer.alloc(16));
      b.writeUInt32BE(10_000_000, 3);
      return b;
    }, 501],
    ['a bad frame-end octet', () => frame(1, 1, methodPayload(20, 10, Buffer.from([0])), 0x00), 501],
    ['an unknown frame type', () => frame(9, 1, Buffer.alloc(4)), 501],
    ['an unknown class and method', () => frame(1, 1, methodPayload(99, 99)), 540],
    ['a method frame too short for its id', () => frame(1, 1, Buffer.from([0, 50])), 501],
    ['a queue.declare with a malformed arguments table', () => {
      const good = encodeMethodFrame(1, 'queue.declare', {
        ticket: 0, queue: 'fuzz', passive: false, durable: false, exclusive: false, autoDelete: false, nowait: false,
        arguments: new Map([['x-message-ttl', { type: 'I', value: 1000 }]]),
      });
      // The table's first value type becomes an undefined type tag.
      const at = good.indexOf(Buffer.from('x-message-ttl')) + 'x-message-ttl'.length;
      good[at] = 0x21;
      return good;
    }, 502],
    ['a content header with no method before it', () => {
      const payload = Buffer.alloc(14);
      payload.writeUInt16BE(60, 0);
      return frame(2, 1, payload);
    }, 505],
    ['a body frame with no method before it', () => frame(3, 1, Buffer.from('orphan')), 505],
    ['a method while content is expected', () => Buffer.concat([
      encodeMethodFrame(1, 'basic.publish', { ticket: 0, exchange: '', routingKey: 'x', mandatory: false, immediate: false }),
      encodeMethodFrame(1, 'basic.qos', { prefetchSize: 0, prefetchCount: 1, global: false }),
    ]), 505],
    ['a frame on a channel that was never opened', () => encodeMethodFrame(7, 'basic.qos', { prefetchSize: 0, prefetchCount: 1, global: false }), 504],
    ['a heartbeat with a payload', () => frame(8, 0, Buffer.from('x')), 501],
  ];

  for (const [name, bytes, code] of cases) {
    it(`closes the connection with ${code} for ${name}`, async () => {
      const c = await RawClient.open(node.amqpPort);
      c.write(bytes());
      const outcome = await c.closed();
      c.destroy();
      expect(outcome.closeCode).toBe(code);
      await stillServing();
    });
  }

  it('answers a wrong protocol header with its own and closes', async () => {
    const net = await import('node:net');
    const s = net.connect({ port: node.amqpPort, host: '127.0.0.1' });
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    await new Promise((r) => s.once('connect', r));
    s.write(Buffer.from('HTTP/1.1 GET /\r\n\r\n'));
    await new Promise((r) => s.once('close', r));
    expect(Buffer.concat(got)).toEqual(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));
    await stillServing();
  });

  it('survives random frames and mutated valid frames', async () => {
    const random = prng(0x5eed);
    const declare = encodeMethodFrame(1, 'queue.declare', {
      ticket: 0, queue: 'mutant', passive: false, durable: false, exclusive: true, autoDelete: false, nowait: false,
      arguments: new Map([['x-max-length', { type: 'I', value: 5 }], ['x-dead-letter-exchange', 'dlx']]),
    });
    for (let i = 0; i < 60; i++) {
      const c = await RawClient.open(node.amqpPort);
      let bytes: Buffer;
      if (i % 2 === 0) {
        bytes = Buffer.alloc(1 + Math.floor(random() * 200));
        for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      } else {
        bytes = Buffer.from(declare);
        const flips = 1 + Math.floor(random() * 4);
        for (let j = 0; j < flips; j++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      c.write(bytes);
      // Whatever the server makes of it, it answers, or waits for the rest of a frame.
      await c.reaction(300);
      c.destroy();
    }
    await stillServing();
    const ping = await host.ctl(node, ['ping', '-q']);
    expect(ping.exitCode).toBe(0);
  });

  it('survives truncated frames and abrupt disconnects mid-frame', async () => {
    for (let i = 0; i < 20; i++) {
      const c = await RawClient.open(node.amqpPort);
      const full = encodeMethodFrame(1, 'basic.qos', { prefetchSize: 0, prefetchCount: 10, global: false });
      c.write(full.subarray(0, 1 + (i % (full.length - 1))));
      c.destroy();
    }
    await stillServing();
  });
});
