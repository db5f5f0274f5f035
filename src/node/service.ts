// The operations a node answers on its distribution port (the service API the CLI calls).
// Each returns plain data; formatting is the CLI's business.

import { ControlError } from '../control/errors.js';
import type { Handler } from '../control/server.js';
import { tAtom, tFloat, tProplist, tStr, tTuple, type TermJson } from '../control/term-json.js';
import { FEATURE_FLAGS } from './feature-flags.js';
import { discNodes, ramNodes } from '../cluster/membership.js';
import { withTimeout } from '../cluster/peers.js';
import { clusterHandlers } from './service-cluster.js';
import { adminHandlers } from './service-admin.js';
import type { WarrenNode } from './node.js';
import { nodeStatus, runtimeDescription } from './status.js';
import { RABBITMQ_COMPAT_VERSION, WARREN_VERSION } from './version.js';

function requireRunning(node: WarrenNode): void {
  if (node.appState !== 'running') throw new ControlError('app_not_running', 'rabbit_is_not_running');
}

function requireStopped(node: WarrenNode): void {
  if (node.appState !== 'stopped') throw new ControlError('app_running', 'mnesia_unexpectedly_running');
}

/** What one node says about itself in cluster_status (asked of every running member). */
export function nodeInfo(node: WarrenNode): Record<string, unknown> {
  const self = node.name;
  return {
    alarms: node.resources.alarms(),
    listeners: node.listeners.map((l) => ({ ...l, node: self })),
    version: { productName: 'Warren', productVersion: WARREN_VERSION, nodejsVersion: process.versions.node },
    partitions: [...node.cluster.partitions].sort(),
  };
}

/** The cluster name: set_cluster_name's, else the config file's, else the queried node's name. */
export function clusterName(node: WarrenNode): string {
  const set = node.broker?.metadata.globals.get('cluster_name');
  return typeof set === 'string' ? set : (node.config.clusterName ?? node.name);
}

export async function clusterStatus(node: WarrenNode): Promise<Record<string, unknown>> {
  const self = node.name;
  const cluster = node.cluster;
  const m = cluster.membership;
  // RabbitMQ lists the other running members, then the queried node.
  const others = cluster.runningNodes().filter((n) => n !== self).sort().reverse();
  const infos = new Map<string, Record<string, unknown>>();
  infos.set(self, nodeInfo(node));
  await Promise.all(
    others.map(async (n) => {
      const info = await withTimeout(cluster.links.get(n)!.call('peer.node_info'), 5000).catch(() => undefined);
      if (info !== undefined) infos.set(n, info as Record<string, unknown>);
    }),
  );
  const running = [...others.filter((n) => infos.has(n)), ...(node.appState === 'running' ? [self] : [])];
  const per = <T>(f: (info: Record<string, unknown>) => T) => Object.fromEntries(running.map((n) => [n, f(infos.get(n)!)]));
  const partitions: Record<string, string[]> = {};
  for (const n of running) {
    const p = infos.get(n)!.partitions as string[];
    if (p.length > 0) partitions[n] = p;
  }
  return {
    nodes: { disc: discNodes(m), ram: ramNodes(m) },
    runningNodes: running,
    clusterName: clusterName(node),
    partitions,
    alarms: per((i) => i.alarms),
    listeners: per((i) => i.listeners),
    versions: per((i) => i.version),
    maintenance: per(() => 'not under maintenance'),
    featureFlags: FEATURE_FLAGS.map((f) => ({ ...f, state: 'enabled', stability: 'stable' })),
  };
}

function environment(node: WarrenNode): TermJson {
  const s = node.config;
  const watermark = 'relative' in s.vmMemoryHighWatermark
    ? tFloat(s.vmMemoryHighWatermark.relative)
    : tTuple(tAtom('absolute'), s.vmMemoryHighWatermark.absolute);
  const diskLimit = 'absolute' in s.diskFreeLimit
    ? s.diskFreeLimit.absolute
    : tTuple(tAtom('mem_relative'), tFloat(s.diskFreeLimit.relative));
  return tProplist([
    ['kernel', tProplist([['net_ticktime', s.netTicktime]])],
    ['mnesia', tProplist([['dir', tStr(node.env.dataDir)]])],
    [
      'rabbit',
      tProplist([
        ['channel_max', s.channelMax],
        ['cluster_name', s.clusterName === undefined ? tAtom('undefined') : s.clusterName],
        ['cluster_partition_handling', tAtom(s.clusterPartitionHandling.strategy)],
        ['default_permissions', [s.defaultPermissions.configure, s.defaultPermissions.write, s.defaultPermissions.read]],
        ['default_user', s.defaultUser],
        ['default_user_tags', s.defaultUserTags.map(tAtom)],
        ['default_vhost', s.defaultVhost],
        ['disk_free_limit', diskLimit],
        ['enabled_plugins_file', tStr(node.env.enabledPluginsFile)],
        ['frame_max', s.frameMax],
        ['heartbeat', s.heartbeat],
        ['log_file', tStr(node.env.logFile)],
        ['loopback_users', s.loopbackUsers],
        ['tcp_listeners', [tTuple(tStr('auto'), node.env.amqpPort)]],
        ['vm_memory_high_watermark', watermark],
      ]),
    ],
    [
      'warren',
      tProplist([
        ['version', WARREN_VERSION],
        ['rabbitmq_compat_version', RABBITMQ_COMPAT_VERSION],
        ['runtime', runtimeDescription()],
      ]),
    ],
  ]);
}

export function serviceHandlers(node: WarrenNode): Map<string, Handler> {
  const h = new Map<string, Handler>();

  h.set('ping', () => 'pong');

  h.set('status', () => {
    requireRunning(node);
    return nodeStatus(node);
  });

  h.set('cluster_status', () => {
    requireRunning(node);
    return clusterStatus(node);
  });

  h.set('peer.node_info', (_a, ctx) => {
    if (ctx.peerKind !== 'node') throw new ControlError('not_allowed', 'peer operations are for cluster members');
    return nodeInfo(node);
  });

  h.set('environment', () => environment(node));

  h.set('await_startup', async (args, ctx) => {
    if (node.appState === 'running') return 'ok';
    if (node.appState === 'booting' || node.appState === 'starting') ctx.progress('booting');
    const ok = await node.waitForApp(Number(args.timeoutMs ?? 300_000), ctx.signal);
    if (!ok) throw new ControlError('app_not_running', 'rabbit_is_not_running');
    return 'ok';
  });

  h.set('await_online_nodes', async (args, ctx) => {
    const want = Number(args.count);
    const deadline = Date.now() + Number(args.timeoutMs ?? 300_000);
    for (;;) {
      const running = node.cluster.runningNodes();
      if (running.length >= want) return running.length;
      if (Date.now() >= deadline || ctx.signal.aborted) {
        throw new ControlError(
          'timeout_waiting_for_nodes',
          `Error: timed out while waiting. Not enough nodes joined ${node.name}'s cluster.`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(200, Math.max(0, deadline - Date.now()))));
    }
  });

  h.set('stop_app', async () => {
    await node.stopApp();
    return 'ok';
  });

  h.set('start_app', async () => {
    await node.startApp();
    return 'ok';
  });

  h.set('reset', async (args) => {
    requireStopped(node);
    await node.reset(args.force === true);
    return 'ok';
  });

  h.set('set_vm_memory_high_watermark', async (args) => {
    node.config.vmMemoryHighWatermark =
      args.absolute !== undefined ? { absolute: Number(args.absolute) } : { relative: Number(args.relative) };
    await node.resources.check();
    return 'ok';
  });

  h.set('set_disk_free_limit', async (args) => {
    node.config.diskFreeLimit =
      args.absolute !== undefined ? { absolute: Number(args.absolute) } : { relative: Number(args.relative) };
    await node.resources.check();
    return 'ok';
  });

  h.set('stop', () => {
    // Answer first, then go: the caller watches the connection (or the pid) to see us gone.
    setImmediate(() => void node.shutdown('requested by the CLI'));
    return { pid: process.pid };
  });

  adminHandlers(node, h);
  clusterHandlers(node, h);
  node.cluster.handlers(h);
  return h;
}
