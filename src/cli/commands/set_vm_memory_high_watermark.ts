// set_vm_memory_high_watermark: the memory alarm threshold, as a fraction of RAM or absolute.

import type { Command } from '../command.js';
import { ValidationError, EX_DATAERR } from '../errors.js';
import { parseInformationUnit } from '../../node/information-units.js';

function fraction(raw: string): number | undefined {
  return /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : undefined;
}

const setVmMemoryHighWatermark: Command = {
  name: 'set_vm_memory_high_watermark',
  section: 'Configuration and Environment',
  description: 'Sets the vm_memory_high_watermark setting',
  usage: 'set_vm_memory_high_watermark <fraction> | absolute <value>',
  argumentsHelp: [
    ['<fraction>', 'New limit as a fraction of total memory reported by the OS'],
    ['absolute <value>', 'New limit as an absolute value with units, e.g. 1GB'],
  ],
  docGuides: ['https://rabbitmq.com/alarms.html', 'https://rabbitmq.com/memory-use.html'],
  arity: { min: 1, max: 2 },
  validate(args) {
    if (args[0] === 'absolute') {
      if (args.length !== 2 || parseInformationUnit(args[1]) === undefined) throw new ValidationError('Bad argument.', EX_DATAERR);
      return;
    }
    if (args.length !== 1) throw new ValidationError('too many arguments.');
    const f = fraction(args[0]);
    if (f === undefined) throw new ValidationError('Bad argument.', EX_DATAERR);
    if (f > 1) throw new ValidationError('Bad argument: The threshold should be a fraction between 0.0 and 1.0', EX_DATAERR);
  },
  banner: ({ args, opts }) => [
    args[0] === 'absolute'
      ? `Setting memory threshold on ${opts.node} to ${args[1]} bytes ...`
      : `Setting memory threshold on ${opts.node} to ${args[0]} ...`,
  ],
  async run({ args, client }) {
    await client.call(
      'set_vm_memory_high_watermark',
      args[0] === 'absolute' ? { absolute: parseInformationUnit(args[1]) } : { relative: Number(args[0]) },
    );
    return { kind: 'none' };
  },
};

export default setVmMemoryHighWatermark;
