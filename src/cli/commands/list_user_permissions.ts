// list_user_permissions: one user's permissions in every virtual host.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';
import { wholeResult } from '../info-items.js';

const listUserPermissions: Command = {
  name: 'list_user_permissions',
  section: 'Access Control',
  description: 'Lists permissions of a user across all virtual hosts',
  usage: 'list_user_permissions [--no-table-headers] <username> [--timeout <timeout>]',
  argumentsHelp: [['<username>', 'Name of the user']],
  docGuides: ['https://rabbitmq.com/access-control.html', 'https://rabbitmq.com/virtual-hosts.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args }) => [`Listing permissions for user "${args[0]}" ...`],
  async run({ args, client }) {
    // rabbitmqctl reports a missing user here as the raw error term.
    const rows = await callNode(client, 'list_user_permissions', { user: args[0] }, {
      no_such_user: () => new CommandError(`{:no_such_user, ${JSON.stringify(args[0])}}`, EX_UNAVAILABLE),
    });
    return wholeResult(rows, ['vhost', 'configure', 'write', 'read'], ['binary', 'binary', 'binary', 'binary']);
  },
};

export default listUserPermissions;
