// status: one node's runtime, plugins, paths, alarms, memory, descriptors, disk, totals and
// listeners, laid out as rabbitmqctl lays them out.

import os from 'node:os';
import type { Command } from '../command.js';
import { ValidationError } from '../errors.js';
import { Atom, Charlist, Float, Tuple, type Term } from '../term.js';
import { decimal, inUnit, isUnit, type Unit } from '../units.js';

interface Listener {
  protocol: string;
  port: number;
  interface: string;
  purpose: string;
  node: string;
}

interface StatusData {
  pid: number;
  os: string;
  uptime: number;
  isUnderMaintenance: boolean;
  productName: string;
  productVersion: string;
  rabbitmqVersion: string;
  nodeName: string;
  runtime: string;
  cryptoLib: string;
  processes: { used: number; limit: number };
  runQueue: number;
  netTicktime: number;
  enabledPluginFile: string;
  enabledPlugins: string[];
  dataDirectory: string;
  raftDataDirectory: string;
  configFiles: string[];
  logFiles: string[];
  alarms: string[];
  memory: { strategy: string; total: { rss: number; allocated: number; used: number }; breakdown: Record<string, number> };
  vmMemoryHighWatermarkSetting: { relative: number } | { absolute: number };
  vmMemoryHighWatermarkLimit: number;
  fileDescriptors: { totalUsed: number; totalLimit: number; socketsUsed: number; socketsLimit: number };
  diskFreeLimit: number;
  diskFree: number;
  totals: { virtualHostCount: number; connectionCount: number; queueCount: number };
  listeners: Listener[];
}

function section(b: (s: string) => string, title: string, lines: string[]): string {
  return [b(title), '', ...lines].join('\n');
}

function memoryLines(s: StatusData, unit: Unit): string[] {
  const total = s.memory.total.rss;
  const w = s.vmMemoryHighWatermarkSetting;
  const setting =
    'relative' in w
      ? `${decimal(w.relative, 4)} of available memory, computed to: ${inUnit(s.vmMemoryHighWatermarkLimit, unit)}`
      : `${inUnit(w.absolute, unit)}, computed to: ${inUnit(s.vmMemoryHighWatermarkLimit, unit)}`;
  const parts = Object.entries(s.memory.breakdown).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return [
    `Total memory used: ${inUnit(total, unit)}`,
    `Calculation strategy: ${s.memory.strategy}`,
    `Memory high watermark setting: ${setting}`,
    '',
    ...parts.map(([k, v]) => `${k}: ${inUnit(v, unit)} (${decimal(total > 0 ? (v / total) * 100 : 0, 2)} %)`),
  ];
}

export function statusText(s: StatusData, unit: Unit, b: (x: string) => string): string {
  const listener = (l: Listener) => `Interface: ${l.interface}, port: ${l.port}, protocol: ${l.protocol}, purpose: ${l.purpose}`;
  return [
    section(b, 'Runtime', [
      `OS PID: ${s.pid}`,
      `OS: ${s.os}`,
      `Uptime (seconds): ${s.uptime}`,
      `Is under maintenance?: ${s.isUnderMaintenance}`,
      `Product name: ${s.productName}`,
      `Product version: ${s.productVersion}`,
      `RabbitMQ version: ${s.rabbitmqVersion}`,
      'RabbitMQ release series support status: supported',
      `Node name: ${s.nodeName}`,
      `Erlang configuration: ${s.runtime}`,
      `Crypto library: ${s.cryptoLib}`,
      `Erlang processes: ${s.processes.used} used, ${s.processes.limit} limit`,
      `Scheduler run queue: ${s.runQueue}`,
      `Cluster heartbeat timeout (net_ticktime): ${s.netTicktime}`,
    ]),
    section(b, 'Plugins', [
      `Enabled plugin file: ${s.enabledPluginFile}`,
      'Enabled plugins:',
      '',
      ...s.enabledPlugins.map((p) => ` * ${p}`),
    ]),
    section(b, 'Data directory', [`Node data directory: ${s.dataDirectory}`, `Raft data directory: ${s.raftDataDirectory}`]),
    section(b, 'Config files', s.configFiles.map((f) => ` * ${f}`)),
    section(b, 'Log file(s)', s.logFiles.map((f) => ` * ${f}`)),
    section(b, 'Alarms', s.alarms.length === 0 ? ['(none)'] : s.alarms.map((a) => alarmText(a, s.nodeName))),
    section(b, 'Memory', memoryLines(s, unit)),
    section(b, 'File Descriptors', [
      `Total: ${s.fileDescriptors.totalUsed}, limit: ${s.fileDescriptors.totalLimit}`,
      `Sockets: ${s.fileDescriptors.socketsUsed}, limit: ${s.fileDescriptors.socketsLimit}`,
    ]),
    section(b, 'Free Disk Space', [
      `Low free disk space watermark: ${inUnit(s.diskFreeLimit, unit)}`,
      `Free disk space: ${inUnit(s.diskFree, unit)}`,
    ]),
    section(b, 'Totals', [
      `Connection count: ${s.totals.connectionCount}`,
      `Queue count: ${s.totals.queueCount}`,
      `Virtual host count: ${s.totals.virtualHostCount}`,
    ]),
    section(b, 'Listeners', s.listeners.map(listener)),
  ].join('\n\n');
}

function statusJson(s: StatusData): unknown {
  const fd = s.fileDescriptors;
  return {
    active_plugins: s.enabledPlugins,
    alarms: s.alarms.map((resource) => ({ node: s.nodeName, resource, type: 'resource_limit' })),
    config_files: s.configFiles,
    crypto_lib_version: s.cryptoLib,
    data_directory: s.dataDirectory,
    disk_free: s.diskFree,
    disk_free_limit: s.diskFreeLimit,
    enabled_plugin_file: s.enabledPluginFile,
    erlang_version: s.runtime,
    file_descriptors: { sockets_limit: fd.socketsLimit, sockets_used: fd.socketsUsed, total_limit: fd.totalLimit, total_used: fd.totalUsed },
    is_under_maintenance: s.isUnderMaintenance,
    listeners: s.listeners.map((l) => ({ interface: l.interface, node: l.node, port: l.port, protocol: l.protocol, purpose: l.purpose })),
    log_files: s.logFiles,
    memory: { ...s.memory.breakdown, strategy: s.memory.strategy, total: s.memory.total },
    net_ticktime: s.netTicktime,
    os: s.os,
    pid: s.pid,
    processes: { limit: s.processes.limit, used: s.processes.used },
    product_name: s.productName,
    product_version: s.productVersion,
    rabbitmq_version: s.rabbitmqVersion,
    raft_data_directory: s.raftDataDirectory,
    release_series_support_status: 'supported',
    run_queue: s.runQueue,
    totals: {
      virtual_host_count: s.totals.virtualHostCount,
      connection_count: s.totals.connectionCount,
      queue_count: s.totals.queueCount,
    },
    uptime: s.uptime,
    vm_memory_calculation_strategy: s.memory.strategy,
    vm_memory_high_watermark_limit: s.vmMemoryHighWatermarkLimit,
    vm_memory_high_watermark_setting: s.vmMemoryHighWatermarkSetting,
  };
}

const kv = (key: string, value: Term): Tuple => new Tuple([new Atom(key), value]);
const str = (text: string): Charlist => new Charlist(text);

function statusTerm(s: StatusData): Term {
  const fd = s.fileDescriptors;
  const w = s.vmMemoryHighWatermarkSetting;
  return [
    kv('pid', s.pid),
    kv('os', new Tuple([new Atom('unix'), new Atom(os.platform())])),
    kv('uptime', s.uptime),
    kv('is_under_maintenance', s.isUnderMaintenance),
    kv('product_name', s.productName),
    kv('product_version', s.productVersion),
    kv('rabbitmq_version', s.rabbitmqVersion),
    kv('erlang_version', str(s.runtime)),
    kv('crypto_lib_info', str(s.cryptoLib)),
    kv('processes', [kv('limit', s.processes.limit), kv('used', s.processes.used)]),
    kv('run_queue', s.runQueue),
    kv('net_ticktime', s.netTicktime),
    kv('enabled_plugin_file', str(s.enabledPluginFile)),
    kv('active_plugins', s.enabledPlugins.map((p) => new Atom(p))),
    kv('data_directory', str(s.dataDirectory)),
    kv('raft_data_directory', str(s.raftDataDirectory)),
    kv('config_files', s.configFiles.map(str)),
    kv('log_files', s.logFiles.map(str)),
    kv('alarms', s.alarms.map((a) => new Tuple([new Atom('resource_limit'), new Atom(a), new Atom(s.nodeName)]))),
    kv('memory', [
      ...Object.entries(s.memory.breakdown).map(([k, v]) => kv(k, v)),
      kv('total', [kv('rss', s.memory.total.rss), kv('allocated', s.memory.total.allocated), kv('used', s.memory.total.used)]),
      kv('strategy', new Atom(s.memory.strategy)),
    ]),
    kv('vm_memory_calculation_strategy', new Atom(s.memory.strategy)),
    kv('vm_memory_high_watermark', 'relative' in w ? new Float(w.relative) : new Tuple([new Atom('absolute'), w.absolute])),
    kv('vm_memory_limit', s.vmMemoryHighWatermarkLimit),
    kv('file_descriptors', [
      kv('total_limit', fd.totalLimit),
      kv('total_used', fd.totalUsed),
      kv('sockets_limit', fd.socketsLimit),
      kv('sockets_used', fd.socketsUsed),
    ]),
    kv('disk_free_limit', s.diskFreeLimit),
    kv('disk_free', s.diskFree),
    kv('totals', [
      kv('virtual_host_count', s.totals.virtualHostCount),
      kv('connection_count', s.totals.connectionCount),
      kv('queue_count', s.totals.queueCount),
    ]),
    kv('listeners', s.listeners.map((l) => new Tuple([new Atom('listener'), new Atom(l.node), new Atom(l.protocol), l.port]))),
  ];
}

/** How rabbitmqctl names a resource alarm. */
export function alarmText(resource: string, node: string): string {
  return `${resource === 'disk' ? 'Free disk space' : 'Memory'} alarm on node ${node}`;
}

const status: Command = {
  name: 'status',
  section: 'Monitoring, observability and health checks',
  description: 'Displays status of a node',
  usage: 'status [--unit <unit>] [--timeout <timeout>]',
  argumentsHelp: [
    ['--unit <bytes | mb | gb>', 'byte multiple (bytes, megabytes, gigabytes) to use'],
    ['--formatter <json | erlang>', 'alternative formatter (JSON, Erlang terms)'],
  ],
  docGuides: ['https://rabbitmq.com/monitoring.html'],
  switches: { unit: { type: 'string' } },
  arity: { min: 0, max: 0 },
  requiresApp: 'running',
  validate(_args, switches) {
    if (switches.unit !== undefined && !isUnit(switches.unit)) {
      throw new ValidationError(`unit '${String(switches.unit)}' is not supported. Please use one of: bytes, mb, gb`);
    }
  },
  banner: ({ opts }) => [`Status of node ${opts.node} ...`],
  async run({ client, switches }) {
    const s = (await client.call('status')) as StatusData;
    const unit = isUnit(switches.unit) ? switches.unit : 'gb';
    return { kind: 'document', text: (b) => statusText(s, unit, b), json: statusJson(s), erlang: statusTerm(s) };
  },
};

export default status;
