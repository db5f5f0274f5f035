// Flow control: a publisher-only connection that outruns a queue's consumers is held back
// (RabbitMQ's `flow` state) so the backlog stays bounded and the consumers get the CPU; a
// connection that also consumes is never held (its acks must flow), and a consumer that stops
// taking messages slows publishers down but never stops them.

import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { useSingleNode, waitFor } from '../harness.js';

describe('flow control', () => {
  const scope = useSingleNode();
  const { host } = scope;

  it('keeps the backlog bounded while a slow consumer drains it, and publishing goes on', async () => {
    const consumerConn = await amqp.connect(scope.url);
    const publisherConn = await amqp.connect(scope.url);
    let finished = false;
    try {
      const cch = await consumerConn.createChannel();
      const q = (await cch.assertQueue('', { exclusive: false, autoDelete: true })).queue;
      let consumed = 0;
      // A consumer slower than the publisher: 100 messages, then a 5 ms pause before acking them.
      await cch.prefetch(100);
      await cch.consume(q, (m) => {
        if (m === null) return;
        consumed++;
        if (consumed % 100 === 0) setTimeout(() => !finished && cch.ack(m, true), 5);
      });
      const pch = await publisherConn.createChannel();
      const body = Buffer.alloc(16);
      let sawFlow = false;
      // Publish as fast as the socket takes it for two seconds.
      let published = 0;
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline) {
        for (let i = 0; i < 500; i++, published++) {
          if (!pch.sendToQueue(q, body)) await new Promise((r) => pch.once('drain', r));
        }
        await new Promise((r) => setImmediate(r));
        if (!sawFlow && published % 10_000 === 0) {
          const state = await host.ctl(scope.node, ['list_connections', 'state', '-s']);
          if (state.stdout.includes('flow')) sawFlow = true;
        }
      }
      const backlog = (await cch.checkQueue(q)).messageCount;
      // The consumer takes at most 20,000 a second; without flow control the backlog would be
      // most of what was published.
      expect(published).toBeGreaterThan(backlog);
      expect(backlog).toBeLessThan(Math.max(10_000, published / 2));
      expect(sawFlow).toBe(true);
      expect(consumed).toBeGreaterThan(0);
    } finally {
      finished = true;
      await publisherConn.close();
      await consumerConn.close();
    }
  });

  it('does not hold a connection that also consumes, nor a publisher whose consumers stopped', async () => {
    const conn = await amqp.connect(scope.url);
    try {
      const ch = await conn.createChannel();
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      // A consumer on the same connection that never acks beyond its prefetch.
      await ch.prefetch(1);
      await ch.consume(q, () => {});
      for (let i = 0; i < 30_000; i++) ch.sendToQueue(q, Buffer.alloc(16));
      await waitFor('all 30,000 messages to arrive', async () => ((await ch.checkQueue(q)).messageCount >= 29_999 ? true : undefined));
    } finally {
      await conn.close();
    }
  });
});
