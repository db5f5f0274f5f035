// What `status` and `cluster_status` report about this node: runtime, paths, memory, file
// descriptors, disk, totals, listeners. Fields keep RabbitMQ's meanings; where a RabbitMQ field
// describes the Erlang VM, Warren reports the nearest fact about its Node.js runtime
// (docs/ARCHITECTURE.md lists them).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WarrenNode } from './node.js';
import { WARREN_VERSION, RABBITMQ_COMPAT_VERSION } from './version.js';

export interface MemoryStatus {
  strategy: 'rss';
  total: { rss: number; allocated: number; used: number };
  breakdown: Record<string, number>;
}

export function memoryStatus(): MemoryStatus {
  const m = process.memoryUsage();
  const other = Math.max(0, m.rss - m.heapTotal - m.external);
  return {
    strategy: 'rss',
    total: { rss: m.rss, allocated: m.heapTotal + m.external, used: m.heapUsed + m.external },
    breakdown: {
      heap_used: m.heapUsed,
      heap_unused: m.heapTotal - m.heapUsed,
      binary: m.arrayBuffers,
      external_other: Math.max(0, m.external - m.arrayBuffers),
      code_and_stacks: other,
    },
  };
}

export function diskFree(dir: string): number {
  try {
    const st = fs.statfsSync(dir);
    return st.bavail * st.bsize;
  } catch {
    return 0;
  }
}

function fileDescriptors(): { totalUsed: number; totalLimit: number; socketsUsed: number; socketsLimit: number } {
  let totalUsed = 0;
  let socketsUsed = 0;
  try {
    for (const fd of fs.readdirSync('/proc/self/fd')) {
      totalUsed++;
      try {
        if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) socketsUsed++;
      } catch {
        // The descriptor closed while we looked.
      }
    }
  } catch {
    // No /proc: report zeros rather than guess.
  }
  let totalLimit = 0;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    if (m) totalLimit = Number(m[1]);
  } catch {
    // As above.
  }
  return { totalUsed, totalLimit, socketsUsed, socketsLimit: totalLimit };
}

export function runtimeDescription(): string {
  return `Node.js ${process.version} [V8 ${process.versions.v8}] [${process.arch}] [cpus:${os.availableParallelism()}] [libuv ${process.versions.uv}]`;
}

export function nodeStatus(node: WarrenNode): Record<string, unknown> {
  const broker = node.broker;
  return {
    pid: process.pid,
    os: os.type(),
    uptime: Math.floor((Date.now() - node.startedAt) / 1000),
    isUnderMaintenance: false,
    productName: 'Warren',
    productVersion: WARREN_VERSION,
    rabbitmqVersion: RABBITMQ_COMPAT_VERSION,
    nodeName: node.name,
    runtime: runtimeDescription(),
    cryptoLib: `OpenSSL ${process.versions.openssl}`,
    processes: { used: process.getActiveResourcesInfo().length, limit: fileDescriptors().totalLimit },
    runQueue: Math.round(os.loadavg()[0]),
    netTicktime: node.config.netTicktime,
    enabledPluginFile: node.env.enabledPluginsFile,
    enabledPlugins: [],
    dataDirectory: node.env.dataDir,
    raftDataDirectory: path.join(node.env.dataDir, 'quorum', node.name),
    configFiles: node.config.configFile === undefined ? [] : [node.config.configFile],
    logFiles: [node.env.logFile],
    alarms: node.resources.alarms(),
    memory: memoryStatus(),
    vmMemoryHighWatermarkSetting: node.config.vmMemoryHighWatermark,
    vmMemoryHighWatermarkLimit: node.resources.memoryLimit(),
    fileDescriptors: fileDescriptors(),
    diskFreeLimit: node.resources.diskLimit(),
    diskFree: diskFree(node.env.dataDir),
    totals: {
      virtualHostCount: broker ? broker.vhosts.size : 0,
      connectionCount: node.amqp ? node.amqp.connections.size : 0,
      queueCount: broker ? [...broker.vhosts.values()].reduce((n, v) => n + v.queues.size, 0) : 0,
    },
    listeners: node.listeners.map((l) => ({ ...l, node: node.name })),
  };
}
