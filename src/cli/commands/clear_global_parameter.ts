// clear_global_parameter: remove a cluster-wide runtime parameter.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const clearGlobalParameter: Command = {
  name: 'clear_global_parameter',
  section: 'Parameters',
  description: 'Clears a global runtime parameter',
  usage: 'clear_global_parameter <name>',
  argumentsHelp: [['<name>', 'parameter name (identifier)']],
  docGuides: ['https://rabbitmq.com/parameters.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args }) => [`Clearing global runtime parameter "${args[0]}" ...`],
  async run({ args, client }) {
    await callNode(client, 'clear_global_parameter', { name: args[0] }, {
      parameter_not_found: () => new CommandError('Parameter does not exist', EX_UNAVAILABLE),
    });
    return { kind: 'ok' };
  },
};

export default clearGlobalParameter;
