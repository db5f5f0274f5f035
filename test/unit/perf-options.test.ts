// warren-perf's command line: AMQP URIs as RabbitMQ's URI spec reads them, PerfTest's option
// letters, the queue arguments JSON and the mistakes that are usage errors (exit 64).

import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError, type PerfOptions } from '../../src/perf/options.js';
import { displayUri, parseAmqpUri } from '../../src/perf/uri.js';

const options = (argv: string[]) => parseOptions(argv) as PerfOptions;

describe('perf URIs', () => {
  it('fills in guest, localhost, 5672 and the default vhost', () => {
    expect(parseAmqpUri('amqp://')).toEqual({ host: 'localhost', port: 5672, user: 'guest', password: 'guest', vhost: '/' });
    expect(parseAmqpUri('amqp://h:5673')).toMatchObject({ host: 'h', port: 5673, vhost: '/' });
  });

  it('decodes user, password and vhost; %2F is the vhost "/"', () => {
    expect(parseAmqpUri('amqp://us%40r:p%3Ass@127.0.0.1:5700/%2F')).toEqual({
      host: '127.0.0.1',
      port: 5700,
      user: 'us@r',
      password: 'p:ss',
      vhost: '/',
    });
    expect(parseAmqpUri('amqp://u:p@[::1]/prod').vhost).toBe('prod');
    expect(parseAmqpUri('amqp://u:p@[::1]/prod').host).toBe('::1');
  });

  it('refuses amqps, other schemes and a vhost of two segments', () => {
    expect(() => parseAmqpUri('amqps://h')).toThrow(/TLS/);
    expect(() => parseAmqpUri('http://h')).toThrow(/not an AMQP URI/);
    expect(() => parseAmqpUri('amqp://h/a/b')).toThrow(/%2F/);
  });

  it('never shows the password', () => {
    expect(displayUri(parseAmqpUri('amqp://bob:secret@h:1/v'))).toBe('amqp://bob@h:1/v');
  });
});

describe('perf options', () => {
  it('has PerfTest-like defaults: 1 producer, 1 consumer, 16 B, no confirms, no-ack', () => {
    expect(options([])).toMatchObject({
      producers: 1,
      consumers: 1,
      size: 16,
      time: 0,
      count: 0,
      confirmWindow: 0,
      ackEvery: 0,
      prefetch: 0,
      queue: undefined,
      queues: 1,
      queueType: 'classic',
    });
  });

  it('reads the short options', () => {
    const o = options(['-h', 'amqp://a:b@h:1/v', '-x', '2', '-y', '3', '-s', '1024', '-z', '1.5', '-C', '10', '-p', '-c', '100', '-a', '10', '-q', '50', '-u', 'q', '-r', '500']);
    expect(o).toMatchObject({ producers: 2, consumers: 3, size: 1024, time: 1.5, count: 10, persistent: true, confirmWindow: 100, ackEvery: 10, prefetch: 50, queue: 'q', rate: 500 });
    expect(o.uri).toMatchObject({ host: 'h', port: 1, user: 'a', vhost: 'v' });
  });

  it('--publish-only and --consume-only drop one side and name the queue warren-perf', () => {
    expect(options(['--publish-only'])).toMatchObject({ producers: 1, consumers: 0, queue: 'warren-perf' });
    expect(options(['--consume-only', '-u', 'x'])).toMatchObject({ producers: 0, consumers: 1, queue: 'x' });
  });

  it('turns --queue-args JSON into a table with typed numbers', () => {
    const o = options(['--queue-args', '{"x-max-length": 10, "x-message-ttl": 1.5, "x-overflow": "reject-publish", "x-flag": true}']);
    expect([...o.queueArgs]).toEqual([
      ['x-max-length', { type: 'l', value: 10 }],
      ['x-message-ttl', { type: 'd', value: 1.5 }],
      ['x-overflow', 'reject-publish'],
      ['x-flag', true],
    ]);
  });

  it('answers --help', () => {
    expect(parseOptions(['--help'])).toBe('help');
  });

  it.each([
    [['-x', 'two'], /--producers takes a whole number/],
    [['-z', 'soon'], /--time takes seconds/],
    [['--queue-type', 'stream'], /classic or quorum/],
    [['--queue-args', '[1]'], /JSON object/],
    [['--queue-args', '{'], /not JSON/],
    [['--publish-only', '--consume-only'], /exclude each other/],
    [['-x', '0', '-y', '0'], /nothing to do/],
    [['--scenario', 'nope'], /--scenario is one of/],
    [['--bogus'], /Unknown option/],
    [['-h', 'amqps://h'], /TLS/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
    expect(() => parseOptions(argv)).toThrow(message);
  });
});
