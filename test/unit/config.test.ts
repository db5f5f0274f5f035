import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import {
  CONFIG_ERROR_EXIT_CODE,
  ConfigError,
  defaultConfig,
  loadConfigFile,
  parseConfig,
} from '../../src/node/config.js';

const FILE = '/etc/rabbitmq/rabbitmq.conf';
const parse = (...lines: string[]) => parseConfig(lines.join('\n') + '\n', FILE);

/** The ConfigError that parsing these lines throws. */
function errorFor(...lines: string[]): ConfigError {
  try {
    parse(...lines);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for: ${lines.join(' | ')}`);
}

describe('defaults', () => {
  it('are RabbitMQ 3.10 defaults', () => {
    expect(defaultConfig()).toEqual({
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
      diskFreeLimit: { absolute: 50000000 },
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
      consumerTimeout: 1800000,
      management: { tcpPort: 15672 },
    });
  });

  it('are fresh objects on each call', () => {
    const a = defaultConfig();
    a.listeners.push({ port: 1 });
    expect(defaultConfig().listeners).toEqual([{ port: 5672 }]);
  });

  it('are what an empty or comment-only file gives, with the file named', () => {
    expect(parseConfig('', FILE)).toEqual({ ...defaultConfig(), configFile: FILE });
    expect(parse('# nothing here', '', '   ', '\t')).toEqual({
      ...defaultConfig(),
      configFile: FILE,
    });
  });
});

describe('every key', () => {
  it('parses to its normalised value', () => {
    const config = parse(
      'listeners.tcp.default = 5673',
      'num_acceptors.tcp = 4',
      'handshake_timeout = 5000',
      'reverse_dns_lookups = true',
      'loopback_users.guest = false',
      'loopback_users.admin = true',
      'default_vhost = /prod',
      'default_user = admin',
      'default_pass = s3cret',
      'default_user_tags.administrator = true',
      'default_user_tags.monitoring = true',
      'default_permissions.configure = ^$',
      'default_permissions.read = .*',
      'default_permissions.write = ^amq\\.',
      'auth_mechanisms.1 = PLAIN',
      'heartbeat = 30',
      'frame_max = 65536',
      'channel_max = 100',
      'connection_max = 1000',
      'max_message_size = 1048576',
      'disk_free_limit.absolute = 1GB',
      'vm_memory_high_watermark.relative = 0.6',
      'vm_memory_calculation_strategy = allocated',
      'log.dir = /var/log/warren',
      'log.file = warren.log',
      'log.file.level = debug',
      'log.console = true',
      'log.console.level = warning',
      'cluster_name = prod',
      'cluster_partition_handling = pause_minority',
      'cluster_formation.peer_discovery_backend = classic_config',
      'cluster_formation.classic_config.nodes.1 = rabbit@host1',
      'cluster_formation.classic_config.nodes.2 = rabbit@host2',
      'cluster_formation.node_type = ram',
      'cluster_keepalive_interval = 5000',
      'net_ticktime = 120',
      'mnesia_table_loading_retry_timeout = 1000',
      'mnesia_table_loading_retry_limit = 3',
      'queue_master_locator = min-masters',
      'mirroring_sync_batch_size = 1024',
      'collect_statistics_interval = 10000',
      'consumer_timeout = 900000',
      'management.tcp.port = 15673',
    );
    expect(config).toEqual({
      configFile: FILE,
      listeners: [{ port: 5673 }],
      numAcceptors: 4,
      handshakeTimeout: 5000,
      reverseDnsLookups: true,
      loopbackUsers: ['admin'],
      defaultVhost: '/prod',
      defaultUser: 'admin',
      defaultPass: 's3cret',
      defaultUserTags: ['administrator', 'monitoring'],
      defaultPermissions: { configure: '^$', read: '.*', write: '^amq\\.' },
      authMechanisms: ['PLAIN'],
      heartbeat: 30,
      frameMax: 65536,
      channelMax: 100,
      connectionMax: 1000,
      maxMessageSize: 1048576,
      diskFreeLimit: { absolute: 1_000_000_000 },
      vmMemoryHighWatermark: { relative: 0.6 },
      vmMemoryCalculationStrategy: 'allocated',
      log: {
        dir: '/var/log/warren',
        file: 'warren.log',
        fileLevel: 'debug',
        console: true,
        consoleLevel: 'warning',
      },
      clusterName: 'prod',
      clusterPartitionHandling: { strategy: 'pause_minority' },
      clusterFormation: { nodes: ['rabbit@host1', 'rabbit@host2'], nodeType: 'ram' },
      clusterKeepaliveInterval: 5000,
      netTicktime: 120,
      mnesiaTableLoadingRetryTimeout: 1000,
      mnesiaTableLoadingRetryLimit: 3,
      queueMasterLocator: 'min-masters',
      mirroringSyncBatchSize: 1024,
      collectStatisticsInterval: 10000,
      consumerTimeout: 900000,
      management: { tcpPort: 15673 },
    });
  });

  it('takes "infinity" where RabbitMQ does', () => {
    const config = parse('handshake_timeout = infinity', 'connection_max = infinity');
    expect(config.handshakeTimeout).toBe('infinity');
    expect(config.connectionMax).toBe('infinity');
  });

  it('reads log.file = false as no log file', () => {
    expect(parse('log.file = false').log.file).toBe(false);
  });

  it('accepts every name RabbitMQ has for classic config peer discovery', () => {
    for (const name of [
      'classic_config',
      'classic',
      'config',
      'rabbit_peer_discovery_classic_config',
    ]) {
      expect(() => parse(`cluster_formation.peer_discovery_backend = ${name}`)).not.toThrow();
    }
  });

  it('reads node_type disk as disc, and defaults it to disc', () => {
    const nodes = 'cluster_formation.classic_config.nodes.1 = rabbit@a';
    expect(parse(nodes, 'cluster_formation.node_type = disk').clusterFormation).toEqual({
      nodes: ['rabbit@a'],
      nodeType: 'disc',
    });
    expect(parse(nodes).clusterFormation?.nodeType).toBe('disc');
    expect(parse('cluster_formation.node_type = ram').clusterFormation).toBeUndefined();
  });

  it('reads pause_if_all_down with its nodes and recover strategy', () => {
    const config = parse(
      'cluster_partition_handling = pause_if_all_down',
      'cluster_partition_handling.pause_if_all_down.recover = autoheal',
      'cluster_partition_handling.pause_if_all_down.nodes.a = rabbit@a',
      'cluster_partition_handling.pause_if_all_down.nodes.b = rabbit@b',
    );
    expect(config.clusterPartitionHandling).toEqual({
      strategy: 'pause_if_all_down',
      nodes: ['rabbit@a', 'rabbit@b'],
      recover: 'autoheal',
    });
  });
});

describe('listeners', () => {
  it('take a port or an IPv4 or IPv6 address and port, in file order', () => {
    const config = parse(
      'listeners.tcp.default = 5672',
      'listeners.tcp.local = 127.0.0.1:5673',
      'listeners.tcp.local_v6 = ::1:5674',
    );
    expect(config.listeners).toEqual([
      { port: 5672 },
      { ip: '127.0.0.1', port: 5673 },
      { ip: '::1', port: 5674 },
    ]);
  });

  it('are none with listeners.tcp = none, whatever else is set', () => {
    expect(parse('listeners.tcp = none', 'listeners.tcp.default = 5672').listeners).toEqual([]);
  });
});

describe('loopback users and tags', () => {
  it('keep only the names set true, and none with loopback_users = none', () => {
    expect(parse('loopback_users.guest = false').loopbackUsers).toEqual([]);
    expect(parse('loopback_users.bob = true', 'loopback_users.guest = true').loopbackUsers).toEqual(
      ['bob', 'guest'],
    );
    expect(parse('loopback_users = none', 'loopback_users.bob = true').loopbackUsers).toEqual([]);
    expect(parse('default_user_tags.administrator = false').defaultUserTags).toEqual([]);
  });

  it('read "\\." in a key as a dot inside the name', () => {
    expect(parse('loopback_users.first\\.last = true').loopbackUsers).toEqual(['first.last']);
  });
});

describe('sizes', () => {
  it.each([
    ['1000000', 1_000_000],
    ['50MB', 50_000_000],
    ['1GB', 1_000_000_000],
    ['2GiB', 2 * 1024 ** 3],
    ['2G', 2 * 1024 ** 3],
    ['512kB', 512_000],
    ['512KiB', 512 * 1024],
    ['512k', 512 * 1024],
    ['100MiB', 100 * 1024 ** 2],
    ['100M', 100 * 1024 ** 2],
  ])('disk_free_limit.absolute = %s is %d bytes', (text, bytes) => {
    expect(parse(`disk_free_limit.absolute = ${text}`).diskFreeLimit).toEqual({ absolute: bytes });
  });

  it('read the memory watermark with the same units', () => {
    expect(parse('vm_memory_high_watermark.absolute = 2GiB').vmMemoryHighWatermark).toEqual({
      absolute: 2 * 1024 ** 3,
    });
  });

  it('prefer relative to absolute when both are set, as RabbitMQ does', () => {
    const config = parse(
      'disk_free_limit.absolute = 1GB',
      'disk_free_limit.relative = 1.5',
      'vm_memory_high_watermark.absolute = 1GB',
      'vm_memory_high_watermark.relative = 0.5',
    );
    expect(config.diskFreeLimit).toEqual({ relative: 1.5 });
    expect(config.vmMemoryHighWatermark).toEqual({ relative: 0.5 });
  });

  it('take cuttlefish byte sizes, powers of 1024, for frame_max and the sync batch', () => {
    expect(parse('frame_max = 1MB').frameMax).toBe(1024 * 1024);
    expect(parse('frame_max = 128kb').frameMax).toBe(128 * 1024);
    expect(parse('frame_max = 1.5MB').frameMax).toBe(1.5 * 1024 * 1024);
    expect(parse('mirroring_sync_batch_size = 2KB').mirroringSyncBatchSize).toBe(2048);
  });
});

describe('file format', () => {
  it('skips comments, including after a value, and a "#" always starts one', () => {
    const config = parse(
      '# a comment',
      '   # an indented comment',
      'heartbeat = 30 # seconds',
      'default_pass = abc#def',
      "cluster_name = 'a#b'",
    );
    expect(config.heartbeat).toBe(30);
    expect(config.defaultPass).toBe('abc');
    // cuttlefish has no quoting: the quote is part of the value
    expect(config.clusterName).toBe("'a");
  });

  it('trims spaces and tabs, keeps "=" and spaces inside a value, and takes CRLF', () => {
    const config = parseConfig(
      '\theartbeat\t=\t25\t\r\ndefault_pass=a=b c \r\ncluster_name   =   my cluster\r\n',
      FILE,
    );
    expect(config.heartbeat).toBe(25);
    expect(config.defaultPass).toBe('a=b c');
    expect(config.clusterName).toBe('my cluster');
  });

  it('lets the last of repeated keys win, and checks only that one', () => {
    expect(parse('heartbeat = 10', 'heartbeat = 20').heartbeat).toBe(20);
    expect(parse('heartbeat = abc', 'heartbeat = 20').heartbeat).toBe(20);
    expect(
      parse('loopback_users.guest = true', 'loopback_users.guest = false').loopbackUsers,
    ).toEqual([]);
    expect(errorFor('heartbeat = 20', '', 'heartbeat = abc').message).toMatch(
      new RegExp(`^${FILE}:3: `),
    );
  });

  it('ignores a byte order mark', () => {
    expect(parseConfig('\uFEFFheartbeat = 5\n', FILE).heartbeat).toBe(5);
  });
});

describe('errors', () => {
  it('carry exit code 78 and every problem with its line', () => {
    const error = errorFor('heartbeat = abc', 'channel_max = 1', 'nope = 1');
    expect(error.exitCode).toBe(CONFIG_ERROR_EXIT_CODE);
    expect(CONFIG_ERROR_EXIT_CODE).toBe(78);
    expect(error.name).toBe('ConfigError');
    expect(error.fileName).toBe(FILE);
    expect(error.problems.map((p) => p.line)).toEqual([1, 3]);
  });

  it('name an unknown key, its line, and the nearest keys', () => {
    expect(errorFor('# comment', 'heartbeet = 10').message).toBe(
      [
        `${FILE}:2: You've tried to set heartbeet, but there is no setting with that name.`,
        '  Did you mean one of these?',
        '    heartbeat',
        '    default_user',
        '    frame_max',
      ].join('\n'),
    );
  });

  it('suggest keys with a "$name" word as RabbitMQ writes them', () => {
    expect(errorFor('listener.tcp.default = 5672').message).toContain('    listeners.tcp.$name');
  });

  it('treat a key that only starts like a known one as unknown', () => {
    expect(errorFor('heartbeat.extra = 1').message).toContain(
      "You've tried to set heartbeat.extra",
    );
    expect(errorFor('listeners.tcp.a.b = 1').message).toContain('set listeners.tcp.a.b,');
  });

  it.each([
    [
      'reverse_dns_lookups = yes',
      '"yes" is not a valid enum value, acceptable values are: true, false',
    ],
    ['loopback_users.guest = maybe', '"maybe" is not a valid enum value'],
    ['default_user_tags.administrator = yes', '"yes" is not a valid enum value'],
    ['log.console = on', '"on" is not a valid enum value'],
    ['heartbeat = abc', '"abc" cannot be converted to a(n) integer'],
    ['heartbeat = 1.5', '"1.5" cannot be converted to a(n) integer'],
    ['channel_max = 99999999999999999999', 'is too large'],
    [
      'cluster_partition_handling = foo',
      '"foo" is not a valid enum value, acceptable values are: ' +
        'ignore, pause_minority, autoheal, pause_if_all_down',
    ],
    ['cluster_formation.node_type = floppy', 'acceptable values are: disc, disk, ram'],
    ['log.file.level = verbose', '"verbose" is not a valid enum value'],
    ['vm_memory_calculation_strategy = magic', '"magic" is not a valid enum value'],
    ['queue_master_locator = nearest', '"nearest" is not a valid enum value'],
    ['listeners.tcp = all', '"all" is not a valid enum value, acceptable values are: none'],
    ['loopback_users = all', '"all" is not a valid enum value, acceptable values are: none'],
    [
      'connection_max = lots',
      '"lots" is not accepted value: infinity; "lots" cannot be converted to a(n) integer',
    ],
    [
      'listeners.tcp.default = notaport',
      '"notaport" cannot be converted to a(n) integer; "notaport" cannot be converted to a(n) IP',
    ],
    ['listeners.tcp.default = 999.1.1.1:5672', '"999.1.1.1:5672" cannot be converted to a(n) IP'],
    ['listeners.tcp.default = 127.0.0.1', '"127.0.0.1" cannot be converted to a(n) IP'],
    ['listeners.tcp.default = localhost:5672', '"localhost:5672" cannot be converted to a(n) IP'],
    ['listeners.tcp.default = [::1]:5672', '"[::1]:5672" cannot be converted to a(n) IP'],
    ['vm_memory_high_watermark.relative = abc', '"abc" cannot be converted to a(n) float'],
    ['vm_memory_high_watermark.relative = 1', '"1" cannot be converted to a(n) float'],
    ['frame_max = 10XB', 'Error converting value "10XB" to a number of bytes'],
    ['frame_max = 1.5', 'Error converting value "1.5" to a number of bytes'],
    ['disk_free_limit.absolute = 50XB', '"50XB" cannot be converted to a number of bytes'],
    ['disk_free_limit.absolute = 2.5GB', '"2.5GB" cannot be converted to a number of bytes'],
    ['disk_free_limit.absolute = 2TB', '"2TB" cannot be converted to a number of bytes'],
    ['cluster_formation.classic_config.nodes.1 = host1', '"host1" is not a node name'],
    ['cluster_formation.peer_discovery_backend = dns', '"dns" is not supported'],
  ])('for a bad datatype name the key and line: %s', (line, reason) => {
    const key = line.split(' = ')[0];
    const message = errorFor('# first line', line).message;
    expect(message).toContain(`${FILE}:2: Error transforming datatype for ${key}: `);
    expect(message).toContain(reason);
  });

  it.each([
    [
      'listeners.tcp.default = 70000',
      'listeners.tcp.default invalid, port 70000 should be between 1 and 65535',
    ],
    [
      'listeners.tcp.default = 0',
      'listeners.tcp.default invalid, port 0 should be between 1 and 65535',
    ],
    ['listeners.tcp.x = 127.0.0.1:65536', 'listeners.tcp.x invalid, port 65536 should be'],
    [
      'management.tcp.port = 0',
      'management.tcp.port invalid, port 0 should be between 1 and 65535',
    ],
    ['heartbeat = -5', 'heartbeat invalid, number should be greater or equal to zero'],
    ['consumer_timeout = 0', 'consumer_timeout invalid, number should be greater or equal to one'],
    ['net_ticktime = 0', 'net_ticktime invalid, number should be greater or equal to one'],
    [
      'max_message_size = 999999999999',
      'max_message_size invalid, Max message size should be between 0 and 512MB',
    ],
    [
      'mirroring_sync_batch_size = 0',
      'mirroring_sync_batch_size invalid, Batch size should be greater than 0 and less than 1M',
    ],
    [
      'disk_free_limit.relative = -1.0',
      'disk_free_limit.relative invalid, number should be greater than zero',
    ],
  ])('for a value out of range name the key and line: %s', (line, message) => {
    expect(errorFor('# first line', line).message).toContain(`${FILE}:2: ${message}`);
  });

  it('name a line without "=" as a syntax error', () => {
    const error = errorFor('# comment', 'heartbeat = 10', 'heartbeat 10');
    expect(error.message).toBe(
      `${FILE}:3: Syntax error: expected "key = value", found: heartbeat 10`,
    );
  });

  it('name a bad key or an empty value as a syntax error', () => {
    expect(errorFor('foo@bar = 1').message).toBe(
      `${FILE}:1: Syntax error: "foo@bar" is not a valid key ` +
        '(dot-separated words of letters, digits, "_" and "-")',
    );
    expect(errorFor('a..b = 1').message).toContain(':1: Syntax error: "a..b" is not a valid key');
    expect(errorFor('heartbeat =').message).toBe(
      `${FILE}:1: Syntax error: no value after "=" for heartbeat`,
    );
    expect(errorFor('heartbeat = # none').message).toContain('no value after "="');
  });

  it('want all three default permissions or none', () => {
    expect(errorFor('heartbeat = 1', 'default_permissions.read = ^amq').message).toBe(
      `${FILE}:2: default_permissions.configure, default_permissions.read and ` +
        'default_permissions.write must be set together; missing: ' +
        'default_permissions.configure, default_permissions.write',
    );
  });

  it('want nodes and a recover strategy for pause_if_all_down', () => {
    const error = errorFor('cluster_partition_handling = pause_if_all_down');
    expect(error.problems.map((p) => p.message)).toEqual([
      'cluster_partition_handling invalid, Nodes required for pause_if_all_down',
      'cluster_partition_handling invalid, Recover strategy required for pause_if_all_down',
    ]);
  });
});

describe('loadConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file and names it', () => {
    const path = join(dir, 'rabbitmq.conf');
    writeFileSync(path, 'listeners.tcp.default = 5999\n');
    expect(loadConfigFile(path)).toEqual({
      ...defaultConfig(),
      configFile: path,
      listeners: [{ port: 5999 }],
    });
  });

  it('gives the defaults when the file does not exist, as RabbitMQ starts without one', () => {
    expect(loadConfigFile(join(dir, 'missing.conf'))).toEqual(defaultConfig());
  });

  it('names the file in errors', () => {
    const path = join(dir, 'bad.conf');
    writeFileSync(path, 'heartbeat = 10\nfoo.bar = 1\n');
    expect(() => loadConfigFile(path)).toThrow(`${path}:2: You've tried to set foo.bar`);
  });

  it('refuses a file it cannot read', () => {
    expect(() => loadConfigFile(dir)).toThrow(new RegExp(`^${dir}: Could not open file: `));
  });

  it('names the line that is not UTF-8', () => {
    const path = join(dir, 'latin1.conf');
    writeFileSync(
      path,
      Buffer.concat([Buffer.from('heartbeat = 1\ndefault_pass = '), Buffer.from([0xe9, 0x0a])]),
    );
    expect(() => loadConfigFile(path)).toThrow(`${path}:2: The line is not valid UTF-8`);
  });
});
