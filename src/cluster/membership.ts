// Which cluster a node belongs to: the members with their types (disc or ram), the cluster's
// name once one was set, and the members that were running when this node last saw the
// cluster (for the restart order). Kept in `<dataDir>/cluster.json` on every node, RAM nodes
// included (as RabbitMQ keeps its cluster_nodes.config), written atomically on each change.
// A node with no file is a virgin lone disc node.

import fs from 'node:fs';
import path from 'node:path';

export type NodeType = 'disc' | 'ram';

export interface Membership {
  /** Every member, this node included, with its type. */
  nodes: Record<string, NodeType>;
  /** Members seen running when this node last stopped (or last changed membership). */
  running: string[];
}

export const MEMBERSHIP_FILE = 'cluster.json';

export function loneMembership(self: string): Membership {
  return { nodes: { [self]: 'disc' }, running: [self] };
}

/** The membership stored in `dataDir`, or a lone disc node's when there is none. */
export function readMembership(dataDir: string, self: string): Membership {
  let raw: string;
  try {
    raw = fs.readFileSync(path.join(dataDir, MEMBERSHIP_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return loneMembership(self);
    throw err;
  }
  const parsed = JSON.parse(raw) as Partial<Membership>;
  const nodes: Record<string, NodeType> = {};
  for (const [n, t] of Object.entries(parsed.nodes ?? {})) nodes[n] = t === 'ram' ? 'ram' : 'disc';
  if (Object.keys(nodes).length === 0) return loneMembership(self);
  return { nodes, running: Array.isArray(parsed.running) ? parsed.running.filter((n) => n in nodes) : [] };
}

export function writeMembership(dataDir: string, m: Membership): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, MEMBERSHIP_FILE);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(m));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export const discNodes = (m: Membership): string[] => Object.keys(m.nodes).filter((n) => m.nodes[n] === 'disc').sort();
export const ramNodes = (m: Membership): string[] => Object.keys(m.nodes).filter((n) => m.nodes[n] === 'ram').sort();
export const members = (m: Membership): string[] => Object.keys(m.nodes).sort();
