// list_policies: a virtual host's policies, lowest priority first, each definition shown as
// RabbitMQ re-encodes it (compact JSON, keys sorted).

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_DATAERR } from '../errors.js';
import { wholeResult } from '../info-items.js';
import { sortedJson } from '../term-json.js';

const listPolicies: Command = {
  name: 'list_policies',
  section: 'Policies',
  description: 'Lists all policies in a virtual host',
  usage: 'list_policies [--vhost <vhost>] [--no-table-headers] [--timeout <timeout>]',
  docGuides: ['https://rabbitmq.com/parameters.html'],
  arity: { min: 0, max: 0 },
  requiresApp: 'running',
  banner: ({ opts }) => [`Listing policies for vhost "${opts.vhost}" ...`],
  async run({ opts, client }) {
    const rows = (await callNode(client, 'list_policies', { vhost: opts.vhost }, {
      no_such_vhost: (e) => new CommandError(e.message, EX_DATAERR, true),
    })) as Array<[string, string, string, string, unknown, number]>;
    return wholeResult(
      rows.map(([vhost, name, pattern, applyTo, definition, priority]) => [vhost, name, pattern, applyTo, sortedJson(definition), priority]),
      ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'],
      ['binary', 'binary', 'binary', 'binary', 'binary', 'value'],
    );
  },
};

export default listPolicies;
