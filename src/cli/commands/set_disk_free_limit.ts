// set_disk_free_limit: the free disk space below which publishers are blocked.

import type { Command } from '../command.js';
import { ValidationError, EX_DATAERR } from '../errors.js';
import { parseInformationUnit } from '../../node/information-units.js';

const setDiskFreeLimit: Command = {
  name: 'set_disk_free_limit',
  section: 'Configuration and Environment',
  description: 'Sets the disk_free_limit setting',
  usage: 'set_disk_free_limit <disk_limit> | mem_relative <fraction>',
  argumentsHelp: [
    ['<disk_limit>', 'New limit as an absolute value with units, e.g. 1GB'],
    ['mem_relative <fraction>', 'New limit as a fraction of total memory reported by the OS'],
  ],
  docGuides: ['https://rabbitmq.com/disk-alarms.html', 'https://rabbitmq.com/alarms.html'],
  arity: { min: 1, max: 2 },
  validate(args) {
    if (args[0] === 'mem_relative') {
      if (args.length !== 2 || !/^\d+(\.\d+)?$/.test(args[1])) throw new ValidationError('Bad argument.', EX_DATAERR);
      return;
    }
    if (args.length !== 1) throw new ValidationError('too many arguments.');
    if (parseInformationUnit(args[0]) === undefined) throw new ValidationError('Bad argument.', EX_DATAERR);
  },
  banner: ({ args, opts }) => [
    args[0] === 'mem_relative'
      ? `Setting disk free limit on ${opts.node} to ${args[1]} times the total RAM ...`
      : `Setting disk free limit on ${opts.node} to ${args[0]} bytes ...`,
  ],
  async run({ args, client }) {
    await client.call(
      'set_disk_free_limit',
      args[0] === 'mem_relative' ? { relative: Number(args[1]) } : { absolute: parseInformationUnit(args[0]) },
    );
    return { kind: 'none' };
  },
};

export default setDiskFreeLimit;
