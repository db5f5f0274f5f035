// The basic class as RabbitMQ 3.10 handles it: publishing, consuming and getting; acks, nacks
// and rejects and their mistakes; prefetch; consumer priorities, exclusivity, tags and
// cancellation; returns; recover and redelivery; and message properties kept byte for byte.
//
// Whether acks took effect is read with basic.recover: it requeues whatever the channel still
// holds unacked, and a passive declare on the same channel afterwards counts it.

import { describe, expect, it } from 'vitest';
import type { Channel, Message } from 'amqplib';
import type { BrokerUnderTest } from './amqp-broker.js';
import { AmqpScope, useBrokerScope, Inbox, bodies, drain, getMessages, publishConfirmed, readyCount, refusal, waitFor } from './amqp-support.js';

describe('AMQP basic', () => {
  let broker: BrokerUnderTest;
  let t: AmqpScope;

  useBrokerScope((b) => (broker = b), (scope) => (t = scope));

  /** A fresh transient queue holding `contents`, and a channel to work on it. */
  async function queueWith(contents: string[], options: Parameters<Channel['assertQueue']>[1] = {}) {
    const { conn, ch } = await t.open();
    const q = t.queue();
    await ch.assertQueue(q, { durable: false, ...options });
    if (contents.length > 0) await publishConfirmed(await t.confirmChannel(), '', q, contents);
    return { conn, ch, q };
  }

  describe('publishing and receiving', () => {
    it('delivers to a consumer in publish order with tags from 1 and the routing facts', async () => {
      const { ch, q } = await queueWith([]);
      const inbox = await Inbox.consume(ch, q, { consumerTag: 'ctag-order' });
      expect(inbox.consumerTag).toBe('ctag-order');
      await publishConfirmed(await t.confirmChannel(), '', q, ['1', '2', '3']);
      const got = await inbox.first(3);
      expect(bodies(got)).toEqual(['1', '2', '3']);
      expect(got.map((m) => m.fields)).toEqual(
        [1, 2, 3].map((deliveryTag) => ({ consumerTag: 'ctag-order', deliveryTag, redelivered: false, exchange: '', routingKey: q })),
      );
    });

    it('generates a consumer tag amq.ctag- followed by 22 URL-safe base64 characters', async () => {
      const { ch, q } = await queueWith([]);
      const { consumerTag } = await ch.consume(q, () => {});
      expect(consumerTag).toMatch(/^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    });

    it('answers basic.get with the message and how many remain, then get-empty', async () => {
      const { ch, q } = await queueWith(['a', 'b']);
      const first = await ch.get(q, { noAck: true });
      expect(first && first.fields).toEqual({ deliveryTag: 1, redelivered: false, exchange: '', routingKey: q, messageCount: 1 });
      const second = await ch.get(q, { noAck: true });
      expect(second && [second.content.toString(), second.fields.messageCount]).toEqual(['b', 0]);
      expect(await ch.get(q)).toBe(false);
    });

    it('closes the channel with 404 when consuming from or getting a missing queue', async () => {
      const missing = t.queue('missing');
      for (const act of [(ch: Channel) => ch.consume(missing, () => {}), (ch: Channel) => ch.get(missing)]) {
        const { conn, ch } = await t.open();
        expect(await refusal(conn, ch, () => act(ch))).toEqual({ scope: 'channel', code: 404, text: `NOT_FOUND - no queue '${missing}' in vhost '/'` });
      }
    });

    it('returns a mandatory message that no queue takes with 312 NO_ROUTE', async () => {
      const { ch } = await t.open();
      const x = t.exchange();
      await ch.assertExchange(x, 'direct', { durable: false });
      const confirm = await t.confirmChannel();
      const returned = new Promise<Message>((resolve) => confirm.once('return', resolve));
      confirm.publish(x, 'nowhere', Buffer.from('lost'), { mandatory: true, messageId: 'm-1' });
      const msg = await returned;
      expect(msg.fields).toEqual({ replyCode: 312, replyText: 'NO_ROUTE', exchange: x, routingKey: 'nowhere' });
      expect(msg.content.toString()).toBe('lost');
      expect(msg.properties.messageId).toBe('m-1');
      // The return comes before the confirm, and the confirm is an ack.
      await confirm.waitForConfirms();
    });

    it('drops a non-mandatory message that no queue takes without a word', async () => {
      const { ch } = await t.open();
      const x = t.exchange();
      await ch.assertExchange(x, 'direct', { durable: false });
      const confirm = await t.confirmChannel();
      let returned = false;
      confirm.on('return', () => {
        returned = true;
      });
      await publishConfirmed(confirm, x, 'nowhere', ['dropped']);
      expect(returned).toBe(false);
    });

    it('refuses a user_id property other than the authenticated user with 406', async () => {
      const { conn, ch, q } = await queueWith([]);
      expect(await refusal(conn, ch, () => ch.sendToQueue(q, Buffer.from('x'), { userId: 'mallory' }))).toEqual({
        scope: 'channel',
        code: 406,
        text: "PRECONDITION_FAILED - user_id property set to 'mallory' but authenticated user was 'guest'",
      });
    });
  });

  describe('acknowledgements', () => {
    it('removes acked messages; ack multiple covers every tag up to its own', async () => {
      const { ch, q } = await queueWith(['1', '2', '3', '4', '5']);
      const got = await getMessages(ch, q, 5);
      ch.ack(got[0]);
      ch.ack(got[2], true);
      await ch.recover();
      expect(await readyCount(ch, q)).toBe(2);
      expect(await drain(ch, q)).toEqual(['4', '5']);
    });

    it('requeues nacked messages in their original order, marked redelivered', async () => {
      const { ch, q } = await queueWith(['1', '2', '3', '4']);
      const got = await getMessages(ch, q, 3);
      ch.nack(got[2], false, true);
      ch.nack(got[1], true, true);
      const again = await getMessages(ch, q, 4);
      expect(bodies(again)).toEqual(['1', '2', '3', '4']);
      expect(again.map((m) => m.fields.redelivered)).toEqual([true, true, true, false]);
      // Delivery tags keep counting on the channel.
      expect(again.map((m) => m.fields.deliveryTag)).toEqual([4, 5, 6, 7]);
    });

    it('discards messages nacked or rejected without requeue', async () => {
      const { ch, q } = await queueWith(['1', '2', '3', '4']);
      const got = await getMessages(ch, q, 4);
      ch.nack(got[1], true, false);
      ch.reject(got[2], false);
      await ch.recover();
      expect(await drain(ch, q)).toEqual(['4']);
    });

    it('closes the channel with 406 on an unknown delivery tag', async () => {
      const { conn, ch, q } = await queueWith(['1']);
      await getMessages(ch, q, 1);
      const fake = { fields: { deliveryTag: 42 } } as Message;
      expect(await refusal(conn, ch, () => ch.ack(fake))).toEqual({ scope: 'channel', code: 406, text: 'PRECONDITION_FAILED - unknown delivery tag 42' });
    });

    it('closes the channel with 406 when a message is acked twice, and requeues what was unacked', async () => {
      const { conn, ch, q } = await queueWith(['1', '2']);
      const [first] = await getMessages(ch, q, 2);
      expect(
        await refusal(conn, ch, () => {
          ch.ack(first);
          ch.ack(first);
        }),
      ).toEqual({ scope: 'channel', code: 406, text: 'PRECONDITION_FAILED - unknown delivery tag 1' });
      const observer = await t.channel();
      await waitFor('the unacked message to be requeued', async () => (await readyCount(observer, q)) === 1 || undefined);
      const back = await observer.get(q, { noAck: true });
      expect(back && [back.content.toString(), back.fields.redelivered]).toEqual(['2', true]);
    });

    it('closes the channel with 406 on nack and reject of unknown tags too', async () => {
      for (const settle of [(ch: Channel, m: Message) => ch.nack(m), (ch: Channel, m: Message) => ch.reject(m)]) {
        const { conn, ch } = await t.open();
        expect(await refusal(conn, ch, () => settle(ch, { fields: { deliveryTag: 7 } } as Message))).toEqual({
          scope: 'channel',
          code: 406,
          text: 'PRECONDITION_FAILED - unknown delivery tag 7',
        });
      }
    });

    it('redelivers with basic.recover every unacked message, marked redelivered', async () => {
      const { ch, q } = await queueWith(['1', '2', '3']);
      const inbox = await Inbox.consume(ch, q);
      const firstRound = await inbox.first(3);
      ch.ack(firstRound[0]);
      await ch.recover();
      const all = await inbox.first(5);
      expect(bodies(all)).toEqual(['1', '2', '3', '2', '3']);
      expect(all.map((m) => m.fields.redelivered)).toEqual([false, false, false, true, true]);
    });

    it('requeues unacked messages when their channel closes, for the next consumer, marked redelivered', async () => {
      const { ch, q } = await queueWith(['1', '2', '3']);
      const firstCh = await t.channel();
      const first = await Inbox.consume(firstCh, q);
      const got = await first.first(3);
      firstCh.ack(got[1]);
      await firstCh.close();
      const second = await Inbox.consume(ch, q);
      const again = await second.first(2);
      expect(bodies(again)).toEqual(['1', '3']);
      expect(again.map((m) => m.fields.redelivered)).toEqual([true, true]);
    });

    it('does not requeue messages delivered to a no-ack consumer when its channel closes', async () => {
      const { ch, q } = await queueWith(['1', '2']);
      const noAckCh = await t.channel();
      const inbox = await Inbox.consume(noAckCh, q, { noAck: true });
      await inbox.first(2);
      await noAckCh.close();
      expect(await readyCount(ch, q)).toBe(0);
      // Acking on a no-ack consumer's channel is an unknown tag.
      const other = await t.open();
      const again = await Inbox.consume(other.ch, q, { noAck: true });
      await publishConfirmed(await t.confirmChannel(), '', q, ['3']);
      const [third] = await again.first(1);
      expect(await refusal(other.conn, other.ch, () => other.ch.ack(third))).toEqual({
        scope: 'channel',
        code: 406,
        text: 'PRECONDITION_FAILED - unknown delivery tag 1',
      });
    });
  });

  describe('prefetch', () => {
    it('limits each new consumer to the per-consumer prefetch count', async () => {
      const { ch, q } = await queueWith(['1', '2', '3', '4', '5']);
      await ch.prefetch(2);
      const inbox = await Inbox.consume(ch, q);
      await inbox.first(2);
      expect(await readyCount(ch, q)).toBe(3);
      expect(inbox.bodies()).toEqual(['1', '2']);
      ch.ack(inbox.messages[0]);
      await inbox.first(3);
      expect(await readyCount(ch, q)).toBe(2);
      expect(inbox.bodies()).toEqual(['1', '2', '3']);
    });

    it('gives every consumer on the channel its own per-consumer prefetch', async () => {
      const { ch, q } = await queueWith(['1', '2', '3', '4', '5', '6']);
      await ch.prefetch(2);
      const a = await Inbox.consume(ch, q);
      const b = await Inbox.consume(ch, q);
      await a.first(2);
      await b.first(2);
      expect(await readyCount(ch, q)).toBe(2);
    });

    it('shares a global prefetch across all consumers of the channel', async () => {
      const { ch, q } = await queueWith(['1', '2', '3', '4', '5', '6']);
      await ch.prefetch(3, true);
      const a = await Inbox.consume(ch, q);
      const b = await Inbox.consume(ch, q);
      await waitFor('3 deliveries in all', () => a.messages.length + b.messages.length === 3 || undefined);
      expect(await readyCount(ch, q)).toBe(3);
      expect(a.messages.length + b.messages.length).toBe(3);
    });

    it('ignores prefetch for basic.get', async () => {
      const { ch, q } = await queueWith(['1', '2', '3']);
      await ch.prefetch(1);
      expect(bodies(await getMessages(ch, q, 3))).toEqual(['1', '2', '3']);
    });
  });

  describe('consumers', () => {
    it('delivers to the consumer with the highest x-priority while it has capacity', async () => {
      const { ch, q } = await queueWith([]);
      const lowCh = await t.channel();
      const highCh = await t.channel();
      await highCh.prefetch(2);
      const low = await Inbox.consume(lowCh, q, { priority: 1 });
      const high = await Inbox.consume(highCh, q, { priority: 10 });
      await publishConfirmed(await t.confirmChannel(), '', q, ['1', '2', '3', '4']);
      await high.first(2);
      await low.first(2);
      expect(high.bodies()).toEqual(['1', '2']);
      expect(low.bodies()).toEqual(['3', '4']);
      expect(await readyCount(ch, q)).toBe(0);
    });

    it('refuses a second consumer on a queue with an exclusive consumer, and an exclusive one on a used queue, with 403', async () => {
      const { q } = await queueWith([]);
      const owner = await t.channel();
      await owner.consume(q, () => {}, { exclusive: true });
      const text = `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`;
      const second = await t.open();
      expect(await refusal(second.conn, second.ch, () => second.ch.consume(q, () => {}))).toEqual({ scope: 'channel', code: 403, text });

      const { q: used } = await queueWith([]);
      await (await t.channel()).consume(used, () => {});
      const late = await t.open();
      expect(await refusal(late.conn, late.ch, () => late.ch.consume(used, () => {}, { exclusive: true }))).toEqual({
        scope: 'channel',
        code: 403,
        text: `ACCESS_REFUSED - queue '${used}' in vhost '/' in exclusive use`,
      });
    });

    it('closes the connection with 530 when a channel reuses a consumer tag', async () => {
      const { conn, ch, q } = await queueWith([]);
      await ch.consume(q, () => {}, { consumerTag: 'reused' });
      expect(await refusal(conn, ch, () => ch.consume(q, () => {}, { consumerTag: 'reused' }))).toEqual({
        scope: 'connection',
        code: 530,
        text: "NOT_ALLOWED - attempt to reuse consumer tag 'reused'",
      });
    });

    it('accepts the same consumer tag on two channels', async () => {
      const { q } = await queueWith([]);
      for (let i = 0; i < 2; i++) expect(await (await t.channel()).consume(q, () => {}, { consumerTag: 'shared' })).toEqual({ consumerTag: 'shared' });
    });

    it('stops deliveries after basic.cancel, which answers with the tag, even for an unknown tag', async () => {
      const { ch, q } = await queueWith([]);
      const inbox = await Inbox.consume(ch, q, { noAck: true });
      const confirm = await t.confirmChannel();
      await publishConfirmed(confirm, '', q, ['before']);
      await inbox.first(1);
      expect(await ch.cancel(inbox.consumerTag)).toEqual({ consumerTag: inbox.consumerTag });
      await publishConfirmed(confirm, '', q, ['after']);
      expect(await readyCount(ch, q)).toBe(1);
      expect(inbox.bodies()).toEqual(['before']);
      expect(inbox.cancelledByServer).toBe(false);
      expect(await ch.cancel('no-such-tag')).toEqual({ consumerTag: 'no-such-tag' });
    });

    it('cancels consumers with basic.cancel from the server when their queue is deleted', async () => {
      const { ch, q } = await queueWith([]);
      const inbox = await Inbox.consume(await t.channel(), q);
      await ch.deleteQueue(q);
      await waitFor('the server to cancel the consumer', () => inbox.cancelledByServer || undefined);
    });

    it('removes messages delivered to a no-ack consumer at once', async () => {
      const { ch, q } = await queueWith(['1', '2', '3']);
      const inbox = await Inbox.consume(ch, q, { noAck: true });
      await inbox.first(3);
      await ch.recover();
      expect(await readyCount(ch, q)).toBe(0);
      expect(inbox.messages.map((m) => m.fields.redelivered)).toEqual([false, false, false]);
    });
  });

  describe('message properties', () => {
    it('carries all 14 properties and every header type amqplib can encode through unchanged', async () => {
      const { ch, q } = await queueWith([]);
      const user = decodeURIComponent(new URL(broker.url).username || 'guest');
      const headers = {
        string: 'text é',
        bool: true,
        falseBool: false,
        void: null,
        byte: { '!': 'byte', value: -100 },
        unsignedByte: { '!': 'unsignedbyte', value: 200 },
        short: { '!': 'short', value: -30000 },
        unsignedShort: { '!': 'unsignedshort', value: 60000 },
        int: { '!': 'int', value: -2_000_000_000 },
        unsignedInt: { '!': 'unsignedint', value: 4_000_000_000 },
        long: { '!': 'long', value: 2 ** 40 },
        float: { '!': 'float', value: 1.5 },
        double: { '!': 'double', value: Math.PI },
        decimal: { '!': 'decimal', value: { places: 2, digits: 12345 } },
        timestamp: { '!': 'timestamp', value: 1_700_000_000 },
        bytes: Buffer.from([0, 1, 2, 255]),
        array: ['a', 1, true, null, ['nested'], { inner: 'table' }],
        table: { level1: { level2: { deep: 'value', list: [1, 2] } } },
      };
      const properties = {
        contentType: 'application/json',
        contentEncoding: 'gzip',
        headers,
        deliveryMode: 2,
        priority: 7,
        correlationId: 'corr-1',
        replyTo: 'reply-queue',
        expiration: '600000',
        messageId: 'msg-1',
        timestamp: 1_700_000_001,
        type: 'order.created',
        userId: user,
        appId: 'conformance',
        clusterId: 'cluster-a',
      };
      // amqplib's publish() never sends cluster-id, so send through the channel's own sender.
      const sender = ch as unknown as { sendMessage(fields: object, props: object, content: Buffer): boolean };
      sender.sendMessage({ exchange: '', routingKey: q, mandatory: false, immediate: false, ticket: 0 }, properties, Buffer.from('{"ok":true}'));
      const msg = await waitFor('the message', async () => (await ch.get(q, { noAck: true })) || undefined);
      expect(msg.content.toString()).toBe('{"ok":true}');
      expect(msg.properties).toEqual({
        ...properties,
        headers: {
          ...headers,
          // amqplib decodes numbers without their wire type.
          byte: -100,
          unsignedByte: 200,
          short: -30000,
          unsignedShort: 60000,
          int: -2_000_000_000,
          unsignedInt: 4_000_000_000,
          long: 2 ** 40,
          float: 1.5,
          double: Math.PI,
        },
      });
    });

    it('delivers a message with no properties and an empty body as such', async () => {
      const { ch, q } = await queueWith([]);
      await publishConfirmed(await t.confirmChannel(), '', q, ['']);
      const msg = await ch.get(q, { noAck: true });
      expect(msg && msg.content.length).toBe(0);
      expect(msg && msg.properties).toEqual({
        contentType: undefined,
        contentEncoding: undefined,
        headers: {},
        deliveryMode: undefined,
        priority: undefined,
        correlationId: undefined,
        replyTo: undefined,
        expiration: undefined,
        messageId: undefined,
        timestamp: undefined,
        type: undefined,
        userId: undefined,
        appId: undefined,
        clusterId: undefined,
      });
    });

    it('splits and rejoins a body larger than frame_max', async () => {
      const { ch, q } = await queueWith([]);
      const big = Buffer.alloc(300_000, 'x');
      big.write('start', 0);
      big.write('end', big.length - 3);
      const confirm = await t.confirmChannel();
      confirm.sendToQueue(q, big);
      await confirm.waitForConfirms();
      const msg = await ch.get(q, { noAck: true });
      expect(msg && msg.content.equals(big)).toBe(true);
    });
  });
});
