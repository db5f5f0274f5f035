// delete_user: remove a user and its permissions.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_NOUSER } from '../errors.js';

const deleteUser: Command = {
  name: 'delete_user',
  section: 'Users',
  description: 'Removes a user from the internal database. Has no effect on users provided by external backends such as LDAP',
  usage: 'delete_user <username>',
  argumentsHelp: [['<username>', 'Name of the user to delete.']],
  docGuides: ['https://rabbitmq.com/access-control.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args }) => [`Deleting user "${args[0]}" ...`],
  async run({ args, client }) {
    await callNode(client, 'delete_user', { name: args[0] }, { no_such_user: (e) => new CommandError(e.message, EX_NOUSER) });
    return { kind: 'ok' };
  },
};

export default deleteUser;
