// set_global_parameter: set a cluster-wide runtime parameter to a JSON value.

import type { Command } from '../command.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const setGlobalParameter: Command = {
  name: 'set_global_parameter',
  section: 'Parameters',
  // rabbitmqctl's own text ends with a full stop, so its help shows two.
  description: 'Sets a runtime parameter.',
  usage: 'set_global_parameter <name> <value>',
  argumentsHelp: [
    ['<name>', 'global parameter name (identifier)'],
    ['<value>', 'parameter value'],
  ],
  docGuides: ['https://rabbitmq.com/parameters.html'],
  arity: { min: 2, max: 2 },
  requiresApp: 'running',
  banner: ({ args }) => [`Setting global runtime parameter "${args[0]}" to "${args[1]}" ...`],
  async run({ args, client }) {
    const [name, text] = args;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // RabbitMQ decodes on the node, so the failure comes after the banner.
      throw new CommandError('JSON decoding error. Reason: badarg', EX_UNAVAILABLE);
    }
    await client.call('set_global_parameter', { name, value });
    return { kind: 'ok' };
  },
};

export default setGlobalParameter;
