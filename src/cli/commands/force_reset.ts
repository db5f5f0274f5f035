// force_reset: reset without consulting the cluster.

import type { Command } from '../command.js';

const forceReset: Command = {
  name: 'force_reset',
  section: 'Cluster',
  description: 'Forcefully returns a RabbitMQ node to its virgin state',
  usage: 'force_reset',
  docGuides: ['https://rabbitmq.com/clustering.html'],
  arity: { min: 0, max: 0 },
  requiresApp: 'stopped',
  banner: ({ opts }) => [`Forcefully resetting node ${opts.node} ...`],
  async run({ client }) {
    await client.call('reset', { force: true });
    return { kind: 'none' };
  },
};

export default forceReset;
