// shutdown: stop the node and wait for its OS process to end (no pid file needed).

import type { Command } from '../command.js';
import { waitForExit } from '../process-wait.js';
import { shortHostname } from '../../node/env.js';

const shutdown: Command = {
  name: 'shutdown',
  section: 'Nodes',
  description:
    'Stops RabbitMQ and its runtime (Erlang VM). Monitors progress for local nodes. Does not require a PID file path.',
  usage: 'shutdown [--wait] [--timeout <timeout>]',
  argumentsHelp: [
    ['--wait', 'if set, will wait for target node to terminate (by inferring and monitoring its PID file). Only works for local nodes.'],
    ['--no-wait', 'if set, will not wait for target node to terminate'],
  ],
  switches: { wait: { type: 'boolean' } },
  arity: { min: 0, max: 0 },
  async run({ opts, client, progress }) {
    const pid = Number(client.info.pid);
    const say = (line: string) => {
      if (!opts.quiet) progress(line);
    };
    say(`Shutting down RabbitMQ node ${opts.node} running at PID ${pid}`);
    const gone = new Promise<void>((resolve) => client.onClose(resolve));
    await client.call('stop');
    say(`Waiting for PID ${pid} to terminate`);
    await gone;
    if (opts.node.split('@')[1] === shortHostname()) await waitForExit(pid);
    return { kind: 'lines', lines: opts.quiet ? [] : [`RabbitMQ node ${opts.node} running at PID ${pid} successfully shut down`] };
  },
};

export default shutdown;
