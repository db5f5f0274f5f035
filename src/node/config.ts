// A Warren node's configuration: the typed WarrenConfig the node runs on, its defaults, and
// reading it from the rabbitmq.conf that RABBITMQ_CONFIG_FILE names. The file format is
// config-syntax.ts's, the keys and value checks config-schema.ts's; this module assembles the
// checked values into a WarrenConfig, as rabbit.schema's translations assemble RabbitMQ's.
//
// Names: each field is the camelCase of its rabbitmq.conf key (heartbeat -> heartbeat,
// disk_free_limit.absolute -> diskFreeLimit.absolute, log.file.level -> log.fileLevel); keys
// with a "$name" word become lists. Defaults are RabbitMQ 3.10's. Sizes are in bytes, times in
// milliseconds unless a field says otherwise.
//
// Any unknown key or bad value is an error: parseConfig and loadConfigFile throw one ConfigError
// naming every bad line as "file:line: message", in RabbitMQ's words plus the place (RabbitMQ
// names the key but not the line). The caller prints it and exits with CONFIG_ERROR_EXIT_CODE.

import { readFileSync } from 'node:fs';

import { LOG_FILE_LEVELS, LOG_LEVELS, checkEntries } from './config-schema.js';
import type { Listener, Settings } from './config-schema.js';
import { parseConfText } from './config-syntax.js';
import type { ConfigProblem } from './config-syntax.js';

export type { Listener } from './config-schema.js';
export type { ConfigProblem } from './config-syntax.js';

/** sysexits.h's EX_CONFIG. (RabbitMQ 3.10's VM exits 1 on a bad file, its start script 0.) */
export const CONFIG_ERROR_EXIT_CODE = 78;

export class ConfigError extends Error {
  readonly exitCode = CONFIG_ERROR_EXIT_CODE;

  constructor(
    readonly fileName: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      problems
        .map((p) => `${fileName}${p.line === undefined ? '' : `:${p.line}`}: ${p.message}`)
        .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFileLevel = (typeof LOG_FILE_LEVELS)[number];

export type PartitionHandling =
  | { strategy: 'ignore' | 'pause_minority' | 'autoheal' }
  | { strategy: 'pause_if_all_down'; nodes: string[]; recover: 'ignore' | 'autoheal' };

export interface WarrenConfig {
  /** The file the settings were read from; undefined when there was none. */
  configFile: string | undefined;

  /** listeners.tcp.$name (port, or ip:port); `listeners.tcp = none` for none. [{port: 5672}] */
  listeners: Listener[];
  /** num_acceptors.tcp. 10 */
  numAcceptors: number;
  /** handshake_timeout. 10000 */
  handshakeTimeout: number | 'infinity';
  /** reverse_dns_lookups. false */
  reverseDnsLookups: boolean;

  /** The users set true in loopback_users.$user; `loopback_users = none` for none. ['guest'] */
  loopbackUsers: string[];
  /** default_vhost. '/' */
  defaultVhost: string;
  /** default_user. 'guest' */
  defaultUser: string;
  /** default_pass. 'guest' */
  defaultPass: string;
  /** The tags set true in default_user_tags.$tag. ['administrator'] */
  defaultUserTags: string[];
  /** default_permissions.configure/read/write, all three or none. '.*' each */
  defaultPermissions: { configure: string; read: string; write: string };
  /** auth_mechanisms.$name. ['PLAIN', 'AMQPLAIN'] */
  authMechanisms: string[];

  /** heartbeat, in seconds. 60 */
  heartbeat: number;
  /** frame_max. 131072 */
  frameMax: number;
  /** channel_max. 2047 */
  channelMax: number;
  /** connection_max. 'infinity' */
  connectionMax: number | 'infinity';
  /** max_message_size. 134217728 (128 MiB) */
  maxMessageSize: number;

  /** disk_free_limit.absolute, or .relative to total memory, which wins. {absolute: 50000000} */
  diskFreeLimit: { absolute: number } | { relative: number };
  /** vm_memory_high_watermark.relative (which wins) or .absolute. {relative: 0.4} */
  vmMemoryHighWatermark: { relative: number } | { absolute: number };
  /** vm_memory_calculation_strategy. 'rss' */
  vmMemoryCalculationStrategy: 'rss' | 'erlang' | 'allocated' | 'legacy';

  log: {
    /** log.dir; undefined leaves it to RABBITMQ_LOG_BASE. */
    dir: string | undefined;
    /** log.file: a file name, or false for no log file; undefined for the node's default. */
    file: string | false | undefined;
    /** log.file.level. 'info' */
    fileLevel: LogFileLevel;
    /** log.console. false */
    console: boolean;
    /** log.console.level. 'info' */
    consoleLevel: LogLevel;
  };

  /** cluster_name; undefined for RabbitMQ's default, derived from the node name. */
  clusterName: string | undefined;
  /** cluster_partition_handling, and for pause_if_all_down its .nodes.$name and .recover. ignore */
  clusterPartitionHandling: PartitionHandling;
  /**
   * cluster_formation.classic_config.nodes.$node and cluster_formation.node_type ('disk' is read
   * as 'disc', as RabbitMQ does); undefined when no nodes are listed.
   */
  clusterFormation: { nodes: string[]; nodeType: 'disc' | 'ram' } | undefined;
  /** cluster_keepalive_interval. 10000 */
  clusterKeepaliveInterval: number;
  /** net_ticktime, in seconds. 60 (Erlang's default) */
  netTicktime: number;
  /** mnesia_table_loading_retry_timeout. 30000 */
  mnesiaTableLoadingRetryTimeout: number;
  /** mnesia_table_loading_retry_limit. 10 */
  mnesiaTableLoadingRetryLimit: number;
  /** queue_master_locator. 'client-local' */
  queueMasterLocator: 'client-local' | 'min-masters' | 'random';
  /** mirroring_sync_batch_size, in messages. 4096 */
  mirroringSyncBatchSize: number;
  /** collect_statistics_interval. 5000 */
  collectStatisticsInterval: number;
  /** consumer_timeout. 1800000 (30 minutes) */
  consumerTimeout: number;

  /** management.tcp.port. 15672 */
  management: { tcpPort: number };
}

export function defaultConfig(): WarrenConfig {
  return {
    configFile: undefined,
    listeners: [{ port: 5672 }],
    numAcceptors: 10,
    handshakeTimeout: 10000,
    reverseDnsLookups: false,
    loopbackUsers: ['guest'],
    defaultVhost: '/',
    defaultUser: 'guest',
    defaultPass: 'guest',
    defaultUserTags: ['administrator'],
    defaultPermissions: { configure: '.*', read: '.*', write: '.*' },
    authMechanisms: ['PLAIN', 'AMQPLAIN'],
    heartbeat: 60,
    frameMax: 131072,
    channelMax: 2047,
    connectionMax: 'infinity',
    maxMessageSize: 134217728,
    diskFreeLimit: { absolute: 50_000_000 },
    vmMemoryHighWatermark: { relative: 0.4 },
    vmMemoryCalculationStrategy: 'rss',
    log: {
      dir: undefined,
      file: undefined,
      fileLevel: 'info',
      console: false,
      consoleLevel: 'info',
    },
    clusterName: undefined,
    clusterPartitionHandling: { strategy: 'ignore' },
    clusterFormation: undefined,
    clusterKeepaliveInterval: 10000,
    netTicktime: 60,
    mnesiaTableLoadingRetryTimeout: 30000,
    mnesiaTableLoadingRetryLimit: 10,
    queueMasterLocator: 'client-local',
    mirroringSyncBatchSize: 4096,
    collectStatisticsInterval: 5000,
    consumerTimeout: 1_800_000,
    management: { tcpPort: 15672 },
  };
}

/** Parses rabbitmq.conf text; fileName is for messages. Throws ConfigError. */
export function parseConfig(text: string, fileName: string): WarrenConfig {
  const syntax = parseConfText(text.replace(/^\uFEFF/, ''));
  const checked = checkEntries(syntax.entries);
  const assembled = assemble(checked.settings, fileName);
  const problems = [...syntax.problems, ...checked.problems, ...assembled.problems];
  if (problems.length > 0) {
    throw new ConfigError(
      fileName,
      problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
    );
  }
  return assembled.config;
}

/**
 * Reads and parses a rabbitmq.conf. A file that does not exist gives the defaults, as RabbitMQ
 * starts without one ("Config file(s): (none)"); one that cannot be read is a ConfigError.
 */
export function loadConfigFile(path: string): WarrenConfig {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const error = err as NodeJS.ErrnoException;
    if (error.code === 'ENOENT') return defaultConfig();
    throw new ConfigError(path, [{ message: `Could not open file: ${error.message}` }]);
  }
  return parseConfig(decodeUtf8(bytes, path), path);
}

function decodeUtf8(bytes: Buffer, path: string): string {
  const strict = new TextDecoder('utf-8', { fatal: true });
  try {
    return strict.decode(bytes);
  } catch {
    const lines = bytes.toString('latin1').split('\n');
    const line = lines.findIndex((l) => {
      try {
        strict.decode(Buffer.from(l, 'latin1'));
        return false;
      } catch {
        return true;
      }
    });
    throw new ConfigError(path, [{ line: line + 1, message: 'The line is not valid UTF-8' }]);
  }
}

/** Builds the WarrenConfig from checked settings, and finds what no single line shows. */
function assemble(
  s: Settings,
  configFile: string,
): { config: WarrenConfig; problems: ConfigProblem[] } {
  const d = defaultConfig();
  const problems: ConfigProblem[] = [];
  const named = <T>(list: { value: T }[], fallback: T[]): T[] =>
    list.length > 0 ? list.map((e) => e.value) : fallback;
  const namesSetTrue = (list: { value: boolean; name: string }[], fallback: string[]) =>
    list.length > 0 ? list.filter((e) => e.value).map((e) => e.name) : fallback;

  // RabbitMQ's translation reads all three and fails ("badarg") when one is missing.
  const permissionKeys = ['configure', 'read', 'write'] as const;
  const permissions = permissionKeys.map((k) => s.get(`default_permissions.${k}`));
  const firstPermission = permissions.find((p) => p !== undefined);
  if (firstPermission && permissions.some((p) => p === undefined)) {
    problems.push({
      line: firstPermission.line,
      message:
        'default_permissions.configure, default_permissions.read and default_permissions.write ' +
        'must be set together; missing: ' +
        permissionKeys
          .filter((_, i) => permissions[i] === undefined)
          .map((k) => `default_permissions.${k}`)
          .join(', '),
    });
  }
  const [configure, read, write] = permissions;

  const diskRelative = s.get('disk_free_limit.relative');
  const diskAbsolute = s.get('disk_free_limit.absolute');
  const memoryRelative = s.get('vm_memory_high_watermark.relative');
  const memoryAbsolute = s.get('vm_memory_high_watermark.absolute');

  const logFile = s.get('log.file')?.value;

  const nodes = s.all('cluster_formation.classic_config.nodes.$node').map((e) => e.value);
  const nodeType = s.get('cluster_formation.node_type')?.value ?? 'disc';

  const config: WarrenConfig = {
    configFile,
    listeners:
      s.get('listeners.tcp')?.value === 'none'
        ? []
        : named(s.all('listeners.tcp.$name'), d.listeners),
    numAcceptors: s.get('num_acceptors.tcp')?.value ?? d.numAcceptors,
    handshakeTimeout: s.get('handshake_timeout')?.value ?? d.handshakeTimeout,
    reverseDnsLookups: s.get('reverse_dns_lookups')?.value ?? d.reverseDnsLookups,
    loopbackUsers:
      s.get('loopback_users')?.value === 'none'
        ? []
        : namesSetTrue(s.all('loopback_users.$user'), d.loopbackUsers),
    defaultVhost: s.get('default_vhost')?.value ?? d.defaultVhost,
    defaultUser: s.get('default_user')?.value ?? d.defaultUser,
    defaultPass: s.get('default_pass')?.value ?? d.defaultPass,
    defaultUserTags: namesSetTrue(s.all('default_user_tags.$tag'), d.defaultUserTags),
    defaultPermissions:
      configure && read && write
        ? { configure: configure.value, read: read.value, write: write.value }
        : d.defaultPermissions,
    authMechanisms: named(s.all('auth_mechanisms.$name'), d.authMechanisms),
    heartbeat: s.get('heartbeat')?.value ?? d.heartbeat,
    frameMax: s.get('frame_max')?.value ?? d.frameMax,
    channelMax: s.get('channel_max')?.value ?? d.channelMax,
    connectionMax: s.get('connection_max')?.value ?? d.connectionMax,
    maxMessageSize: s.get('max_message_size')?.value ?? d.maxMessageSize,
    diskFreeLimit: diskRelative
      ? { relative: diskRelative.value }
      : diskAbsolute
        ? { absolute: diskAbsolute.value }
        : d.diskFreeLimit,
    vmMemoryHighWatermark: memoryRelative
      ? { relative: memoryRelative.value }
      : memoryAbsolute
        ? { absolute: memoryAbsolute.value }
        : d.vmMemoryHighWatermark,
    vmMemoryCalculationStrategy:
      s.get('vm_memory_calculation_strategy')?.value ?? d.vmMemoryCalculationStrategy,
    log: {
      dir: s.get('log.dir')?.value,
      file: logFile === 'false' ? false : logFile,
      fileLevel: s.get('log.file.level')?.value ?? d.log.fileLevel,
      console: s.get('log.console')?.value ?? d.log.console,
      consoleLevel: s.get('log.console.level')?.value ?? d.log.consoleLevel,
    },
    clusterName: s.get('cluster_name')?.value,
    clusterPartitionHandling: partitionHandling(s, problems),
    clusterFormation:
      nodes.length > 0 ? { nodes, nodeType: nodeType === 'ram' ? 'ram' : 'disc' } : undefined,
    clusterKeepaliveInterval:
      s.get('cluster_keepalive_interval')?.value ?? d.clusterKeepaliveInterval,
    netTicktime: s.get('net_ticktime')?.value ?? d.netTicktime,
    mnesiaTableLoadingRetryTimeout:
      s.get('mnesia_table_loading_retry_timeout')?.value ?? d.mnesiaTableLoadingRetryTimeout,
    mnesiaTableLoadingRetryLimit:
      s.get('mnesia_table_loading_retry_limit')?.value ?? d.mnesiaTableLoadingRetryLimit,
    queueMasterLocator: s.get('queue_master_locator')?.value ?? d.queueMasterLocator,
    mirroringSyncBatchSize: s.get('mirroring_sync_batch_size')?.value ?? d.mirroringSyncBatchSize,
    collectStatisticsInterval:
      s.get('collect_statistics_interval')?.value ?? d.collectStatisticsInterval,
    consumerTimeout: s.get('consumer_timeout')?.value ?? d.consumerTimeout,
    management: { tcpPort: s.get('management.tcp.port')?.value ?? d.management.tcpPort },
  };
  return { config, problems };
}

// pause_if_all_down needs its nodes and its recover strategy; RabbitMQ's messages.
function partitionHandling(s: Settings, problems: ConfigProblem[]): PartitionHandling {
  const handling = s.get('cluster_partition_handling');
  if (handling?.value !== 'pause_if_all_down') return { strategy: handling?.value ?? 'ignore' };
  const nodes = s.all('cluster_partition_handling.pause_if_all_down.nodes.$name');
  const recover = s.get('cluster_partition_handling.pause_if_all_down.recover');
  const invalid = (why: string) =>
    problems.push({ line: handling.line, message: `cluster_partition_handling invalid, ${why}` });
  if (nodes.length === 0) invalid('Nodes required for pause_if_all_down');
  if (!recover) invalid('Recover strategy required for pause_if_all_down');
  return {
    strategy: 'pause_if_all_down',
    nodes: nodes.map((n) => n.value),
    recover: recover?.value ?? 'ignore',
  };
}
