// list_global_parameters: cluster-wide runtime parameters (cluster_name...), each value shown
// as RabbitMQ re-encodes it: compact JSON with object keys in order.

import type { Command } from '../command.js';
import { wholeResult } from '../info-items.js';
import { sortedJson } from '../term-json.js';

const listGlobalParameters: Command = {
  name: 'list_global_parameters',
  section: 'Parameters',
  description: 'Lists global runtime parameters',
  usage: 'list_global_parameters [--no-table-headers] [--timeout <timeout>]',
  docGuides: ['https://rabbitmq.com/parameters.html'],
  arity: { min: 0, max: 0 },
  requiresApp: 'running',
  banner: () => ['Listing global runtime parameters ...'],
  async run({ client }) {
    const rows = (await client.call('list_global_parameters')) as Array<[string, unknown]>;
    return wholeResult(
      rows.map(([name, value]) => [name, sortedJson(value)]),
      ['name', 'value'],
      ['atom', 'binary'],
    );
  },
};

export default listGlobalParameters;
