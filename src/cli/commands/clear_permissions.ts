// clear_permissions: remove a user's permissions in a virtual host.

import type { Command } from '../command.js';
import { callNode, permissionErrorTexts } from '../call.js';

const clearPermissions: Command = {
  name: 'clear_permissions',
  section: 'Access Control',
  description: 'Revokes user permissions for a vhost',
  usage: 'clear_permissions [--vhost <vhost>] <username>',
  argumentsHelp: [['<username>', 'Name of the user whose permissions should be revoked']],
  docGuides: ['https://rabbitmq.com/access-control.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args, opts }) => [`Clearing permissions for user "${args[0]}" in vhost "${opts.vhost}" ...`],
  async run({ args, opts, client }) {
    await callNode(client, 'clear_permissions', { user: args[0], vhost: opts.vhost }, permissionErrorTexts(args[0], opts.vhost));
    return { kind: 'ok' };
  },
};

export default clearPermissions;
