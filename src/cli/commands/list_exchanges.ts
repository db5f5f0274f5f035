// list_exchanges: a virtual host's exchanges (default columns: name type).

import type { Command } from '../command.js';
import { EXCHANGE_ITEMS, columnsHelp, listResult, parseColumns } from '../info-items.js';

const listExchanges: Command = {
  name: 'list_exchanges',
  section: 'Monitoring, observability and health checks',
  description: 'Lists exchanges',
  usage: 'list_exchanges [--vhost <vhost>] [--no-table-headers] [<column> ...] [--timeout <timeout>]',
  argumentsHelp: [columnsHelp(EXCHANGE_ITEMS)],
  arity: { min: 0, max: Infinity },
  requiresApp: 'running',
  validate: (args) => void parseColumns(args, EXCHANGE_ITEMS),
  banner: ({ opts }) => [`Listing exchanges for vhost ${opts.vhost} ...`],
  async run({ args, opts, client }) {
    return listResult(client, 'list_exchanges', { vhost: opts.vhost }, parseColumns(args, EXCHANGE_ITEMS), EXCHANGE_ITEMS);
  },
};

export default listExchanges;
