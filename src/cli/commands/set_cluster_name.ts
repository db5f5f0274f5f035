// set_cluster_name: the name cluster_status and the management UI show (a global parameter).

import type { Command } from '../command.js';

const setClusterName: Command = {
  name: 'set_cluster_name',
  section: 'Configuration and Environment',
  description: 'Sets the cluster name',
  usage: 'set_cluster_name <name>',
  argumentsHelp: [['<name>', 'New cluster name']],
  docGuides: ['https://rabbitmq.com/virtual-hosts.html', 'https://rabbitmq.com/access-control.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args }) => [`Setting cluster name to ${args[0]} ...`],
  async run({ args, client }) {
    await client.call('set_cluster_name', { name: args[0] });
    return { kind: 'ok' };
  },
};

export default setClusterName;
