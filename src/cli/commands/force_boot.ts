// force_boot: let a node start next time without waiting for the members it last saw running.
// A node that is up (app stopped) is told so; for a node that is down, warrenctl leaves the
// marker file in its data dir, as rabbitmqctl does.

import type { Command } from '../command.js';
import { AppStateError, CommandError, EX_UNAVAILABLE } from '../errors.js';
import { connectUnlessDown, dataDirOf, writeForceLoadMarker } from '../offline.js';

const forceBoot: Command = {
  name: 'force_boot',
  section: 'Cluster',
  description: 'Forces node to start even if it cannot contact or rejoin any of its previously known peers',
  usage: 'force_boot',
  docGuides: ['https://rabbitmq.com/clustering.html'],
  arity: { min: 0, max: 0 },
  node: 'self',
  async run({ opts, connect, remainingMs }) {
    const client = await connectUnlessDown({ connect, remainingMs }, opts.node);
    if (client === undefined) {
      try {
        writeForceLoadMarker(dataDirOf(opts.node));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === undefined) throw err;
        throw new CommandError(code.toLowerCase(), EX_UNAVAILABLE);
      }
      return { kind: 'ok' };
    }
    try {
      if (client.info.app !== 'stopped') throw new AppStateError('stopped');
      await client.call('force_boot', {});
    } finally {
      client.close();
    }
    return { kind: 'ok' };
  },
};

export default forceBoot;
