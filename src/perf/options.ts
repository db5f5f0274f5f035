// warren-perf's command line: the options of RabbitMQ's PerfTest where it has them (-h uri,
// -x producers, -y consumers, -s size, -z seconds, -C count, -c confirm window, -a multi-ack,
// -q prefetch, -u queue, -r rate), checked and turned into one plain object.

import os from 'node:os';
import { parseArgs } from 'node:util';
import type { FieldTable, FieldValue } from '../amqp/table.js';
import { parseAmqpUri, UriError, type AmqpUri } from './uri.js';

export type Scenario = 'queue-churn' | 'connection-churn' | 'bindings';
const SCENARIOS: readonly Scenario[] = ['queue-churn', 'connection-churn', 'bindings'];

export interface PerfOptions {
  uri: AmqpUri;
  producers: number;
  consumers: number;
  size: number;
  /** Seconds; 0 for no time limit. */
  time: number;
  /** Messages per producer; 0 for no limit. */
  count: number;
  persistent: boolean;
  confirmWindow: number;
  ackEvery: number;
  prefetch: number;
  /** Base name; undefined for a generated one (deleted at the end). */
  queue: string | undefined;
  queueArgs: FieldTable;
  queueType: 'classic' | 'quorum';
  queues: number;
  rate: number;
  publishOnly: boolean;
  consumeOnly: boolean;
  deleteQueues: boolean;
  scenario: Scenario | undefined;
  /** Operations for a scenario. */
  operations: number;
  declareOnly: boolean;
  /** Worker threads for the producers, and as many for the consumers. */
  threads: number;
  heartbeat: number | undefined;
  json: boolean;
  quiet: boolean;
}

export class UsageError extends Error {}

export const USAGE = `Usage: warren-perf [options]

Load generator for any AMQP 0-9-1 broker (RabbitMQ, Warren, ...), like RabbitMQ's PerfTest.
Producers publish to the default exchange with the queue's name as routing key; each producer
and each consumer has its own connection; they run in worker threads.

Connection
  -h, --uri URI            amqp://user:pass@host:port/vhost (default amqp://guest:guest@localhost:5672/)
      --heartbeat S        heartbeat seconds to ask for (default: what the broker proposes)

Load
  -x, --producers N        producer connections (default 1)
  -y, --consumers N        consumer connections (default 1)
  -s, --size BYTES         message body size (default 16; latency needs at least 8)
  -z, --time S             run for S seconds (default: until -C is reached or Ctrl-C)
  -C, --pmessages N        messages per producer, then stop; consumers drain what was sent
  -p, --persistent         persistent messages (delivery mode 2) and durable queues
  -c, --confirm N          publisher confirms, at most N unconfirmed per producer (0 = none; default 0)
  -a, --multi-ack-every N  consumers ack every N messages (0 = no-ack consumers; default 0)
  -q, --qos N              consumer prefetch count (default 0: no basic.qos)
  -r, --rate N             messages per second per producer (default: as fast as possible)
      --publish-only       no consumers (same as -y 0)
      --consume-only       no producers (same as -x 0); without -z, drains the queues and stops

Queues
  -u, --queue NAME         queue name (with --queues N: NAME-1 .. NAME-N); default: a generated
                           name, deleted at the end; "warren-perf" with --publish-only/--consume-only
      --queues N           spread producers and consumers over N queues (default 1)
      --queue-type T       classic or quorum (default classic; quorum queues are durable)
      --queue-args JSON    queue arguments, e.g. '{"x-max-length": 100000}'
      --delete-queues      delete the queues at the end even when named with -u

Scenarios (instead of a message flow; -x clients work in parallel)
      --scenario NAME      queue-churn: declare then delete -n queues; connection-churn: open and
                           close -n connections; bindings: bind then unbind -n keys to a queue
  -n, --operations N       operations for a scenario (default 1000)
      --declare-only       queue-churn: declare the queues and keep them

Output
      --json               print the summary as JSON on stdout (progress goes to stderr)
      --quiet              no progress lines
      --threads N          worker threads for producers, and as many for consumers
                           (default: half the CPUs, at least 1)
      --help               this text

Exit codes: 0 ok, 1 a check failed (a drained run lost or duplicated messages, confirms do not
add up), 64 usage, 69 cannot connect or the connection was lost, 70 the broker refused or
closed something (the reply code and text are printed).
`;

export function parseOptions(argv: string[]): PerfOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        uri: { type: 'string', short: 'h', default: 'amqp://guest:guest@localhost:5672/' },
        heartbeat: { type: 'string' },
        producers: { type: 'string', short: 'x', default: '1' },
        consumers: { type: 'string', short: 'y', default: '1' },
        size: { type: 'string', short: 's', default: '16' },
        time: { type: 'string', short: 'z', default: '0' },
        pmessages: { type: 'string', short: 'C', default: '0' },
        persistent: { type: 'boolean', short: 'p', default: false },
        confirm: { type: 'string', short: 'c', default: '0' },
        'multi-ack-every': { type: 'string', short: 'a', default: '0' },
        qos: { type: 'string', short: 'q', default: '0' },
        rate: { type: 'string', short: 'r', default: '0' },
        'publish-only': { type: 'boolean', default: false },
        'consume-only': { type: 'boolean', default: false },
        queue: { type: 'string', short: 'u' },
        queues: { type: 'string', default: '1' },
        'queue-type': { type: 'string', default: 'classic' },
        'queue-args': { type: 'string', default: '{}' },
        'delete-queues': { type: 'boolean', default: false },
        scenario: { type: 'string' },
        operations: { type: 'string', short: 'n', default: '1000' },
        'declare-only': { type: 'boolean', default: false },
        threads: { type: 'string' },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';

  let uri: AmqpUri;
  try {
    uri = parseAmqpUri(values.uri);
  } catch (err) {
    if (err instanceof UriError) throw new UsageError(err.message);
    throw err;
  }
  const publishOnly = values['publish-only'];
  const consumeOnly = values['consume-only'];
  if (publishOnly && consumeOnly) throw new UsageError('--publish-only and --consume-only exclude each other');
  const queueType = values['queue-type'];
  if (queueType !== 'classic' && queueType !== 'quorum') throw new UsageError(`--queue-type is classic or quorum, not ${queueType}`);
  const scenario = values.scenario;
  if (scenario !== undefined && !SCENARIOS.includes(scenario as Scenario)) {
    throw new UsageError(`--scenario is one of ${SCENARIOS.join(', ')}, not ${scenario}`);
  }
  const size = count('--size', values.size);
  const options: PerfOptions = {
    uri,
    producers: consumeOnly ? 0 : count('--producers', values.producers),
    consumers: publishOnly ? 0 : count('--consumers', values.consumers),
    size,
    time: seconds('--time', values.time),
    count: count('--pmessages', values.pmessages),
    persistent: values.persistent,
    confirmWindow: count('--confirm', values.confirm),
    ackEvery: count('--multi-ack-every', values['multi-ack-every']),
    prefetch: count('--qos', values.qos),
    queue: values.queue ?? (publishOnly || consumeOnly ? 'warren-perf' : undefined),
    queueArgs: queueArguments(values['queue-args']),
    queueType,
    queues: count('--queues', values.queues),
    rate: count('--rate', values.rate),
    publishOnly,
    consumeOnly,
    deleteQueues: values['delete-queues'],
    scenario: scenario as Scenario | undefined,
    operations: count('--operations', values.operations),
    declareOnly: values['declare-only'],
    threads: values.threads === undefined ? Math.max(1, Math.floor(os.availableParallelism() / 2)) : count('--threads', values.threads),
    heartbeat: values.heartbeat === undefined ? undefined : count('--heartbeat', values.heartbeat),
    json: values.json,
    quiet: values.quiet,
  };
  if (options.queues < 1) throw new UsageError('--queues must be at least 1');
  if (options.threads < 1) throw new UsageError('--threads must be at least 1');
  if (options.prefetch > 65535) throw new UsageError('--qos is at most 65535 (a short in basic.qos)');
  if (options.scenario === undefined && options.producers === 0 && options.consumers === 0) {
    throw new UsageError('nothing to do: no producers and no consumers');
  }
  if (options.queue !== undefined && Buffer.byteLength(options.queue) > 240) throw new UsageError('--queue is too long');
  return options;
}

function count(name: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${name} takes a whole number, not "${text}"`);
  return Number(text);
}

function seconds(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${name} takes seconds, not "${text}"`);
  return n;
}

function queueArguments(text: string): FieldTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--queue-args is not JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError('--queue-args is a JSON object, e.g. \'{"x-max-length": 1000}\'');
  }
  return jsonTable(parsed as Record<string, unknown>);
}

/** JSON to an AMQP table: integers are signed 64-bit ('l'), other numbers doubles ('d'). */
export function jsonTable(object: Record<string, unknown>): FieldTable {
  return new Map(Object.entries(object).map(([k, v]) => [k, jsonValue(v)]));
}

function jsonValue(v: unknown): FieldValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'l', value: v } : { type: 'd', value: v };
  if (Array.isArray(v)) return v.map(jsonValue);
  return jsonTable(v as Record<string, unknown>);
}
