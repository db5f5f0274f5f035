// environment: the node's effective settings, grouped by application, as an Erlang term.

import type { TermJson } from '../../control/term-json.js';
import type { Command } from '../command.js';
import { jsonFromTerm, termFromJson } from '../term-json.js';

const environment: Command = {
  name: 'environment',
  section: 'Configuration and Environment',
  description: 'Displays the name and value of each variable in the application environment for each running application',
  usage: 'environment',
  docGuides: ['https://rabbitmq.com/configure.html', 'https://rabbitmq.com/monitoring.html'],
  arity: { min: 0, max: 0 },
  defaultFormatter: 'erlang',
  banner: ({ opts }) => [`Application environment of node ${opts.node} ...`],
  async run({ client }) {
    const term = termFromJson((await client.call('environment')) as TermJson);
    const { formatErlangTerm } = await import('../formatters/erlang.js');
    return { kind: 'document', text: () => formatErlangTerm(term), json: jsonFromTerm(term), erlang: term };
  },
};

export default environment;
