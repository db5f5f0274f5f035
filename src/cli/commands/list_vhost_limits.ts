// list_vhost_limits: one virtual host's limits as JSON, or (--global) every vhost's.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_DATAERR } from '../errors.js';
import { wholeResult } from '../info-items.js';

const listVhostLimits: Command = {
  name: 'list_vhost_limits',
  section: 'Virtual hosts',
  description: 'Displays configured virtual host limits',
  usage: 'list_vhost_limits [--vhost <vhost>] [--global] [--no-table-headers]',
  argumentsHelp: [['--global', 'list global limits (those not associated with a virtual host)']],
  docGuides: ['https://rabbitmq.com/virtual-hosts.html'],
  switches: { global: { type: 'boolean' } },
  arity: { min: 0, max: 0 },
  requiresApp: 'running',
  banner: ({ opts, switches }) => [switches.global ? 'Listing limits for all vhosts ...' : `Listing limits for vhost "${opts.vhost}" ...`],
  async run({ opts, switches, client }) {
    const global = switches.global === true;
    const reply = await callNode(client, 'list_vhost_limits', { vhost: opts.vhost, global }, {
      no_such_vhost: (e) => new CommandError(e.message, EX_DATAERR, true),
    });
    if (global) return wholeResult(reply, ['vhost', 'limits'], ['binary', 'binary']);
    if (reply === null) return wholeResult([], [], []);
    const limits = String(reply);
    return { kind: 'document', text: () => limits, json: { node: opts.node, result: 'ok', value: limits }, erlang: limits };
  },
};

export default listVhostLimits;
