// delete_queue: delete a queue (whoever owns it), optionally only when empty or unused, and
// report how many ready messages went with it.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_USAGE } from '../errors.js';

const deleteQueue: Command = {
  name: 'delete_queue',
  section: 'Queues',
  description: 'Deletes a queue',
  usage: 'delete_queue <queue_name> [--if-empty|-e] [--if-unused|-u] [--timeout <timeout>]',
  argumentsHelp: [
    ['<queue_name>', 'name of the queue to delete'],
    ['--if-empty', 'delete the queue if it is empty (has no messages ready for delivery)'],
    ['--if-unused', 'delete the queue only if it has no consumers'],
  ],
  docGuides: ['https://rabbitmq.com/queues.html'],
  switches: { 'if-empty': { type: 'boolean', short: 'e' }, 'if-unused': { type: 'boolean', short: 'u' } },
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args, opts, switches }) => {
    const conditions = [switches['if-empty'] && 'if queue is empty', switches['if-unused'] && 'if queue is unused'].filter(Boolean);
    return [`Deleting queue '${args[0]}' on vhost '${opts.vhost}' ${conditions.map((c) => `${c} `).join('and ')}...`];
  },
  async run({ args, opts, switches, client }) {
    const refused = (e: { message: string }) => new CommandError(e.message, EX_USAGE);
    const count = await callNode(
      client,
      'delete_queue',
      { vhost: opts.vhost, name: args[0], ifEmpty: switches['if-empty'] === true, ifUnused: switches['if-unused'] === true },
      { not_found: refused, not_empty: refused, in_use: refused },
    );
    const message = `Queue was successfully deleted with ${String(count)} ready messages`;
    return { kind: 'document', text: () => message, json: { message }, erlang: message };
  },
};

export default deleteQueue;
