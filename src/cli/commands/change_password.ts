// change_password: set a user's password (given, or read from stdin).

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_NOUSER } from '../errors.js';
import { passwordArgument } from '../password.js';

const changePassword: Command = {
  name: 'change_password',
  section: 'Users',
  description: 'Changes the user password',
  usage: 'change_password <username> <password>',
  argumentsHelp: [
    ['<username>', 'Name of the user whose password should be changed'],
    ['<password>', 'New password to set'],
  ],
  docGuides: ['https://rabbitmq.com/access-control.html'],
  arity: { min: 1, max: 2 },
  requiresApp: 'running',
  banner: ({ args }) => [`Changing password for user "${args[0]}" ...`],
  async run(ctx) {
    const password = await passwordArgument(ctx, 1);
    await callNode(ctx.client, 'change_password', { name: ctx.args[0], password }, {
      no_such_user: (e) => new CommandError(e.message, EX_NOUSER),
    });
    return { kind: 'ok' };
  },
};

export default changePassword;
