// list_bindings: a virtual host's bindings, the default exchange's implicit ones included.

import type { Command } from '../command.js';
import { BINDING_ITEMS, columnsHelp, listResult, parseColumns } from '../info-items.js';

const listBindings: Command = {
  name: 'list_bindings',
  section: 'Monitoring, observability and health checks',
  description: 'Lists all bindings on a vhost',
  usage: 'list_bindings [--vhost <vhost>] [--no-table-headers] [<column> ...] [--timeout <timeout>]',
  argumentsHelp: [columnsHelp(BINDING_ITEMS)],
  arity: { min: 0, max: Infinity },
  requiresApp: 'running',
  validate: (args) => void parseColumns(args, BINDING_ITEMS),
  banner: ({ opts }) => [`Listing bindings for vhost ${opts.vhost}...`],
  async run({ args, opts, client }) {
    return listResult(client, 'list_bindings', { vhost: opts.vhost }, parseColumns(args, BINDING_ITEMS), BINDING_ITEMS);
  },
};

export default listBindings;
