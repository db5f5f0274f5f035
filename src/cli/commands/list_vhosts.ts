// list_vhosts: virtual hosts, with the columns asked for (default: name).

import type { Command } from '../command.js';
import { VHOST_ITEMS, columnsHelp, parseColumns, wholeResult } from '../info-items.js';

const listVhosts: Command = {
  name: 'list_vhosts',
  section: 'Access Control',
  description: 'Lists virtual hosts',
  usage: 'list_vhosts [--no-table-headers] [<column> ...] [--timeout <timeout>]',
  argumentsHelp: [columnsHelp(VHOST_ITEMS)],
  docGuides: ['https://rabbitmq.com/virtual-hosts.html', 'https://rabbitmq.com/access-control.html'],
  arity: { min: 0, max: Infinity },
  requiresApp: 'running',
  validate: (args) => void parseColumns(args, VHOST_ITEMS),
  banner: () => ['Listing vhosts ...'],
  async run({ args, client }) {
    const columns = parseColumns(args, VHOST_ITEMS);
    const rows = await client.call('list_vhosts', { columns });
    return wholeResult(rows, columns, columns.map((c) => VHOST_ITEMS.kinds[c]));
  },
};

export default listVhosts;
