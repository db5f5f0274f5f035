// change_cluster_node_type: turn a clustered node (app stopped) into a disc or a RAM node.

import type { Command } from '../command.js';
import { callNode, clusterErrorTexts } from '../call.js';
import { EX_DATAERR, ValidationError } from '../errors.js';

/** rabbitmqctl also takes "disk", as disc. */
const TYPES: Record<string, 'disc' | 'ram'> = { disc: 'disc', disk: 'disc', ram: 'ram' };

const changeClusterNodeType: Command = {
  name: 'change_cluster_node_type',
  section: 'Cluster',
  description: 'Changes the type of the cluster node',
  usage: 'change_cluster_node_type <disc | ram>',
  argumentsHelp: [['<disc | ram>', 'New node type']],
  docGuides: ['https://rabbitmq.com/clustering.html'],
  arity: { min: 1, max: 1 },
  requiresApp: 'stopped',
  validate(args) {
    if (!Object.prototype.hasOwnProperty.call(TYPES, args[0])) {
      throw new ValidationError('Bad argument: The node type must be either disc or ram.', EX_DATAERR);
    }
  },
  banner: ({ args, opts }) => [`Turning ${opts.node} into a ${args[0]} node`],
  async run({ args, opts, client, programName }) {
    const type = TYPES[args[0]];
    const result = (await callNode(client, 'change_cluster_node_type', { type }, clusterErrorTexts(opts.node, programName))) as {
      alreadyType: boolean;
    };
    return result.alreadyType ? { kind: 'lines', lines: [`Node type is already ${type}`] } : { kind: 'ok' };
  },
};

export default changeClusterNodeType;
