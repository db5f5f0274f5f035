// update_cluster_nodes: have a member (app stopped) learn the cluster's current members from
// <seed_node> when it next starts, after the cluster changed while it was down. As with
// join_cluster, a seed that does not answer fails with the seed's diagnostics.

import type { Command } from '../command.js';
import { callNode, clusterErrorTexts, clusterWithItself } from '../call.js';
import { qualifyNodeName } from '../../node/env.js';

const updateClusterNodes: Command = {
  name: 'update_cluster_nodes',
  section: 'Cluster',
  description: 'Instructs a cluster member node to sync the list of known cluster members from <seed_node>',
  usage: 'update_cluster_nodes <seed_node>',
  argumentsHelp: [['<seed_node>', 'Cluster node to seed known cluster members from']],
  docGuides: ['https://rabbitmq.com/clustering.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'stopped',
  banner: ({ args, opts }) => [`Will seed ${opts.node} from ${args[0]} on next start`],
  async run({ args, opts, client, connect, remainingMs, programName }) {
    const seed = qualifyNodeName(args[0], opts.longnames);
    if (seed === opts.node) throw clusterWithItself(opts.node);
    (await connect(seed, remainingMs())).close();
    await callNode(client, 'update_cluster_nodes', { seed }, clusterErrorTexts(opts.node, programName));
    return { kind: 'ok' };
  },
};

export default updateClusterNodes;
