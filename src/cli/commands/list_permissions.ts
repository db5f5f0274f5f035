// list_permissions: every user's permissions in a virtual host.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_DATAERR } from '../errors.js';
import { wholeResult } from '../info-items.js';

const listPermissions: Command = {
  name: 'list_permissions',
  section: 'Access Control',
  description: 'Lists user permissions in a virtual host',
  usage: 'list_permissions [--vhost <vhost>] [--no-table-headers] [--timeout <timeout>]',
  docGuides: ['https://rabbitmq.com/access-control.html', 'https://rabbitmq.com/virtual-hosts.html'],
  arity: { min: 0, max: 0 },
  requiresApp: 'running',
  banner: ({ opts }) => [`Listing permissions for vhost "${opts.vhost}" ...`],
  async run({ opts, client }) {
    const rows = await callNode(client, 'list_permissions', { vhost: opts.vhost }, {
      no_such_vhost: (e) => new CommandError(e.message, EX_DATAERR, true),
    });
    return wholeResult(rows, ['user', 'configure', 'write', 'read'], ['binary', 'binary', 'binary', 'binary']);
  },
};

export default listPermissions;
