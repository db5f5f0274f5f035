// add_vhost: create a virtual host (a no-op when it exists), with its standard exchanges.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const addVhost: Command = {
  name: 'add_vhost',
  section: 'Virtual hosts',
  description: 'Creates a virtual host',
  usage: 'add_vhost <vhost> [--description <description> --tags "<tag1>,<tag2>,<...>" --default-queue-type <quorum|classic|stream>]',
  argumentsHelp: [
    ['<vhost>', 'Virtual host name'],
    ['--description <description>', 'Virtual host description'],
    ['--tags <tags>', 'Command separated list of tags'],
    ['--default-queue-type <quorum|classic|stream>', 'Queue type to use if no type is explicitly provided by the client'],
  ],
  docGuides: ['https://rabbitmq.com/virtual-hosts.html'],
  switches: { description: { type: 'string' }, tags: { type: 'string' }, 'default-queue-type': { type: 'string' } },
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args }) => [`Adding vhost "${args[0]}" ...`],
  async run({ args, switches, client }) {
    const tags = typeof switches.tags === 'string' ? switches.tags.split(',').map((t) => t.trim()).filter((t) => t !== '') : [];
    await callNode(
      client,
      'add_vhost',
      { name: args[0], description: switches.description ?? '', tags, defaultQueueType: switches['default-queue-type'] },
      { invalid_queue_type: (e) => new CommandError(e.message, EX_UNAVAILABLE) },
    );
    return { kind: 'ok' };
  },
};

export default addVhost;
