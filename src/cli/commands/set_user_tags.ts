// set_user_tags: replace a user's tags (none clears them).

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_NOUSER } from '../errors.js';

const setUserTags: Command = {
  name: 'set_user_tags',
  section: 'Users',
  description: 'Sets user tags',
  usage: 'set_user_tags <username> <tag> [...]',
  argumentsHelp: [
    ['<username>', 'Self-explanatory'],
    ['<tags>', 'Space separated list of tags'],
  ],
  docGuides: ['https://rabbitmq.com/management.html', 'https://rabbitmq.com/access-control.html'],
  arity: { min: 1, max: Infinity },
  requiresApp: 'running',
  banner: ({ args }) => [`Setting tags for user "${args[0]}" to [${args.slice(1).join(', ')}] ...`],
  async run({ args, client }) {
    await callNode(client, 'set_user_tags', { name: args[0], tags: args.slice(1) }, {
      no_such_user: (e) => new CommandError(e.message, EX_NOUSER),
    });
    return { kind: 'ok' };
  },
};

export default setUserTags;
