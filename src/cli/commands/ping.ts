// ping: can the CLI reach the node and authenticate with it? Works with the app stopped.

import { NodeUnreachable } from '../../control/client.js';
import type { Command } from '../command.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const timeoutMsOf = (t: number | undefined): number => Math.round((t ?? 60) * 1000);

const ping: Command = {
  name: 'ping',
  section: 'Monitoring, observability and health checks',
  description: 'Checks that the node OS process is up, registered with EPMD and CLI tools can authenticate with it',
  usage: 'ping [--timeout <timeout>]',
  docGuides: ['https://rabbitmq.com/monitoring.html'],
  arity: { min: 0, max: 0 },
  node: 'self',
  defaultTimeout: 60,
  handlesTimeout: true,
  banner: ({ opts }) => [
    `Will ping ${opts.node}. This only checks if the OS process is running and registered with epmd. Timeout: ${timeoutMsOf(opts.timeout)} ms.`,
  ],
  async run({ opts, connect, remainingMs }) {
    const failed = () =>
      new CommandError(`Failed to connect and authenticate to ${opts.node} in ${timeoutMsOf(opts.timeout)} ms`, EX_UNAVAILABLE);
    try {
      const client = await connect(opts.node, remainingMs());
      try {
        await client.call('ping');
      } finally {
        client.close();
      }
    } catch (err) {
      if (err instanceof NodeUnreachable) throw failed();
      throw err;
    }
    return { kind: 'lines', lines: ['Ping succeeded'] };
  },
};

export default ping;
