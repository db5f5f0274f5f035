// cancel_sync_queue: stop a mirrored queue's running sync ("not_syncing" when none runs).

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const cancelSyncQueue: Command = {
  name: 'cancel_sync_queue',
  section: 'Replication',
  description: 'Instructs a synchronising mirrored queue to stop synchronising itself',
  usage: 'cancel_sync_queue [--vhost <vhost>] <queue>',
  argumentsHelp: [['<queue>', 'Queue name']],
  docGuides: ['https://rabbitmq.com/ha.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args, opts }) => [`Stopping synchronising queue '${args[0]}' in vhost '${opts.vhost}' ...`],
  async run({ args, opts, client }) {
    const r = await callNode(client, 'cancel_sync_queue', { vhost: opts.vhost, name: args[0] }, {
      not_found: (e) => new CommandError(e.message, EX_UNAVAILABLE),
    });
    return r === 'not_syncing' ? { kind: 'lines', lines: ['not_syncing'] } : { kind: 'none' };
  },
};

export default cancelSyncQueue;
