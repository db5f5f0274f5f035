// await_online_nodes: wait until at least <count> cluster members run the app.

import { ControlError } from '../../control/errors.js';
import type { Command } from '../command.js';
import { CommandError, EX_SOFTWARE, ValidationError } from '../errors.js';

const awaitOnlineNodes: Command = {
  name: 'await_online_nodes',
  section: 'Cluster',
  description: 'Waits for <count> nodes to join the cluster',
  usage: 'await_online_nodes <count> [--timeout <timeout>]',
  argumentsHelp: [
    ['<count>', 'how many cluster members must be up in order for this command to exit. When <count> is 1, always exits immediately.'],
  ],
  arity: { min: 1, max: 1 },
  defaultTimeout: 300,
  handlesTimeout: true,
  validate(args) {
    if (!/^\d+$/.test(args[0]) || Number(args[0]) < 1) {
      throw new ValidationError('Bad argument: the count must be a positive integer.');
    }
  },
  banner: ({ args, opts }) => [
    `Will wait for at least ${args[0]} nodes to join the cluster of ${opts.node}. Timeout: ${opts.timeout ?? 300} seconds.`,
  ],
  async run({ args, client, remainingMs }) {
    try {
      await client.call('await_online_nodes', { count: Number(args[0]), timeoutMs: remainingMs() });
    } catch (err) {
      if (err instanceof ControlError && err.code === 'timeout_waiting_for_nodes') throw new CommandError(err.message, EX_SOFTWARE);
      throw err;
    }
    return { kind: 'none' };
  },
};

export default awaitOnlineNodes;
