// Help and usage texts, laid out byte for byte as rabbitmqctl lays them out: the full command
// list by section, one command's help, and the usage shown after a validation error.

import type { Command, Section } from './command.js';
import type { Styler } from './style.js';

const SECTION_ORDER: Section[] = [
  'Help',
  'Nodes',
  'Cluster',
  'Replication',
  'Users',
  'Access Control',
  'Monitoring, observability and health checks',
  'Parameters',
  'Policies',
  'Virtual hosts',
  'Configuration and Environment',
  'Definitions',
  'Feature flags',
  'Operations',
  'Queues',
  'Deprecated',
];

/** rabbitmqctl pads names to its longest command name plus two; keep that column. */
const NAME_COLUMN = 30;

const GENERAL_OPTIONS = `The following options are accepted by most or all commands.

short            | long          | description
-----------------|---------------|--------------------------------
-?               | --help        | displays command help
-n <node>        | --node <node> | connect to node <node>
-l               | --longnames   | use long host names
-t               | --timeout <n> | for commands that support it, operation timeout in seconds
-q               | --quiet       | suppress informational messages
-s               | --silent      | suppress informational messages
                                 | and table header row
-p               | --vhost       | for commands that are scoped to a virtual host,
                 |               | virtual host to use
                 | --formatter   | alternative result formatter to use
                                 | if supported: json, pretty_table, table, csv, erlang
                                   not all commands support all (or any) alternative formatters.`;

export function usageLine(prog: string, cmd: Command): string {
  return `${prog} [--node <node>] [--longnames] [--quiet] ${cmd.usage}`;
}

/** Texts that name the tool ("see 'rabbitmqctl shutdown'") name the one being run. */
function naming(prog: string, text: string): string {
  return text.replaceAll("'rabbitmqctl ", `'${prog} `);
}

export function commandHelp(prog: string, cmd: Command, b: Styler): string {
  const blocks = [`${b('Usage')}\n\n${usageLine(prog, cmd)}\n\n${naming(prog, cmd.description)}.`];
  if (cmd.argumentsHelp?.length) {
    const items = cmd.argumentsHelp.map(([name, text]) => `${name}\n\t${naming(prog, text)}`).join('\n\n');
    blocks.push(`${b('Arguments and Options')}\n\n${items}`);
  }
  if (cmd.docGuides?.length) {
    blocks.push(`${b('Relevant Doc Guides')}\n\n${cmd.docGuides.map((g) => ` * ${g}`).join('\n\n')}`);
  }
  blocks.push(`${b('General Options')}\n\n${GENERAL_OPTIONS}`);
  return `\n${blocks.join('\n\n\n')}\n\n`;
}

export function fullUsage(prog: string, commands: Command[], b: Styler): string {
  const width = Math.max(NAME_COLUMN, ...commands.map((c) => c.name.length + 2));
  const sections: string[] = [];
  for (const section of SECTION_ORDER) {
    const inSection = commands.filter((c) => c.section === section).sort((x, y) => (x.name < y.name ? -1 : 1));
    if (inSection.length === 0) continue;
    const lines = inSection.map((c) => `   ${c.name.padEnd(width)}${naming(prog, c.description)}`);
    sections.push(`${b(section)}:\n\n${lines.join('\n')}`);
  }
  return (
    `\n${b('Usage')}\n\n${prog} [--node <node>] [--timeout <timeout>] [--longnames] [--quiet] <command> [<command options>]\n\n` +
    `Available commands:\n\n${sections.join('\n\n')}\n\n` +
    `Use '${prog} help <command>' to learn more about a specific command\n`
  );
}

/** What follows a validation or app-state error: the arguments given and the usage. */
export function errorUsage(prog: string, cmd: Command, argv: string[], b: Styler): string {
  return `Arguments given:\n\t${argv.join(' ')}\n\n${b('Usage')}\n\n${usageLine(prog, cmd)}\n`;
}
