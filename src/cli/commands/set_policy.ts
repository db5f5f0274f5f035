// set_policy: create or replace a policy. The node validates it (node/policy-validation.ts) and
// reports each problem as text around one value, which is printed here as Erlang's ~p would.

import type { TermJson } from '../../control/term-json.js';
import type { Command } from '../command.js';
import { badmapText, callNode } from '../call.js';
import { CommandError, EX_DATAERR, EX_UNAVAILABLE } from '../errors.js';
import { formatErlangTerm } from '../formatters/erlang.js';
import { termFromJson } from '../term-json.js';

interface Problem {
  before: string;
  term?: TermJson;
  after?: string;
}

/** rabbit_runtime_parameters' report: a heading, a blank line, one line per problem. */
export function validationText(problems: Problem[]): string {
  const lines = problems.map(
    (p) => p.before + (p.term === undefined ? '' : formatErlangTerm(termFromJson(p.term), { column: p.before.length })) + (p.after ?? ''),
  );
  return `Validation failed\n\n${lines.join('\n')}\n`;
}

const setPolicy: Command = {
  name: 'set_policy',
  section: 'Policies',
  description: 'Sets or updates a policy',
  usage: 'set_policy [--vhost <vhost>] [--priority <priority>] [--apply-to <apply-to>] <name> <pattern> <definition>',
  argumentsHelp: [
    ['<name>', 'policy name (identifier)'],
    ['<pattern>', 'regular expression pattern that will be used to match queues, exchanges, etc'],
    ['<definition>', 'policy definition (arguments). Must be a valid JSON document'],
    ['--priority <priority>', 'policy priority'],
    ['--apply-to <queues | exchanges | all>', 'policy should only apply to queues, exchanges, or all entities (both of the above)'],
  ],
  docGuides: ['https://rabbitmq.com/parameters.html'],
  switches: { priority: { type: 'integer' }, 'apply-to': { type: 'string' } },
  arity: { min: 3, max: 3 },
  requiresApp: 'running',
  banner: ({ args, opts, switches }) => [
    `Setting policy "${args[0]}" for pattern "${args[1]}" to "${args[2]}" with priority "${switches.priority ?? 0}" for vhost "${opts.vhost}" ...`,
  ],
  async run({ args, opts, switches, client }) {
    const [name, pattern, definition] = args;
    await callNode(
      client,
      'set_policy',
      { vhost: opts.vhost, name, pattern, definition, priority: switches.priority ?? 0, applyTo: switches['apply-to'] ?? 'all' },
      {
        no_such_vhost: (e) => new CommandError(e.message, EX_DATAERR, true),
        json_decoding_error: (e) => new CommandError(e.message, EX_UNAVAILABLE),
        validation_failed: (e) => new CommandError(validationText((e.data as { problems: Problem[] }).problems), EX_UNAVAILABLE),
        badmap: (e) =>
          new CommandError(
            badmapText((e.data as { value: TermJson }).value, "{:rabbit_policy, :parse_set0, 8, [file: 'rabbit_policy.erl', line: 329]}, {:rabbit_policy, :parse_set, 7, []}"),
            EX_UNAVAILABLE,
          ),
      },
    );
    return { kind: 'ok' };
  },
};

export default setPolicy;
