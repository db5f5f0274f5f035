// reset: return a node (app stopped) to its virgin state, leaving its cluster.

import type { Command } from '../command.js';
import { callNode, clusterErrorTexts } from '../call.js';

const reset: Command = {
  name: 'reset',
  section: 'Nodes',
  description: 'Instructs a RabbitMQ node to leave the cluster and return to its virgin state',
  usage: 'reset',
  docGuides: ['https://rabbitmq.com/clustering.html'],
  arity: { min: 0, max: 0 },
  requiresApp: 'stopped',
  banner: ({ opts }) => [`Resetting node ${opts.node} ...`],
  async run({ client, opts, programName }) {
    await callNode(client, 'reset', { force: false }, clusterErrorTexts(opts.node, programName));
    return { kind: 'none' };
  },
};

export default reset;
