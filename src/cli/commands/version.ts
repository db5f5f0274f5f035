// version: the CLI's version (Warren's), without contacting a node.

import type { Command } from '../command.js';
import { WARREN_VERSION } from '../../node/version.js';

const version: Command = {
  name: 'version',
  section: 'Help',
  description: 'Displays CLI tools version',
  usage: 'version',
  arity: { min: 0, max: 0 },
  node: 'none',
  run: async () => ({ kind: 'lines', lines: [WARREN_VERSION] }),
};

export default version;
