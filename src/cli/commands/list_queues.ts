// list_queues: a virtual host's queues with the info items asked for (default: name messages),
// streamed from the node so that any number of queues can be listed.

import type { Command } from '../command.js';
import { QUEUE_ITEMS, columnsHelp, listResult, parseColumns } from '../info-items.js';

const DEFAULT_TIMEOUT = 60;

const listQueues: Command = {
  name: 'list_queues',
  section: 'Monitoring, observability and health checks',
  description: 'Lists queues and their properties',
  usage: 'list_queues [--vhost <vhost>] [--online] [--offline] [--local] [--no-table-headers] [<column>, ...] [--timeout <timeout>]',
  argumentsHelp: [
    columnsHelp(QUEUE_ITEMS),
    ['--online', 'lists only queues on online (reachable) nodes'],
    ['--offline', 'lists only queues on offline (unreachable) nodes'],
    ['--local', 'only return queues hosted on the target node'],
  ],
  docGuides: ['https://rabbitmq.com/queues.html'],
  switches: { online: { type: 'boolean' }, offline: { type: 'boolean' }, local: { type: 'boolean' } },
  arity: { min: 0, max: Infinity },
  requiresApp: 'running',
  defaultTimeout: DEFAULT_TIMEOUT,
  validate: (args) => void parseColumns(args, QUEUE_ITEMS),
  banner: ({ opts }) => {
    const t = opts.timeout ?? DEFAULT_TIMEOUT;
    return [`Timeout: ${Number.isInteger(t) ? t.toFixed(1) : t} seconds ...`, `Listing queues for vhost ${opts.vhost} ...`];
  },
  async run({ args, opts, switches, client }) {
    const columns = parseColumns(args, QUEUE_ITEMS);
    return listResult(client, 'list_queues', { vhost: opts.vhost, offline: switches.offline === true, online: switches.online === true, local: switches.local === true }, columns, QUEUE_ITEMS);
  },
};

export default listQueues;
