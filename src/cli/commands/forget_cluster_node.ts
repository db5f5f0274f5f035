// forget_cluster_node: remove a member from the cluster. Online, the target node does it (the
// member to forget must have its app stopped). With --offline the target node must be down:
// warrenctl edits its membership file itself, as rabbitmqctl edits a stopped node's schema, and
// leaves the force-boot marker so that the node starts without waiting for the forgotten one.

import fs from 'node:fs';
import { members, readMembership, writeMembership } from '../../cluster/membership.js';
import type { Command, Result, RunContext } from '../command.js';
import { callNode, clusterErrorTexts } from '../call.js';
import { AppStateError, CommandError, EX_UNAVAILABLE } from '../errors.js';
import { elixirInspect } from '../formatters/elixir.js';
import { dataDirOf, nodeIsDown, writeForceLoadMarker } from '../offline.js';
import { Atom, Charlist, Tuple } from '../term.js';

/** rabbit_mnesia's refusals, printed as rabbitmqctl prints the error term. */
const refusal = (...items: Array<Atom | Charlist | Tuple>) => new CommandError(elixirInspect(new Tuple(items)), EX_UNAVAILABLE);

const notAClusterNode = () => refusal(new Atom('not_a_cluster_node'), new Charlist('The node selected is not in the cluster.'));

async function forgetOffline(ctx: RunContext, node: string): Promise<Result> {
  const self = ctx.opts.node;
  const dataDir = dataDirOf(self);
  // rabbitmqctl takes on the stopped node's identity to open its database; these are its
  // progress lines, printed even with --quiet.
  if (ctx.opts.formatter !== 'json') {
    ctx.progress(`  * Impersonating node: ${self}...`);
    ctx.progress(' done');
    ctx.progress(`  * Mnesia directory: ${dataDir}...`);
  }
  if (!fs.existsSync(dataDir)) {
    const enoent = new Tuple([new Atom('error'), new Atom('enoent')]);
    throw refusal(new Atom('corrupt_or_missing_cluster_files'), enoent, enoent);
  }
  const m = readMembership(dataDir, self);
  if (!(node in m.nodes)) throw notAClusterNode();
  if (node === self) {
    const active = new Tuple([new Atom('active'), new Charlist('Mnesia is running'), new Atom(self)]);
    throw refusal(new Atom('failed_to_remove_node'), new Atom(self), active);
  }
  // Only a disc node with every other member down may rewrite the membership alone.
  const others = members(m).filter((n) => n !== self && n !== node);
  const othersDown = await Promise.all(others.map((n) => nodeIsDown(ctx, n).catch(() => false)));
  if (m.nodes[self] !== 'disc' || othersDown.includes(false)) {
    throw refusal(
      new Atom('removing_node_from_offline_node'),
      new Charlist(
        'To remove a node remotely from an offline node, the node you are removing from must be a disc node and all the other nodes must be offline.',
      ),
    );
  }
  delete m.nodes[node];
  writeMembership(dataDir, { nodes: m.nodes, running: m.running.filter((n) => n !== node) });
  writeForceLoadMarker(dataDir);
  return ctx.opts.formatter === 'json' ? { kind: 'ok' } : { kind: 'lines', lines: ['ok'] };
}

const forgetClusterNode: Command = {
  name: 'forget_cluster_node',
  section: 'Cluster',
  description: 'Removes a node from the cluster',
  usage: 'forget_cluster_node [--offline] <existing_cluster_member_node>',
  argumentsHelp: [
    ['--offline', 'try to update cluster membership state directly. Use when target node is stopped. Only works for local nodes.'],
  ],
  docGuides: ['https://rabbitmq.com/clustering.html', 'https://rabbitmq.com/cluster-formation.html'],
  switches: { offline: { type: 'boolean' } },
  arity: { min: 1, max: 1 },
  // The banner comes first: a target that is down is reported after it, as rabbitmqctl does.
  node: 'self',
  async validateEnvironment(ctx) {
    if (ctx.switches.offline === true && !(await nodeIsDown(ctx, ctx.opts.node))) throw new AppStateError('node_stopped');
  },
  banner: ({ args, switches }) => [
    switches.offline === true
      ? `Removing node ${args[0]} from the cluster. Warning: quorum queues cannot be shrunk in offline mode`
      : `Removing node ${args[0]} from the cluster`,
  ],
  async run(ctx) {
    // rabbitmqctl takes the name as typed: `rabbit` is not `rabbit@host`, and not a member.
    const node = ctx.args[0];
    if (ctx.switches.offline === true) return forgetOffline(ctx, node);
    const client = await ctx.connect(ctx.opts.node, ctx.remainingMs());
    try {
      await callNode(client, 'forget_cluster_node', { node }, clusterErrorTexts(ctx.opts.node, ctx.programName));
    } finally {
      client.close();
    }
    return { kind: 'ok' };
  },
};

export default forgetClusterNode;
