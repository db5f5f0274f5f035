// start_app: start the app again on a node whose app was stopped (a cluster member syncs with
// the running members first, or waits for them).

import type { Command } from '../command.js';
import { callNode, clusterErrorTexts } from '../call.js';

const startApp: Command = {
  name: 'start_app',
  section: 'Nodes',
  description: 'Starts the RabbitMQ application but leaves the runtime (Erlang VM) running',
  usage: 'start_app',
  arity: { min: 0, max: 0 },
  banner: ({ opts }) => [`Starting node ${opts.node} ...`],
  async run({ client, opts, programName }) {
    // A member the cluster no longer knows, or one that waited in vain for the others.
    await callNode(client, 'start_app', {}, clusterErrorTexts(opts.node, programName));
    return { kind: 'none' };
  },
};

export default startApp;
