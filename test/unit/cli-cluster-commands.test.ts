// The clustering and global-parameter commands against a stand-in for the node: the ops and
// arguments they send, how they show the node's answers (already a member, already of that
// type, parameter values), and the node's error codes as rabbitmqctl's texts and exit codes.

import { describe, expect, it } from 'vitest';
import type { ControlClient } from '../../src/control/client.js';
import { ControlError } from '../../src/control/errors.js';
import type { Command, Result, RunContext } from '../../src/cli/command.js';
import { CommandError } from '../../src/cli/errors.js';
import { elixirInspect } from '../../src/cli/formatters/elixir.js';
import { loadCommand } from '../../src/cli/registry.js';
import { Atom, Charlist, Tuple, type Row } from '../../src/cli/term.js';
import { HOSTNAME } from '../harness.js';

interface Call {
  op: string;
  args: unknown;
}

/** A node that answers every op with `answer` (or fails with it), recording the calls. */
function fakeNode(answer: unknown): { client: ControlClient; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    call: async (op: string, args: unknown) => {
      calls.push({ op, args });
      if (answer instanceof Error) throw answer;
      return answer;
    },
    close: () => {},
  } as unknown as ControlClient;
  return { client, calls };
}

async function run(name: string, args: string[], answer: unknown, switches: RunContext['switches'] = {}) {
  const cmd = (await loadCommand(name)) as Command;
  const { client, calls } = fakeNode(answer);
  const ctx = {
    args,
    switches,
    opts: { node: 'rabbit@vm', longnames: false, quiet: false, formatter: undefined },
    client,
    connect: async () => client,
    remainingMs: () => Infinity,
    progress: () => {},
    programName: 'warrenctl',
  } as unknown as RunContext;
  let result: Result | undefined;
  let error: unknown;
  try {
    result = await cmd.run(ctx);
  } catch (err) {
    error = err;
  }
  return { result, error, calls };
}

async function rowsOf(result: Result | undefined): Promise<Row[]> {
  if (result?.kind !== 'rows') throw new Error(`not rows: ${result?.kind}`);
  const all: Row[] = [];
  for await (const batch of result.rows) all.push(...batch);
  return all;
}

describe('join_cluster, change_cluster_node_type, update_cluster_nodes', () => {
  it('send the seed qualified and the node type, and say when nothing had to change', async () => {
    const joined = await run('join_cluster', ['rabbit_1'], { alreadyMember: false }, { ram: true });
    expect(joined.calls).toEqual([{ op: 'join_cluster', args: { seed: `rabbit_1@${HOSTNAME}`, ramNode: true } }]);
    expect(joined.result).toEqual({ kind: 'ok' });
    const again = await run('join_cluster', ['rabbit_1@vm'], { alreadyMember: true });
    expect(again.result).toEqual({ kind: 'lines', lines: ['The node is already a member of this cluster'] });

    const disk = await run('change_cluster_node_type', ['disk'], { alreadyType: false });
    expect(disk.calls).toEqual([{ op: 'change_cluster_node_type', args: { type: 'disc' } }]);
    expect(disk.result).toEqual({ kind: 'ok' });
    const same = await run('change_cluster_node_type', ['ram'], { alreadyType: true });
    expect(same.result).toEqual({ kind: 'lines', lines: ['Node type is already ram'] });

    const seeded = await run('update_cluster_nodes', ['rabbit_1@vm'], null);
    expect(seeded.calls).toEqual([{ op: 'update_cluster_nodes', args: { seed: 'rabbit_1@vm' } }]);
  });

  it('print the node\'s cluster errors as they come, exit 69, and a running app as rabbitmqctl words it, exit 70', async () => {
    const term = "{:failed_to_remove_node, :rabbit@vm, {:combine_error, :schema, 'Last replica'}}";
    for (const [name, args] of [
      ['join_cluster', ['rabbit_1@vm']],
      ['change_cluster_node_type', ['ram']],
      ['update_cluster_nodes', ['rabbit_1@vm']],
      ['forget_cluster_node', ['rabbit@vm']],
    ] as const) {
      const { error } = await run(name, [...args], new ControlError('cluster_error', term));
      expect(error).toBeInstanceOf(CommandError);
      expect(error).toMatchObject({ message: term, code: 69 });
    }
    const { error } = await run('join_cluster', ['rabbit_1@vm'], new ControlError('app_running', 'mnesia_unexpectedly_running'));
    expect(error).toMatchObject({
      message: "Mnesia is still running on node rabbit@vm.\nPlease stop RabbitMQ with 'warrenctl stop_app' first.",
      code: 70,
    });
  });
});

describe('global parameters', () => {
  it('shows each value as RabbitMQ re-encodes it: compact JSON, keys in order', async () => {
    const { result, calls } = await run('list_global_parameters', [], [
      ['cluster_name', 'refcluster'],
      ['num', 42],
      ['ord', { b: 1, a: 2, c: [1.5, 'é', { z: 1, y: null }] }],
    ]);
    expect(calls).toEqual([{ op: 'list_global_parameters', args: undefined }]);
    expect(await rowsOf(result)).toEqual([
      [['name', new Atom('cluster_name')], ['value', '"refcluster"']],
      [['name', new Atom('num')], ['value', '42']],
      [['name', new Atom('ord')], ['value', '{"a":2,"b":1,"c":[1.5,"é",{"y":null,"z":1}]}']],
    ]);
  });

  it('sends set values decoded, and names a missing parameter as rabbitmqctl does', async () => {
    const set = await run('set_global_parameter', ['obj', '{"a":[1,"x"]}'], null);
    expect(set.calls).toEqual([{ op: 'set_global_parameter', args: { name: 'obj', value: { a: [1, 'x'] } } }]);
    const bad = await run('set_global_parameter', ['obj', 'hello'], null);
    expect(bad.calls).toEqual([]);
    expect(bad.error).toMatchObject({ message: 'JSON decoding error. Reason: badarg', code: 69 });

    const missing = await run('clear_global_parameter', ['nosuch'], new ControlError('parameter_not_found', 'nosuch'));
    expect(missing.error).toMatchObject({ message: 'Parameter does not exist', code: 69 });
    const named = await run('set_cluster_name', ['refc'], null);
    expect(named.calls).toEqual([{ op: 'set_cluster_name', args: { name: 'refc' } }]);
  });
});

describe('Elixir terms in error texts', () => {
  it('quotes atoms that need it and escapes quotes in charlists', () => {
    const msg = "Node rabbit_1@vm thinks it's clustered with node rabbit@vm, but rabbit@vm disagrees";
    expect(elixirInspect(new Tuple([new Atom('inconsistent_cluster'), new Charlist(msg)]))).toBe(
      "{:inconsistent_cluster, 'Node rabbit_1@vm thinks it\\'s clustered with node rabbit@vm, but rabbit@vm disagrees'}",
    );
    expect(elixirInspect(new Atom('rabbit-1@my.host'))).toBe(':"rabbit-1@my.host"');
    expect(elixirInspect(new Atom('rabbit_1@vm'))).toBe(':rabbit_1@vm');
  });
});
