// Queues as RabbitMQ 3.10 handles them: declaring them with every flag, the equivalence check,
// exclusivity, reserved names, purge and delete, bindings, and the x-arguments that change what
// a queue keeps: TTLs, expiry, length limits, dead-lettering, priorities, single active
// consumer, quorum queues.

import { describe, expect, it } from 'vitest';
import type { BrokerUnderTest } from './amqp-broker.js';
import { AmqpScope, useBrokerScope, Inbox, drain, getMessages, publishConfirmed, queueExists, readyCount, refusal, routable, waitFor } from './amqp-support.js';

describe('AMQP queues', () => {
  let broker: BrokerUnderTest;
  let t: AmqpScope;

  useBrokerScope((b) => (broker = b), (scope) => (t = scope));

  describe('declaring', () => {
    it('declares durable and transient queues and reports ready messages and consumers', async () => {
      const { ch } = await t.open();
      const durable = t.queue('durable');
      const transient = t.queue('transient');
      expect(await ch.assertQueue(durable, { durable: true })).toEqual({ queue: durable, messageCount: 0, consumerCount: 0 });
      expect(await ch.assertQueue(transient, { durable: false })).toEqual({ queue: transient, messageCount: 0, consumerCount: 0 });

      const confirm = await t.confirmChannel();
      await publishConfirmed(confirm, '', durable, ['one', 'two']);
      await ch.consume(transient, () => {});
      expect(await ch.assertQueue(durable, { durable: true })).toEqual({ queue: durable, messageCount: 2, consumerCount: 0 });
      expect(await ch.checkQueue(transient)).toEqual({ queue: transient, messageCount: 0, consumerCount: 1 });
    });

    it('names a queue declared without a name amq.gen- followed by 22 URL-safe base64 characters', async () => {
      const { ch } = await t.open();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      t.ownQueue(queue);
      expect(queue).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
      const second = await ch.assertQueue('', { exclusive: true });
      expect(second.queue).not.toBe(queue);
    });

    it('deletes an exclusive queue when its connection closes', async () => {
      const owner = await t.connect();
      const ch = await t.channel(owner);
      const q = t.queue();
      await ch.assertQueue(q, { exclusive: true });
      const observer = await t.connect();
      expect(await queueExists(owner, q)).toBe(true);
      await owner.close();
      await waitFor('the exclusive queue to go', async () => !(await queueExists(observer, q)) || undefined);
    });

    it('keeps an auto-delete queue until its last consumer goes, then deletes it', async () => {
      const { conn, ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false, autoDelete: true });
      const first = await ch.consume(q, () => {});
      const second = await ch.consume(q, () => {});
      await ch.cancel(first.consumerTag);
      expect(await queueExists(conn, q)).toBe(true);
      await ch.cancel(second.consumerTag);
      await waitFor('the auto-delete queue to go', async () => !(await queueExists(conn, q)) || undefined);
    });

    it('accepts an equivalent redeclaration and a passive declare of an existing queue', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      const options = { durable: false, arguments: { 'x-message-ttl': 60_000, 'x-max-length': 10 } };
      await ch.assertQueue(q, options);
      expect(await ch.assertQueue(q, options)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
      expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
    });

    it('refuses a redeclaration with another durable or auto_delete flag with 406', async () => {
      const q = t.queue();
      const setup = await t.open();
      await setup.ch.assertQueue(q, { durable: false, autoDelete: false });
      const cases: [{ durable: boolean; autoDelete?: boolean }, string][] = [
        [{ durable: true }, `inequivalent arg 'durable' for queue '${q}' in vhost '/': received 'true' but current is 'false'`],
        [{ durable: false, autoDelete: true }, `inequivalent arg 'auto_delete' for queue '${q}' in vhost '/': received 'true' but current is 'false'`],
      ];
      for (const [options, text] of cases) {
        const { conn, ch } = await t.open();
        expect(await refusal(conn, ch, () => ch.assertQueue(q, options))).toEqual({ scope: 'channel', code: 406, text: `PRECONDITION_FAILED - ${text}` });
      }
    });

    it('refuses a redeclaration with other x-arguments with 406 naming values and types', async () => {
      const q = t.queue();
      const setup = await t.open();
      await setup.ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 1000 } });
      const cases: [Record<string, unknown>, string][] = [
        [
          { 'x-message-ttl': 2000 },
          `inequivalent arg 'x-message-ttl' for queue '${q}' in vhost '/': received '2000' but current is '1000'`,
        ],
        [{}, `inequivalent arg 'x-message-ttl' for queue '${q}' in vhost '/': received none but current is the value '1000' of type 'short'`],
        [
          { 'x-message-ttl': 1000, 'x-max-length': 5 },
          `inequivalent arg 'x-max-length' for queue '${q}' in vhost '/': received the value '5' of type 'byte' but current is none`,
        ],
      ];
      for (const [args, text] of cases) {
        const { conn, ch } = await t.open();
        expect(await refusal(conn, ch, () => ch.assertQueue(q, { durable: false, arguments: args }))).toEqual({
          scope: 'channel',
          code: 406,
          text: `PRECONDITION_FAILED - ${text}`,
        });
      }
    });

    it('answers a passive declare of a missing queue with 404', async () => {
      const { conn, ch } = await t.open();
      const q = t.queue();
      expect(await refusal(conn, ch, () => ch.checkQueue(q))).toEqual({ scope: 'channel', code: 404, text: `NOT_FOUND - no queue '${q}' in vhost '/'` });
    });

    it("refuses another connection any use of an exclusive queue with 405 RESOURCE_LOCKED", async () => {
      const owner = await t.open();
      const q = t.queue();
      await owner.ch.assertQueue(q, { exclusive: true });
      const text =
        `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. ` +
        'It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.';
      const uses: [string, (ch: import('amqplib').Channel) => Promise<unknown>][] = [
        ['declare', (ch) => ch.assertQueue(q, { exclusive: true })],
        ['passive declare', (ch) => ch.checkQueue(q)],
        ['consume', (ch) => ch.consume(q, () => {})],
        ['get', (ch) => ch.get(q)],
        ['purge', (ch) => ch.purgeQueue(q)],
        ['delete', (ch) => ch.deleteQueue(q)],
        ['bind', (ch) => ch.bindQueue(q, 'amq.direct', q)],
      ];
      for (const [use, act] of uses) {
        const { conn, ch } = await t.open();
        expect({ use, ...(await refusal(conn, ch, () => act(ch))) }).toEqual({ use, scope: 'channel', code: 405, text });
      }
    });

    it('refuses to declare a queue with the reserved amq. prefix with 403', async () => {
      const { conn, ch } = await t.open();
      expect(await refusal(conn, ch, () => ch.assertQueue('amq.x'))).toEqual({
        scope: 'channel',
        code: 403,
        text: "ACCESS_REFUSED - queue name 'amq.x' contains reserved prefix 'amq.*'",
      });
    });

    it('refuses a non-durable, exclusive or auto-delete quorum queue with 406', async () => {
      const cases: [{ durable: boolean; exclusive?: boolean; autoDelete?: boolean }, string][] = [
        [{ durable: false }, 'non-durable'],
        [{ durable: true, exclusive: true }, 'exclusive-owner'],
        [{ durable: true, autoDelete: true }, 'auto-delete'],
      ];
      for (const [options, property] of cases) {
        const { conn, ch } = await t.open();
        const q = t.queue('quorum');
        expect(await refusal(conn, ch, () => ch.assertQueue(q, { ...options, arguments: { 'x-queue-type': 'quorum' } }))).toEqual({
          scope: 'channel',
          code: 406,
          text: `PRECONDITION_FAILED - invalid property '${property}' for queue '${q}' in vhost '/'`,
        });
      }
    });
  });

  describe('purging, deleting and binding', () => {
    it('purges the ready messages and returns how many', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false });
      await publishConfirmed(await t.confirmChannel(), '', q, ['a', 'b', 'c']);
      expect(await ch.purgeQueue(q)).toEqual({ messageCount: 3 });
      expect(await ch.purgeQueue(q)).toEqual({ messageCount: 0 });
    });

    it('refuses delete if-unused while a consumer is attached with 406', async () => {
      const q = t.queue();
      const setup = await t.open();
      await setup.ch.assertQueue(q, { durable: false });
      await (await t.channel()).consume(q, () => {});
      const { conn, ch } = await t.open();
      expect(await refusal(conn, ch, () => ch.deleteQueue(q, { ifUnused: true }))).toEqual({
        scope: 'channel',
        code: 406,
        text: `PRECONDITION_FAILED - queue '${q}' in vhost '/' in use`,
      });
    });

    it('refuses delete if-empty while messages are ready with 406', async () => {
      const q = t.queue();
      const setup = await t.open();
      await setup.ch.assertQueue(q, { durable: false });
      await publishConfirmed(await t.confirmChannel(), '', q, ['waiting']);
      const { conn, ch } = await t.open();
      expect(await refusal(conn, ch, () => ch.deleteQueue(q, { ifEmpty: true }))).toEqual({
        scope: 'channel',
        code: 406,
        text: `PRECONDITION_FAILED - queue '${q}' in vhost '/' not empty`,
      });
    });

    it('counts only ready messages for if-empty: a queue whose messages are all unacked is deleted', async () => {
      const { conn, ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false });
      await publishConfirmed(await t.confirmChannel(), '', q, ['unacked']);
      const consumer = await Inbox.consume(await t.channel(), q);
      await consumer.first(1);
      expect(await ch.deleteQueue(q, { ifEmpty: true })).toEqual({ messageCount: 0 });
      expect(await queueExists(conn, q)).toBe(false);
      await waitFor('the consumer to be cancelled', () => consumer.cancelledByServer || undefined);
    });

    it('returns the number of ready messages when deleting, and deleting a missing queue is fine', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false });
      await publishConfirmed(await t.confirmChannel(), '', q, ['a', 'b']);
      expect(await ch.deleteQueue(q)).toEqual({ messageCount: 2 });
      expect(await ch.deleteQueue(q)).toEqual({ messageCount: 0 });
    });

    it('routes through queue.bind and stops after queue.unbind', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      const x = t.exchange();
      await ch.assertQueue(q, { durable: false });
      await ch.assertExchange(x, 'direct', { durable: false });
      expect(await ch.bindQueue(q, x, 'k')).toEqual({});
      const confirm = await t.confirmChannel();
      await publishConfirmed(confirm, x, 'k', ['bound']);
      expect(await ch.unbindQueue(q, x, 'k')).toEqual({});
      // Unbinding what is not bound is accepted too.
      expect(await ch.unbindQueue(q, x, 'k')).toEqual({});
      await publishConfirmed(confirm, x, 'k', ['unbound']);
      expect(await drain(ch, q)).toEqual(['bound']);
    });

    it('refuses queue.bind to a missing queue or from a missing exchange with 404', async () => {
      const q = t.queue();
      const missingQueue = t.queue('missing');
      const missingExchange = t.exchange('missing');
      const setup = await t.open();
      await setup.ch.assertQueue(q, { durable: false });
      const cases: [string, string, string][] = [
        [missingQueue, 'amq.direct', `NOT_FOUND - no queue '${missingQueue}' in vhost '/'`],
        [q, missingExchange, `NOT_FOUND - no exchange '${missingExchange}' in vhost '/'`],
      ];
      for (const [queue, exchange, text] of cases) {
        const { conn, ch } = await t.open();
        expect(await refusal(conn, ch, () => ch.bindQueue(queue, exchange, 'k'))).toEqual({ scope: 'channel', code: 404, text });
      }
    });
  });

  describe('message TTL and queue expiry', () => {
    it('expires messages after x-message-ttl', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false, messageTtl: 300 });
      await publishConfirmed(await t.confirmChannel(), '', q, ['short-lived', 'also']);
      await waitFor('messages to expire', async () => (await readyCount(ch, q)) === 0 || undefined);
      expect(await drain(ch, q)).toEqual([]);
    });

    it('expires a message after its own expiration property, leaving the others', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false });
      const confirm = await t.confirmChannel();
      confirm.sendToQueue(q, Buffer.from('expires'), { expiration: '200' });
      confirm.sendToQueue(q, Buffer.from('stays'));
      await confirm.waitForConfirms();
      await waitFor('the message to expire', async () => (await readyCount(ch, q)) === 1 || undefined);
      expect(await drain(ch, q)).toEqual(['stays']);
    });

    it('deletes a queue unused for x-expires milliseconds', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false, expires: 500 });
      // A passive declare would count as use and restart the clock; a publish does not.
      const confirm = await t.confirmChannel();
      expect(await routable(confirm, '', q)).toBe(true);
      await waitFor('the queue to expire', async () => !(await routable(confirm, '', q)) || undefined);
    });
  });

  describe('length limits', () => {
    it('drops the oldest messages beyond x-max-length by default (drop-head)', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false, maxLength: 2 });
      await publishConfirmed(await t.confirmChannel(), '', q, ['1', '2', '3', '4', '5']);
      expect(await drain(ch, q)).toEqual(['4', '5']);
    });

    it('nacks publishes beyond x-max-length with x-overflow reject-publish, keeping the first ones', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false, maxLength: 2, overflow: 'reject-publish' });
      const confirm = await t.confirmChannel();
      const outcomes = await Promise.all(
        ['1', '2', '3', '4'].map(
          (body) => new Promise<string>((resolve) => confirm.sendToQueue(q, Buffer.from(body), {}, (err) => resolve(err ? 'nack' : 'ack'))),
        ),
      );
      expect(outcomes).toEqual(['ack', 'ack', 'nack', 'nack']);
      expect(await drain(ch, q)).toEqual(['1', '2']);
    });

    it('drops the oldest messages beyond x-max-length-bytes, counting body bytes only', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false, arguments: { 'x-max-length-bytes': 10 } });
      await publishConfirmed(await t.confirmChannel(), '', q, ['aaaaa', 'bbbbb', 'ccccc'], { headers: { padding: 'x'.repeat(100) } });
      expect(await drain(ch, q)).toEqual(['bbbbb', 'ccccc']);
    });
  });

  describe('dead-lettering', () => {
    async function deadLetterSetup(args: Record<string, unknown>) {
      const { ch } = await t.open();
      const dlx = t.exchange('dlx');
      const source = t.queue('source');
      const dead = t.queue('dead');
      await ch.assertExchange(dlx, 'direct', { durable: false });
      await ch.assertQueue(dead, { durable: false });
      await ch.bindQueue(dead, dlx, 'dead-key');
      await ch.assertQueue(source, { durable: false, deadLetterExchange: dlx, deadLetterRoutingKey: 'dead-key', arguments: args });
      const deadInbox = await Inbox.consume(await t.channel(), dead, { noAck: true });
      return { ch, dlx, source, dead, deadInbox };
    }

    function deathOf(reason: string, queue: string) {
      return {
        'x-death': [{ count: 1, reason, queue, exchange: '', 'routing-keys': [queue], time: { '!': 'timestamp', value: expect.any(Number) } }],
        'x-first-death-exchange': '',
        'x-first-death-queue': queue,
        'x-first-death-reason': reason,
      };
    }

    it('dead-letters a rejected message with x-death and x-first-death-* headers', async () => {
      const { ch, dlx, source, deadInbox } = await deadLetterSetup({});
      await publishConfirmed(await t.confirmChannel(), '', source, ['rejected'], { headers: { own: 'kept' } });
      const [msg] = await getMessages(ch, source, 1);
      ch.reject(msg, false);
      const [dead] = await deadInbox.first(1);
      expect(dead.content.toString()).toBe('rejected');
      expect(dead.fields).toMatchObject({ exchange: dlx, routingKey: 'dead-key', redelivered: false });
      expect(dead.properties.headers).toEqual({ own: 'kept', ...deathOf('rejected', source) });
      const time = dead.properties.headers?.['x-death']?.[0].time.value as number;
      expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(60);
    });

    it('dead-letters an expired message with reason expired and its original expiration', async () => {
      const { source, deadInbox } = await deadLetterSetup({});
      await publishConfirmed(await t.confirmChannel(), '', source, ['expired'], { expiration: '100' });
      const [dead] = await deadInbox.first(1);
      const death = deathOf('expired', source);
      expect(dead.properties.headers).toEqual({
        ...death,
        'x-death': [{ ...death['x-death'][0], 'original-expiration': '100' }],
      });
      // The expiration is removed so the message does not expire again downstream.
      expect(dead.properties.expiration).toBeUndefined();
    });

    it('dead-letters a message expired by x-message-ttl with reason expired', async () => {
      const { source, deadInbox } = await deadLetterSetup({ 'x-message-ttl': 100 });
      await publishConfirmed(await t.confirmChannel(), '', source, ['expired']);
      const [dead] = await deadInbox.first(1);
      expect(dead.properties.headers).toEqual(deathOf('expired', source));
    });

    it('dead-letters a message dropped by x-max-length with reason maxlen', async () => {
      const { ch, source, deadInbox } = await deadLetterSetup({ 'x-max-length': 1 });
      await publishConfirmed(await t.confirmChannel(), '', source, ['oldest', 'newest']);
      const [dead] = await deadInbox.first(1);
      expect(dead.content.toString()).toBe('oldest');
      expect(dead.properties.headers).toEqual(deathOf('maxlen', source));
      expect(await drain(ch, source)).toEqual(['newest']);
    });

    it('counts repeated deaths of a message in the same queue for the same reason in one x-death entry', async () => {
      const { ch, dlx, source } = await deadLetterSetup({});
      // Route the dead letters straight back to the source queue.
      await ch.bindQueue(source, dlx, 'dead-key');
      const confirm = await t.confirmChannel();
      await publishConfirmed(confirm, '', source, ['twice']);
      for (let death = 1; death <= 2; death++) {
        const msg = await waitFor('the message in the source queue', async () => (await ch.get(source)) || undefined);
        ch.reject(msg, false);
      }
      const msg = await waitFor('the message back again', async () => (await ch.get(source, { noAck: true })) || undefined);
      const deaths = msg.properties.headers?.['x-death'] as { count: number; reason: string; queue: string }[];
      expect(deaths).toHaveLength(1);
      expect(deaths[0]).toMatchObject({ count: 2, reason: 'rejected', queue: source });
    });
  });

  describe('priorities and single active consumer', () => {
    it('delivers higher priorities first in a queue with x-max-priority, FIFO within a priority', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false, maxPriority: 5 });
      const confirm = await t.confirmChannel();
      const sent: [string, number | undefined][] = [
        ['p1-a', 1],
        ['none', undefined],
        ['p5', 5],
        ['p9', 9],
        ['p1-b', 1],
        ['p3', 3],
      ];
      for (const [body, priority] of sent) confirm.sendToQueue(q, Buffer.from(body), priority === undefined ? {} : { priority });
      await confirm.waitForConfirms();
      // Priorities above the maximum count as the maximum; no priority counts as 0.
      expect(await drain(ch, q)).toEqual(['p5', 'p9', 'p3', 'p1-a', 'p1-b', 'none']);
    });

    it('gives a single-active-consumer queue to one consumer, and to the next when it cancels', async () => {
      const { ch } = await t.open();
      const q = t.queue();
      await ch.assertQueue(q, { durable: false, arguments: { 'x-single-active-consumer': true } });
      const firstCh = await t.channel();
      const secondCh = await t.channel();
      const first = await Inbox.consume(firstCh, q, { noAck: true });
      const second = await Inbox.consume(secondCh, q, { noAck: true });
      const confirm = await t.confirmChannel();
      await publishConfirmed(confirm, '', q, ['1', '2', '3']);
      await first.first(3);
      expect(await readyCount(ch, q)).toBe(0);
      expect(second.messages).toEqual([]);

      await firstCh.cancel(first.consumerTag);
      await publishConfirmed(confirm, '', q, ['4', '5']);
      await second.first(2);
      expect(first.bodies()).toEqual(['1', '2', '3']);
      expect(second.bodies()).toEqual(['4', '5']);
    });
  });
});
