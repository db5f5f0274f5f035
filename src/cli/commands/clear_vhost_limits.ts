// clear_vhost_limits: remove a virtual host's limits.

import type { Command } from '../command.js';
import { callNode } from '../call.js';
import { CommandError, EX_UNAVAILABLE } from '../errors.js';

const clearVhostLimits: Command = {
  name: 'clear_vhost_limits',
  section: 'Virtual hosts',
  description: 'Clears virtual host limits',
  usage: 'clear_vhost_limits [--vhost <vhost>]',
  docGuides: ['https://rabbitmq.com/virtual-hosts.html'],
  arity: { min: 0, max: 0 },
  requiresApp: 'running',
  banner: ({ opts }) => [`Clearing vhost "${opts.vhost}" limits ...`],
  async run({ opts, client }) {
    // Limits are a runtime parameter in RabbitMQ: a missing vhost has none either.
    const missing = () => new CommandError('Parameter does not exist', EX_UNAVAILABLE);
    await callNode(client, 'clear_vhost_limits', { vhost: opts.vhost }, { parameter_not_found: missing, no_such_vhost: missing });
    return { kind: 'ok' };
  },
};

export default clearVhostLimits;
