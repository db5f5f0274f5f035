// purge_queue: drop a queue's ready messages.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const purgeQueue: Command = {
  name: 'purge_queue',
  section: 'Queues',
  description: 'Purges a queue (removes all messages in it)',
  usage: 'purge_queue <queue> [--timeout <timeout>]',
  argumentsHelp: [['<queue>', 'Name of the queue to purge']],
  docGuides: ['https://rabbitmq.com/queues.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args, opts }) => [`Purging queue '${args[0]}' in vhost '${opts.vhost}' ...`],
  async run({ args, opts, client }) {
    await callNode(client, 'purge_queue', { vhost: opts.vhost, name: args[0] }, {
      not_found: (e) => new CommandError(e.message, EX_UNAVAILABLE),
    });
    return { kind: 'ok' };
  },
};

export default purgeQueue;
