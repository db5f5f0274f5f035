// The columns ("info items") of the list_* commands: which a command supports, its defaults,
// and how each column's plain JSON value from the node becomes the term the formatters print
// (a pid, an atom, an AMQP table...). Column arguments are validated here, as rabbitmqctl
// does, before the node is contacted.

import type { ControlClient } from '../control/client.js';
import type { Result } from './command.js';
import { ValidationError } from './errors.js';
import { callRows, mapBatches, oneBatch } from './stream.js';
import { ABSENT, Atom, Float, Pid, Tuple, type Row, type Term } from './term.js';

/** How a column's wire value maps to a term; null is always "absent". */
export type Kind =
  | 'binary' // a string, printed as text (an Erlang binary)
  | 'atom' // a string, printed as an atom
  | 'value' // a number or boolean as it is
  | 'pid' // [node, creation, id]
  | 'pids' // a list of those
  | 'atoms' // a list of strings, as atoms
  | 'table' // an AMQP table: [[key, type, value]]
  | 'ip' // an address string, as Erlang's address tuple
  | 'tuple' // a list of integers, as a tuple
  | 'ratio' // a float, or null for the integer 0 (no consumers)
  | 'states' // {node: state}, as a proplist of atoms
  | 'queue_state' // an atom, or [atom, count] for {syncing, N}
  | 'binary_or_undefined'; // a string, or null for the atom undefined

export interface Catalogue {
  kinds: Record<string, Kind>;
  defaults: string[];
  /** Accepted but not listed in the help (newer names rabbitmqctl takes too). */
  hidden?: string[];
}

const kinds = (spec: Partial<Record<Kind, string>>): Record<string, Kind> =>
  Object.fromEntries(
    Object.entries(spec).flatMap(([kind, keys]) => (keys ?? '').split(/\s+/).filter(Boolean).map((k) => [k, kind as Kind])),
  );

export const QUEUE_ITEMS: Catalogue = {
  kinds: kinds({
    binary: 'name policy exclusive_consumer_tag',
    atom: 'type leader',
    value: `durable auto_delete exclusive messages_ready messages_unacknowledged messages messages_ready_ram
      messages_unacknowledged_ram messages_ram messages_persistent message_bytes message_bytes_ready
      message_bytes_unacknowledged message_bytes_ram message_bytes_persistent head_message_timestamp
      disk_reads disk_writes consumers memory`,
    pid: 'pid owner_pid exclusive_consumer_pid',
    pids: 'slave_pids synchronised_slave_pids mirror_pids synchronised_mirror_pids',
    queue_state: 'state',
    atoms: 'members online',
    table: 'arguments effective_policy_definition',
    ratio: 'consumer_utilisation consumer_capacity',
  }),
  defaults: ['name', 'messages'],
  hidden: ['mirror_pids', 'synchronised_mirror_pids', 'effective_policy_definition'],
};

export const EXCHANGE_ITEMS: Catalogue = {
  kinds: kinds({
    binary: 'name policy',
    atom: 'type',
    value: 'durable auto_delete internal',
    table: 'arguments',
  }),
  defaults: ['name', 'type'],
};

export const BINDING_ITEMS: Catalogue = {
  kinds: kinds({
    binary: 'source_name destination_name routing_key',
    atom: 'source_kind destination_kind',
    table: 'arguments',
  }),
  defaults: ['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments'],
};

export const CONNECTION_ITEMS: Catalogue = {
  kinds: kinds({
    binary: `name vhost user auth_mechanism peer_cert_issuer peer_cert_subject peer_cert_validity ssl_protocol
      ssl_key_exchange ssl_cipher ssl_hash`,
    atom: 'state',
    value: 'channels peer_port port timeout frame_max channel_max connected_at ssl recv_oct recv_cnt send_oct send_cnt send_pend',
    pid: 'pid',
    ip: 'peer_host host',
    tuple: 'protocol',
    table: 'client_properties',
  }),
  defaults: ['user', 'peer_host', 'peer_port', 'state'],
};

export const CHANNEL_ITEMS: Catalogue = {
  kinds: kinds({
    binary: 'name vhost user',
    value: `number transactional confirm consumer_count messages_unacknowledged messages_uncommitted
      acks_uncommitted messages_unconfirmed prefetch_count global_prefetch_count`,
    pid: 'pid connection',
  }),
  defaults: ['pid', 'user', 'consumer_count', 'messages_unacknowledged'],
};

export const CONSUMER_ITEMS: Catalogue = {
  kinds: kinds({
    binary: 'queue_name consumer_tag',
    atom: 'activity_status',
    value: 'ack_required prefetch_count active',
    pid: 'channel_pid',
    table: 'arguments',
  }),
  defaults: ['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'arguments'],
};

export const VHOST_ITEMS: Catalogue = {
  kinds: kinds({
    binary: 'name description',
    value: 'tracing',
    atoms: 'tags',
    states: 'cluster_state',
    binary_or_undefined: 'default_queue_type',
  }),
  defaults: ['name'],
};

/** "must be one of a, b, c": the column help text of `help <list command>`. */
export function columnsHelp(c: Catalogue): [string, string] {
  const shown = Object.keys(c.kinds).filter((k) => !(c.hidden ?? []).includes(k));
  return ['<column>', `must be one of ${shown.sort().join(', ')}`];
}

/** The columns asked for (space- or comma-separated), or the defaults; unknown ones are refused. */
export function parseColumns(args: string[], c: Catalogue): string[] {
  const asked = args.flatMap((a) => a.split(',')).filter((a) => a !== '');
  const unknown = asked.filter((k) => !(k in c.kinds));
  if (unknown.length > 0) throw new ValidationError(`Info key(s) ${unknown.join(',')} are not supported`);
  return asked.length > 0 ? asked : c.defaults;
}

export function termOf(kind: Kind, value: unknown): Term {
  if (value === null || value === undefined) {
    if (kind === 'ratio') return 0;
    if (kind === 'binary_or_undefined') return new Atom('undefined');
    return ABSENT;
  }
  switch (kind) {
    case 'binary':
    case 'binary_or_undefined':
      return String(value);
    case 'atom':
      return new Atom(String(value));
    case 'value':
      return value as number | boolean;
    case 'pid':
      return pidOf(value as [string, number, number]);
    case 'pids':
      return (value as Array<[string, number, number]>).map(pidOf);
    case 'queue_state':
      // running, down... or {syncing, N} while a mirror sync runs.
      return Array.isArray(value) ? new Tuple([new Atom(String(value[0])), Number(value[1])]) : new Atom(String(value));
    case 'atoms':
      return (value as string[]).map((a) => new Atom(a));
    case 'table':
      return tableTerm(value as WireTable);
    case 'ip':
      return addressTuple(String(value));
    case 'tuple':
      return new Tuple(value as number[]);
    case 'ratio':
      return new Float(value as number);
    case 'states':
      return Object.entries(value as Record<string, string>).map(([k, v]) => new Tuple([new Atom(k), new Atom(v)]));
  }
}

const pidOf = ([node, creation, id]: [string, number, number]): Pid => new Pid(node, creation, id, 0);

type WireValue = [type: string, value: unknown];
type WireTable = Array<[key: string, type: string, value: unknown]>;

/** An AMQP table as rabbitmqctl holds it: [{<<"key">>, type, value}], arrays as [{type, value}]. */
function tableTerm(table: WireTable): Term {
  return table.map(([key, type, value]) => new Tuple([key, new Atom(type), fieldTerm(type, value)]));
}

function fieldTerm(type: string, value: unknown): Term {
  switch (type) {
    case 'table':
      return tableTerm(value as WireTable);
    case 'array':
      return (value as WireValue[]).map(([t, v]) => new Tuple([new Atom(t), fieldTerm(t, v)]));
    case 'float':
    case 'double':
      return new Float(value as number);
    case 'void':
      return new Atom('undefined');
    case 'decimal':
      return new Tuple(value as number[]);
    default:
      return value as string | number | boolean;
  }
}

/** An address as Erlang's inet tuple: 4 octets, or 8 groups (IPv4-mapped IPv6 included). */
export function addressTuple(address: string): Term {
  const v4 = /^(::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(address);
  if (v4) {
    const [a, b, c, d] = v4.slice(2).map(Number);
    return new Tuple(v4[1] ? [0, 0, 0, 0, 0, 0xffff, (a << 8) | b, (c << 8) | d] : [a, b, c, d]);
  }
  const bare = address.split('%')[0];
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const left = groups(head);
  const right = groups(tail);
  const fill = tail === undefined ? [] : new Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0);
  return new Tuple([...left, ...fill, ...right]);
}

const rowOf = (columns: string[], kinds: Kind[]) => (values: unknown): Row =>
  columns.map((k, i) => [k, termOf(kinds[i], (values as unknown[])[i])]);

/**
 * A streamed list_* result: the node's rows (arrays in column order) as terms. With `grouped`,
 * each wire row ends with a group key and consecutive rows of one group become one batch.
 */
export function listResult(
  client: ControlClient,
  op: string,
  args: Record<string, unknown>,
  columns: string[],
  c: Catalogue,
  grouped = false,
): Result {
  const wire = callRows(client, op, { ...args, columns });
  const toRow = rowOf(columns, columns.map((k) => c.kinds[k]));
  const rows = grouped ? regroup(wire, toRow) : mapBatches(wire, toRow);
  return { kind: 'rows', columns, rows, grouped };
}

async function* regroup(batches: AsyncIterable<unknown[]>, toRow: (values: unknown) => Row): AsyncGenerator<Row[]> {
  let group: Row[] = [];
  let key: unknown;
  for await (const batch of batches) {
    for (const values of batch as unknown[][]) {
      const k = values[values.length - 1];
      if (group.length > 0 && k !== key) {
        yield group;
        group = [];
      }
      key = k;
      group.push(toRow(values));
    }
  }
  if (group.length > 0) yield group;
}

/** A list the node answers in one reply (users, permissions...), which rabbitmqctl prints as one value. */
export function wholeResult(rows: unknown, columns: string[], kinds: Kind[]): Result {
  return { kind: 'rows', columns, whole: true, rows: oneBatch((rows as unknown[]).map(rowOf(columns, kinds))) };
}
