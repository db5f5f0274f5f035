// list_consumers: a virtual host's consumers, grouped by queue (as the Erlang formatter shows).

import type { Command } from '../command.js';
import { CONSUMER_ITEMS, columnsHelp, listResult, parseColumns } from '../info-items.js';

const listConsumers: Command = {
  name: 'list_consumers',
  section: 'Monitoring, observability and health checks',
  description: 'Lists all consumers for a vhost',
  usage: 'list_consumers [--vhost <vhost>] [--no-table-headers] [<column> ...] [--timeout <timeout>]',
  argumentsHelp: [columnsHelp(CONSUMER_ITEMS)],
  docGuides: ['https://rabbitmq.com/consumers.html'],
  arity: { min: 0, max: Infinity },
  requiresApp: 'running',
  validate: (args) => void parseColumns(args, CONSUMER_ITEMS),
  banner: ({ opts }) => [`Listing consumers in vhost ${opts.vhost} ...`],
  async run({ args, opts, client }) {
    const columns = parseColumns(args, CONSUMER_ITEMS);
    return listResult(client, 'list_consumers', { vhost: opts.vhost }, columns, CONSUMER_ITEMS, true);
  },
};

export default listConsumers;
