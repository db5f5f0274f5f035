// The listing commands against rabbitmqctl 3.10's captures (01-single-node): an empty node in
// every formatter, then queues declared and filled over AMQP and listed with default and custom
// columns in every formatter (pids compared by shape), exchanges, bindings, connections,
// channels and consumers with their values, purge_queue and delete_queue, and a listing of
// 20,000 queues that streams through the CLI in bounded memory.

import amqp from 'amqplib';
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Host, type NodeHandle } from '../harness.js';
import { ctlWithInput, expected, withoutPids } from '../reference-output.js';

const host = new Host();
let node: NodeHandle;

beforeAll(async () => {
  await host.startMapper();
  node = await host.startNode('rabbit');
});
afterAll(() => host.cleanup());

const ours = (s: string) => s.replaceAll('rabbit@vm', node.name);
/** Lines in order, for lists whose row order is not defined (JSON's leading commas dropped). */
const sortedLines = (s: string) => s.split('\n').map((line) => line.replace(/^,/, '')).sort();

/** Runs a capture's command on our node and expects its output, pids compared by shape. */
async function replay(file: string, compare: (s: string) => unknown = withoutPids): Promise<void> {
  const want = expected(file, ours);
  const got = await ctlWithInput(host, node, want.args.map(ours), '');
  expect({ file, exitCode: got.exitCode, stdout: compare(got.stdout), stderr: got.stderr }).toEqual({
    file,
    exitCode: want.exitCode,
    stdout: compare(want.stdout),
    stderr: want.stderr,
  });
}

const replayAll = async (file: string, numbers: number[]) => {
  for (const n of numbers) await replay(`${file}/${String(n).padStart(3, '0')}`);
};

describe('an empty node', () => {
  it('prints help for list_queues exactly as rabbitmqctl does', async () => {
    await replayAll('01-single-node', [30, 40]);
  });

  it('lists no queues in every formatter, as 01-single-node shows', async () => {
    await replayAll('01-single-node', [8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('times out at once with --timeout 0, before any banner', async () => {
    await replay('11-timeouts/004');
  });

  it('lists its users, vhosts, bindings, connections, channels, consumers and permissions', async () => {
    await replayAll('01-single-node', [19, 20, 23, 24, 25, 26, 27]);
  });

  it('lists the seven standard exchanges', async () => {
    await replay('01-single-node/022', sortedLines);
    const json = await host.ctl(node, ['list_exchanges', 'name', 'type', 'durable', 'internal', '--formatter', 'json']);
    expect(JSON.parse(json.stdout)).toContainEqual({ name: 'amq.rabbitmq.trace', type: 'topic', durable: true, internal: true });
  });
});

describe('queues declared over AMQP', () => {
  beforeAll(async () => {
    const conn = await amqp.connect(`amqp://guest:guest@localhost:${node.amqpPort}`);
    const ch = await conn.createConfirmChannel();
    // temp.q first: Warren lists in declaration order, and the capture shows temp.q first.
    await ch.assertQueue('temp.q', { durable: false });
    await ch.assertQueue('hello', { durable: true });
    for (let i = 0; i < 3; i++) ch.sendToQueue('hello', Buffer.from(`message ${i}`), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
  });

  it('lists them with the default columns in every formatter', async () => {
    await replayAll('01-single-node', [46, 47, 48, 49, 50, 51, 52, 53, 54]);
  });

  it('lists custom columns, pids included, and comma-separated columns', async () => {
    await replayAll('01-single-node', [55, 56, 57, 58, 59]);
    const pids = await host.ctl(node, ['list_queues', 'name', 'pid', '-q', '-s']);
    expect(pids.stdout).toMatch(new RegExp(`^temp\\.q\\t<${node.name}\\.\\d+\\.\\d+\\.0>\\nhello\\t<${node.name}\\.\\d+\\.\\d+\\.0>\\n$`));
  });

  it('lists their bindings to the default exchange, exchanges as JSON and users as JSON', async () => {
    await replay('01-single-node/060');
    await replay('01-single-node/061', sortedLines);
    await replay('01-single-node/062');
  });

  it('filters by node status: every queue is online and local on a single node', async () => {
    const all = (await host.ctl(node, ['list_queues', '-s', '--online', '--local'])).stdout;
    expect(all).toBe('temp.q\t0\nhello\t3\n');
    expect((await host.ctl(node, ['list_queues', '-s', '--offline'])).stdout).toBe('');
  });

  it('deletes and purges them as 01-single-node shows, and refuses a missing one as 02-errors', async () => {
    await replayAll('01-single-node', [66, 67, 68, 69, 70]);
    await replay('02-errors/035');
  });
});

describe('connections, channels and consumers', () => {
  let conn: amqp.ChannelModel;

  beforeAll(async () => {
    conn = await amqp.connect(`amqp://guest:guest@localhost:${node.amqpPort}`, { clientProperties: { connection_name: 'lister' } });
    const ch = await conn.createChannel();
    await ch.prefetch(10);
    await ch.assertQueue('work', { durable: false, arguments: { 'x-max-length': 100 } });
    for (let i = 0; i < 4; i++) ch.sendToQueue('work', Buffer.from('job'));
    await ch.consume('work', () => {}, { consumerTag: 'worker-1', arguments: { 'x-priority': 5 } });
    const confirm = await conn.createConfirmChannel();
    await confirm.prefetch(3, true);
    await confirm.assertQueue('mine', { exclusive: true });
    await confirm.consume('mine', () => {}, { consumerTag: 'solo', noAck: true, exclusive: true });
    await conn.createChannel();
    // Let the four deliveries reach the consumer.
    await new Promise((r) => setTimeout(r, 200));
  });
  afterAll(() => conn.close());

  const rows = async (args: string[]) => JSON.parse((await host.ctl(node, [...args, '--formatter', 'json'])).stdout) as Array<Record<string, unknown>>;

  it('lists the connection with its user, vhost, peer, limits and client properties', async () => {
    const [c] = await rows(['list_connections', 'user', 'vhost', 'channels', 'peer_host', 'port', 'state', 'protocol', 'frame_max', 'client_properties', 'name']);
    expect(c).toMatchObject({ user: 'guest', vhost: '/', channels: 3, port: node.amqpPort, state: 'running', protocol: [0, 9, 1], frame_max: 131072 });
    expect(c.peer_host).toEqual([0, 0, 0, 0, 0, 65535, 32512, 1]);
    expect(c.client_properties).toContainEqual(['connection_name', 'longstr', 'lister']);
    expect(c.name).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${node.amqpPort}$`));
    const table = await host.ctl(node, ['list_connections']);
    expect(table.stdout).toMatch(/^Listing connections \.\.\.\nuser\tpeer_host\tpeer_port\tstate\nguest\t127\.0\.0\.1\t\d+\trunning\n$/);
    const props = await host.ctl(node, ['list_connections', 'client_properties', '-s']);
    expect(props.stdout).toContain('[{"connection_name","lister"},{"product","amqplib"},');
    expect(props.stdout).toContain('{"capabilities",[{"publisher_confirms",true},');
  });

  it('lists the channels with their counts, modes and prefetch', async () => {
    const chans = await rows(['list_channels', 'number', 'user', 'vhost', 'confirm', 'consumer_count', 'messages_unacknowledged', 'prefetch_count', 'global_prefetch_count', 'connection', 'pid', 'name']);
    expect(chans.map(({ connection, pid, name, ...rest }) => rest)).toEqual([
      { number: 1, user: 'guest', vhost: '/', confirm: false, consumer_count: 1, messages_unacknowledged: 4, prefetch_count: 10, global_prefetch_count: 0 },
      { number: 2, user: 'guest', vhost: '/', confirm: true, consumer_count: 1, messages_unacknowledged: 0, prefetch_count: 0, global_prefetch_count: 3 },
      { number: 3, user: 'guest', vhost: '/', confirm: false, consumer_count: 0, messages_unacknowledged: 0, prefetch_count: 0, global_prefetch_count: 0 },
    ]);
    expect(new Set(chans.map((c) => c.connection)).size).toBe(1);
    expect(new Set(chans.map((c) => c.pid)).size).toBe(3);
    expect(chans[1].name).toMatch(/ \(2\)$/);
    const table = await host.ctl(node, ['list_channels', '-q']);
    expect(table.stdout.split('\n').slice(0, 2).join('\n')).toMatch(
      new RegExp(`^pid\\tuser\\tconsumer_count\\tmessages_unacknowledged\\n<${node.name}\\.\\d+\\.\\d+\\.0>\\tguest\\t1\\t4$`),
    );
  });

  it('lists the consumers with their queue, channel, acks, prefetch and arguments', async () => {
    const table = await host.ctl(node, ['list_consumers', '-q']);
    const lines = withoutPids(table.stdout).split('\n');
    expect(lines[0]).toBe('queue_name\tchannel_pid\tconsumer_tag\tack_required\tprefetch_count\tactive\targuments');
    expect(lines).toContain('work\t<PID>\tworker-1\ttrue\t10\ttrue\t[{"x-priority",5}]');
    expect(lines).toContain('mine\t<PID>\tsolo\tfalse\t0\ttrue\t[]');
    const chans = await rows(['list_channels', 'pid', 'number']);
    const consumers = await rows(['list_consumers', 'consumer_tag', 'channel_pid', 'activity_status']);
    expect(consumers).toContainEqual({ consumer_tag: 'worker-1', channel_pid: chans[0].pid, activity_status: 'up' });
    const erl = await host.ctl(node, ['list_consumers', 'queue_name', 'consumer_tag', '--formatter', 'erlang']);
    expect(erl.stdout).toContain('[[[{queue_name,<<"work">>},{consumer_tag,<<"worker-1">>}]],');
  });

  it('shows who owns an exclusive queue, and its exclusive consumer', async () => {
    const [q] = (await rows(['list_queues', 'name', 'exclusive', 'durable', 'owner_pid', 'exclusive_consumer_tag', 'exclusive_consumer_pid', 'consumers'])).filter((r) => r.name === 'mine');
    const [c] = await rows(['list_connections', 'pid']);
    const chans = await rows(['list_channels', 'pid']);
    expect(q).toEqual({ name: 'mine', exclusive: true, durable: false, owner_pid: c.pid, exclusive_consumer_tag: 'solo', exclusive_consumer_pid: chans[1].pid, consumers: 1 });
    const work = await host.ctl(node, ['list_queues', 'name', 'arguments', 'messages_unacknowledged', 'consumer_utilisation', '-s']);
    expect(work.stdout).toContain('work\t[{"x-max-length",100}]\t4\t1.0\n');
  });
});

describe('a long listing', () => {
  it('streams 20,000 queues through the CLI in bounded memory', async () => {
    const count = 20_000;
    await host.ctl(node, ['add_vhost', 'bulk']);
    await host.ctl(node, ['set_permissions', '-p', 'bulk', 'guest', '.*', '.*', '.*']);
    const conn = await amqp.connect(`amqp://guest:guest@localhost:${node.amqpPort}/bulk`);
    const ch = await conn.createChannel();
    await Promise.all(Array.from({ length: count }, (_, i) => ch.assertQueue(`bulk.${i}`, { durable: false })));
    await conn.close();

    const timeFile = path.join(host.dir, 'time.txt');
    const r = await execa('/usr/bin/time', ['-o', timeFile, '-f', '%M', 'node', BIN.ctl, '-n', node.name, 'list_queues', '-p', 'bulk', 'name', '--formatter', 'json'], {
      env: host.baseEnv(),
      extendEnv: false,
      reject: false,
      stripFinalNewline: false,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.exitCode).toBe(0);
    const names = (JSON.parse(String(r.stdout)) as Array<{ name: string }>).map((q) => q.name);
    expect(names.length).toBe(count);
    expect(new Set(names).size).toBe(count);
    const peakKiB = Number(fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop());
    expect(peakKiB).toBeGreaterThan(0);
    expect(peakKiB).toBeLessThan(100 * 1024);
  });
});
