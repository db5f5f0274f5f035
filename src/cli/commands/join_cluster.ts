// join_cluster: make the target (app stopped) a member of the seed's cluster, as a disc or RAM
// node. The seed must answer first, so that a wrong name fails with the seed's diagnostics.

import type { Command } from '../command.js';
import { callNode, clusterErrorTexts, clusterWithItself } from '../call.js';
import { EX_DATAERR, ValidationError } from '../errors.js';
import { qualifyNodeName } from '../../node/env.js';

const joinCluster: Command = {
  name: 'join_cluster',
  section: 'Cluster',
  description: 'Instructs the node to become a member of the cluster that the specified node is in',
  usage: 'join_cluster [--disc|--ram] <existing_cluster_member>',
  argumentsHelp: [
    ['<existing_cluster_member>', 'Existing cluster member (node) to join'],
    ['--disc', 'new node should be a disk one (stores its schema on disk). Highly recommended, used by default.'],
    ['--ram', 'new node should be a RAM one (stores schema in RAM). Not recommended. Consult clustering doc guides first.'],
  ],
  docGuides: ['https://rabbitmq.com/clustering.html', 'https://rabbitmq.com/cluster-formation.html'],
  switches: { disc: { type: 'boolean' }, ram: { type: 'boolean' } },
  arity: { min: 1, max: 1 },
  requiresApp: 'stopped',
  validate(_args, switches) {
    if (switches.disc === true && switches.ram === true) {
      throw new ValidationError('Bad argument: The node type must be either disc or ram.', EX_DATAERR);
    }
  },
  banner: ({ args, opts }) => [`Clustering node ${opts.node} with ${args[0]}`],
  async run({ args, opts, switches, client, connect, remainingMs, programName }) {
    const seed = qualifyNodeName(args[0], opts.longnames);
    if (seed === opts.node) throw clusterWithItself(opts.node);
    (await connect(seed, remainingMs())).close();
    const { alreadyMember } = (await callNode(
      client,
      'join_cluster',
      { seed, ramNode: switches.ram === true },
      clusterErrorTexts(opts.node, programName),
    )) as { alreadyMember: boolean };
    return alreadyMember ? { kind: 'lines', lines: ['The node is already a member of this cluster'] } : { kind: 'ok' };
  },
};

export default joinCluster;
