// The settings a Warren node accepts in rabbitmq.conf: each key, the type of its value and the
// checks on it, as RabbitMQ 3.10's rabbit.schema declares them (key names, datatypes, validator
// rules and their messages are RabbitMQ's, so that a file RabbitMQ accepts reads the same here).
// It turns parsed lines into typed values, or into problems; config.ts assembles the values into
// a WarrenConfig. A "$name" word in a key stands for any one word, as in RabbitMQ's schema, and
// an exact key wins over one with a "$name" word.
//
// Warren is stricter than RabbitMQ in a few places, each marked "stricter": where RabbitMQ
// accepts a value at start-up that can only misbehave later (a negative heartbeat, port 70000,
// "50XB" as a disk limit, which RabbitMQ logs and then ignores), Warren refuses it up front.

import { isIP } from 'node:net';

import type { ConfEntry, ConfigProblem } from './config-syntax.js';
import { parseInformationUnit } from './information-units.js';

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
type Datatype<T> = (raw: string) => Parsed<T>;
/** Returns what is wrong with a value, in RabbitMQ's words where it has some. */
type Validator<T> = (value: T) => string | undefined;

interface Setting<T> {
  datatype: Datatype<T>;
  validators: Validator<T>[];
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(reason: string): Parsed<T> => ({ ok: false, reason });
const quote = (raw: string): string => JSON.stringify(raw);

function setting<T>(datatype: Datatype<T>, ...validators: Validator<T>[]): Setting<T> {
  return { datatype, validators };
}

// --- Datatypes: what cuttlefish's datatypes of the same names accept, and its error texts.

const integer: Datatype<number> = (raw) => {
  if (!/^[+-]?\d+$/.test(raw)) return fail(`${quote(raw)} cannot be converted to a(n) integer`);
  const value = Number(raw);
  // Erlang integers are unbounded; a JS number is exact only up to 2^53.
  return Number.isSafeInteger(value) ? ok(value) : fail(`${raw} is too large`);
};

// Cuttlefish's float wants digits on both sides of the point: "1" and ".5" are refused.
const float: Datatype<number> = (raw) =>
  /^[+-]?\d+\.\d+(?:[eE][+-]?\d+)?$/.test(raw)
    ? ok(Number(raw))
    : fail(`${quote(raw)} cannot be converted to a(n) float`);

function enumOf<const V extends string>(values: readonly V[]): Datatype<V> {
  return (raw) =>
    (values as readonly string[]).includes(raw)
      ? ok(raw as V)
      : fail(
          `${quote(raw)} is not a valid enum value, acceptable values are: ${values.join(', ')}`,
        );
}

const trueOrFalse = enumOf(['true', 'false']);
const boolean: Datatype<boolean> = (raw) => {
  const parsed = trueOrFalse(raw);
  return parsed.ok ? ok(parsed.value === 'true') : parsed;
};

const string: Datatype<string> = (raw) => ok(raw);

function atom<const A extends string>(name: A): Datatype<A> {
  return (raw) => (raw === name ? ok(name) : fail(`${quote(raw)} is not accepted value: ${name}`));
}

/** Tries each datatype in turn, as cuttlefish does for a list of datatypes. */
function oneOf<A, B>(first: Datatype<A>, second: Datatype<B>): Datatype<A | B> {
  return (raw) => {
    const a = first(raw);
    if (a.ok) return a;
    const b = second(raw);
    return b.ok ? b : fail(`${a.reason}; ${b.reason}`);
  };
}

/** Cuttlefish's "ip": an IPv4 or IPv6 address, a colon, and a port (IPv6 without brackets). */
const ipAndPort: Datatype<{ ip: string; port: number }> = (raw) => {
  const colon = raw.lastIndexOf(':');
  const ip = raw.slice(0, colon);
  const port = raw.slice(colon + 1);
  return colon > 0 && isIP(ip) !== 0 && /^\+?\d+$/.test(port)
    ? ok({ ip, port: Number(port) })
    : fail(`${quote(raw)} cannot be converted to a(n) IP`);
};

export interface Listener {
  ip?: string;
  port: number;
}

const listener: Datatype<Listener> = (raw) => {
  const parsed = oneOf(integer, ipAndPort)(raw);
  if (!parsed.ok) return parsed;
  return ok(typeof parsed.value === 'number' ? { port: parsed.value } : parsed.value);
};

// Cuttlefish's bytesize: a number, optionally with KB, MB or GB (either all capitals or all
// lower case), which it takes as powers of 1024.
const BYTESIZE_UNITS: Record<string, number> = {
  '': 1,
  KB: 1024,
  kb: 1024,
  MB: 1024 ** 2,
  mb: 1024 ** 2,
  GB: 1024 ** 3,
  gb: 1024 ** 3,
};

const bytesize: Datatype<number> = (raw) => {
  const match = /^([+-]?(?:\d+|\d*\.\d+))(KB|kb|MB|mb|GB|gb)?$/.exec(raw);
  const value = match ? Number(match[1]) * BYTESIZE_UNITS[match[2] ?? '']! : NaN;
  return Number.isSafeInteger(value)
    ? ok(value)
    : fail(`Error converting value ${quote(raw)} to a number of bytes`);
};

// The absolute memory and disk limits are not cuttlefish bytesizes: RabbitMQ keeps the text and
// reads it with its own unit table (information-units.ts). A value it cannot read RabbitMQ logs
// and ignores; Warren refuses it (stricter).
const informationUnit: Datatype<number> = (raw) => {
  const value = parseInformationUnit(raw);
  return value !== undefined
    ? ok(value)
    : fail(
        `${quote(raw)} cannot be converted to a number of bytes (write bytes, or a whole number ` +
          'with one of the units kB, MB, GB for powers of 1000 or k, kiB, M, MiB, G, GiB for ' +
          'powers of 1024)',
      );
};

// RabbitMQ takes any atom here and fails later, when it tries to reach the node.
const nodeName: Datatype<string> = (raw) =>
  /^[^@\s]+@[^@\s]+$/.test(raw)
    ? ok(raw)
    : fail(`${quote(raw)} is not a node name of the form name@host`);

// RabbitMQ takes any module name; Warren only forms clusters from a list of nodes in this file.
const CLASSIC_CONFIG_NAMES = [
  'classic_config',
  'classic',
  'config',
  'rabbit_peer_discovery_classic_config',
];
const peerDiscoveryBackend: Datatype<'classic_config'> = (raw) =>
  CLASSIC_CONFIG_NAMES.includes(raw)
    ? ok('classic_config')
    : fail(
        `${quote(raw)} is not supported: Warren forms clusters only from ` +
          'cluster_formation.classic_config.nodes (peer_discovery_backend = classic_config)',
      );

// --- Validators. The first four are RabbitMQ's, with its messages.

const nonNegativeInteger: Validator<number> = (n) =>
  n >= 0 ? undefined : 'number should be greater or equal to zero';
const nonZeroPositiveInteger: Validator<number> = (n) =>
  n >= 1 ? undefined : 'number should be greater or equal to one';
const maxMessageSize: Validator<number> = (n) =>
  n > 0 && n <= 512 * 1024 * 1024 ? undefined : 'Max message size should be between 0 and 512MB';
const mirroringSyncBatchSize: Validator<number> = (n) =>
  n > 0 && n <= 1_000_000 ? undefined : 'Batch size should be greater than 0 and less than 1M';

const positiveNumber: Validator<number> = (n) =>
  n > 0 ? undefined : 'number should be greater than zero';
const portNumber: Validator<number> = (port) =>
  port >= 1 && port <= 65535 ? undefined : `port ${port} should be between 1 and 65535`;
const listenerPort: Validator<Listener> = (l) => portNumber(l.port);
const nonNegativeOrInfinity: Validator<number | 'infinity'> = (n) =>
  n === 'infinity' ? undefined : nonNegativeInteger(n);

export const LOG_LEVELS = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
  'none',
] as const;
// The file output also takes RabbitMQ's level filters ("=debug" for debug only, and so on).
export const LOG_FILE_LEVELS = [
  '=debug',
  'debug',
  'info',
  '!=info',
  'notice',
  '<=notice',
  '<warning',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
  'none',
] as const;

const SCHEMA = {
  'listeners.tcp': setting(enumOf(['none'])),
  'listeners.tcp.$name': setting(listener, listenerPort), // port range: stricter
  'num_acceptors.tcp': setting(integer, nonZeroPositiveInteger), // stricter
  handshake_timeout: setting(oneOf(atom('infinity'), integer), nonNegativeOrInfinity), // stricter
  reverse_dns_lookups: setting(boolean),

  loopback_users: setting(enumOf(['none'])),
  // RabbitMQ takes any word and counts only "true"; Warren wants true or false (stricter).
  'loopback_users.$user': setting(boolean),
  default_vhost: setting(string),
  default_user: setting(string),
  default_pass: setting(string),
  'default_user_tags.$tag': setting(boolean),
  'default_permissions.configure': setting(string),
  'default_permissions.read': setting(string),
  'default_permissions.write': setting(string),
  'auth_mechanisms.$name': setting(string),

  heartbeat: setting(integer, nonNegativeInteger), // stricter
  frame_max: setting(bytesize, nonNegativeInteger), // stricter
  channel_max: setting(integer, nonNegativeInteger), // stricter
  connection_max: setting(oneOf(atom('infinity'), integer), nonNegativeOrInfinity), // stricter
  max_message_size: setting(integer, maxMessageSize),

  'vm_memory_high_watermark.relative': setting(float, positiveNumber), // stricter
  'vm_memory_high_watermark.absolute': setting(informationUnit),
  vm_memory_calculation_strategy: setting(enumOf(['rss', 'erlang', 'allocated', 'legacy'])),
  'disk_free_limit.relative': setting(float, positiveNumber), // stricter
  'disk_free_limit.absolute': setting(informationUnit),

  'log.dir': setting(string),
  'log.file': setting(oneOf(enumOf(['false']), string)),
  'log.file.level': setting(enumOf(LOG_FILE_LEVELS)),
  'log.console': setting(boolean),
  'log.console.level': setting(enumOf(LOG_LEVELS)),

  cluster_name: setting(string),
  cluster_partition_handling: setting(
    enumOf(['ignore', 'pause_minority', 'autoheal', 'pause_if_all_down']),
  ),
  'cluster_partition_handling.pause_if_all_down.recover': setting(enumOf(['ignore', 'autoheal'])),
  'cluster_partition_handling.pause_if_all_down.nodes.$name': setting(nodeName),
  'cluster_formation.peer_discovery_backend': setting(peerDiscoveryBackend),
  'cluster_formation.classic_config.nodes.$node': setting(nodeName),
  'cluster_formation.node_type': setting(enumOf(['disc', 'disk', 'ram'])),
  cluster_keepalive_interval: setting(integer, nonNegativeInteger), // stricter
  // RabbitMQ's schema maps this straight to the Erlang kernel's net_ticktime, in seconds.
  net_ticktime: setting(integer, nonZeroPositiveInteger),
  mnesia_table_loading_retry_timeout: setting(integer, nonNegativeInteger), // stricter
  mnesia_table_loading_retry_limit: setting(integer, nonNegativeInteger), // stricter
  // RabbitMQ takes any text and checks it when a queue is declared (stricter).
  queue_master_locator: setting(enumOf(['client-local', 'min-masters', 'random'])),
  mirroring_sync_batch_size: setting(bytesize, mirroringSyncBatchSize),
  collect_statistics_interval: setting(integer, nonZeroPositiveInteger), // stricter
  consumer_timeout: setting(integer, nonZeroPositiveInteger),

  // From the management plugin's schema; read now so that a file with it starts the node.
  'management.tcp.port': setting(integer, portNumber), // port range: stricter
};

type Schema = typeof SCHEMA;
type SettingKey = keyof Schema;
type WildcardKey = Extract<SettingKey, `${string}$${string}`>;
type ExactKey = Exclude<SettingKey, WildcardKey>;
type ValueOf<K extends SettingKey> = Schema[K] extends Setting<infer T> ? T : never;

/** A checked value, the line that set it, and for a "$name" key the word that stood for $name. */
export interface Checked<T> {
  value: T;
  line: number;
  name: string;
}

/** The settings a file made, typed by key. */
export class Settings {
  constructor(private readonly byPattern: ReadonlyMap<SettingKey, Checked<unknown>[]>) {}

  get<K extends ExactKey>(key: K): Checked<ValueOf<K>> | undefined {
    return this.byPattern.get(key)?.[0] as Checked<ValueOf<K>> | undefined;
  }

  /** Every setting of a "$name" key, in the order of the file. */
  all<K extends WildcardKey>(key: K): Checked<ValueOf<K>>[] {
    return (this.byPattern.get(key) ?? []) as Checked<ValueOf<K>>[];
  }
}

const PATTERNS = (Object.keys(SCHEMA) as SettingKey[]).map((key) => ({
  key,
  words: key.split('.'),
}));

function findPattern(words: string[]): { key: SettingKey; name: string } | undefined {
  const candidates = PATTERNS.filter(
    (p) =>
      p.words.length === words.length &&
      p.words.every((w, i) => w === words[i] || w.startsWith('$')),
  );
  const exact = candidates.find((p) => !p.key.includes('$'));
  const chosen = exact ?? candidates[0];
  if (!chosen) return undefined;
  const wildcard = chosen.words.findIndex((w) => w.startsWith('$'));
  return { key: chosen.key, name: wildcard < 0 ? '' : words[wildcard]! };
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** RabbitMQ's three suggestions: the nearest keys by edit distance, ties in name order. */
function suggestions(keyText: string): string[] {
  return PATTERNS.map((p) => ({ key: p.key, distance: levenshtein(keyText, p.key) }))
    .sort((x, y) => x.distance - y.distance || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
    .slice(0, 3)
    .map((s) => s.key);
}

/** Looks each entry up in the schema and converts and validates its value. */
export function checkEntries(entries: ConfEntry[]): {
  settings: Settings;
  problems: ConfigProblem[];
} {
  const byPattern = new Map<SettingKey, Checked<unknown>[]>();
  const problems: ConfigProblem[] = [];
  for (const entry of entries) {
    const found = findPattern(entry.key);
    if (!found) {
      problems.push({
        line: entry.line,
        message: [
          `You've tried to set ${entry.keyText}, but there is no setting with that name.`,
          '  Did you mean one of these?',
          ...suggestions(entry.keyText).map((s) => `    ${s}`),
        ].join('\n'),
      });
      continue;
    }
    const { datatype, validators } = SCHEMA[found.key] as Setting<unknown>;
    const parsed = datatype(entry.value);
    if (!parsed.ok) {
      problems.push({
        line: entry.line,
        message: `Error transforming datatype for ${entry.keyText}: ${parsed.reason}`,
      });
      continue;
    }
    const invalid = validators.map((v) => v(parsed.value)).find((m) => m !== undefined);
    if (invalid !== undefined) {
      problems.push({ line: entry.line, message: `${entry.keyText} invalid, ${invalid}` });
      continue;
    }
    const list = byPattern.get(found.key) ?? [];
    list.push({ value: parsed.value, line: entry.line, name: found.name });
    byPattern.set(found.key, list);
  }
  return { settings: new Settings(byPattern), problems };
}
