// start_app: start the app again on a node whose app was stopped.

import type { Command } from '../command.js';

const startApp: Command = {
  name: 'start_app',
  section: 'Nodes',
  description: 'Starts the RabbitMQ application but leaves the runtime (Erlang VM) running',
  usage: 'start_app',
  arity: { min: 0, max: 0 },
  banner: ({ opts }) => [`Starting node ${opts.node} ...`],
  async run({ client }) {
    await client.call('start_app');
    return { kind: 'none' };
  },
};

export default startApp;
