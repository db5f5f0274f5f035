// help: the full command list, or one command's usage, options and doc guides.

import type { Command } from '../command.js';
import { CommandError, EX_USAGE } from '../errors.js';
import { commandHelp, fullUsage } from '../help.js';
import { commandNames, loadAllCommands, loadCommand } from '../registry.js';

const help: Command = {
  name: 'help',
  section: 'Help',
  description: 'Displays usage information for a command',
  usage: 'help (<command> | [--list-commands])',
  argumentsHelp: [['--list-commands', 'only output a list of discovered commands']],
  switches: { 'list-commands': { type: 'boolean' } },
  arity: { min: 0, max: 1 },
  node: 'none',
  async run({ args, switches, programName }) {
    if (switches['list-commands']) return { kind: 'lines', lines: commandNames };
    if (args.length === 0) {
      const all = await loadAllCommands();
      return { kind: 'text', text: (b) => fullUsage(programName, all, b) };
    }
    const cmd = await loadCommand(args[0]);
    if (!cmd) throw new CommandError(`\nCommand '${args[0]}' not found.`, EX_USAGE);
    return { kind: 'text', text: (b) => commandHelp(programName, cmd, b) };
  },
};

export default help;
