// The clustering commands' side of warrenctl that needs no second node: help, argument errors
// and app-state refusals against rabbitmqctl 3.10's captures (01-single-node, 02-errors,
// 05-leave-cluster), a seed that does not answer, and what warrenctl does by itself to a node
// that is down: forget_cluster_node --offline rewrites its membership file and force_boot
// leaves the force_load marker.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMembership, writeMembership } from '../../src/cluster/membership.js';
import { HOSTNAME, Host, useSingleNode, waitFor, type NodeHandle } from '../harness.js';
import { expected, replayCapture } from '../reference-output.js';

const GENERAL = '\n\n\nGeneral Options\n\nThe following options are accepted by most or all commands.\n';

describe('help and argument errors', () => {
  const host = new Host();
  afterAll(() => host.cleanup());
  const ctl = (args: string[]) => host.ctlRaw(args);

  it('prints the help rabbitmqctl prints', async () => {
    for (const file of ['01-single-node/032', '01-single-node/036', '01-single-node/037']) {
      const want = expected(file);
      expect({ file, ...(await ctl(want.args)) }).toEqual({ file, stdout: want.stdout, stderr: '', exitCode: 0 });
    }
    const helps: Array<[string, string]> = [
      [
        'update_cluster_nodes',
        'update_cluster_nodes <seed_node>\n\nInstructs a cluster member node to sync the list of known cluster members from <seed_node>.\n\n\n' +
          'Arguments and Options\n\n<seed_node>\n\tCluster node to seed known cluster members from\n\n\n' +
          'Relevant Doc Guides\n\n * https://rabbitmq.com/clustering.html',
      ],
      [
        'force_boot',
        'force_boot\n\nForces node to start even if it cannot contact or rejoin any of its previously known peers.\n\n\n' +
          'Relevant Doc Guides\n\n * https://rabbitmq.com/clustering.html',
      ],
      [
        'set_cluster_name',
        'set_cluster_name <name>\n\nSets the cluster name.\n\n\nArguments and Options\n\n<name>\n\tNew cluster name\n\n\n' +
          'Relevant Doc Guides\n\n * https://rabbitmq.com/virtual-hosts.html\n\n * https://rabbitmq.com/access-control.html',
      ],
      [
        'list_global_parameters',
        'list_global_parameters [--no-table-headers] [--timeout <timeout>]\n\nLists global runtime parameters.\n\n\n' +
          'Relevant Doc Guides\n\n * https://rabbitmq.com/parameters.html',
      ],
      [
        'set_global_parameter',
        'set_global_parameter <name> <value>\n\nSets a runtime parameter..\n\n\nArguments and Options\n\n' +
          '<name>\n\tglobal parameter name (identifier)\n\n<value>\n\tparameter value\n\n\n' +
          'Relevant Doc Guides\n\n * https://rabbitmq.com/parameters.html',
      ],
      [
        'clear_global_parameter',
        'clear_global_parameter <name>\n\nClears a global runtime parameter.\n\n\nArguments and Options\n\n<name>\n\tparameter name (identifier)\n\n\n' +
          'Relevant Doc Guides\n\n * https://rabbitmq.com/parameters.html',
      ],
    ];
    for (const [name, body] of helps) {
      const want = `\nUsage\n\nwarrenctl [--node <node>] [--longnames] [--quiet] ${body}${GENERAL}`;
      expect((await ctl(['help', name])).stdout.slice(0, want.length)).toBe(want);
    }
  });

  it('lists the commands in rabbitmqctl\'s sections', async () => {
    const help = (await ctl(['help'])).stdout;
    const section = (title: string) => help.slice(help.indexOf(`${title}:\n`)).split('\n\n')[1];
    const names = (title: string) => section(title).split('\n').map((l) => l.trim().split(/\s+/)[0]);
    expect(names('Cluster')).toEqual(expect.arrayContaining(['change_cluster_node_type', 'force_boot', 'forget_cluster_node', 'join_cluster', 'update_cluster_nodes']));
    expect(names('Parameters')).toEqual(['clear_global_parameter', 'list_global_parameters', 'set_global_parameter']);
    expect(names('Configuration and Environment')).toContain('set_cluster_name');
  });

  it('rejects bad arguments as 02-errors shows', async () => {
    for (const file of ['02-errors/006', '02-errors/007', '02-errors/009']) {
      const want = expected(file);
      expect({ file, ...(await ctl(want.args)) }).toEqual({ file, stdout: '', stderr: want.stderr, exitCode: want.exitCode });
    }
  });

  it('refuses --disc with --ram, and counts the other commands\' arguments', async () => {
    const usage = (u: string) => `\nUsage\n\nwarrenctl [--node <node>] [--longnames] [--quiet] ${u}\n`;
    expect(await ctl(['join_cluster', '--disc', '--ram', 'rabbit_1@vm'])).toEqual({
      exitCode: 65,
      stdout: '',
      stderr:
        'Error (argument validation): Bad argument: The node type must be either disc or ram.\nArguments given:\n' +
        `\tjoin_cluster --disc --ram rabbit_1@vm\n${usage('join_cluster [--disc|--ram] <existing_cluster_member>')}`,
    });
    for (const [args, error, u] of [
      [['change_cluster_node_type'], 'not enough arguments.', 'change_cluster_node_type <disc | ram>'],
      [['change_cluster_node_type', 'disc', 'ram'], 'too many arguments.', 'change_cluster_node_type <disc | ram>'],
      [['update_cluster_nodes'], 'not enough arguments.', 'update_cluster_nodes <seed_node>'],
      [['forget_cluster_node'], 'not enough arguments.', 'forget_cluster_node [--offline] <existing_cluster_member_node>'],
      [['force_boot', 'x'], 'too many arguments.', 'force_boot'],
      [['set_cluster_name'], 'not enough arguments.', 'set_cluster_name <name>'],
      [['set_global_parameter', 'bare'], 'not enough arguments.', 'set_global_parameter <name> <value>'],
      [['clear_global_parameter'], 'not enough arguments.', 'clear_global_parameter <name>'],
      [['list_global_parameters', 'x'], 'too many arguments.', 'list_global_parameters [--no-table-headers] [--timeout <timeout>]'],
    ] as const) {
      expect(await ctl([...args])).toEqual({
        exitCode: 64,
        stdout: '',
        stderr: `Error (argument validation): ${error}\nArguments given:\n\t${args.join(' ')}\n${usage(u)}`,
      });
    }
  });
});

describe('on a running node', () => {
  const one = useSingleNode();
  const host = one.host;
  let node: NodeHandle;
  beforeAll(() => {
    node = one.node;
  });

  const replay = (file: string) => replayCapture(host, node, file, 'rabbit@vm');

  it('refuses what needs the app stopped, and forget_cluster_node --offline, as rabbitmqctl does', async () => {
    for (const file of ['02-errors/039', '02-errors/042', '05-leave-cluster/015']) await replay(file);
    const usage = `Arguments given:\n\t-n ${node.name} force_boot\n\nUsage\n\nwarrenctl [--node <node>] [--longnames] [--quiet] force_boot\n`;
    expect(await host.ctl(node, ['force_boot'])).toEqual({
      exitCode: 64,
      stdout: '',
      stderr: `Error: this command requires the 'rabbit' app to be stopped on the target node. Stop it with 'warrenctl stop_app'.\n${usage}`,
    });
  });

  it('refuses a value that is not JSON after the banner, as RabbitMQ decodes on the node', async () => {
    expect(await host.ctl(node, ['set_global_parameter', 'foo', '{bad'])).toEqual({
      exitCode: 69,
      stdout: 'Setting global runtime parameter "foo" to "{bad" ...\n',
      stderr: 'Error:\nJSON decoding error. Reason: badarg\n',
    });
  });

  it('names the seed when it does not answer, and refuses to cluster with itself', async () => {
    expect((await host.ctl(node, ['stop_app'])).exitCode).toBe(0);
    try {
      const seed = `nosuchnode@${HOSTNAME}`;
      for (const [args, banner] of [
        [['join_cluster', seed], `Clustering node ${node.name} with ${seed}`],
        [['update_cluster_nodes', 'nosuchnode'], `Will seed ${node.name} from nosuchnode on next start`],
      ] as const) {
        const r = await host.ctl(node, [...args]);
        expect(r.exitCode).toBe(69);
        expect(r.stdout).toBe(`${banner}\n`);
        expect(r.stderr.startsWith(`Error: unable to perform an operation on node '${seed}'. Please see diagnostics information`)).toBe(true);
        expect(r.stderr).toContain(`\nattempted to contact: [${seed}]\n\n${seed}:\n`);
        expect(r.stderr).toContain("  * epmd reports: node 'nosuchnode' not running at all\n");
      }
      for (const [args, banner] of [
        [['join_cluster', 'rabbit'], `Clustering node ${node.name} with rabbit`],
        [['update_cluster_nodes', node.name], `Will seed ${node.name} from ${node.name} on next start`],
      ] as const) {
        expect(await host.ctl(node, [...args])).toEqual({
          exitCode: 70,
          stdout: `${banner}\n`,
          stderr: `Error:\nError: cannot cluster node with itself: ${node.name}\n`,
        });
      }
    } finally {
      expect((await host.ctl(node, ['start_app'])).exitCode).toBe(0);
    }
  });
});

describe('on a node that is down', () => {
  const host = new Host();
  let node: NodeHandle;
  const other = `rabbit_1@${HOSTNAME}`;
  const env = () => ({ RABBITMQ_MNESIA_BASE: node.env.RABBITMQ_MNESIA_BASE });
  const forget = (who: string, ...flags: string[]) => host.ctl(node, ['forget_cluster_node', '--offline', ...flags, who], env());
  const progress = () => `  * Impersonating node: ${node.name}...\n done\n  * Mnesia directory: ${node.dataDir}...\n`;
  const banner = (who: string) => `Removing node ${who} from the cluster. Warning: quorum queues cannot be shrunk in offline mode\n`;
  const marker = () => path.join(node.dataDir, 'force_load');

  beforeAll(async () => {
    await host.startMapper();
    node = await host.startNode('rabbit');
    expect((await host.ctl(node, ['shutdown'])).exitCode).toBe(0);
    await waitFor('the node to be down', async () => (await host.ctl(node, ['ping'])).exitCode !== 0 || undefined);
  });
  afterAll(() => host.cleanup());

  it('forgets a member by editing the membership file, and marks the node to force boot', async () => {
    writeMembership(node.dataDir, { nodes: { [node.name]: 'disc', [other]: 'ram' }, running: [other, node.name] });
    fs.rmSync(marker(), { force: true });
    expect(await forget(other)).toEqual({ exitCode: 0, stdout: `${banner(other)}${progress()}ok\n`, stderr: '' });
    expect(readMembership(node.dataDir, node.name)).toEqual({ nodes: { [node.name]: 'disc' }, running: [node.name] });
    expect(fs.readFileSync(marker(), 'utf8')).toBe('');

    // Not a member any more; -q drops the banner but not the progress.
    expect(await forget(other, '-q')).toEqual({
      exitCode: 69,
      stdout: progress(),
      stderr: "Error:\n{:not_a_cluster_node, 'The node selected is not in the cluster.'}\n",
    });
  });

  it('refuses to forget the node itself, or from a RAM node, with rabbit_mnesia\'s terms', async () => {
    writeMembership(node.dataDir, { nodes: { [node.name]: 'disc', [other]: 'disc' }, running: [] });
    expect(await forget(node.name)).toEqual({
      exitCode: 69,
      stdout: `${banner(node.name)}${progress()}`,
      stderr: `Error:\n{:failed_to_remove_node, :${node.name}, {:active, 'Mnesia is running', :${node.name}}}\n`,
    });
    writeMembership(node.dataDir, { nodes: { [node.name]: 'ram', [other]: 'disc' }, running: [] });
    const r = await forget(other);
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toBe(
      "Error:\n{:removing_node_from_offline_node, 'To remove a node remotely from an offline node, the node you are removing " +
        "from must be a disc node and all the other nodes must be offline.'}\n",
    );
    expect(Object.keys(readMembership(node.dataDir, node.name).nodes)).toContain(other);
  });

  it('leaves the force_load marker with force_boot, printing nothing', async () => {
    fs.rmSync(marker(), { force: true });
    expect(await host.ctl(node, ['force_boot'], env())).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(fs.readFileSync(marker(), 'utf8')).toBe('');
    expect(await host.ctl(`nosuchnode@${HOSTNAME}`, ['force_boot'], env())).toEqual({ exitCode: 69, stdout: '', stderr: 'Error:\nenoent\n' });
  });

  it('reports a forget without --offline after the banner, as a node that is down', async () => {
    const r = await host.ctl(node, ['forget_cluster_node', other]);
    expect(r.exitCode).toBe(69);
    expect(r.stdout).toBe(`Removing node ${other} from the cluster\n`);
    expect(r.stderr.startsWith(`Error: unable to perform an operation on node '${node.name}'.`)).toBe(true);
  });
});
