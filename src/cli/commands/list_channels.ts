// list_channels: the channels of the node's client connections.

import type { Command } from '../command.js';
import { CHANNEL_ITEMS, columnsHelp, listResult, parseColumns } from '../info-items.js';

const listChannels: Command = {
  name: 'list_channels',
  section: 'Monitoring, observability and health checks',
  description: 'Lists all channels in the node',
  usage: 'list_channels [--no-table-headers] [<column> ...]',
  argumentsHelp: [columnsHelp(CHANNEL_ITEMS)],
  docGuides: ['https://rabbitmq.com/channels.html'],
  arity: { min: 0, max: Infinity },
  requiresApp: 'running',
  validate: (args) => void parseColumns(args, CHANNEL_ITEMS),
  banner: () => ['Listing channels ...'],
  async run({ args, client }) {
    return listResult(client, 'list_channels', {}, parseColumns(args, CHANNEL_ITEMS), CHANNEL_ITEMS);
  },
};

export default listChannels;
