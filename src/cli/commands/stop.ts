// stop: stop the node and its process; with a pid file, also wait until that process is gone.

import fs from 'node:fs';
import { NodeUnreachable } from '../../control/client.js';
import type { Command } from '../command.js';
import { waitForExit } from '../process-wait.js';

const stop: Command = {
  name: 'stop',
  section: 'Nodes',
  description: 'Stops RabbitMQ and its runtime (Erlang VM). Requires a local node pid file path to monitor progress.',
  usage: 'stop [--idempotent] [<pidfile>]',
  argumentsHelp: [
    ['<pidfile>', "node PID file path to monitor. To avoid using a PID file, use 'rabbitmqctl shutdown'"],
    ['--idempotent', 'return success if target node is not running (cannot be contacted)'],
  ],
  switches: { idempotent: { type: 'boolean' } },
  arity: { min: 0, max: 1 },
  node: 'self',
  banner: ({ args, opts }) => [
    args.length === 1
      ? `Stopping and halting node ${opts.node} (will monitor pid file ${args[0]}) ...`
      : `Stopping and halting node ${opts.node} ...`,
  ],
  async run({ args, switches, opts, connect, remainingMs }) {
    let client;
    try {
      client = await connect(opts.node, remainingMs());
    } catch (err) {
      if (err instanceof NodeUnreachable && switches.idempotent) {
        return { kind: 'lines', lines: [`Node ${opts.node} is no longer running`] };
      }
      throw err;
    }
    const pidFromFile = args.length === 1 ? Number(fs.readFileSync(args[0], 'utf8').trim()) : undefined;
    const gone = new Promise<void>((resolve) => client.onClose(resolve));
    await client.call('stop');
    await gone;
    if (pidFromFile !== undefined) {
      await waitForExit(pidFromFile);
      return { kind: 'lines', lines: [`process ${pidFromFile} (take from pid file ${args[0]}) is no longer running`] };
    }
    return { kind: 'none' };
  },
};

export default stop;
