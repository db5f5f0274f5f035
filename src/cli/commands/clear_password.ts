// clear_password: remove a user's password, so it can no longer log in with one.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const clearPassword: Command = {
  name: 'clear_password',
  section: 'Users',
  description: 'Clears (resets) password and disables password login for a user',
  usage: 'clear_password <username>',
  argumentsHelp: [['<username>', 'Name of the user whose password should be cleared']],
  docGuides: ['https://rabbitmq.com/access-control.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args }) => [`Clearing password for user "${args[0]}" ...`],
  async run({ args, client }) {
    // rabbitmqctl reports this one as the raw error term.
    await callNode(client, 'clear_password', { name: args[0] }, {
      no_such_user: () => new CommandError(`{:no_such_user, ${JSON.stringify(args[0])}}`, EX_UNAVAILABLE),
    });
    return { kind: 'ok' };
  },
};

export default clearPassword;
