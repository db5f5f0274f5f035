// set_permissions: a user's configure, write and read patterns in a virtual host.

import type { Command } from '../command.js';
import { callNode, permissionErrorTexts } from '../call.js';

const setPermissions: Command = {
  name: 'set_permissions',
  section: 'Access Control',
  description: 'Sets user permissions for a vhost',
  usage: 'set_permissions [--vhost <vhost>] <username> <conf> <write> <read>',
  argumentsHelp: [
    ['<username>', 'Self-explanatory'],
    ['<conf>', 'Configuration permission pattern'],
    ['<write>', 'Write permission pattern'],
    ['<read>', 'Read permission pattern'],
  ],
  docGuides: ['https://rabbitmq.com/access-control.html', 'https://rabbitmq.com/virtual-hosts.html'],
  arity: { min: 4, max: 4 },
  requiresApp: 'running',
  banner: ({ args, opts }) => [`Setting permissions for user "${args[0]}" in vhost "${opts.vhost}" ...`],
  async run({ args, opts, client }) {
    const [user, configure, write, read] = args;
    await callNode(client, 'set_permissions', { user, vhost: opts.vhost, configure, write, read }, permissionErrorTexts(user, opts.vhost));
    return { kind: 'ok' };
  },
};

export default setPermissions;
