// delete_vhost: delete a virtual host with its queues, exchanges and permissions; its client
// connections are closed.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_DATAERR } from '../errors.js';

const deleteVhost: Command = {
  name: 'delete_vhost',
  section: 'Virtual hosts',
  description: 'Deletes a virtual host',
  usage: 'delete_vhost <vhost>',
  argumentsHelp: [['<vhost>', 'Name of the virtual host to delete.']],
  docGuides: ['https://rabbitmq.com/virtual-hosts.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args }) => [`Deleting vhost "${args[0]}" ...`],
  async run({ args, client }) {
    await callNode(client, 'delete_vhost', { name: args[0] }, {
      no_such_vhost: (e) => new CommandError(e.message, EX_DATAERR, true),
    });
    return { kind: 'ok' };
  },
};

export default deleteVhost;
