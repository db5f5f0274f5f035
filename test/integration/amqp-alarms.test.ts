// Resource alarms: crossing the memory watermark (or the disk limit) blocks publishing
// connections with connection.blocked while consumers keep going; status and cluster_status
// show the alarm; lowering the pressure unblocks them and the held messages flow.

import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { useSingleNode, waitFor } from '../harness.js';

describe('resource alarms', () => {
  const scope = useSingleNode();
  const { host } = scope;

  it('blocks publishers and not consumers while the memory alarm is on', async () => {
    const publisher = await amqp.connect(scope.url);
    const consumer = await amqp.connect(scope.url);
    try {
      let blocked: string | undefined;
      let unblocked = false;
      publisher.on('blocked', (reason: string) => (blocked = reason));
      publisher.on('unblocked', () => (unblocked = true));
      const pch = await publisher.createChannel();
      const cch = await consumer.createChannel();
      const q = (await cch.assertQueue('', { exclusive: true })).queue;
      const received: string[] = [];
      await cch.consume(q, (m) => m && received.push(m.content.toString()), { noAck: true });

      pch.sendToQueue(q, Buffer.from('before'));
      await waitFor('the first message', () => received.includes('before') || undefined);

      const set = await host.ctl(scope.node, ['set_vm_memory_high_watermark', '0.0001']);
      expect(set).toMatchObject({ exitCode: 0, stdout: `Setting memory threshold on ${scope.node.name} to 0.0001 ...\n` });
      await waitFor('connection.blocked', () => blocked);
      expect(blocked).toBe('low on memory');

      const status = await host.ctl(scope.node, ['status']);
      expect(status.stdout).toContain(`Alarms\n\nMemory alarm on node ${scope.node.name}\n`);
      const cs = JSON.parse((await host.ctl(scope.node, ['cluster_status', '--formatter', 'json'])).stdout);
      expect(cs.alarms).toEqual([{ node: scope.node.name, resource: 'memory', type: 'resource_limit' }]);

      // As in RabbitMQ, the publish that finds the connection blocked is the last one read:
      // what follows it is held until the alarm clears.
      pch.sendToQueue(q, Buffer.from('first'));
      pch.sendToQueue(q, Buffer.from('during'));
      await waitFor('the first publish', () => received.includes('first') || undefined);
      await new Promise((r) => setTimeout(r, 300));
      expect(received).not.toContain('during');

      expect((await host.ctl(scope.node, ['set_vm_memory_high_watermark', '0.4'])).exitCode).toBe(0);
      await waitFor('connection.unblocked', () => unblocked || undefined);
      await waitFor('the held message', () => received.includes('during') || undefined);
      expect((await host.ctl(scope.node, ['status'])).stdout).toContain('Alarms\n\n(none)\n');
    } finally {
      await publisher.close();
      await consumer.close();
    }
  });

  it('raises the disk alarm when the free-space limit is above what is free', async () => {
    const set = await host.ctl(scope.node, ['set_disk_free_limit', '100000GB']);
    expect(set).toMatchObject({ exitCode: 0, stdout: `Setting disk free limit on ${scope.node.name} to 100000GB bytes ...\n` });
    await waitFor('the disk alarm', async () => (await host.ctl(scope.node, ['status'])).stdout.includes(`Free disk space alarm on node ${scope.node.name}`) || undefined);
    const json = JSON.parse((await host.ctl(scope.node, ['status', '--formatter', 'json'])).stdout);
    expect(json.alarms).toEqual([{ node: scope.node.name, resource: 'disk', type: 'resource_limit' }]);
    expect((await host.ctl(scope.node, ['set_disk_free_limit', '50MB'])).exitCode).toBe(0);
    await waitFor('the alarm to clear', async () => (await host.ctl(scope.node, ['status'])).stdout.includes('Alarms\n\n(none)') || undefined);
  });

  it('refuses bad limits as rabbitmqctl does', async () => {
    const frac = await host.ctl(scope.node, ['set_vm_memory_high_watermark', '1.5']);
    expect(frac.exitCode).toBe(65);
    expect(frac.stderr.startsWith('Error (argument validation): Bad argument: The threshold should be a fraction between 0.0 and 1.0\n')).toBe(true);
    expect((await host.ctl(scope.node, ['set_disk_free_limit', 'foo'])).exitCode).toBe(65);
    expect((await host.ctl(scope.node, ['set_vm_memory_high_watermark'])).exitCode).toBe(64);
  });
});
