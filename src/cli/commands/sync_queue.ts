// sync_queue: fill a mirrored queue's unsynchronised mirrors now (blocks until done).

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const syncQueue: Command = {
  name: 'sync_queue',
  section: 'Replication',
  description: 'Instructs a mirrored queue with unsynchronised mirrors (follower replicas) to synchronise them',
  usage: 'sync_queue [--vhost <vhost>] <queue>',
  argumentsHelp: [['<queue>', 'Name of the queue to synchronise']],
  docGuides: ['https://rabbitmq.com/ha.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args, opts }) => [`Synchronising queue '${args[0]}' in vhost '${opts.vhost}' ...`],
  async run({ args, opts, client }) {
    await callNode(client, 'sync_queue', { vhost: opts.vhost, name: args[0] }, {
      not_found: (e) => new CommandError(e.message, EX_UNAVAILABLE),
    });
    return { kind: 'none' };
  },
};

export default syncQueue;
