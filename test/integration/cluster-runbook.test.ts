// The clustering runbook typed word for word against three real nodes, compared with
// rabbitmqctl's captures (03-cluster-build, 05-leave-cluster): joining (disc and ram),
// cluster_status from every node, replicated metadata, queues used from every node, a queue's
// home going down and coming back, a RAM node's restart, leaving, forgetting and rejoining.

import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTNAME, Host, waitFor, type NodeHandle } from '../harness.js';
import { expected } from '../reference-output.js';
import { clusterStatus, ctlOk, expectMembers, startClusterNodes, waitForRunning } from '../cluster-harness.js';

const host = new Host();
let rabbit: NodeHandle;
let r1: NodeHandle;
let r2: NodeHandle;

/** Captured names use the capture machine's host name ("vm"). */
const here = (s: string) => s.replaceAll('@vm', `@${HOSTNAME}`);

/** Runs capture `file` against this host's nodes; default node rabbit when the capture gave none. */
async function replay(file: string) {
  const want = expected(file, here);
  const args = want.args.map(here);
  const r = args.includes('-n') ? await host.ctlRaw(args) : await host.ctl(rabbit, args);
  return { r, want };
}

/** The sections of a cluster_status text that do not depend on versions, ports or feature flags. */
function stableSections(text: string): string {
  const out: string[] = [];
  let keep = true;
  for (const line of text.split('\n')) {
    if (/^(Versions|Listeners|Feature flags)$/.test(line)) keep = false;
    else if (/^[A-Z][A-Za-z ]+$/.test(line) && !line.includes(':')) keep = true;
    if (keep) out.push(line);
  }
  return out.join('\n');
}

const url = (n: NodeHandle) => `amqp://guest:guest@127.0.0.1:${n.amqpPort}`;

beforeAll(async () => {
  await host.startMapper();
  [rabbit, r1, r2] = await startClusterNodes(host, ['rabbit', 'rabbit_1', 'rabbit_2']);
}, 120_000);
afterAll(() => host.cleanup());

describe('forming a cluster with the runbook', () => {
  it('stop_app, reset, join_cluster [--ram], start_app print what rabbitmqctl prints', async () => {
    for (let i = 1; i <= 9; i++) {
      const { r, want } = await replay(`03-cluster-build/${String(i).padStart(3, '0')}`);
      expect(r.exitCode, want.args.join(' ')).toBe(want.exitCode);
      expect(r.stdout, want.args.join(' ')).toBe(want.stdout);
    }
  });

  it('cluster_status from every node: disc rabbit and rabbit_1, ram rabbit_2, all running', async () => {
    for (const [file, node] of [['010', rabbit], ['013', r1], ['016', r2]] as const) {
      const { r, want } = await replay(`03-cluster-build/${file}`);
      expect(r.exitCode).toBe(0);
      expect(stableSections(r.stdout)).toBe(stableSections(want.stdout));
      const s = await clusterStatus(host, node);
      expectMembers(s, [rabbit, r1], [r2]);
      expect(s.running_nodes.sort()).toEqual([rabbit.name, r1.name, r2.name].sort());
      expect(s.cluster_name).toBe(node.name);
    }
  });

  it('refuses to forget a running member and to change the type of a running node, as rabbitmqctl does', async () => {
    for (const file of ['019', '020']) {
      const { r, want } = await replay(`03-cluster-build/${file}`);
      expect(r.exitCode).toBe(want.exitCode);
      expect(r.stdout).toBe(want.stdout);
      expect(r.stderr).toBe(want.stderr);
    }
  });

  it('a node already in the cluster is told so', async () => {
    await ctlOk(host, r1, ['stop_app']);
    const r = await host.ctl(r1, ['join_cluster', rabbit.name]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('The node is already a member of this cluster');
    await ctlOk(host, r1, ['start_app']);
    await waitForRunning(host, rabbit, [rabbit, r1, r2]);
  });
});

describe('one set of metadata, one set of queues', () => {
  it('a change made through any node is visible through every node when the command returns', async () => {
    await ctlOk(host, r2, ['add_user', 'carol', 'pw']);
    expect(await ctlOk(host, r1, ['list_users', '-q'])).toContain('carol');
    await ctlOk(host, r1, ['add_vhost', 'shared']);
    await ctlOk(host, rabbit, ['set_permissions', '-p', 'shared', 'carol', '.*', '.*', '.*']);
    expect(await ctlOk(host, r2, ['list_permissions', '-p', 'shared', '-q'])).toContain('carol');
    const conn = await amqp.connect(url(rabbit));
    const ch = await conn.createChannel();
    await ch.assertExchange('orders', 'topic', { durable: true });
    await ch.assertExchange('scratch', 'fanout', { durable: false });
    await conn.close();
    for (const n of [r1, r2]) {
      const out = await ctlOk(host, n, ['list_exchanges', 'name', 'type', 'durable', '-q']);
      expect(out).toContain('orders\ttopic\ttrue');
      expect(out).toContain('scratch\tfanout\tfalse');
    }
  });

  it('a queue living on one node is declared, fed, consumed, listed and deleted through the others', async () => {
    const c = await amqp.connect(url(r2));
    const b = await amqp.connect(url(r1));
    const a = await amqp.connect(url(rabbit));
    try {
      const chC = await c.createChannel();
      await chC.assertQueue('cross', { durable: true }); // home: rabbit_2
      await chC.bindQueue('cross', 'orders', 'eu.#');
      const chB = await b.createConfirmChannel();
      expect((await chB.checkQueue('cross')).queue).toBe('cross');
      for (let i = 0; i < 500; i++) chB.publish('orders', 'eu.paris', Buffer.from(`m${i}`), { persistent: true });
      await chB.waitForConfirms();
      const listed = await ctlOk(host, rabbit, ['list_queues', 'name', 'messages', '-q']);
      expect(listed).toContain('cross\t500');
      const bindings = await ctlOk(host, rabbit, ['list_bindings', 'source_name', 'destination_name', 'routing_key', '-q']);
      expect(bindings).toContain('orders\tcross\teu.#');

      const chA = await a.createChannel();
      await chA.prefetch(20);
      const seen: string[] = [];
      let tag = '';
      await new Promise<void>((resolve, reject) => {
        chA
          .consume('cross', (m) => {
            if (m === null) return;
            seen.push(m.content.toString());
            chA.ack(m);
            if (seen.length === 500) resolve();
          })
          .then((ok) => (tag = ok.consumerTag), reject);
      });
      await chA.cancel(tag);
      expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));

      chB.sendToQueue('cross', Buffer.from('via-get'));
      await chB.waitForConfirms();
      const got = await chA.get('cross');
      expect(got && got.content.toString()).toBe('via-get');
      if (got) chA.ack(got);
      expect(await chA.get('cross')).toBe(false);
      expect((await chA.deleteQueue('cross')).messageCount).toBe(0);
      expect(await ctlOk(host, r2, ['list_queues', 'name', '-q'])).not.toContain('cross');
    } finally {
      await Promise.allSettled([a.close(), b.close(), c.close()]);
    }
  });

  it("a queue whose home is down is unavailable with RabbitMQ's error, and comes back with its messages", async () => {
    const home = await amqp.connect(url(r1));
    const ch = await home.createConfirmChannel();
    await ch.assertQueue('parked', { durable: true });
    for (let i = 0; i < 50; i++) ch.sendToQueue('parked', Buffer.from(`p${i}`), { persistent: true });
    await ch.waitForConfirms();
    await home.close();
    await host.killNode(r1);
    await waitForRunning(host, rabbit, [rabbit, r2]);

    const other = await amqp.connect(url(rabbit));
    const och = await other.createChannel();
    const closed = new Promise<Error>((resolve) => och.on('error', resolve));
    await expect(och.checkQueue('parked')).rejects.toThrow(
      `NOT_FOUND - home node '${r1.name}' of durable queue 'parked' in vhost '/' is down or inaccessible`,
    );
    await closed;
    // As rabbitmqctl lists them: the down queue first, with its pid on the node that is down.
    const listed = await ctlOk(host, rabbit, ['list_queues', 'name', 'pid', 'state', '-q', '--no-table-headers']);
    expect(listed.split('\n')[0]).toMatch(new RegExp(`^parked\\t<${r1.name}\\.\\d+\\.\\d+\\.0>\\tdown$`));
    const offline = await ctlOk(host, rabbit, ['list_queues', '--offline', 'name', '-q', '--no-table-headers']);
    expect(offline).toBe('parked\n');
    const online = await ctlOk(host, rabbit, ['list_queues', '--online', 'name', '-q', '--no-table-headers']);
    expect(online).not.toContain('parked');

    await host.restartNode(r1);
    await waitForRunning(host, rabbit, [rabbit, r1, r2]);
    const ch2 = await other.createChannel();
    expect((await ch2.checkQueue('parked')).messageCount).toBe(50);
    await ch2.purgeQueue('parked');
    await ch2.deleteQueue('parked');
    await other.close();
  });

  it('a RAM node that restarts gets the metadata back from a disc node', async () => {
    await host.killNode(r2);
    await ctlOk(host, rabbit, ['add_user', 'dave', 'pw']);
    await host.restartNode(r2);
    const users = await ctlOk(host, r2, ['list_users', '-q']);
    expect(users).toContain('carol');
    expect(users).toContain('dave');
    expect(await ctlOk(host, r2, ['list_exchanges', 'name', '-q'])).toContain('orders');
    expectMembers(await clusterStatus(host, r2), [rabbit, r1], [r2]);
  });

  it('await_online_nodes waits for the members that run', async () => {
    const r = await host.ctl(rabbit, ['await_online_nodes', '3', '-t', '10']);
    expect(r.exitCode).toBe(0);
  });
});

describe('leaving and being forgotten', () => {
  it('stop_app, reset, start_app makes a member a lone node, and the others drop it', async () => {
    for (const file of ['001', '002', '003']) {
      const { r, want } = await replay(`05-leave-cluster/${file}`);
      expect(r.exitCode).toBe(want.exitCode);
      expect(r.stdout).toBe(want.stdout);
    }
    const { r, want } = await replay('05-leave-cluster/004');
    expect(stableSections(r.stdout)).toBe(stableSections(want.stdout));
    const lone = await clusterStatus(host, r2);
    expectMembers(lone, [r2], []);
    expect(await ctlOk(host, r2, ['list_users', '-q'])).not.toContain('carol');
    const rest = await clusterStatus(host, rabbit);
    expectMembers(rest, [rabbit, r1], []);
    expect(rest.running_nodes.sort()).toEqual([rabbit.name, r1.name].sort());
  });

  it('forget_cluster_node removes a stopped member, which then cannot start until it is reset', async () => {
    for (const file of ['012', '015', '016', '019', '021', '022']) {
      const { r, want } = await replay(`05-leave-cluster/${file}`);
      expect(r.exitCode, file).toBe(want.exitCode);
      expect(r.stdout, file).toBe(want.stdout);
      if (file !== '016') expect(r.stderr, file).toBe(want.stderr);
    }
    expectMembers(await clusterStatus(host, rabbit), [rabbit], []);
  });

  it('the forgotten node and the one that left join again', async () => {
    for (const file of ['023', '024', '025', '026', '027', '028', '029']) {
      const { r, want } = await replay(`05-leave-cluster/${file}`);
      expect(r.exitCode, file).toBe(want.exitCode);
      expect(r.stdout, file).toBe(want.stdout);
    }
    for (const n of [rabbit, r1, r2]) {
      const s = await clusterStatus(host, n);
      expectMembers(s, [rabbit, r1], [r2]);
      expect(s.running_nodes.length).toBe(3);
    }
    expect(await ctlOk(host, r1, ['list_users', '-q'])).toContain('carol');
  });

  it('change_cluster_node_type turns a ram node into a disc node and back', async () => {
    await ctlOk(host, r2, ['stop_app']);
    expect(await ctlOk(host, r2, ['change_cluster_node_type', 'disc'])).toBe(`Turning ${r2.name} into a disc node\n`);
    await ctlOk(host, r2, ['start_app']);
    expectMembers(await clusterStatus(host, rabbit), [rabbit, r1, r2], []);
    await ctlOk(host, r2, ['stop_app']);
    await ctlOk(host, r2, ['change_cluster_node_type', 'ram']);
    await ctlOk(host, r2, ['start_app']);
    await waitFor('rabbit to see rabbit_2 as ram', async () => (await clusterStatus(host, rabbit)).ram_nodes.includes(r2.name) || undefined);
  });

  it('set_cluster_name names the cluster on every node', async () => {
    await ctlOk(host, r1, ['set_cluster_name', 'warren-test']);
    for (const n of [rabbit, r1, r2]) expect((await clusterStatus(host, n)).cluster_name).toBe('warren-test');
  });
});

describe('RAM nodes without a disc node', () => {
  it('refuse metadata changes while no disc node runs, and follow the first disc node back', async () => {
    await ctlOk(host, rabbit, ['stop_app']);
    await ctlOk(host, r1, ['stop_app']);
    await waitForRunning(host, r2, [r2]);
    const r = await host.ctl(r2, ['add_user', 'nobody', 'pw']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('no running disc node');
    await ctlOk(host, r1, ['start_app']);
    await ctlOk(host, r2, ['add_user', 'somebody', 'pw']);
    await ctlOk(host, rabbit, ['start_app']);
    await waitForRunning(host, rabbit, [rabbit, r1, r2]);
    for (const n of [rabbit, r1, r2]) expect(await ctlOk(host, n, ['list_users', '-q'])).toContain('somebody');
  });
});

describe('update_cluster_nodes', () => {
  it('a stopped member takes the membership a running member has, and starts in the cluster', async () => {
    await ctlOk(host, r2, ['stop_app']);
    expect(await ctlOk(host, r2, ['update_cluster_nodes', rabbit.name])).toBe(`Will seed ${r2.name} from ${rabbit.name} on next start\n`);
    await ctlOk(host, r2, ['start_app']);
    await waitForRunning(host, rabbit, [rabbit, r1, r2]);
  });
});
