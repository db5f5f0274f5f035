// Durable state survives: durable exchanges, queues and bindings come back after stop_app /
// start_app, a restart and kill -9; persistent messages that the broker confirmed survive a
// kill -9 in the middle of a stream of publishes (counted one by one), transient ones do not.

import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, type NodeHandle } from '../harness.js';

async function drain(ch: amqp.Channel, queue: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
}

describe('durability', () => {
  const host = new Host();
  let node: NodeHandle;
  const url = () => `amqp://guest:guest@127.0.0.1:${node.amqpPort}`;

  beforeAll(async () => {
    await host.startMapper();
    node = await host.startNode('rabbit');
  });
  afterAll(() => host.cleanup());

  it('keeps durable definitions and persistent messages across stop_app/start_app and a restart', async () => {
    const c = await amqp.connect(url());
    const ch = await c.createConfirmChannel();
    await ch.assertExchange('orders', 'topic', { durable: true });
    await ch.assertQueue('orders.eu', { durable: true, arguments: { 'x-max-length': 1000 } });
    await ch.bindQueue('orders.eu', 'orders', 'eu.#');
    await ch.assertQueue('scratch', { durable: false });
    ch.publish('orders', 'eu.fr', Buffer.from('persistent-1'), { persistent: true });
    ch.publish('orders', 'eu.de', Buffer.from('transient-1'), { persistent: false });
    await ch.waitForConfirms();
    await c.close();

    for (const restart of ['app', 'process']) {
      if (restart === 'app') {
        expect((await host.ctl(node, ['stop_app'])).exitCode).toBe(0);
        expect((await host.ctl(node, ['start_app'])).exitCode).toBe(0);
      } else {
        expect((await host.ctl(node, ['stop'])).exitCode).toBe(0);
        await host.restartNode(node);
      }
      const c2 = await amqp.connect(url());
      const ch2 = await c2.createChannel();
      ch2.on('error', () => {});
      // The exchange, queue (with its arguments) and binding are back; the transient queue is not.
      await ch2.checkExchange('orders');
      const q = await ch2.checkQueue('orders.eu');
      expect(q.messageCount).toBe(1);
      await expect(ch2.checkQueue('scratch')).rejects.toThrow(/404/);
      const ch3 = await c2.createChannel();
      ch3.publish('orders', 'eu.it', Buffer.from(`after-${restart}`), { persistent: true });
      await new Promise((r) => setTimeout(r, 100));
      const got = await drain(ch3, 'orders.eu');
      expect(got).toEqual(['persistent-1', `after-${restart}`]);
      ch3.publish('orders', 'eu.fr', Buffer.from('persistent-1'), { persistent: true });
      await new Promise((r) => setTimeout(r, 100));
      await c2.close();
    }
  });

  it('loses no confirmed persistent message when the node is killed with -9 mid-stream', async () => {
    const c = await amqp.connect(url());
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('ledger', { durable: true });
    const confirmed = new Set<number>();
    let sent = 0;
    let killed = false;
    let connectionLost = false;
    c.on('error', () => {});
    c.on('close', () => (connectionLost = true));
    ch.on('error', () => {});
    // Publish with a window of confirms until the node dies under us.
    const publishing = (async () => {
      while (!killed && !connectionLost) {
        const batch: Array<Promise<void>> = [];
        for (let i = 0; i < 200; i++) {
          const id = sent++;
          batch.push(
            new Promise<void>((resolve) => {
              try {
                ch.sendToQueue('ledger', Buffer.from(String(id)), { persistent: true }, (err) => {
                  if (!err) confirmed.add(id);
                  resolve();
                });
              } catch {
                resolve();
              }
            }),
          );
        }
        await Promise.race([Promise.all(batch), new Promise((r) => setTimeout(r, 2000))]);
        // Yield to timers: once the socket is gone every send fails at once.
        await new Promise((r) => setImmediate(r));
      }
    })();
    while (confirmed.size < 3000) await new Promise((r) => setTimeout(r, 10));
    await host.killNode(node);
    killed = true;
    await publishing;
    const confirmedAtKill = new Set(confirmed);
    expect(confirmedAtKill.size).toBeGreaterThanOrEqual(3000);

    await host.restartNode(node);
    const c2 = await amqp.connect(url());
    const ch2 = await c2.createChannel();
    const recovered = (await drain(ch2, 'ledger')).map(Number);
    await c2.close();
    const present = new Set(recovered);
    const missing = [...confirmedAtKill].filter((id) => !present.has(id));
    expect(missing).toEqual([]);
    // Recovered in publish order, each at most once, and nothing that was never sent.
    expect(recovered).toEqual([...recovered].sort((a, b) => a - b));
    expect(present.size).toBe(recovered.length);
    expect(recovered.every((id) => id < sent)).toBe(true);
  });

  it('keeps users, vhosts, permissions and limits across kill -9', async () => {
    for (const args of [
      ['add_user', 'alice', 's3cret'],
      ['set_user_tags', 'alice', 'monitoring'],
      ['add_vhost', 'shop'],
      ['set_permissions', '-p', 'shop', 'alice', '^alice\\.', '.*', '.*'],
      ['set_vhost_limits', '-p', 'shop', '{"max-queues": 10}'],
    ]) {
      expect((await host.ctl(node, args)).exitCode).toBe(0);
    }
    await host.killNode(node);
    await host.restartNode(node);
    expect((await host.ctl(node, ['list_users', '-s'])).stdout).toContain('alice\t[monitoring]\n');
    expect((await host.ctl(node, ['list_vhosts', '-s'])).stdout).toContain('shop\n');
    expect((await host.ctl(node, ['list_permissions', '-p', 'shop', '-s'])).stdout).toBe('alice\t^alice\\.\t.*\t.*\n');
    expect((await host.ctl(node, ['list_vhost_limits', '-p', 'shop', '-s'])).stdout).toContain('"max-queues":10');
    expect((await host.ctl(node, ['authenticate_user', 'alice', 's3cret'])).exitCode).toBe(0);
    // And over AMQP: alice may use her vhost, within her permissions.
    const c = await amqp.connect(`amqp://alice:s3cret@127.0.0.1:${node.amqpPort}/shop`);
    const ch = await c.createChannel();
    await ch.assertQueue('alice.inbox');
    await c.close();
  });

  it('brings back durable state after kill -9 with the app idle', async () => {
    const c = await amqp.connect(url());
    const ch = await c.createConfirmChannel();
    await ch.assertExchange('audit', 'fanout', { durable: true });
    await ch.assertQueue('audit.copy', { durable: true });
    await ch.bindQueue('audit.copy', 'audit', '');
    ch.publish('audit', '', Buffer.from('kept'), { persistent: true });
    await ch.waitForConfirms();
    await c.close();
    await host.killNode(node);
    await host.restartNode(node);
    const c2 = await amqp.connect(url());
    const ch2 = await c2.createChannel();
    expect(await drain(ch2, 'audit.copy')).toEqual(['kept']);
    ch2.publish('audit', '', Buffer.from('routed'));
    await new Promise((r) => setTimeout(r, 100));
    expect(await drain(ch2, 'audit.copy')).toEqual(['routed']);
    await c2.close();
  });
});
