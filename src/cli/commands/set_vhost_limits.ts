// set_vhost_limits: max-connections and max-queues of a virtual host, from a JSON object.

import type { TermJson } from '../../control/term-json.js';
import type { Command } from '../command.js';
import { badmapText, callNode } from '../call.js';
import { CommandError, EX_DATAERR, EX_UNAVAILABLE } from '../errors.js';
import { formatErlangTerm } from '../formatters/erlang.js';
import { termFromJson } from '../term-json.js';
import { Tuple } from '../term.js';

interface Invalid {
  unknown: Array<[string, TermJson]>;
  invalid: Array<[string, TermJson]>;
}

/** RabbitMQ's validation report: unknown keys first, then each key that is not an integer. */
function validationText({ unknown, invalid }: Invalid): string {
  const lines: string[] = [];
  if (unknown.length > 0) {
    const terms = unknown.map(([k, v]) => new Tuple([k, termFromJson(v)]));
    lines.push(`Unrecognised terms ${formatErlangTerm(terms, { column: 19 })} in limits`);
  }
  for (const [k, v] of invalid) lines.push(`${k} should be a number, actually was ${formatErlangTerm(termFromJson(v))}`);
  return `Validation failed\n\n${lines.join('\n')}\n`;
}

const setVhostLimits: Command = {
  name: 'set_vhost_limits',
  section: 'Virtual hosts',
  description: 'Sets virtual host limits',
  usage: 'set_vhost_limits [--vhost <vhost>] <definition>',
  argumentsHelp: [['<definition>', 'Limit definitions, must be a valid JSON document']],
  docGuides: ['https://rabbitmq.com/virtual-hosts.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'running',
  banner: ({ args, opts }) => [`Setting vhost limits to "${args[0]}" for vhost "${opts.vhost}" ...`],
  async run({ args, opts, client }) {
    await callNode(client, 'set_vhost_limits', { vhost: opts.vhost, definition: args[0] }, {
      no_such_vhost: (e) => new CommandError(e.message, EX_DATAERR, true),
      json_decoding_error: (e) => new CommandError(e.message, EX_UNAVAILABLE),
      validation_failed: (e) => new CommandError(validationText(e.data as Invalid), EX_UNAVAILABLE),
      badmap: (e) =>
        new CommandError(
          badmapText((e.data as { value: TermJson }).value, "{:rabbit_vhost_limit, :parse_set, 3, [file: 'rabbit_vhost_limit.erl', line: 149]}"),
          EX_UNAVAILABLE,
        ),
    });
    return { kind: 'ok' };
  },
};

export default setVhostLimits;
