// Exchanges as RabbitMQ 3.10 handles them: declaring each type, the equivalence check on
// redeclare, the reserved names, the default exchange, exchange-to-exchange bindings,
// alternate and internal exchanges, and the routing rules of direct, fanout, topic and headers.
// Routing is checked by publishing with confirms and then taking every queue's messages with
// basic.get: a confirmed message is already in its queues.

import { describe, expect, it } from 'vitest';
import type { BrokerUnderTest } from './amqp-broker.js';
import { AmqpScope, useBrokerScope, drain, refusal } from './amqp-support.js';

describe('AMQP exchanges', () => {
  let broker: BrokerUnderTest;
  let t: AmqpScope;

  useBrokerScope((b) => (broker = b), (scope) => (t = scope));

  it('declares direct, fanout, topic and headers exchanges and finds them passively', async () => {
    const { ch } = await t.open();
    for (const type of ['direct', 'fanout', 'topic', 'headers']) {
      const x = t.exchange(type);
      expect(await ch.assertExchange(x, type, { durable: false })).toEqual({ exchange: x });
      expect(await ch.checkExchange(x)).toEqual({});
    }
  });

  it('has the predeclared amq.* exchanges', async () => {
    const { ch } = await t.open();
    for (const x of ['amq.direct', 'amq.fanout', 'amq.topic', 'amq.headers', 'amq.match', 'amq.rabbitmq.trace']) {
      expect(await ch.checkExchange(x)).toEqual({});
    }
  });

  it('refuses an unknown exchange type by closing the connection with 503', async () => {
    const { conn, ch } = await t.open();
    const x = t.exchange();
    expect(await refusal(conn, ch, () => ch.assertExchange(x, 'nosuchtype'))).toEqual({
      scope: 'connection',
      code: 503,
      text: "COMMAND_INVALID - unknown exchange type 'nosuchtype'",
    });
  });

  it('accepts an equivalent redeclaration', async () => {
    const { ch } = await t.open();
    const x = t.exchange();
    const props = { durable: true, autoDelete: false, internal: false, arguments: { 'x-custom': 'a' } };
    await ch.assertExchange(x, 'topic', props);
    expect(await ch.assertExchange(x, 'topic', props)).toEqual({ exchange: x });
  });

  it('refuses inequivalent redeclarations with 406 naming the argument and both values', async () => {
    const x = t.exchange();
    const setup = await t.open();
    await setup.ch.assertExchange(x, 'direct', { durable: false, autoDelete: false, internal: false });
    const cases: [string, Parameters<typeof setup.ch.assertExchange>[2], string][] = [
      ['fanout', { durable: false }, `inequivalent arg 'type' for exchange '${x}' in vhost '/': received 'fanout' but current is 'direct'`],
      ['direct', { durable: true }, `inequivalent arg 'durable' for exchange '${x}' in vhost '/': received 'true' but current is 'false'`],
      ['direct', { durable: false, autoDelete: true }, `inequivalent arg 'auto_delete' for exchange '${x}' in vhost '/': received 'true' but current is 'false'`],
      ['direct', { durable: false, internal: true }, `inequivalent arg 'internal' for exchange '${x}' in vhost '/': received 'true' but current is 'false'`],
    ];
    for (const [type, options, text] of cases) {
      const { conn, ch } = await t.open();
      expect(await refusal(conn, ch, () => ch.assertExchange(x, type, options))).toEqual({
        scope: 'channel',
        code: 406,
        text: `PRECONDITION_FAILED - ${text}`,
      });
    }
  });

  it('refuses a redeclaration with a different alternate-exchange argument', async () => {
    const x = t.exchange();
    const setup = await t.open();
    await setup.ch.assertExchange(x, 'direct', { durable: false, alternateExchange: 'ae-one' });
    const { conn, ch } = await t.open();
    expect(await refusal(conn, ch, () => ch.assertExchange(x, 'direct', { durable: false, alternateExchange: 'ae-two' }))).toEqual({
      scope: 'channel',
      code: 406,
      text: `PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '${x}' in vhost '/': received 'ae-two' but current is 'ae-one'`,
    });
  });

  it('answers a passive declare of a missing exchange with 404', async () => {
    const { conn, ch } = await t.open();
    const x = t.exchange();
    expect(await refusal(conn, ch, () => ch.checkExchange(x))).toEqual({
      scope: 'channel',
      code: 404,
      text: `NOT_FOUND - no exchange '${x}' in vhost '/'`,
    });
  });

  it('refuses to create an exchange with the reserved amq. prefix, but accepts redeclaring amq.direct', async () => {
    const { conn, ch } = await t.open();
    // The name is checked only when the exchange would be created.
    expect(await ch.assertExchange('amq.direct', 'direct', { durable: true })).toEqual({ exchange: 'amq.direct' });
    expect(await refusal(conn, ch, () => ch.assertExchange('amq.foo', 'direct'))).toEqual({
      scope: 'channel',
      code: 403,
      text: "ACCESS_REFUSED - exchange name 'amq.foo' contains reserved prefix 'amq.*'",
    });
  });

  it('routes through the default exchange to the queue named by the routing key', async () => {
    const { ch } = await t.open();
    const q = t.queue();
    await ch.assertQueue(q, { durable: false });
    const confirm = await t.confirmChannel();
    confirm.sendToQueue(q, Buffer.from('direct to the queue'));
    confirm.publish('', `${q}-nobody`, Buffer.from('to nobody'));
    await confirm.waitForConfirms();
    expect(await drain(ch, q)).toEqual(['direct to the queue']);
  });

  it('refuses to bind to, unbind from, declare or delete the default exchange with 403', async () => {
    const q = t.queue();
    const setup = await t.open();
    await setup.ch.assertQueue(q, { durable: false });
    const actions: [string, (ch: import('amqplib').Channel) => Promise<unknown>][] = [
      ['queue.bind', (ch) => ch.bindQueue(q, '', q)],
      ['queue.unbind', (ch) => ch.unbindQueue(q, '', q)],
      ['exchange.declare', (ch) => ch.assertExchange('', 'direct')],
      ['exchange.delete', (ch) => ch.deleteExchange('')],
    ];
    for (const [method, act] of actions) {
      const { conn, ch } = await t.open();
      expect({ method, ...(await refusal(conn, ch, () => act(ch))) }).toEqual({
        method,
        scope: 'channel',
        code: 403,
        text: 'ACCESS_REFUSED - operation not permitted on the default exchange',
      });
    }
  });

  it('closes the channel with 404 when publishing to a missing exchange', async () => {
    const { conn, ch } = await t.open();
    const x = t.exchange();
    expect(await refusal(conn, ch, () => ch.publish(x, 'rk', Buffer.from('lost')))).toEqual({
      scope: 'channel',
      code: 404,
      text: `NOT_FOUND - no exchange '${x}' in vhost '/'`,
    });
  });

  it('routes through exchange-to-exchange bindings and stops after exchange.unbind', async () => {
    const { ch } = await t.open();
    const source = t.exchange('src');
    const destination = t.exchange('dst');
    const q = t.queue();
    await ch.assertExchange(source, 'topic', { durable: false });
    await ch.assertExchange(destination, 'fanout', { durable: false });
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, destination, '');
    await ch.bindExchange(destination, source, 'orders.*');

    const confirm = await t.confirmChannel();
    confirm.publish(source, 'orders.new', Buffer.from('routed'));
    confirm.publish(source, 'invoices.new', Buffer.from('not routed'));
    await confirm.waitForConfirms();
    expect(await drain(ch, q)).toEqual(['routed']);

    await ch.unbindExchange(destination, source, 'orders.*');
    confirm.publish(source, 'orders.new', Buffer.from('after unbind'));
    await confirm.waitForConfirms();
    expect(await drain(ch, q)).toEqual([]);
  });

  it('refuses exchange.bind with a missing source or destination with 404', async () => {
    const existing = t.exchange();
    const missing = t.exchange('missing');
    const setup = await t.open();
    await setup.ch.assertExchange(existing, 'fanout', { durable: false });
    for (const [destination, source] of [
      [existing, missing],
      [missing, existing],
    ]) {
      const { conn, ch } = await t.open();
      expect(await refusal(conn, ch, () => ch.bindExchange(destination, source, ''))).toEqual({
        scope: 'channel',
        code: 404,
        text: `NOT_FOUND - no exchange '${missing}' in vhost '/'`,
      });
    }
  });

  it('deletes with if-unused only an exchange without bindings, and deleting a missing one is fine', async () => {
    const x = t.exchange();
    const q = t.queue();
    const setup = await t.open();
    await setup.ch.assertExchange(x, 'direct', { durable: false });
    await setup.ch.assertQueue(q, { durable: false });
    await setup.ch.bindQueue(q, x, 'k');

    const { conn, ch } = await t.open();
    expect(await refusal(conn, ch, () => ch.deleteExchange(x, { ifUnused: true }))).toEqual({
      scope: 'channel',
      code: 406,
      text: `PRECONDITION_FAILED - exchange '${x}' in vhost '/' in use`,
    });

    await setup.ch.unbindQueue(q, x, 'k');
    expect(await setup.ch.deleteExchange(x, { ifUnused: true })).toEqual({});
    expect(await setup.ch.deleteExchange(x)).toEqual({});
  });

  it('sends unroutable messages to the alternate exchange, and only those', async () => {
    const { ch } = await t.open();
    const main = t.exchange('main');
    const ae = t.exchange('ae');
    const routed = t.queue('routed');
    const unroutable = t.queue('unroutable');
    await ch.assertExchange(ae, 'fanout', { durable: false });
    await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: ae });
    await ch.assertQueue(routed, { durable: false });
    await ch.assertQueue(unroutable, { durable: false });
    await ch.bindQueue(routed, main, 'known');
    await ch.bindQueue(unroutable, ae, '');

    const confirm = await t.confirmChannel();
    const returned: string[] = [];
    confirm.on('return', (m: import('amqplib').Message) => returned.push(m.content.toString()));
    confirm.publish(main, 'known', Buffer.from('a'));
    confirm.publish(main, 'unknown', Buffer.from('b'), { mandatory: true });
    await confirm.waitForConfirms();
    expect(await drain(ch, routed)).toEqual(['a']);
    expect(await drain(ch, unroutable)).toEqual(['b']);
    // Routed by the alternate exchange counts as routed: no basic.return.
    expect(returned).toEqual([]);
  });

  it('refuses publishing to an internal exchange with 403, but routes into it from another exchange', async () => {
    const { ch } = await t.open();
    const internal = t.exchange('internal');
    const front = t.exchange('front');
    const q = t.queue();
    await ch.assertExchange(internal, 'fanout', { durable: false, internal: true });
    await ch.assertExchange(front, 'fanout', { durable: false });
    await ch.bindExchange(internal, front, '');
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, internal, '');

    const confirm = await t.confirmChannel();
    confirm.publish(front, '', Buffer.from('via front'));
    await confirm.waitForConfirms();
    expect(await drain(ch, q)).toEqual(['via front']);

    const other = await t.open();
    expect(await refusal(other.conn, other.ch, () => other.ch.publish(internal, '', Buffer.from('direct')))).toEqual({
      scope: 'channel',
      code: 403,
      text: `ACCESS_REFUSED - cannot publish to internal exchange '${internal}' in vhost '/'`,
    });
  });

  it('routes a direct exchange by exact key, once per queue however many bindings match', async () => {
    const { ch } = await t.open();
    const x = t.exchange();
    const [a, b] = [t.queue('a'), t.queue('b')];
    await ch.assertExchange(x, 'direct', { durable: false });
    for (const q of [a, b]) await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(a, x, 'red');
    await ch.bindQueue(a, x, 'green');
    await ch.bindQueue(b, x, 'red');

    const confirm = await t.confirmChannel();
    for (const key of ['red', 'green', 'blue', 'Red']) confirm.publish(x, key, Buffer.from(key));
    await confirm.waitForConfirms();
    expect(await drain(ch, a)).toEqual(['red', 'green']);
    expect(await drain(ch, b)).toEqual(['red']);
  });

  it('routes a fanout exchange to every bound queue whatever the key', async () => {
    const { ch } = await t.open();
    const x = t.exchange();
    const queues = [t.queue('a'), t.queue('b'), t.queue('c')];
    await ch.assertExchange(x, 'fanout', { durable: false });
    for (const q of queues) {
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, x, `ignored-${q}`);
    }
    const confirm = await t.confirmChannel();
    confirm.publish(x, 'any.key', Buffer.from('one'));
    confirm.publish(x, '', Buffer.from('two'));
    await confirm.waitForConfirms();
    for (const q of queues) expect(await drain(ch, q)).toEqual(['one', 'two']);
  });

  it('routes a topic exchange by * (one word) and # (zero or more words)', async () => {
    const { ch } = await t.open();
    const x = t.exchange();
    await ch.assertExchange(x, 'topic', { durable: false });
    const patterns = ['stock.*.nyse', 'stock.#', '*.usd.*', '#', 'stock.#.nyse', '#.nyse', 'a.*', '*'];
    const queueOf = new Map<string, string>();
    for (const p of patterns) {
      const q = t.queue('topic');
      queueOf.set(p, q);
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, x, p);
    }
    const keys = ['stock.usd.nyse', 'stock.nyse', 'stock', 'stock.eur.x.nyse', 'a', 'a.b', 'a.b.c', '', 'nyse', 'x.usd.y'];
    const confirm = await t.confirmChannel();
    for (const k of keys) confirm.publish(x, k, Buffer.from(k));
    await confirm.waitForConfirms();

    const got: Record<string, string[]> = {};
    for (const [p, q] of queueOf) got[p] = await drain(ch, q);
    expect(got).toEqual({
      'stock.*.nyse': ['stock.usd.nyse'],
      'stock.#': ['stock.usd.nyse', 'stock.nyse', 'stock', 'stock.eur.x.nyse'],
      '*.usd.*': ['stock.usd.nyse', 'x.usd.y'],
      '#': keys,
      'stock.#.nyse': ['stock.usd.nyse', 'stock.nyse', 'stock.eur.x.nyse'],
      '#.nyse': ['stock.usd.nyse', 'stock.nyse', 'stock.eur.x.nyse', 'nyse'],
      'a.*': ['a.b'],
      // The empty key has no words for * to match; # matches it.
      '*': ['stock', 'a', 'nyse'],
    });
  });

  it('routes a headers exchange by x-match all and any, ignoring the routing key', async () => {
    const { ch } = await t.open();
    const x = t.exchange();
    await ch.assertExchange(x, 'headers', { durable: false });
    const bindings: Record<string, Record<string, unknown>> = {
      all: { 'x-match': 'all', format: 'pdf', type: 'report' },
      any: { 'x-match': 'any', format: 'pdf', type: 'report' },
      default: { format: 'pdf', type: 'report' },
      empty: {},
    };
    const queueOf = new Map<string, string>();
    for (const [name, args] of Object.entries(bindings)) {
      const q = t.queue(`headers-${name}`);
      queueOf.set(name, q);
      await ch.assertQueue(q, { durable: false });
      await ch.bindQueue(q, x, 'ignored', args);
    }
    const messages: [string, Record<string, unknown>][] = [
      ['both', { format: 'pdf', type: 'report' }],
      ['both and more', { format: 'pdf', type: 'report', pages: 3 }],
      ['format only', { format: 'pdf' }],
      ['wrong value', { format: 'zip', type: 'log' }],
      ['none', {}],
    ];
    const confirm = await t.confirmChannel();
    for (const [body, headers] of messages) confirm.publish(x, 'some.key', Buffer.from(body), { headers });
    await confirm.waitForConfirms();

    const got: Record<string, string[]> = {};
    for (const [name, q] of queueOf) got[name] = await drain(ch, q);
    expect(got).toEqual({
      all: ['both', 'both and more'],
      any: ['both', 'both and more', 'format only'],
      default: ['both', 'both and more'],
      empty: ['both', 'both and more', 'format only', 'wrong value', 'none'],
    });
  });
});
