// list_users: user names and tags.

import type { Command } from '../command.js';
import { wholeResult } from '../info-items.js';

const listUsers: Command = {
  name: 'list_users',
  section: 'Users',
  description: 'List user names and tags',
  usage: 'list_users [--no-table-headers] [--timeout <timeout>]',
  docGuides: ['https://rabbitmq.com/access-control.html'],
  arity: { min: 0, max: 0 },
  requiresApp: 'running',
  banner: () => ['Listing users ...'],
  async run({ client }) {
    return wholeResult(await client.call('list_users'), ['user', 'tags'], ['binary', 'atoms']);
  },
};

export default listUsers;
