// wait: wait for a local node to start, following its OS process (from a pid file or --pid)
// until the node answers and its app runs.

import fs from 'node:fs';
import { NodeUnreachable } from '../../control/client.js';
import { ControlError } from '../../control/errors.js';
import type { Command } from '../command.js';
import { CommandError, EX_UNAVAILABLE, ValidationError } from '../errors.js';
import { processAlive } from '../process-wait.js';

const POLL_MS = 100;

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const wait: Command = {
  name: 'wait',
  section: 'Nodes',
  description: "Waits for RabbitMQ node startup by monitoring a local PID file. See also 'rabbitmqctl await_online_nodes'",
  usage: 'wait [<pidfile>] [--pid|-P <pid>] [--timeout <timeout>]',
  argumentsHelp: [
    ['<pidfile>', 'PID file path'],
    ['--pid <pid>', 'operating system PID to monitor'],
  ],
  switches: { pid: { type: 'integer', short: 'P' } },
  arity: { min: 0, max: 1 },
  node: 'self',
  validate(args, switches) {
    if (args.length === 0 && switches.pid === undefined) throw new ValidationError('please specify either a PID file or a PID.');
    if (args.length === 1 && switches.pid !== undefined) throw new ValidationError('please specify either a PID file or a PID, not both.');
  },
  async run({ args, switches, opts, connect, remainingMs, progress }) {
    const say = (line: string) => {
      if (!opts.quiet) progress(line);
    };
    let pid = switches.pid as number | undefined;
    if (pid === undefined) {
      say(`Waiting for pid file '${args[0]}' to appear`);
      while ((pid = readPid(args[0])) === undefined) await sleep(POLL_MS);
      say(`pid is ${pid}`);
    }
    say(`Waiting for erlang distribution on node '${opts.node}' while OS process '${pid}' is running`);
    for (;;) {
      if (!processAlive(pid)) throw new CommandError(`process ${pid} is no longer running`, EX_UNAVAILABLE);
      let client;
      try {
        client = await connect(opts.node, Math.min(remainingMs(), 1000));
      } catch (err) {
        if (!(err instanceof NodeUnreachable)) throw err;
        await sleep(POLL_MS);
        continue;
      }
      try {
        say(`Waiting for applications 'rabbit_and_plugins' to start on node '${opts.node}'`);
        await client.call('await_startup', { timeoutMs: remainingMs() });
        say(`Applications 'rabbit_and_plugins' are running on node '${opts.node}'`);
        return { kind: 'none' };
      } catch (err) {
        if (!(err instanceof ControlError && err.code === 'connection_lost')) throw err;
      } finally {
        client.close();
      }
    }
  },
};

export default wait;
