// Access control as RabbitMQ 3.10 enforces it: a user's configure, write and read patterns
// checked per operation, a user without access to a vhost, vhost connection and queue limits,
// and guest kept to loopback connections. Users, permissions and limits are set through the
// broker's rabbitmqctl-compatible tool, like an operator would.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import os from 'node:os';
import type { Channel } from 'amqplib';
import type { BrokerUnderTest } from './amqp-broker.js';
import { AmqpScope, useBrokerScope, refusal, waitFor } from './amqp-support.js';
import { WireClient, handshake } from './amqp-wire.js';

const LOGIN_REFUSED = 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.';

// An external broker (AMQP_TEST_URL) can be administered only through the rabbitmqctl named by
// RABBITMQCTL; without it, nothing can create the users and limits these tests need.
const administrable = !process.env.AMQP_TEST_URL || Boolean(process.env.RABBITMQCTL);
const titleOf = (what: string) =>
  administrable ? what : `${what} (skipped: AMQP_TEST_URL is set without RABBITMQCTL, so no users or limits can be created)`;

/** A non-loopback IPv4 address of this machine, from which a connection is not local. */
const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

describe('AMQP access control', () => {
  let broker: BrokerUnderTest;
  let t: AmqpScope;
  const tag = crypto.randomBytes(4).toString('hex');
  const user = `conformance-${tag}`;
  const password = `pw-${tag}`;

  useBrokerScope((b) => (broker = b), (scope) => (t = scope));

  async function ctl(...args: string[]): Promise<void> {
    if (!broker.ctl) throw new Error('no ctl for this broker');
    const r = await broker.ctl(args);
    if (r.exitCode !== 0) throw new Error(`ctl ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  }

  function urlFor(name: string, pass: string, vhost = ''): string {
    const url = new URL(broker.url);
    url.username = name;
    url.password = pass;
    url.pathname = vhost === '' ? '' : `/${encodeURIComponent(vhost)}`;
    return url.toString();
  }

  describe.skipIf(!administrable)(titleOf("a user's configure, write and read patterns"), () => {
    // configure only `<tag>-c-*`; write `<tag>-c-*` and `<tag>-w-*`; read `<tag>-c-*` and `<tag>-r-*`.
    beforeAll(async () => {
      await ctl('add_user', user, password);
      await ctl('set_permissions', '-p', '/', user, `^${tag}-c-`, `^${tag}-(c|w)-`, `^${tag}-(c|r)-`);
    });
    afterAll(async () => {
      await ctl('delete_user', user);
    });

    const refused = (kind: 'queue' | 'exchange', name: string) => ({
      scope: 'channel',
      code: 403,
      text: `ACCESS_REFUSED - access to ${kind} '${name}' in vhost '/' refused for user '${user}'`,
    });

    /** Resources made by guest, named for what the user may do with them. */
    async function resources() {
      const { ch } = await t.open();
      const r = {
        writeOnlyQueue: t.queue(`${tag}-w`),
        readOnlyQueue: t.queue(`${tag}-r`),
        configurableQueue: t.queue(`${tag}-c`),
        writeOnlyExchange: t.exchange(`${tag}-w`),
        readOnlyExchange: t.exchange(`${tag}-r`),
        configurableExchange: t.exchange(`${tag}-c`),
      };
      for (const q of [r.writeOnlyQueue, r.readOnlyQueue, r.configurableQueue]) await ch.assertQueue(q, { durable: false });
      for (const x of [r.writeOnlyExchange, r.readOnlyExchange, r.configurableExchange]) await ch.assertExchange(x, 'fanout', { durable: false });
      return r;
    }

    async function asUser(act: (ch: Channel) => unknown) {
      const conn = await t.connect(urlFor(user, password));
      const ch = await t.channel(conn);
      return refusal(conn, ch, () => act(ch));
    }

    it('lets the user do what the patterns allow', async () => {
      const r = await resources();
      const conn = await t.connect(urlFor(user, password));
      const ch = await t.channel(conn);
      const own = t.queue(`${tag}-c`);
      await ch.assertQueue(own, { durable: false });
      await ch.bindQueue(own, r.configurableExchange, '');
      await ch.bindQueue(own, r.readOnlyExchange, '');
      ch.publish(r.configurableExchange, '', Buffer.from('allowed'));
      ch.publish(r.writeOnlyExchange, '', Buffer.from('allowed'));
      await waitFor('the message', async () => (await ch.get(own, { noAck: true })) || undefined);
      await ch.consume(r.readOnlyQueue, () => {});
      await ch.deleteQueue(own);
    });

    it('answers a passive declare without any permission on the queue', async () => {
      const r = await resources();
      const conn = await t.connect(urlFor(user, password));
      const ch = await t.channel(conn);
      expect(await ch.checkQueue(r.writeOnlyQueue)).toEqual({ queue: r.writeOnlyQueue, messageCount: 0, consumerCount: 0 });
      expect(await ch.checkExchange(r.writeOnlyExchange)).toEqual({});
    });

    it('refuses declaring and deleting queues and exchanges without configure with 403', async () => {
      const r = await resources();
      const newQueue = t.queue(`${tag}-w`);
      const newExchange = t.exchange(`${tag}-w`);
      expect(await asUser((ch) => ch.assertQueue(newQueue, { durable: false }))).toEqual(refused('queue', newQueue));
      expect(await asUser((ch) => ch.assertExchange(newExchange, 'fanout', { durable: false }))).toEqual(refused('exchange', newExchange));
      expect(await asUser((ch) => ch.deleteQueue(r.writeOnlyQueue))).toEqual(refused('queue', r.writeOnlyQueue));
      expect(await asUser((ch) => ch.deleteExchange(r.writeOnlyExchange))).toEqual(refused('exchange', r.writeOnlyExchange));
    });

    it('refuses publishing without write on the exchange with 403, the default exchange counting as amq.default', async () => {
      const r = await resources();
      expect(await asUser((ch) => ch.publish(r.readOnlyExchange, '', Buffer.from('x')))).toEqual(refused('exchange', r.readOnlyExchange));
      expect(await asUser((ch) => ch.sendToQueue(r.configurableQueue, Buffer.from('x')))).toEqual(refused('exchange', 'amq.default'));
    });

    it('refuses consume, get and purge without read on the queue with 403', async () => {
      const r = await resources();
      expect(await asUser((ch) => ch.consume(r.writeOnlyQueue, () => {}))).toEqual(refused('queue', r.writeOnlyQueue));
      expect(await asUser((ch) => ch.get(r.writeOnlyQueue))).toEqual(refused('queue', r.writeOnlyQueue));
      expect(await asUser((ch) => ch.purgeQueue(r.writeOnlyQueue))).toEqual(refused('queue', r.writeOnlyQueue));
    });

    it('refuses binding without write on the destination or read on the source with 403', async () => {
      const r = await resources();
      expect(await asUser((ch) => ch.bindQueue(r.readOnlyQueue, r.configurableExchange, ''))).toEqual(refused('queue', r.readOnlyQueue));
      expect(await asUser((ch) => ch.bindQueue(r.configurableQueue, r.writeOnlyExchange, ''))).toEqual(refused('exchange', r.writeOnlyExchange));
      expect(await asUser((ch) => ch.bindExchange(r.readOnlyExchange, r.configurableExchange, ''))).toEqual(refused('exchange', r.readOnlyExchange));
      expect(await asUser((ch) => ch.unbindQueue(r.readOnlyQueue, r.configurableExchange, ''))).toEqual(refused('queue', r.readOnlyQueue));
    });
  });

  describe.skipIf(!administrable)(titleOf('users without access and vhost limits'), () => {
    const stranger = `conformance-stranger-${tag}`;
    const connectionsVhost = `conformance-conns-${tag}`;
    const queuesVhost = `conformance-queues-${tag}`;

    beforeAll(async () => {
      await ctl('add_user', stranger, password);
      for (const vhost of [connectionsVhost, queuesVhost]) {
        await ctl('add_vhost', vhost);
        await ctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
      }
      await ctl('set_vhost_limits', '-p', connectionsVhost, '{"max-connections": 1}');
      await ctl('set_vhost_limits', '-p', queuesVhost, '{"max-queues": 1}');
    });
    afterAll(async () => {
      await ctl('delete_user', stranger);
      for (const vhost of [connectionsVhost, queuesVhost]) await ctl('delete_vhost', vhost);
    });

    it('refuses a user without permissions on the vhost with 530 on connection.open', async () => {
      const w = await WireClient.connect(broker.amqpPort);
      try {
        expect(await handshake(w, { user: stranger, password })).toEqual({
          opened: false,
          close: { replyCode: 530, replyText: `NOT_ALLOWED - access to vhost '/' refused for user '${stranger}'`, classId: 10, methodId: 40 },
        });
      } finally {
        w.destroy();
      }
    });

    it('refuses a connection beyond max-connections with 530, and accepts one again when a connection closes', async () => {
      const first = await t.connect(urlFor('guest', 'guest', connectionsVhost));
      const w = await WireClient.connect(broker.amqpPort);
      try {
        expect(await handshake(w, { vhost: connectionsVhost })).toEqual({
          opened: false,
          close: {
            replyCode: 530,
            replyText: `NOT_ALLOWED - access to vhost '${connectionsVhost}' refused for user 'guest': connection limit (1) is reached`,
            classId: 10,
            methodId: 40,
          },
        });
      } finally {
        w.destroy();
      }
      await first.close();
      const again = await waitFor('a connection slot', async () => {
        const probe = await WireClient.connect(broker.amqpPort);
        const outcome = await handshake(probe, { vhost: connectionsVhost });
        probe.destroy();
        return outcome.opened || undefined;
      });
      expect(again).toBe(true);
    });

    it('refuses a queue beyond max-queues with 406', async () => {
      const conn = await t.connect(urlFor('guest', 'guest', queuesVhost));
      const ch = await t.channel(conn);
      await ch.assertQueue('first', { durable: false });
      // Redeclaring an existing queue does not count against the limit.
      await ch.assertQueue('first', { durable: false });
      expect(await refusal(conn, ch, () => ch.assertQueue('second', { durable: false }))).toEqual({
        scope: 'channel',
        code: 406,
        text: `PRECONDITION_FAILED - cannot declare queue 'second': queue limit in vhost '${queuesVhost}' (1) is reached`,
      });
    });
  });

  describe('guest and loopback', () => {
    it('lets guest in from 127.0.0.2, which is loopback too', async () => {
      const w = await WireClient.connect(broker.amqpPort, '127.0.0.1', '127.0.0.2');
      try {
        expect(await handshake(w)).toMatchObject({ opened: true });
      } finally {
        w.destroy();
      }
    });

    it.skipIf(outsideAddress === undefined)(
      outsideAddress === undefined
        ? 'refuses guest from a non-loopback address (skipped: this machine has no non-loopback IPv4 address to connect from)'
        : `refuses guest from a non-loopback address (${outsideAddress}) with the PLAIN refusal text`,
      async () => {
        const w = await WireClient.connect(broker.amqpPort, outsideAddress, outsideAddress);
        try {
          expect(await handshake(w)).toEqual({ opened: false, close: { replyCode: 403, replyText: LOGIN_REFUSED, classId: 0, methodId: 0 } });
        } finally {
          w.destroy();
        }
      },
    );
  });
});
