// What warrenctl does to a node that is down, as rabbitmqctl's force_boot and
// forget_cluster_node --offline do: tell that the node is really down, find its data dir the
// way the node itself would, and leave the marker that makes it boot without waiting for peers.
// These are the only places the CLI touches a node's files instead of asking the node.

import fs from 'node:fs';
import path from 'node:path';
import { NodeUnreachable, type ControlClient } from '../control/client.js';
import { readNodeEnv } from '../node/env.js';
import type { RunContext } from './command.js';

/** An empty file in the data dir: "do not wait for the other members at the next boot". */
export const FORCE_LOAD_MARKER = 'force_load';

/**
 * A connection to `node`, or undefined when it is down: its name is not registered, or there is
 * no port mapper to ask. A node that is registered but refuses us (another cookie) is up, so
 * that error passes on.
 */
export async function connectUnlessDown(ctx: Pick<RunContext, 'connect' | 'remainingMs'>, node: string): Promise<ControlClient | undefined> {
  try {
    return await ctx.connect(node, ctx.remainingMs());
  } catch (err) {
    if (err instanceof NodeUnreachable && (err.why.kind === 'not_registered' || err.why.kind === 'mapper_unreachable')) return undefined;
    throw err;
  }
}

export async function nodeIsDown(ctx: Pick<RunContext, 'connect' | 'remainingMs'>, node: string): Promise<boolean> {
  const client = await connectUnlessDown(ctx, node);
  client?.close();
  return client === undefined;
}

/** The data dir `node` uses, from the same variables (RABBITMQ_MNESIA_BASE / _DIR ...). */
export function dataDirOf(node: string): string {
  return readNodeEnv({ ...process.env, RABBITMQ_NODENAME: node }).dataDir;
}

/** Leaves the force-boot marker; a missing data dir fails as rabbitmqctl's File.write does. */
export function writeForceLoadMarker(dataDir: string): void {
  fs.writeFileSync(path.join(dataDir, FORCE_LOAD_MARKER), '');
}
