// stop_app: stop the app (listeners, connections, queues); the node stays reachable.

import type { Command } from '../command.js';

const stopApp: Command = {
  name: 'stop_app',
  section: 'Nodes',
  description: 'Stops the RabbitMQ application, leaving the runtime (Erlang VM) running',
  usage: 'stop_app',
  arity: { min: 0, max: 0 },
  banner: ({ opts }) => [`Stopping rabbit application on node ${opts.node} ...`],
  async run({ client }) {
    await client.call('stop_app');
    return { kind: 'none' };
  },
};

export default stopApp;
