// Publisher confirms, transactions and direct reply-to as RabbitMQ 3.10 handles them.
// amqplib has no API for the tx class, so those methods go through the channel's own RPC with
// their method ids from the spec (class 90).

import { describe, expect, it } from 'vitest';
import type { Channel, ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import type { BrokerUnderTest } from './amqp-broker.js';
import { AmqpScope, useBrokerScope, Inbox, drain, getMessages, publishConfirmed, readyCount, refusal } from './amqp-support.js';

const method = (classId: number, methodId: number) => (classId << 16) | methodId;
const TX_SELECT = method(90, 10);
const TX_SELECT_OK = method(90, 11);
const TX_COMMIT = method(90, 20);
const TX_COMMIT_OK = method(90, 21);
const TX_ROLLBACK = method(90, 30);
const TX_ROLLBACK_OK = method(90, 31);
const CONFIRM_SELECT = method(85, 10);
const CONFIRM_SELECT_OK = method(85, 11);

function rpc(ch: Channel, request: number, reply: number, fields: object = {}): Promise<unknown> {
  return (ch as unknown as { rpc(m: number, f: object, r: number): Promise<unknown> }).rpc(request, fields, reply);
}
const txSelect = (ch: Channel) => rpc(ch, TX_SELECT, TX_SELECT_OK);
const txCommit = (ch: Channel) => rpc(ch, TX_COMMIT, TX_COMMIT_OK);
const txRollback = (ch: Channel) => rpc(ch, TX_ROLLBACK, TX_ROLLBACK_OK);
const confirmSelect = (ch: Channel) => rpc(ch, CONFIRM_SELECT, CONFIRM_SELECT_OK, { nowait: false });

const REPLY_TO = 'amq.rabbitmq.reply-to';

describe('AMQP confirms, transactions and direct reply-to', () => {
  let broker: BrokerUnderTest;
  let t: AmqpScope;

  useBrokerScope((b) => (broker = b), (scope) => (t = scope));

  describe('publisher confirms', () => {
    /** Records acks and checks that each confirms only tags not yet confirmed. */
    function ackLedger(confirm: ConfirmChannel) {
      const acks: { deliveryTag: number; multiple: boolean }[] = [];
      const confirmed = new Set<number>();
      const overlaps: number[] = [];
      confirm.on('ack', (fields: { deliveryTag: number; multiple: boolean }) => {
        acks.push(fields);
        if (!fields.multiple) {
          if (confirmed.has(fields.deliveryTag)) overlaps.push(fields.deliveryTag);
          confirmed.add(fields.deliveryTag);
        } else {
          for (let tag = 1; tag <= fields.deliveryTag; tag++) confirmed.add(tag);
        }
      });
      return { acks, confirmed, overlaps };
    }

    it('acks every transient publish once, in ascending delivery-tag order from 1, some acks covering several', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false });
      const confirm = await t.confirmChannel();
      const ledger = ackLedger(confirm);
      const n = 500;
      for (let i = 0; i < n; i++) confirm.sendToQueue(q, Buffer.from(String(i)));
      await confirm.waitForConfirms();

      const tags = ledger.acks.map((a) => a.deliveryTag);
      expect(tags).toEqual([...tags].sort((a, b) => a - b));
      expect(new Set(tags).size).toBe(tags.length);
      expect(tags.at(-1)).toBe(n);
      expect(ledger.overlaps).toEqual([]);
      expect(ledger.confirmed.size).toBe(n);
      expect(await readyCount(ch, q)).toBe(n);
    });

    it('acks every publish once when persistent and transient messages mix, though not always in order', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: true });
      const confirm = await t.confirmChannel();
      const ledger = ackLedger(confirm);
      const n = 200;
      // A persistent message is confirmed once on disk, a transient one once enqueued, so
      // RabbitMQ may ack a later transient message before an earlier persistent one.
      for (let i = 0; i < n; i++) confirm.sendToQueue(q, Buffer.from(String(i)), { persistent: i % 2 === 0 });
      await confirm.waitForConfirms();
      expect(ledger.overlaps).toEqual([]);
      expect([...ledger.confirmed].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(await readyCount(ch, q)).toBe(n);
    });

    it('acks an unroutable publish too', async () => {
      const confirm = await t.confirmChannel();
      const acked = new Promise<{ deliveryTag: number; multiple: boolean }>((resolve) => confirm.once('ack', resolve));
      confirm.publish('amq.direct', `nobody-${t.queue()}`, Buffer.from('x'));
      expect(await acked).toEqual({ deliveryTag: 1, multiple: false });
    });

    it('nacks a publish that a reject-publish queue refuses, and acks the others', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false, maxLength: 1, overflow: 'reject-publish' });
      const confirm = await t.confirmChannel();
      const nacks: unknown[] = [];
      confirm.on('nack', (fields: unknown) => nacks.push(fields));
      const outcome = (body: string) =>
        new Promise<string>((resolve) => confirm.sendToQueue(q, Buffer.from(body), {}, (err) => resolve(err ? 'nack' : 'ack')));
      expect(await Promise.all([outcome('fits'), outcome('refused')])).toEqual(['ack', 'nack']);
      // Whether the nack says multiple depends on whether tag 1 was acked by then; RabbitMQ
      // always sets requeue, which means nothing on a nack from the server.
      expect(nacks).toEqual([{ deliveryTag: 2, multiple: expect.any(Boolean), requeue: true }]);
      expect(await drain(ch, q)).toEqual(['fits']);
    });

    it('refuses confirm.select on a transactional channel with 406', async () => {
      const { conn, ch } = await t.open();
      await txSelect(ch);
      expect(await refusal(conn, ch, () => confirmSelect(ch))).toEqual({
        scope: 'channel',
        code: 406,
        text: 'PRECONDITION_FAILED - cannot switch from tx to confirm mode',
      });
    });
  });

  describe('transactions', () => {
    it('enqueues published messages only at commit', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false });
      expect(await txSelect(ch)).toEqual({});
      ch.sendToQueue(q, Buffer.from('1'));
      ch.sendToQueue(q, Buffer.from('2'));
      // Methods on one channel are handled in order: the publishes are in, but held.
      expect(await readyCount(ch, q)).toBe(0);
      expect(await txCommit(ch)).toEqual({});
      expect(await readyCount(ch, q)).toBe(2);
      // The channel stays transactional: the next publish waits for the next commit.
      ch.sendToQueue(q, Buffer.from('3'));
      expect(await readyCount(ch, q)).toBe(2);
      await txCommit(ch);
      expect(await drain(ch, q)).toEqual(['1', '2', '3']);
    });

    it('discards published messages at rollback', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false });
      await txSelect(ch);
      ch.sendToQueue(q, Buffer.from('discarded'));
      expect(await txRollback(ch)).toEqual({});
      await txCommit(ch);
      expect(await readyCount(ch, q)).toBe(0);
    });

    it('applies acks at commit and forgets them at rollback, leaving the messages unacked', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false });
      await publishConfirmed(await t.confirmChannel(), '', q, ['1', '2', '3']);
      await txSelect(ch);
      const [m1, m2] = await getMessages(ch, q, 3);
      ch.ack(m1);
      await txCommit(ch);
      ch.ack(m2);
      await txRollback(ch);
      // 2 and 3 are still unacked on the channel; recover puts them back.
      await ch.recover();
      expect(await drain(ch, q)).toEqual(['2', '3']);
    });

    it('refuses commit and rollback on a channel that is not transactional with 406', async () => {
      for (const [name, act] of [
        ['commit', txCommit],
        ['rollback', txRollback],
      ] as const) {
        const { conn, ch } = await t.open();
        expect({ name, ...(await refusal(conn, ch, () => act(ch))) }).toEqual({
          name,
          scope: 'channel',
          code: 406,
          text: 'PRECONDITION_FAILED - channel is not transactional',
        });
      }
    });

    it('refuses tx.select on a confirm channel with 406', async () => {
      const conn = await t.connect();
      const ch = await t.confirmChannel(conn);
      expect(await refusal(conn, ch, () => txSelect(ch))).toEqual({
        scope: 'channel',
        code: 406,
        text: 'PRECONDITION_FAILED - cannot switch from confirm to tx mode',
      });
    });
  });

  describe('direct reply-to', () => {
    it('carries a reply to the requester through amq.rabbitmq.reply-to', async () => {
      const requests = t.queue('rpc');
      const server = await t.open();
      await server.ch.assertQueue(requests, { durable: false });
      await server.ch.consume(
        requests,
        (msg: ConsumeMessage | null) => {
          if (!msg) return;
          server.ch.publish('', msg.properties.replyTo, Buffer.from(`re: ${msg.content.toString()}`), { correlationId: msg.properties.correlationId });
          server.ch.ack(msg);
        },
      );

      const client = await t.open();
      const replies = await Inbox.consume(client.ch, REPLY_TO, { noAck: true });
      client.ch.sendToQueue(requests, Buffer.from('ping'), { replyTo: REPLY_TO, correlationId: 'c-1' });
      const [reply] = await replies.first(1);
      expect(reply.content.toString()).toBe('re: ping');
      expect(reply.properties.correlationId).toBe('c-1');
      expect(reply.fields).toMatchObject({ consumerTag: replies.consumerTag, exchange: '', redelivered: false });
      expect(reply.fields.routingKey).toMatch(/^amq\.rabbitmq\.reply-to\.[A-Za-z0-9+/=.]+$/);
    });

    it('shows the responder a reply-to of amq.rabbitmq.reply-to. followed by an opaque token', async () => {
      const requests = t.queue('rpc');
      const server = await t.open();
      await server.ch.assertQueue(requests, { durable: false });
      const inbox = await Inbox.consume(server.ch, requests, { noAck: true });
      const client = await t.open();
      await client.ch.consume(REPLY_TO, () => {}, { noAck: true });
      client.ch.sendToQueue(requests, Buffer.from('ping'), { replyTo: REPLY_TO });
      const [request] = await inbox.first(1);
      expect(request.properties.replyTo).toMatch(/^amq\.rabbitmq\.reply-to\.[A-Za-z0-9+/=.]+$/);
    });

    it('refuses consuming from amq.rabbitmq.reply-to in ack mode with 406', async () => {
      const { conn, ch } = await t.open();
      expect(await refusal(conn, ch, () => ch.consume(REPLY_TO, () => {}))).toEqual({
        scope: 'channel',
        code: 406,
        text: 'PRECONDITION_FAILED - reply consumer cannot acknowledge',
      });
    });

    it('refuses a request with reply-to amq.rabbitmq.reply-to from a channel not consuming from it with 406', async () => {
      const { conn, ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false });
      expect(await refusal(conn, ch, () => ch.sendToQueue(q, Buffer.from('x'), { replyTo: REPLY_TO }))).toEqual({
        scope: 'channel',
        code: 406,
        text: 'PRECONDITION_FAILED - fast reply consumer does not exist',
      });
    });

    it('answers a passive declare of amq.rabbitmq.reply-to as an empty queue with one consumer', async () => {
      const { ch } = await t.open();
      expect(await ch.checkQueue(REPLY_TO)).toEqual({ queue: REPLY_TO, messageCount: 0, consumerCount: 1 });
    });

    it('knows a reply-to name while its requester consumes, and returns a mandatory reply once it has gone', async () => {
      const requests = t.queue('rpc');
      const server = await t.open();
      await server.ch.assertQueue(requests, { durable: false });
      const inbox = await Inbox.consume(server.ch, requests, { noAck: true });
      const client = await t.open();
      await client.ch.consume(REPLY_TO, () => {}, { noAck: true });
      client.ch.sendToQueue(requests, Buffer.from('ping'), { replyTo: REPLY_TO });
      const [request] = await inbox.first(1);
      const replyTo: string = request.properties.replyTo;
      expect(await server.ch.checkQueue(replyTo)).toEqual({ queue: replyTo, messageCount: 0, consumerCount: 1 });
      await client.conn.close();

      const probe = await t.open();
      expect(await refusal(probe.conn, probe.ch, () => probe.ch.checkQueue(replyTo))).toEqual({
        scope: 'channel',
        code: 404,
        text: `NOT_FOUND - no queue '${replyTo}' in vhost '/'`,
      });
      const confirm = await t.confirmChannel();
      const returned: Message[] = [];
      confirm.on('return', (m: Message) => returned.push(m));
      await publishConfirmed(confirm, '', replyTo, ['too late'], { mandatory: true });
      expect(returned.map((m) => m.fields)).toEqual([{ replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: replyTo }]);
    });
  });
});
