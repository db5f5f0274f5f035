// The rows of the list_* operations: one extractor per info item, reading the live broker and
// AMQP connections and returning plain JSON (the CLI turns each column into the term
// rabbitmqctl prints). Rows are arrays in the order the columns were asked for, and long lists
// are produced lazily in batches, so 100k queues never become one array.
//
// Pids are shown as RabbitMQ shows them, <node.creation.id.0>: a queue's id is the broker's
// queue number; a connection's is CONNECTION_PIDS + its number x CHANNEL_SPAN, and each of its
// channels adds the channel number, so every id is stable for the life of the object.

import type { Channel } from '../amqp/channel.js';
import type { AmqpConnection } from '../amqp/connection.js';
import { decodeProperties } from '../amqp/properties.js';
import type { FieldTable, FieldValue } from '../amqp/table.js';
import type { Broker } from '../broker/broker.js';
import type { Exchange } from '../broker/exchange.js';
import type { QueueDef } from '../broker/metadata.js';
import type { VHost } from '../broker/vhost.js';
import type { ClassicQueue, Consumer, QueueEntry } from '../queues/classic-queue.js';
import type { WarrenNode } from './node.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

type Extractors<T> = Record<string, (x: T) => Json>;

const CONNECTION_PIDS = 1_000_000;
const CHANNEL_SPAN = 65_536;
const BATCH = 500;
/** Rough bytes a queue and each of its messages cost beyond the bodies (for `memory`). */
const QUEUE_OVERHEAD = 2_048;
const ENTRY_OVERHEAD = 160;

const FIELD_TYPES: Record<string, string> = {
  b: 'byte', B: 'unsignedbyte', s: 'short', u: 'unsignedshort', I: 'signedint', i: 'unsignedint',
  l: 'long', f: 'float', d: 'double', T: 'timestamp',
};

/** An AMQP table as rabbitmqctl shows one: [[key, type, value]], arrays as [[type, value]]. */
export function tableJson(t: FieldTable): Json {
  return [...t].map(([k, v]) => [k, ...fieldJson(v)]);
}

function fieldJson(v: FieldValue): [string, Json] {
  if (typeof v === 'boolean') return ['bool', v];
  if (typeof v === 'string') return ['longstr', v];
  if (v === null) return ['void', null];
  if (Buffer.isBuffer(v)) return ['binary', v.toString('latin1')];
  if (v instanceof Map) return ['table', tableJson(v)];
  if (Array.isArray(v)) return ['array', v.map(fieldJson)];
  if (v.type === 'S') return ['longstr', v.value.toString('latin1')];
  if (v.type === 'D') return ['decimal', [v.scale, v.value]];
  return [FIELD_TYPES[v.type], Number(v.value)];
}

/** Rows of `columns` for each item, `BATCH` at a time, computed as the caller asks for them. */
export async function* batched<T>(items: Iterable<T>, ex: Extractors<T>, columns: string[], extra?: (x: T) => Json): AsyncGenerator<Json[][]> {
  const fs = columns.map((c) => ex[c] ?? (() => null));
  let batch: Json[][] = [];
  for (const item of items) {
    const row = fs.map((f) => f(item));
    if (extra) row.push(extra(item));
    batch.push(row);
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** A policy definition as a table of keys and values (list_queues effective_policy_definition). */
function definitionJson(d: Record<string, unknown>): Json {
  const field = (v: unknown): FieldValue =>
    typeof v === 'string'
      ? v
      : typeof v === 'boolean'
        ? v
        : typeof v === 'number'
          ? Number.isInteger(v) ? { type: 'l', value: v } : { type: 'd', value: v }
          : Array.isArray(v)
            ? v.map(field)
            : String(v);
  return tableJson(new Map(Object.entries(d).map(([k, v]) => [k, field(v)])));
}

/** Several streams of row batches, one after the other. */
export async function* concatRows(...streams: Array<AsyncIterable<unknown[][]>>): AsyncGenerator<unknown[][]> {
  for (const s of streams) yield* s;
}

export async function* emptyRows(): AsyncGenerator<Json[][]> {}

/** What is known of a queue whose home node is down: its record (pid included), and that it is down. */
export function downQueueItems(creationOf: (node: string) => number): Extractors<QueueDef> {
  return {
    name: (d) => d.name,
    pid: (d) => [d.node, creationOf(d.node), d.id ?? 0],
    durable: (d) => d.durable,
    auto_delete: (d) => d.autoDelete,
    arguments: (d) => tableJson(d.args),
    type: () => 'classic',
    state: () => 'down',
    node: (d) => d.node,
  };
}

/** One listing's view of the node: pids, and who owns which channel and exclusive queue. */
export class Listing {
  private readonly channels = new Map<object, { conn: AmqpConnection; ch: Channel }>();
  private readonly owners = new Map<object, AmqpConnection>();

  constructor(
    private readonly node: WarrenNode,
    readonly broker: Broker,
  ) {
    for (const conn of this.connections()) {
      this.owners.set(conn.owner, conn);
      for (const ch of conn.channelList()) this.channels.set(ch, { conn, ch });
    }
  }

  /** Connections that have opened a virtual host (those rabbitmqctl lists). */
  connections(): AmqpConnection[] {
    return [...(this.node.amqp?.connections ?? [])].filter((c) => c.vhost !== '');
  }

  pid(id: number): Json {
    return [this.node.name, this.node.creation, id];
  }

  mirrorSet(q: ClassicQueue) {
    return this.node.cluster.mirroring.setOf(q);
  }

  /** A mirrored queue's mirrors as pids (null when no ha policy applies, as RabbitMQ shows it). */
  mirrorPids(q: ClassicQueue, syncedOnly: boolean): Json {
    const mirroring = this.node.cluster.mirroring;
    if (!mirroring.isMirrorable(q)) return null;
    const view = mirroring.setOf(q)?.view() ?? { mirrors: [], synced: [] };
    const id = this.broker.queueId(q);
    return (syncedOnly ? view.synced : view.mirrors).map((n) => [n, this.node.cluster.creationOf(n), id]);
  }

  connectionPid(c: AmqpConnection): Json {
    return this.pid(CONNECTION_PIDS + c.id * CHANNEL_SPAN);
  }

  channelPid(channel: object): Json {
    const found = this.channels.get(channel);
    return found ? this.pid(CONNECTION_PIDS + found.conn.id * CHANNEL_SPAN + found.ch.id) : null;
  }

  ownerPid(owner: object | undefined): Json {
    const conn = owner === undefined ? undefined : this.owners.get(owner);
    return conn ? this.connectionPid(conn) : null;
  }

  get nodeName(): string {
    return this.node.name;
  }
}

const address = (a: string | undefined): string => (a ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');

export function connectionName(c: AmqpConnection): string {
  const s = c.socket;
  return `${address(s.remoteAddress)}:${s.remotePort} -> ${address(s.localAddress)}:${s.localPort}`;
}

export function connectionItems(l: Listing): Extractors<AmqpConnection> {
  return {
    name: connectionName,
    pid: (c) => l.connectionPid(c),
    vhost: (c) => c.vhost,
    user: (c) => c.user,
    channels: (c) => c.channelCount,
    protocol: () => [0, 9, 1],
    peer_host: (c) => c.socket.remoteAddress ?? null,
    peer_port: (c) => c.socket.remotePort ?? null,
    host: (c) => c.socket.localAddress ?? null,
    port: (c) => c.socket.localPort ?? null,
    state: (c) => (c.isBlocked ? 'blocked' : c.flowing ? 'flow' : 'running'),
    timeout: (c) => c.heartbeat,
    frame_max: (c) => c.frameMax,
    channel_max: (c) => c.channelMax,
    client_properties: (c) => tableJson(c.clientProperties),
    connected_at: (c) => c.connectedAt,
    ssl: () => false,
    recv_oct: (c) => c.socket.bytesRead,
    send_oct: (c) => c.socket.bytesWritten,
    send_pend: (c) => c.socket.writableLength,
  };
}

export function channelItems(l: Listing): Extractors<{ conn: AmqpConnection; ch: Channel }> {
  return {
    pid: ({ ch }) => l.channelPid(ch),
    connection: ({ conn }) => l.connectionPid(conn),
    name: ({ conn, ch }) => `${connectionName(conn)} (${ch.id})`,
    number: ({ ch }) => ch.id,
    vhost: ({ conn }) => conn.vhost,
    user: ({ conn }) => conn.user,
    transactional: ({ ch }) => ch.transactional,
    confirm: ({ ch }) => ch.inConfirmMode,
    consumer_count: ({ ch }) => ch.consumerCount,
    messages_unacknowledged: ({ ch }) => ch.unackedCount,
    // Pending transaction and confirm counts are known to be zero only outside those modes.
    messages_uncommitted: ({ ch }) => (ch.transactional ? null : 0),
    acks_uncommitted: ({ ch }) => (ch.transactional ? null : 0),
    messages_unconfirmed: ({ ch }) => (ch.inConfirmMode ? null : 0),
    prefetch_count: ({ ch }) => ch.prefetch,
    global_prefetch_count: ({ ch }) => ch.globalPrefetchCount,
  };
}

export function exchangeItems(): Extractors<Exchange> {
  return {
    name: (e) => e.name,
    type: (e) => e.type,
    durable: (e) => e.durable,
    auto_delete: (e) => e.autoDelete,
    internal: (e) => e.internal,
    arguments: (e) => tableJson(e.args),
    policy: () => null,
  };
}

interface BindingRow {
  source: string;
  destination: string;
  routingKey: string;
  args: FieldTable;
}

export function bindingItems(): Extractors<BindingRow> {
  return {
    source_name: (b) => b.source,
    source_kind: () => 'exchange',
    destination_name: (b) => b.destination.slice(2),
    destination_kind: (b) => (b.destination.startsWith('q:') ? 'queue' : 'exchange'),
    routing_key: (b) => b.routingKey,
    arguments: (b) => tableJson(b.args),
  };
}

/** A vhost's bindings: the default exchange's implicit one per queue first, as RabbitMQ lists them. */
export function* bindingsOf(vh: VHost): Generator<BindingRow> {
  const none: FieldTable = new Map();
  for (const q of vh.queues.values()) yield { source: '', destination: `q:${q.name}`, routingKey: q.name, args: none };
  for (const q of vh.remoteQueues.values()) yield { source: '', destination: `q:${q.name}`, routingKey: q.name, args: none };
  for (const e of vh.exchanges.values()) yield* e.bindings;
}

export function consumerItems(l: Listing): Extractors<{ q: ClassicQueue; c: Consumer }> {
  const active = (q: ClassicQueue, c: Consumer) => !q.settings.singleActiveConsumer || q.activeConsumer === c;
  return {
    queue_name: ({ q }) => q.name,
    channel_pid: ({ c }) => l.channelPid(c.channel),
    consumer_tag: ({ c }) => c.tag,
    ack_required: ({ c }) => !c.noAck,
    prefetch_count: ({ c }) => c.prefetch,
    active: ({ q, c }) => active(q, c),
    activity_status: ({ q, c }) => (!q.settings.singleActiveConsumer ? 'up' : active(q, c) ? 'single_active' : 'waiting'),
    arguments: ({ c }) => tableJson(c.args),
  };
}

export function* consumersOf(vh: VHost): Generator<{ q: ClassicQueue; c: Consumer }> {
  for (const q of vh.queues.values()) for (const c of q.consumers) yield { q, c };
}

const queueType = (q: ClassicQueue): string => {
  const t = q.args.get('x-queue-type');
  return t === 'quorum' || t === 'stream' ? t : 'classic';
};

/** Persistent ready messages and their bytes (unacknowledged ones live with their channels). */
function persistent(q: ClassicQueue): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const e of q.readyEntries()) {
    if (e.msg.persistent) {
      count++;
      bytes += e.msg.body.length;
    }
  }
  return { count, bytes };
}

function headTimestamp(head: QueueEntry | undefined): Json {
  if (head === undefined) return null;
  const ts = decodeProperties(head.msg.propertyBytes).timestamp;
  return ts === undefined ? null : Number(ts);
}

export function queueItems(l: Listing): Extractors<ClassicQueue> {
  const messages = (q: ClassicQueue) => q.messagesReady + q.messagesUnacknowledged;
  const bytes = (q: ClassicQueue) => q.messageBytesReady + q.messageBytesUnacknowledged;
  const quorum = (q: ClassicQueue) => queueType(q) === 'quorum';
  const exclusiveConsumer = (q: ClassicQueue) => q.consumers.find((c) => c.exclusive);
  const utilisation = (q: ClassicQueue) =>
    q.consumers.length === 0 ? null : q.consumers.some((c) => c.canTake()) ? 1 : 0;
  return {
    name: (q) => q.name,
    // Exclusive queues are never stored, so they are transient whatever the declare said.
    durable: (q) => q.durable && q.owner === undefined,
    auto_delete: (q) => q.autoDeleteWhenUnused,
    arguments: (q) => tableJson(q.args),
    policy: (q) => l.broker.policyFor(q.vhost, q.name)?.name ?? null,
    effective_policy_definition: (q) => definitionJson(l.broker.policyFor(q.vhost, q.name)?.definition ?? {}),
    pid: (q) => l.pid(l.broker.queueId(q)),
    owner_pid: (q) => l.ownerPid(q.owner),
    exclusive: (q) => q.owner !== undefined,
    exclusive_consumer_pid: (q) => {
      const c = exclusiveConsumer(q);
      return c ? l.channelPid(c.channel) : null;
    },
    exclusive_consumer_tag: (q) => exclusiveConsumer(q)?.tag ?? null,
    messages_ready: (q) => q.messagesReady,
    messages_unacknowledged: (q) => q.messagesUnacknowledged,
    messages,
    messages_ready_ram: (q) => q.messagesReady,
    messages_unacknowledged_ram: (q) => q.messagesUnacknowledged,
    messages_ram: messages,
    messages_persistent: (q) => persistent(q).count,
    message_bytes: bytes,
    message_bytes_ready: (q) => q.messageBytesReady,
    message_bytes_unacknowledged: (q) => q.messageBytesUnacknowledged,
    message_bytes_ram: bytes,
    message_bytes_persistent: (q) => persistent(q).bytes,
    head_message_timestamp: (q) => headTimestamp(q.messagesReady > 0 ? q.readyEntries()[0] : undefined),
    // No message store yet: nothing is read from or written to disk.
    disk_reads: () => 0,
    disk_writes: () => 0,
    consumers: (q) => q.consumers.length,
    consumer_utilisation: utilisation,
    consumer_capacity: utilisation,
    memory: (q) => QUEUE_OVERHEAD + messages(q) * ENTRY_OVERHEAD + bytes(q),
    state: (q) => {
      const set = l.mirrorSet(q);
      return set?.syncing === true ? ['syncing', set.syncProgress] : 'running';
    },
    type: queueType,
    slave_pids: (q) => l.mirrorPids(q, false),
    synchronised_slave_pids: (q) => l.mirrorPids(q, true),
    mirror_pids: (q) => l.mirrorPids(q, false),
    synchronised_mirror_pids: (q) => l.mirrorPids(q, true),
    leader: (q) => (quorum(q) ? l.nodeName : null),
    members: (q) => (quorum(q) ? [l.nodeName] : null),
    online: (q) => (quorum(q) ? [l.nodeName] : null),
  };
}
