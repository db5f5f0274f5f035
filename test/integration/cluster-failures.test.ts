// A cluster through failures, with real processes: every node stopped and started again in
// every order (a disc node that was not the last to stop waits for one that was; force_boot
// overrides), kill -9 of all nodes at once, a cluster formed from the config file (classic
// peer discovery), and real network partitions cut by the kernel (test/partition.ts) handled
// per cluster_partition_handling: ignore, pause_minority and autoheal.

import fs from 'node:fs';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTNAME, Host, waitFor, type NodeHandle } from '../harness.js';
import {
  clusterStatus,
  ctlOk,
  expectMembers,
  formCluster,
  prepareClusterNode,
  startClusterNodes,
  waitForRunning,
  withLogs,
} from '../cluster-harness.js';
import { cut, heal, partitionSupport } from '../partition.js';

const support = await partitionSupport();
if (!support.ok) console.log(`Skipping the partition tests: ${support.reason}`);

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('stopping every node and starting them again', () => {
  const host = new Host();
  let nodes: NodeHandle[];
  beforeAll(async () => {
    await host.startMapper();
    nodes = await startClusterNodes(host, ['rabbit', 'rabbit_1', 'rabbit_2']);
    await formCluster(host, nodes, [nodes[2]]);
    await ctlOk(host, nodes[1], ['add_user', 'kept', 'pw']);
  }, 120_000);
  afterAll(() => host.cleanup());

  it('works in every start order: nodes that stopped first wait for the last one', async () => {
    const [rabbit, r1, r2] = nodes;
    for (const order of permutations(nodes)) {
      // rabbit_2 (ram), then rabbit_1, then rabbit: rabbit is the last to stop.
      for (const n of [r2, r1, rabbit]) await ctlOk(host, n, ['stop']);
      for (const n of order) await host.spawnNode(n);
      for (const n of nodes) await ctlOk(host, n, ['await_startup', '-t', '30']);
      await waitForRunning(host, rabbit, nodes);
      expectMembers(await clusterStatus(host, r2), [rabbit, r1], [r2]);
      expect(await ctlOk(host, r2, ['list_users', '-q']), order.map((n) => n.short).join(',')).toContain('kept');
    }
  });

  it('a node that was not the last to stop gives up waiting and stops; force_boot lets it start alone', async () => {
    const [rabbit, r1, r2] = nodes;
    for (const n of [r2, r1, rabbit]) await ctlOk(host, n, ['stop']);
    await host.spawnNode(r1);
    // 3 tries of 2 s (the test config), then the node stops, naming the node it waited for.
    const exit = await r1.process!;
    expect(exit.exitCode).not.toBe(0);
    const log = fs.readFileSync(r1.logFile, 'utf8');
    expect(log).toContain('retries left');
    expect(log).toContain(`timeout_waiting_for_tables, [:${rabbit.name}]`);
    // The node is down: warrenctl marks its data dir, found as the node's own scripts find it.
    const forced = await host.ctl(r1, ['force_boot'], { RABBITMQ_MNESIA_BASE: r1.env.RABBITMQ_MNESIA_BASE });
    expect(forced.exitCode).toBe(0);
    expect(fs.existsSync(`${r1.dataDir}/force_load`)).toBe(true);
    await host.spawnNode(r1);
    await ctlOk(host, r1, ['await_startup', '-t', '30']);
    expect(await ctlOk(host, r1, ['list_users', '-q'])).toContain('kept');
    await host.spawnNode(rabbit);
    await host.spawnNode(r2);
    for (const n of nodes) await ctlOk(host, n, ['await_startup', '-t', '30']);
    await waitForRunning(host, rabbit, nodes);
  });

  it('kill -9 of every node at once: they find each other again when started', async () => {
    for (const n of nodes) process.kill(n.pid(), 'SIGKILL');
    for (const n of [...nodes].reverse()) await host.spawnNode(n);
    for (const n of nodes) await ctlOk(host, n, ['await_startup', '-t', '30']);
    await waitForRunning(host, nodes[0], nodes);
    expect(await ctlOk(host, nodes[2], ['list_users', '-q'])).toContain('kept');
  });
});

describe('a cluster formed from the config file (classic_config peer discovery)', () => {
  const host = new Host();
  afterAll(() => host.cleanup());

  it('nodes started together with the same node list form one cluster without any command', async () => {
    await host.startMapper();
    const shorts = ['disco_a', 'disco_b', 'disco_c'];
    const handles: NodeHandle[] = [];
    for (const s of shorts) {
      const conf = [
        'cluster_formation.peer_discovery_backend = classic_config',
        ...shorts.map((o, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${o}@${HOSTNAME}`),
        `cluster_formation.node_type = ${s === 'disco_c' ? 'ram' : 'disc'}`,
      ];
      handles.push(await prepareClusterNode(host, s, { conf }));
    }
    await Promise.all(handles.map((n) => host.spawnNode(n)));
    for (const n of handles) await ctlOk(host, n, ['await_startup', '-t', '60']);
    await waitForRunning(host, handles[0], handles);
    for (const n of handles) expectMembers(await clusterStatus(host, n), [handles[0], handles[1]], [handles[2]]);
    await ctlOk(host, handles[2], ['add_vhost', 'found']);
    expect(await ctlOk(host, handles[0], ['list_vhosts', '-q'])).toContain('found');
  });
});

describe.skipIf(!support.ok)('network partitions', () => {
  const host = new Host();
  afterAll(() => host.cleanup());
  beforeAll(() => host.startMapper());

  async function threeNodes(prefix: string, handling: string): Promise<NodeHandle[]> {
    const nodes = await startClusterNodes(host, [`${prefix}_a`, `${prefix}_b`, `${prefix}_c`], {
      conf: [`cluster_partition_handling = ${handling}`],
      partitionable: true,
    });
    await formCluster(host, nodes);
    return nodes;
  }

  async function isolate(lone: NodeHandle, others: NodeHandle[]): Promise<void> {
    for (const o of others) await cut(lone, o);
  }

  async function rejoin(lone: NodeHandle, others: NodeHandle[]): Promise<void> {
    for (const o of others) await heal(lone, o);
  }

  it('ignore: both sides carry on, and cluster_status shows the partition once it heals', async () => {
    const [a, b, c] = await threeNodes('ign', 'ignore');
    await isolate(c, [a, b]);
    await waitForRunning(host, a, [a, b]);
    await waitForRunning(host, c, [c]);
    await rejoin(c, [a, b]);
    await waitFor('the partition to show', async () => {
      const s = await clusterStatus(host, a);
      return Object.keys(s.partitions).length > 0 || undefined;
    }, 60_000);
    const text = await ctlOk(host, a, ['cluster_status']);
    expect(text).toMatch(/Node \S+ cannot communicate with /);
  });

  it('pause_minority: the node cut off from the majority stops its app, and resumes when the partition heals', async () => {
    const nodes = await threeNodes('pm', 'pause_minority');
    await withLogs(nodes, () => pauseMinority(nodes));
  });

  async function pauseMinority([a, b, c]: NodeHandle[]): Promise<void> {
    await isolate(c, [a, b]);
    await waitForRunning(host, a, [a, b]);
    await waitFor('the minority to pause', async () => ((await host.ctl(c, ['cluster_status'])).exitCode === 64 ? true : undefined));
    // The majority keeps working.
    await ctlOk(host, a, ['add_user', 'during', 'pw']);
    await rejoin(c, [a, b]);
    await waitFor('the minority to resume', async () => ((await host.ctl(c, ['await_startup', '-t', '1'])).exitCode === 0 ? true : undefined), 60_000);
    await waitForRunning(host, c, [a, b, c], 60_000);
    expect(await ctlOk(host, c, ['list_users', '-q'])).toContain('during');
  }

  it('a mirrored queue whose master is cut off (pause_minority) is taken over by a mirror, nothing confirmed lost', async () => {
    const [a, b, c] = await threeNodes('pmq', 'pause_minority');
    await ctlOk(host, a, ['set_policy', 'ha-all', '^ha\\.', '{"ha-mode":"all","ha-sync-mode":"automatic"}']);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${c.amqpPort}`);
    conn.on('error', () => {});
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => {});
    await ch.assertQueue('ha.cut', { durable: true });
    for (let i = 0; i < 100; i++) ch.sendToQueue('ha.cut', Buffer.from(String(i)), { persistent: true });
    await ch.waitForConfirms();
    await waitFor('synchronised mirrors', async () => {
      const out = await ctlOk(host, a, ['list_queues', 'name', 'synchronised_slave_pids', '-q', '--no-table-headers']);
      return /^ha\.cut\t\[<[^>]+>, <[^>]+>\]$/m.test(out) || undefined;
    });
    await isolate(c, [a, b]);
    const consumer = await amqp.connect(`amqp://guest:guest@127.0.0.1:${a.amqpPort}`);
    // A check while the master is unreachable fails (404) and closes its channel: one per try.
    const check = async () => {
      const cch = await consumer.createChannel();
      cch.on('error', () => {});
      const q = await cch.checkQueue('ha.cut').catch(() => undefined);
      if (q !== undefined) await cch.close();
      return q !== undefined && q.messageCount === 100 ? q : undefined;
    };
    const got = await withLogs([a, b, c], () => waitFor('a mirror to take over with every message', check, 30_000));
    expect(got.messageCount).toBe(100);
    await consumer.close();
    await rejoin(c, [a, b]);
    await waitForRunning(host, a, [a, b, c], 60_000);
  });

  it('autoheal: after the partition heals, the losing side restarts and takes the winners\' metadata', async () => {
    const [a, b, c] = await threeNodes('ah', 'autoheal');
    await isolate(c, [a, b]);
    await waitForRunning(host, a, [a, b]);
    await waitForRunning(host, c, [c]);
    await ctlOk(host, a, ['add_user', 'winner', 'pw']);
    await ctlOk(host, c, ['add_user', 'loser', 'pw']);
    await rejoin(c, [a, b]);
    await withLogs([a, b, c], () => waitFor('the cluster to heal', async () => {
      const r = await host.ctl(c, ['cluster_status', '--formatter', 'json']);
      if (r.exitCode !== 0) return undefined;
      const s = JSON.parse(r.stdout) as { running_nodes: string[]; partitions: Record<string, string[]> };
      return (s.running_nodes.length === 3 && Object.keys(s.partitions).length === 0) || undefined;
    }, 40_000));
    const users = await ctlOk(host, c, ['list_users', '-q']);
    expect(users).toContain('winner');
    expect(users).not.toContain('loser');
    expect(Object.keys((await clusterStatus(host, a)).partitions)).toEqual([]);
  });
});
