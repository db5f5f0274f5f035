// Policies through warrenctl against rabbitmqctl 3.10's captures (04-mirrored-queues: the four
// ha-* policies set and listed in every formatter, then queues listed with their policy and a
// legacy x-ha-policy argument; 02-errors: every bad set_policy), and then what a policy does to
// live queues over AMQP: a lower max-length drops head messages at once, a message-ttl expires
// what is published after it, the higher priority wins, clearing gives back the arguments' own
// settings, and a policy for exchanges leaves queues alone.

import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { useSingleNode, waitFor } from '../harness.js';
import { ctlWithInput, expected, replayCapture, withoutPids } from '../reference-output.js';

const scope = useSingleNode('rabbit');

/**
 * Lines in order. RabbitMQ lists policies of equal priority (and queues) in the order its
 * tables happen to hold them; Warren's order is its own (by priority, then name).
 */
const sortedLines = (s: string) => s.split('\n').map((line) => line.replace(/^,/, '')).sort();

/** An Erlang-formatted list: the banner, then its rows in order (each row spans lines). */
const erlangRows = (s: string) => {
  const i = s.indexOf('[[');
  return [s.slice(0, i), ...s.slice(i + 1, s.lastIndexOf(']')).split(/,\n (?=\[)/).sort()];
};

async function replaySorted(file: string, compare: (s: string) => unknown = sortedLines): Promise<void> {
  const ours = (s: string) => s.replaceAll('rabbit_2@vm', scope.node.name);
  const want = expected(file, ours);
  const got = await ctlWithInput(scope.host, scope.node, want.args.map(ours), '');
  expect({ file, exitCode: got.exitCode, stdout: compare(withoutPids(got.stdout)), stderr: got.stderr }).toEqual({
    file,
    exitCode: want.exitCode,
    stdout: compare(withoutPids(want.stdout)),
    stderr: want.stderr,
  });
}

const replay = (file: string) => replayCapture(scope.host, scope.node, file, 'rabbit_2@vm');
const ctl = (...args: string[]) => scope.host.ctl(scope.node, args);
const file = (dir: string, n: number) => `${dir}/${String(n).padStart(3, '0')}`;

describe('the policies of 04-mirrored-queues', () => {
  it('refuses every bad set_policy and clear_policy as 02-errors shows, and lists none', async () => {
    for (let n = 24; n <= 34; n++) await replay(file('02-errors', n));
  });

  it('lists no policies in every formatter as rabbitmqctl 3.10 does', async () => {
    // Taken from a 3.10 node: an empty list is printed as one value.
    expect((await ctl('list_policies', '-q')).stdout).toBe('\n');
    expect((await ctl('list_policies', '--formatter', 'json')).stdout).toBe('[]\n');
    expect((await ctl('list_policies', '--formatter', 'erlang')).stdout).toBe('Listing policies for vhost "/" ...\n[]\n');
    expect((await ctl('list_policies', '--formatter', 'csv')).stdout).toBe('\r\n\r\n\n');
  });

  it('sets the four ha-* policies with rabbitmqctl\'s banners', async () => {
    for (let n = 1; n <= 4; n++) await replay(file('04-mirrored-queues', n));
  });

  it('lists them in every formatter, and from -n with -p', async () => {
    for (const n of [5, 6, 7, 9, 10, 11]) await replaySorted(file('04-mirrored-queues', n));
    await replaySorted(file('04-mirrored-queues', 8), erlangRows);
  });

  it('lists queues with their policy, and keeps x-ha-policy as an argument that does nothing', async () => {
    const conn = await amqp.connect(scope.url);
    const ch = await conn.createConfirmChannel();
    for (const q of ['ha.q1', 'two.q1', 'nodes.q1', 'plain.q1', 'manual.q1']) await ch.assertQueue(q, { durable: true });
    await ch.assertQueue('legacy.q1', { durable: true, arguments: { 'x-ha-policy': 'all' } });
    for (const q of ['ha.q1', 'two.q1', 'nodes.q1', 'plain.q1', 'manual.q1', 'legacy.q1']) {
      for (let i = 0; i < 10; i++) ch.sendToQueue(q, Buffer.from(`m${i}`), { persistent: true });
    }
    await ch.waitForConfirms();
    await conn.close();
    for (const n of [25, 30, 31, 33, 34, 35]) await replaySorted(file('04-mirrored-queues', n));
    for (const n of [32, 36]) await replaySorted(file('04-mirrored-queues', n), erlangRows);
  });
});

describe('policies on live queues', () => {
  const messages = async (queue: string) => {
    const r = await ctl('list_queues', 'name', 'messages', '-s');
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${queue}\t`));
    return line === undefined ? undefined : Number(line.split('\t')[1]);
  };
  const policyOf = async (queue: string) => {
    const r = await ctl('list_queues', 'name', 'policy', '-s');
    return r.stdout.split('\n').find((l) => l.startsWith(`${queue}\t`))?.split('\t')[1];
  };
  const fill = async (queue: string, count: number, args: Record<string, unknown> = {}) => {
    const conn = await amqp.connect(scope.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(queue, { durable: false, arguments: args });
    for (let i = 0; i < count; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    await conn.close();
  };
  const head = async (queue: string) => {
    const conn = await amqp.connect(scope.url);
    const ch = await conn.createChannel();
    const msg = await ch.get(queue, { noAck: false });
    await conn.close(); // The message goes back to the head.
    return msg === false ? undefined : msg.content.toString();
  };
  const set = async (...args: string[]) => expect((await ctl('set_policy', ...args)).exitCode).toBe(0);
  const clear = async (name: string) => expect((await ctl('clear_policy', name)).exitCode).toBe(0);

  it('drops head messages at once when a policy lowers max-length, and clearing lifts the limit', async () => {
    await fill('lim.q', 10);
    await set('--apply-to', 'queues', 'lim', '^lim\\.', '{"max-length":3}');
    expect(await messages('lim.q')).toBe(3);
    expect(await head('lim.q')).toBe('m7');
    expect(await policyOf('lim.q')).toBe('lim');
    await clear('lim');
    expect(await policyOf('lim.q')).toBe('');
    await fill('lim.q', 5);
    expect(await messages('lim.q')).toBe(8);
  });

  it('expires messages published after a message-ttl policy', async () => {
    await set('ttl', '^ttl\\.', '{"message-ttl":200}');
    await fill('ttl.q', 4);
    await waitFor('the messages to expire', async () => ((await messages('ttl.q')) === 0 ? true : undefined), 10_000);
    await clear('ttl');
  });

  it('takes the smaller of argument and policy for max-length, and the argument alone once cleared', async () => {
    const args = { 'x-max-length': 5 };
    await fill('both.q', 8, args);
    expect(await messages('both.q')).toBe(5);
    await set('both', '^both\\.', '{"max-length":10}');
    await fill('both.q', 3, args);
    expect(await messages('both.q')).toBe(5);
    await set('both', '^both\\.', '{"max-length":2}');
    expect(await messages('both.q')).toBe(2);
    await clear('both');
    await fill('both.q', 6, args);
    expect(await messages('both.q')).toBe(5);
  });

  it('applies the policy with the highest priority', async () => {
    await fill('prio.q', 10);
    await set('--priority', '1', 'prio-low', '^prio', '{"max-length":2}');
    expect(await messages('prio.q')).toBe(2);
    await fill('prio.q', 1);
    await set('--priority', '5', 'prio-high', '^prio\\.', '{"max-length":4}');
    expect(await policyOf('prio.q')).toBe('prio-high');
    await fill('prio.q', 5);
    expect(await messages('prio.q')).toBe(4);
    await clear('prio-high');
    expect(await policyOf('prio.q')).toBe('prio-low');
    expect(await messages('prio.q')).toBe(2);
    await clear('prio-low');
  });

  it('dead-letters what a policy drops to the policy\'s exchange and routing key', async () => {
    await fill('dead.q', 0);
    await set('dlx', '^dlx\\.', '{"max-length":1,"dead-letter-exchange":"","dead-letter-routing-key":"dead.q"}');
    await fill('dlx.q', 3);
    expect(await messages('dlx.q')).toBe(1);
    expect(await messages('dead.q')).toBe(2);
    await clear('dlx');
  });

  it('leaves queues alone with a policy that applies to exchanges', async () => {
    await set('--apply-to', 'exchanges', 'ex-only', '^ex\\.', '{"max-length":1}');
    await fill('ex.q', 5);
    expect(await messages('ex.q')).toBe(5);
    expect(await policyOf('ex.q')).toBe('');
    await clear('ex-only');
  });

  it('sets a negative priority and reports a missing vhost as rabbitmqctl does', async () => {
    const neg = await ctl('set_policy', '--priority', '-3', 'neg', '^neg', '{"max-length":1}');
    expect(neg.exitCode).toBe(0);
    expect(neg.stdout).toBe('Setting policy "neg" for pattern "^neg" to "{"max-length":1}" with priority "-3" for vhost "/" ...\n');
    await clear('neg');
    const noVhost = await ctl('set_policy', '-p', 'nosuch', 'p1', 'x', '{"ha-mode":"all"}');
    expect(noVhost).toMatchObject({ exitCode: 65, stderr: "Virtual host 'nosuch' does not exist\n" });
    const list = await ctl('list_policies', '-p', 'nosuch');
    expect(list).toMatchObject({ exitCode: 65, stdout: 'Listing policies for vhost "nosuch" ...\n', stderr: "Virtual host 'nosuch' does not exist\n" });
    const clearMissing = await ctl('clear_policy', '-p', 'nosuch', 'p1');
    expect(clearMissing).toMatchObject({ exitCode: 69, stderr: 'Error:\nParameter does not exist\n' });
  });
});
