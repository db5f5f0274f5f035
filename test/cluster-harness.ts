// Clusters for tests: nodes started with a config file of their own (short net_ticktime and
// restart waits, so failures show in seconds), formed into a cluster by typing the runbook's
// warrenctl commands, and read back through cluster_status's JSON.

import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { HOSTNAME, waitFor, type Host, type NodeHandle } from './harness.js';

/** Settings every cluster test node gets unless a test says otherwise. */
export const FAST_CLUSTER_CONF = ['net_ticktime = 2', 'mnesia_table_loading_retry_timeout = 2000', 'mnesia_table_loading_retry_limit = 3'];

export interface ClusterNodeOptions {
  conf?: string[];
  partitionable?: boolean;
}

/** Prepares a node whose rabbitmq.conf holds `conf` (not started). */
export async function prepareClusterNode(host: Host, short: string, o: ClusterNodeOptions = {}): Promise<NodeHandle> {
  const file = path.join(host.dir, `${short}.conf`);
  fs.writeFileSync(file, [...FAST_CLUSTER_CONF, ...(o.conf ?? [])].join('\n') + '\n');
  return host.prepareNode(short, { RABBITMQ_CONFIG_FILE: file }, { partitionable: o.partitionable });
}

/** Starts lone nodes named `shorts`, apps running. */
export async function startClusterNodes(host: Host, shorts: string[], o: ClusterNodeOptions = {}): Promise<NodeHandle[]> {
  const nodes: NodeHandle[] = [];
  for (const s of shorts) nodes.push(await host.restartNode(await prepareClusterNode(host, s, o)));
  return nodes;
}

export async function ctlOk(host: Host, node: NodeHandle | string, args: string[]): Promise<string> {
  const r = await host.ctl(node, args);
  if (r.exitCode !== 0) throw new Error(`warrenctl ${args.join(' ')} on ${typeof node === 'string' ? node : node.name} exited ${r.exitCode}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The runbook: each other node stops its app, resets, joins the first (ram where asked), starts. */
export async function formCluster(host: Host, nodes: NodeHandle[], ram: NodeHandle[] = []): Promise<void> {
  const [seed, ...rest] = nodes;
  for (const n of rest) {
    await ctlOk(host, n, ['stop_app']);
    await ctlOk(host, n, ['reset']);
    await ctlOk(host, n, ram.includes(n) ? ['join_cluster', '--ram', seed.name] : ['join_cluster', seed.name]);
    await ctlOk(host, n, ['start_app']);
  }
  await ctlOk(host, seed, ['await_online_nodes', String(nodes.length), '-t', '30']);
}

export interface ClusterStatus {
  cluster_name: string;
  disk_nodes: string[];
  ram_nodes: string[];
  running_nodes: string[];
  partitions: Record<string, string[]>;
}

export async function clusterStatus(host: Host, node: NodeHandle): Promise<ClusterStatus> {
  return JSON.parse(await ctlOk(host, node, ['cluster_status', '--formatter', 'json'])) as ClusterStatus;
}

/** Waits until `node` sees exactly `running` as its running members. */
export async function waitForRunning(host: Host, node: NodeHandle, running: NodeHandle[], timeoutMs = 30_000): Promise<void> {
  const want = running.map((n) => n.name).sort();
  await waitFor(
    `${node.name} to see ${want.join(', ')} running`,
    async () => {
      const r = await host.ctl(node, ['cluster_status', '--formatter', 'json']);
      if (r.exitCode !== 0) return undefined;
      const got = (JSON.parse(r.stdout) as ClusterStatus).running_nodes.sort();
      return JSON.stringify(got) === JSON.stringify(want) || undefined;
    },
    timeoutMs,
  );
}

export function expectMembers(s: ClusterStatus, disc: NodeHandle[], ram: NodeHandle[]): void {
  expect([...s.disk_nodes].sort()).toEqual(disc.map((n) => n.name).sort());
  expect([...s.ram_nodes].sort()).toEqual(ram.map((n) => n.name).sort());
}

export const nodeName = (short: string) => `${short}@${HOSTNAME}`;

/** Runs `f`; if it fails, prints the end of each node's log (what each saw), then fails. */
export async function withLogs<T>(nodes: NodeHandle[], f: () => Promise<T>, lines = 40): Promise<T> {
  try {
    return await f();
  } catch (err) {
    for (const n of nodes) {
      const log = fs.existsSync(n.logFile) ? fs.readFileSync(n.logFile, 'utf8') : '(no log)';
      console.log(`---- ${n.name}\n${log.split('\n').slice(-lines).join('\n')}`);
    }
    throw err;
  }
}
