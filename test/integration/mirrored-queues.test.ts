// Classic mirrored queues on three real nodes: mirrors placed by policy and shown by
// list_queues, manual and automatic sync (sync_queue, cancel_sync_queue, {syncing, N}), and the
// master's node killed with -9 in the middle of a confirmed stream: every confirmed message is
// delivered or still queued afterwards, duplicates only for unacked ones (flagged redelivered).
// SOAK_KILLS=N (npm run test:soak) repeats the kill N times.

import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, waitFor, type NodeHandle } from '../harness.js';
import { ctlOk, formCluster, startClusterNodes, waitForRunning, withLogs } from '../cluster-harness.js';

const host = new Host();
let nodes: NodeHandle[];
const url = (n: NodeHandle) => `amqp://guest:guest@127.0.0.1:${n.amqpPort}`;
const byName = (name: string) => nodes.find((n) => n.name === name)!;

interface QueueRow {
  name: string;
  pid: string;
  slave_pids: string[] | '';
  synchronised_slave_pids: string[] | '';
  state: unknown;
  messages: number;
}

async function queues(from: NodeHandle): Promise<Map<string, QueueRow>> {
  const out = await ctlOk(host, from, ['list_queues', 'name', 'pid', 'slave_pids', 'synchronised_slave_pids', 'state', 'messages', '--formatter', 'json']);
  return new Map((JSON.parse(out) as QueueRow[]).map((r) => [r.name, r]));
}

/** The node names in a column of pids as list_queues --formatter table prints them. */
async function mirrorNodes(from: NodeHandle, queue: string): Promise<{ master: string; mirrors: string[]; synced: string[] }> {
  const out = await ctlOk(host, from, ['list_queues', 'name', 'pid', 'slave_pids', 'synchronised_slave_pids', '-q', '--no-table-headers']);
  const line = out.split('\n').find((l) => l.startsWith(`${queue}\t`));
  if (line === undefined) throw new Error(`no queue ${queue} in ${out}`);
  const [, pid, mirrors, synced] = line.split('\t');
  const nodesIn = (s: string) => [...s.matchAll(/<([^.<>]+@[^.<>]+)\./g)].map((m) => m[1]).sort();
  return { master: nodesIn(pid)[0], mirrors: nodesIn(mirrors), synced: nodesIn(synced) };
}

beforeAll(async () => {
  await host.startMapper();
  nodes = await startClusterNodes(host, ['rabbit', 'rabbit_1', 'rabbit_2']);
  await formCluster(host, nodes);
}, 120_000);
afterAll(() => host.cleanup());

describe('mirrors placed by policy', () => {
  it('ha-mode all mirrors a queue on every other node, synchronised from the start', async () => {
    const [a] = nodes;
    await ctlOk(host, a, ['set_policy', 'ha-all', '^ha\\.', '{"ha-mode":"all","ha-sync-mode":"automatic"}']);
    const conn = await amqp.connect(url(a));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('ha.q1', { durable: true });
    for (let i = 0; i < 100; i++) ch.sendToQueue('ha.q1', Buffer.from(`m${i}`), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    for (const from of nodes) {
      await waitFor('ha.q1 mirrored everywhere', async () => {
        const m = await mirrorNodes(from, 'ha.q1');
        return (m.master === a.name && m.mirrors.length === 2 && m.synced.length === 2) || undefined;
      });
    }
    const plain = await mirrorNodes(a, 'ha.q1');
    expect(plain.mirrors).toEqual([nodes[1].name, nodes[2].name].sort());
  });

  it('list_queues shows mirrors as rabbitmqctl does: pids for mirrored queues, nothing for others', async () => {
    const [a] = nodes;
    const conn = await amqp.connect(url(a));
    const ch = await conn.createChannel();
    await ch.assertQueue('plain.q1', { durable: true });
    await conn.close();
    const rows = await queues(nodes[2]);
    const plain = rows.get('plain.q1')!;
    expect(plain.slave_pids).toBe('');
    expect(plain.synchronised_slave_pids).toBe('');
    expect(plain.pid).toMatch(/^#PID<\d+\.\d+\.0>$/);
    const ha = rows.get('ha.q1')!;
    expect(Array.isArray(ha.slave_pids) && ha.slave_pids.length).toBe(2);
    expect(ha.state).toBe('running');
    const table = await ctlOk(host, a, ['list_queues', 'name', 'slave_pids', '-q', '--no-table-headers']);
    // Mirrors in the order they started (either, here), as <node.creation.id.0>.
    expect(table).toMatch(/^ha\.q1\t\[<rabbit_[12]@[^.]+\.\d+\.\d+\.0>, <rabbit_[12]@[^.]+\.\d+\.\d+\.0>\]$/m);
    expect(table).toMatch(/^plain\.q1\t$/m);
    const policies = await ctlOk(host, a, ['list_queues', 'name', 'policy', 'effective_policy_definition', '-q', '--no-table-headers']);
    expect(policies).toContain('ha.q1\tha-all\t[{"ha-mode","all"},{"ha-sync-mode","automatic"}]');
    expect(policies).toMatch(/^plain\.q1\t\t\[\]$/m);
  });

  it('ha-mode nodes moves the master onto a listed node', async () => {
    const [a, b] = nodes;
    await ctlOk(host, a, ['set_policy', 'ha-nodes', '^nodes\\.', `{"ha-mode":"nodes","ha-params":["${b.name}"]}`]);
    const conn = await amqp.connect(url(a));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('nodes.q1', { durable: true });
    await waitFor('the master on rabbit_1', async () => ((await mirrorNodes(a, 'nodes.q1')).master === b.name ? true : undefined));
    for (let i = 0; i < 10; i++) ch.sendToQueue('nodes.q1', Buffer.from(String(i)), { persistent: true });
    await ch.waitForConfirms();
    const m = await mirrorNodes(nodes[2], 'nodes.q1');
    expect(m).toEqual({ master: b.name, mirrors: [], synced: [] });
    expect((await ch.checkQueue('nodes.q1')).messageCount).toBe(10);
    await conn.close();
  });

  it('a mirror added to a queue holding messages is unsynchronised until sync_queue', async () => {
    const [a, b] = nodes;
    await ctlOk(host, a, ['set_policy', 'ha-two', '^manual\\.', '{"ha-mode":"exactly","ha-params":2}']);
    const conn = await amqp.connect(url(b));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('manual.q1', { durable: true });
    await waitFor('one mirror', async () => ((await mirrorNodes(a, 'manual.q1')).mirrors.length === 1 ? true : undefined));
    for (let i = 0; i < 200; i++) ch.sendToQueue('manual.q1', Buffer.from(`m${i}`), { persistent: true });
    await ch.waitForConfirms();
    // Now every node: the new mirror starts empty.
    await ctlOk(host, a, ['set_policy', '--priority', '1', 'ha-manual', '^manual\\.', '{"ha-mode":"all","ha-sync-mode":"manual"}']);
    await waitFor('two mirrors, one synchronised', async () => {
      const m = await mirrorNodes(a, 'manual.q1');
      return (m.mirrors.length === 2 && m.synced.length === 1) || undefined;
    });
    expect((await host.ctl(a, ['cancel_sync_queue', 'manual.q1'])).stdout).toBe("Stopping synchronising queue 'manual.q1' in vhost '/' ...\nnot_syncing\n");
    expect(await ctlOk(host, nodes[2], ['sync_queue', 'manual.q1'])).toBe("Synchronising queue 'manual.q1' in vhost '/' ...\n");
    const m = await mirrorNodes(a, 'manual.q1');
    expect(m.synced).toEqual(m.mirrors);
    await conn.close();
  });

  it('an unsynchronised mirror becomes synchronised once the messages it lacks are consumed', async () => {
    const [a] = nodes;
    await ctlOk(host, a, ['set_policy', 'drain-one', '^drain\\.', '{"ha-mode":"exactly","ha-params":1}']);
    const conn = await amqp.connect(url(a));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('drain.q1', { durable: true });
    for (let i = 0; i < 20; i++) ch.sendToQueue('drain.q1', Buffer.from(String(i)), { persistent: true });
    await ch.waitForConfirms();
    await ctlOk(host, a, ['set_policy', '--priority', '1', 'drain-two', '^drain\\.', '{"ha-mode":"exactly","ha-params":2,"ha-sync-mode":"manual"}']);
    await waitFor('an unsynchronised mirror', async () => {
      const m = await mirrorNodes(a, 'drain.q1');
      return (m.mirrors.length === 1 && m.synced.length === 0) || undefined;
    });
    for (let i = 0; i < 20; i++) {
      const m = await ch.get('drain.q1');
      if (m !== false) ch.ack(m);
    }
    await waitFor('the mirror synchronised by consumption', async () => ((await mirrorNodes(a, 'drain.q1')).synced.length === 1 ? true : undefined));
    await conn.close();
  });

  it('cancel_sync_queue stops a large sync, which shows as {syncing, N} while it runs', async () => {
    const [a, b, c] = nodes;
    await ctlOk(host, a, ['set_policy', 'big-one', '^big\\.', '{"ha-mode":"exactly","ha-params":1}']);
    const conn = await amqp.connect(url(a));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('big.q1', { durable: false });
    const body = Buffer.alloc(256, 1);
    for (let i = 0; i < 20_000; i++) ch.sendToQueue('big.q1', body);
    await ch.waitForConfirms();
    await ctlOk(host, a, ['set_policy', '--priority', '1', 'big-all', '^big\\.', '{"ha-mode":"all","ha-sync-batch-size":2}']);
    await waitFor('two unsynchronised mirrors', async () => {
      const m = await mirrorNodes(a, 'big.q1');
      return (m.mirrors.length === 2 && m.synced.length === 0) || undefined;
    });
    const sync = host.ctl(b, ['sync_queue', 'big.q1']);
    const syncing = await waitFor('the sync to show', async () => {
      const out = await ctlOk(host, c, ['list_queues', 'name', 'state', '-q', '--formatter', 'erlang']);
      return /\{state,\{syncing,\d+\}\}/.test(out) ? out : undefined;
    });
    expect(syncing).toMatch(/big\.q1/);
    const cancelled = await host.ctl(a, ['cancel_sync_queue', 'big.q1']);
    expect(cancelled.stdout).toBe("Stopping synchronising queue 'big.q1' in vhost '/' ...\n");
    expect((await sync).exitCode).toBe(0);
    const m = await mirrorNodes(a, 'big.q1');
    expect(m.synced).toEqual([]);
    await ch.deleteQueue('big.q1');
    await conn.close();
  });
});

describe('mirrors kept placed', () => {
  it('ha-mode exactly tops itself up when a mirror\'s node goes, and the new mirror is filled by automatic sync', async () => {
    const [a, b, c] = nodes;
    await ctlOk(host, a, ['set_policy', 'ha-exact', '^exact\\.', '{"ha-mode":"exactly","ha-params":2,"ha-sync-mode":"automatic"}']);
    const conn = await amqp.connect(url(a));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('exact.q1', { durable: true });
    for (let i = 0; i < 50; i++) ch.sendToQueue('exact.q1', Buffer.from(String(i)), { persistent: true });
    await ch.waitForConfirms();
    const first = await waitFor('one synchronised mirror', async () => {
      const m = await mirrorNodes(a, 'exact.q1');
      return m.synced.length === 1 ? m.synced[0] : undefined;
    });
    const gone = byName(first);
    const spare = first === b.name ? c : b;
    await host.killNode(gone);
    await waitFor('a mirror on the spare node, synchronised', async () => {
      const m = await mirrorNodes(a, 'exact.q1');
      return (m.mirrors.length === 1 && m.mirrors[0] === spare.name && m.synced[0] === spare.name) || undefined;
    });
    await conn.close();
    await host.restartNode(gone);
    await waitForRunning(host, a, nodes);
  });
});

describe('failover', () => {
  it('kill -9 of the master in the middle of a confirmed stream loses nothing confirmed', async () => {
    await ctlOk(host, nodes[0], ['set_policy', 'ha-all', '^ha\\.', '{"ha-mode":"all","ha-sync-mode":"automatic"}']);
    const rounds = Number(process.env.SOAK_KILLS ?? 1);
    for (let round = 0; round < rounds; round++) await withLogs(nodes, () => killMasterMidStream(round), 120);
  }, 600_000);

  it('a consumer that asked for x-cancel-on-ha-failover gets basic.cancel; the others keep consuming', async () => {
    await ctlOk(host, nodes[0], ['set_policy', 'ha-all', '^ha\\.', '{"ha-mode":"all","ha-sync-mode":"automatic"}']);
    const master = nodes[1];
    const [other] = nodes.filter((n) => n !== master);
    const d = await amqp.connect(url(master));
    const dch = await d.createConfirmChannel();
    await dch.assertQueue('ha.cancel', { durable: true });
    await waitFor('synchronised mirrors', async () => ((await mirrorNodes(other, 'ha.cancel')).synced.length === 2 ? true : undefined));
    const c = await amqp.connect(url(other));
    c.on('error', () => {});
    const ch = await c.createChannel();
    ch.on('error', () => {});
    let cancelled = false;
    let kept = 0;
    await ch.consume('ha.cancel', (m) => {
      if (m === null) cancelled = true;
    }, { arguments: { 'x-cancel-on-ha-failover': true }, noAck: true });
    await ch.consume('ha.cancel', (m) => {
      if (m !== null) kept++;
    }, { noAck: true });
    await d.close();
    await host.killNode(master);
    await waitFor('the flagged consumer to be cancelled', () => (cancelled ? true : undefined));
    const p = await amqp.connect(url(other));
    const pch = await p.createConfirmChannel();
    for (let i = 0; i < 10; i++) pch.sendToQueue('ha.cancel', Buffer.from(String(i)));
    await pch.waitForConfirms();
    await waitFor('the other consumer to keep consuming', () => (kept === 10 ? true : undefined));
    await p.close();
    await c.close();
    await host.restartNode(master);
    await waitForRunning(host, other, nodes);
  });

  it('ha-promote-on-failure when-synced with no synchronised mirror leaves the queue unavailable', async () => {
    const [a, b, c] = nodes;
    await ctlOk(host, a, [
      'set_policy',
      'careful',
      '^careful\\.',
      '{"ha-mode":"exactly","ha-params":2,"ha-sync-mode":"manual","ha-promote-on-failure":"when-synced"}',
    ]);
    const conn = await amqp.connect(url(c));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('careful.q', { durable: true });
    for (let i = 0; i < 10; i++) ch.sendToQueue('careful.q', Buffer.from(`c${i}`), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    // Replace its mirror by one that lacks the messages: drop to 1 copy, then back to 2.
    await ctlOk(host, a, ['set_policy', 'careful', '^careful\\.', '{"ha-mode":"exactly","ha-params":1,"ha-promote-on-failure":"when-synced"}']);
    await waitFor('no mirror', async () => ((await mirrorNodes(a, 'careful.q')).mirrors.length === 0 ? true : undefined));
    await ctlOk(host, a, [
      'set_policy',
      'careful',
      '^careful\\.',
      '{"ha-mode":"exactly","ha-params":2,"ha-sync-mode":"manual","ha-promote-on-failure":"when-synced"}',
    ]);
    await waitFor('an unsynchronised mirror', async () => {
      const m = await mirrorNodes(a, 'careful.q');
      return (m.mirrors.length === 1 && m.synced.length === 0) || undefined;
    });
    const master = byName((await mirrorNodes(a, 'careful.q')).master);
    const other = nodes.find((n) => n !== master)!;
    await host.killNode(master);
    await waitForRunning(host, other, nodes.filter((n) => n !== master));
    const probe = await amqp.connect(url(other));
    const pch = await probe.createChannel();
    pch.on('error', () => {});
    await expect(pch.checkQueue('careful.q')).rejects.toThrow(/NOT_FOUND - home node .* is down or inaccessible/);
    await probe.close();
    await host.restartNode(master);
    await waitForRunning(host, other, nodes);
    const back = await amqp.connect(url(other));
    const bch = await back.createChannel();
    expect((await bch.checkQueue('careful.q')).messageCount).toBe(10);
    await back.close();
    void b;
  });
});

/**
 * One round: a queue mirrored on all nodes with automatic sync; a publisher with confirms on
 * one non-master node, a slow acking consumer on the other; the master's node is killed half
 * way through and restarted afterwards.
 */
async function killMasterMidStream(round: number): Promise<void> {
  const total = 10_000;
  const queue = `ha.failover${round}`;
  const master = nodes[round % 3];
  const [pubNode, subNode] = nodes.filter((n) => n !== master);
  const declare = await amqp.connect(url(master));
  await (await declare.createChannel()).assertQueue(queue, { durable: true });
  await declare.close();
  await waitFor('the queue mirrored and synchronised', async () => {
    const m = await mirrorNodes(pubNode, queue);
    return (m.master === master.name && m.synced.length === 2) || undefined;
  });

  const confirmed = new Set<number>();
  const seen = new Map<number, number>();
  let redeliveredDuplicates = 0;
  let plainDuplicates = 0;

  const sub = await amqp.connect(url(subNode));
  sub.on('error', () => {});
  const sch = await sub.createChannel();
  sch.on('error', () => {});
  await sch.prefetch(50);
  await sch.consume(queue, (m) => {
    if (m === null) return;
    const n = Number(m.content.toString());
    const before = seen.get(n) ?? 0;
    if (before > 0) {
      if (m.fields.redelivered) redeliveredDuplicates++;
      else plainDuplicates++;
    }
    seen.set(n, before + 1);
    // Slow: ack a little later.
    setTimeout(() => {
      try {
        sch.ack(m);
      } catch {
        // The channel may be gone with its node; the message will come again.
      }
    }, 2);
  });

  const pub = await amqp.connect(url(pubNode));
  pub.on('error', () => {});
  const pch = await pub.createConfirmChannel();
  pch.on('error', () => {});
  // At most `window` messages unconfirmed at a time; the master is killed once half are confirmed.
  const window = 200;
  let outstanding = 0;
  let nacked = 0;
  let kill: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  for (let i = 0; i < total; i++) {
    while (outstanding >= window) await new Promise<void>((r) => (wake = r));
    outstanding++;
    pch.sendToQueue(queue, Buffer.from(String(i)), { persistent: true }, (err) => {
      if (err === null || err === undefined) confirmed.add(i);
      else nacked++;
      outstanding--;
      wake?.();
      if (kill === undefined && confirmed.size >= total / 2) kill = host.killNode(master);
    });
  }
  while (outstanding > 0) await new Promise<void>((r) => (wake = r));
  await kill;

  // Everything confirmed must arrive (the consumer keeps going on the new master).
  await waitFor(
    `all ${confirmed.size} confirmed messages delivered`,
    async () => ([...confirmed].every((n) => seen.has(n)) ? true : undefined),
    60_000,
  );
  await sub.close();
  await pub.close();
  await host.restartNode(master);
  await waitForRunning(host, pubNode, nodes);
  const missing = [...confirmed].filter((n) => !seen.has(n));
  console.log(
    `failover round ${round}: ${confirmed.size} of ${total} confirmed (${nacked} nacked), ${missing.length} missing, ${redeliveredDuplicates} redelivered duplicates, ${plainDuplicates} unflagged duplicates`,
  );
  expect(missing).toEqual([]);
  expect(plainDuplicates).toBe(0);
  expect(confirmed.size).toBeGreaterThan(total / 2);
}
