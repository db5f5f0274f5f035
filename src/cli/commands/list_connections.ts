// list_connections: the node's AMQP 0-9-1 client connections.

import type { Command } from '../command.js';
import { CONNECTION_ITEMS, columnsHelp, listResult, parseColumns } from '../info-items.js';

const listConnections: Command = {
  name: 'list_connections',
  section: 'Monitoring, observability and health checks',
  description: 'Lists AMQP 0.9.1 connections for the node',
  usage: 'list_connections [--no-table-headers] [<column> ...] [--timeout <timeout>]',
  argumentsHelp: [columnsHelp(CONNECTION_ITEMS)],
  docGuides: ['https://rabbitmq.com/connections.html'],
  arity: { min: 0, max: Infinity },
  requiresApp: 'running',
  validate: (args) => void parseColumns(args, CONNECTION_ITEMS),
  banner: () => ['Listing connections ...'],
  async run({ args, client }) {
    return listResult(client, 'list_connections', {}, parseColumns(args, CONNECTION_ITEMS), CONNECTION_ITEMS);
  },
};

export default listConnections;
