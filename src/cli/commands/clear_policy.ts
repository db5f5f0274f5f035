// clear_policy: remove a policy; the queues it applied to go back to their own arguments.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const clearPolicy: Command = {
  name: 'clear_policy',
  section: 'Policies',
  description: 'Clears (removes) a policy',
  usage: 'clear_policy [--vhost <vhost>] <name>',
  argumentsHelp: [['<name>', 'Name of policy to clear (remove)']],
  docGuides: ['https://rabbitmq.com/parameters.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args, opts }) => [`Clearing policy "${args[0]}" on vhost "${opts.vhost}" ...`],
  async run({ args, opts, client }) {
    await callNode(client, 'clear_policy', { vhost: opts.vhost, name: args[0] }, {
      parameter_not_found: () => new CommandError('Parameter does not exist', EX_UNAVAILABLE),
    });
    return { kind: 'ok' };
  },
};

export default clearPolicy;
