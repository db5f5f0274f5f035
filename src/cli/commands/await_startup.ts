// await_startup: wait until the node is reachable and its app is running (e.g. right after
// `warren-server -detached`).

import { NodeUnreachable } from '../../control/client.js';
import { ControlError } from '../../control/errors.js';
import type { Command } from '../command.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const RETRY_MS = 200;

const awaitStartup: Command = {
  name: 'await_startup',
  section: 'Nodes',
  description: 'Waits for the RabbitMQ application to start on the target node',
  usage: 'await_startup',
  arity: { min: 0, max: 0 },
  node: 'self',
  defaultTimeout: 300,
  handlesTimeout: true,
  async run({ opts, connect, remainingMs, progress }) {
    let announced = false;
    for (;;) {
      let client;
      try {
        client = await connect(opts.node, remainingMs());
      } catch (err) {
        if (!(err instanceof NodeUnreachable) || remainingMs() <= 0) throw err;
        await new Promise((r) => setTimeout(r, Math.min(RETRY_MS, remainingMs())));
        continue;
      }
      try {
        await client.call('await_startup', { timeoutMs: remainingMs() }, {
          onProgress: () => {
            if (!announced && !opts.quiet) progress('Still booting, will check again in 10 seconds...');
            announced = true;
          },
        });
        return { kind: 'none' };
      } catch (err) {
        if (err instanceof ControlError && err.code === 'app_not_running') {
          throw new CommandError('rabbit_is_not_running', EX_UNAVAILABLE);
        }
        // The node went away mid-wait (restarting): try again while time remains.
        if (!(err instanceof ControlError && err.code === 'connection_lost') || remainingMs() <= 0) throw err;
      } finally {
        client.close();
      }
    }
  },
};

export default awaitStartup;
