// Where a node lives: its name, ports, data, log, pid and config paths, read from the
// environment variables RabbitMQ's own scripts use, with RabbitMQ's defaults and derivations
// (distribution port = AMQP port + 20000, data dir = mnesia base / node name, ...).

import os from 'node:os';
import path from 'node:path';
import { homeDir } from '../control/cookie.js';
import { epmdPortFromEnv } from './portmapper-client.js';

export interface NodeEnv {
  nodeName: string;
  amqpPort: number;
  distPort: number;
  epmdPort: number;
  mnesiaBase: string;
  dataDir: string;
  logBase: string;
  logFile: string;
  pidFile: string;
  configFile: string | undefined;
  enabledPluginsFile: string;
  longNames: boolean;
}

export class EnvError extends Error {}

export function shortHostname(): string {
  return os.hostname().split('.')[0];
}

export function longHostname(): string {
  return os.hostname();
}

/** `rabbit` -> `rabbit@<host>`; a name with a host part is kept as it is. */
export function qualifyNodeName(name: string, longNames: boolean): string {
  if (name.includes('@')) return name;
  return `${name}@${longNames ? longHostname() : shortHostname()}`;
}

function port(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new EnvError(`${key} must be a port number, got '${raw}'`);
  return n;
}

export function readNodeEnv(env: NodeJS.ProcessEnv = process.env): NodeEnv {
  const longNames = env.RABBITMQ_USE_LONGNAME === 'true';
  const nodeName = qualifyNodeName(env.RABBITMQ_NODENAME || 'rabbit', longNames);
  const amqpPort = port(env, 'RABBITMQ_NODE_PORT', 5672);
  const distPort = port(env, 'RABBITMQ_DIST_PORT', amqpPort + 20000);
  const base = env.RABBITMQ_BASE || path.join(homeDir(env), '.warren');
  const mnesiaBase = path.resolve(env.RABBITMQ_MNESIA_BASE || path.join(base, 'mnesia'));
  const dataDir = path.resolve(env.RABBITMQ_MNESIA_DIR || path.join(mnesiaBase, nodeName));
  const logBase = path.resolve(env.RABBITMQ_LOG_BASE || path.join(base, 'log'));
  const configFile = env.RABBITMQ_CONFIG_FILE ? path.resolve(withConfExtension(env.RABBITMQ_CONFIG_FILE)) : undefined;
  return {
    nodeName,
    amqpPort,
    distPort,
    epmdPort: epmdPortFromEnv(env),
    mnesiaBase,
    dataDir,
    logBase,
    logFile: path.join(logBase, `${nodeName}.log`),
    pidFile: path.resolve(env.RABBITMQ_PID_FILE || `${dataDir}.pid`),
    configFile,
    enabledPluginsFile: path.resolve(env.RABBITMQ_ENABLED_PLUGINS_FILE || path.join(base, 'enabled_plugins')),
    longNames,
  };
}

/** RabbitMQ accepts RABBITMQ_CONFIG_FILE with or without the `.conf` extension. */
function withConfExtension(file: string): string {
  return path.extname(file) === '' ? `${file}.conf` : file;
}
