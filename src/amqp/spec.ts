// AMQP 0-9-1 as RabbitMQ speaks it, written down as data: frame constants, reply codes, every
// method (ids, synchronous flag, whether content follows, its fields in wire order) and the
// basic content properties with their flag bits. The codecs are built from this table, so a
// method is described once and never hand-written twice.
//
// Field names are the spec's names in camelCase ("routing-key" -> routingKey). RabbitMQ's
// extensions are included: connection.blocked/unblocked/update-secret(-ok), exchange.bind/
// unbind, basic.nack and the confirm class.

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;
/** Smallest frame_max a peer may ask for; also RabbitMQ's frame_max until connection.tune-ok. */
export const FRAME_MIN_SIZE = 4096;
/** Frame header (type, channel, size) plus the frame-end octet. */
export const FRAME_OVERHEAD = 8;

/** What a 0-9-1 client sends first, and what a server answers to a header it does not accept. */
export const PROTOCOL_HEADER: Buffer = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

export const REPLY_SUCCESS = 200;
export const CONTENT_TOO_LARGE = 311;
export const NO_ROUTE = 312;
export const NO_CONSUMERS = 313;
export const CONNECTION_FORCED = 320;
export const INVALID_PATH = 402;
export const ACCESS_REFUSED = 403;
export const NOT_FOUND = 404;
export const RESOURCE_LOCKED = 405;
export const PRECONDITION_FAILED = 406;
export const FRAME_ERROR = 501;
export const SYNTAX_ERROR = 502;
export const COMMAND_INVALID = 503;
export const CHANNEL_ERROR = 504;
export const UNEXPECTED_FRAME = 505;
export const RESOURCE_ERROR = 506;
export const NOT_ALLOWED = 530;
export const NOT_IMPLEMENTED = 540;
export const INTERNAL_ERROR = 541;

/**
 * Every reply code with the name RabbitMQ puts in front of its reply text ("NOT_FOUND - no
 * queue ...") and whether it is a hard (connection) error. A soft error closes only the channel.
 */
export const REPLY_CODES: ReadonlyMap<number, { readonly name: string; readonly hard: boolean }> =
  new Map([
    [REPLY_SUCCESS, { name: 'REPLY_SUCCESS', hard: false }],
    [CONTENT_TOO_LARGE, { name: 'CONTENT_TOO_LARGE', hard: false }],
    [NO_ROUTE, { name: 'NO_ROUTE', hard: false }],
    [NO_CONSUMERS, { name: 'NO_CONSUMERS', hard: false }],
    [CONNECTION_FORCED, { name: 'CONNECTION_FORCED', hard: true }],
    [INVALID_PATH, { name: 'INVALID_PATH', hard: true }],
    [ACCESS_REFUSED, { name: 'ACCESS_REFUSED', hard: false }],
    [NOT_FOUND, { name: 'NOT_FOUND', hard: false }],
    [RESOURCE_LOCKED, { name: 'RESOURCE_LOCKED', hard: false }],
    [PRECONDITION_FAILED, { name: 'PRECONDITION_FAILED', hard: false }],
    [FRAME_ERROR, { name: 'FRAME_ERROR', hard: true }],
    [SYNTAX_ERROR, { name: 'SYNTAX_ERROR', hard: true }],
    [COMMAND_INVALID, { name: 'COMMAND_INVALID', hard: true }],
    [CHANNEL_ERROR, { name: 'CHANNEL_ERROR', hard: true }],
    [UNEXPECTED_FRAME, { name: 'UNEXPECTED_FRAME', hard: true }],
    [RESOURCE_ERROR, { name: 'RESOURCE_ERROR', hard: true }],
    [NOT_ALLOWED, { name: 'NOT_ALLOWED', hard: true }],
    [NOT_IMPLEMENTED, { name: 'NOT_IMPLEMENTED', hard: true }],
    [INTERNAL_ERROR, { name: 'INTERNAL_ERROR', hard: true }],
  ]);

/** The wire types a method field or a content property can have. */
export type Domain =
  | 'bit'
  | 'octet'
  | 'short'
  | 'long'
  | 'longlong'
  | 'shortstr'
  | 'longstr'
  | 'table'
  | 'timestamp';

export type FieldSpec = readonly [name: string, domain: Domain];

export interface MethodSpec {
  readonly classId: number;
  readonly methodId: number;
  /** The sender waits for a reply (unless it set nowait). */
  readonly synchronous: boolean;
  /** A content header and body frames follow the method frame. */
  readonly content: boolean;
  readonly fields: readonly FieldSpec[];
}

const TICKET = ['ticket', 'short'] as const;
const NOWAIT = ['nowait', 'bit'] as const;
const ARGUMENTS = ['arguments', 'table'] as const;
const CLOSE_FIELDS = [
  ['replyCode', 'short'],
  ['replyText', 'shortstr'],
  ['classId', 'short'],
  ['methodId', 'short'],
] as const;

export const METHODS = {
  'connection.start': {
    classId: 10, methodId: 10, synchronous: true, content: false,
    fields: [
      ['versionMajor', 'octet'],
      ['versionMinor', 'octet'],
      ['serverProperties', 'table'],
      ['mechanisms', 'longstr'],
      ['locales', 'longstr'],
    ],
  },
  'connection.start-ok': {
    classId: 10, methodId: 11, synchronous: false, content: false,
    fields: [
      ['clientProperties', 'table'],
      ['mechanism', 'shortstr'],
      ['response', 'longstr'],
      ['locale', 'shortstr'],
    ],
  },
  'connection.secure': {
    classId: 10, methodId: 20, synchronous: true, content: false,
    fields: [['challenge', 'longstr']],
  },
  'connection.secure-ok': {
    classId: 10, methodId: 21, synchronous: false, content: false,
    fields: [['response', 'longstr']],
  },
  'connection.tune': {
    classId: 10, methodId: 30, synchronous: true, content: false,
    fields: [['channelMax', 'short'], ['frameMax', 'long'], ['heartbeat', 'short']],
  },
  'connection.tune-ok': {
    classId: 10, methodId: 31, synchronous: false, content: false,
    fields: [['channelMax', 'short'], ['frameMax', 'long'], ['heartbeat', 'short']],
  },
  'connection.open': {
    classId: 10, methodId: 40, synchronous: true, content: false,
    fields: [['virtualHost', 'shortstr'], ['capabilities', 'shortstr'], ['insist', 'bit']],
  },
  'connection.open-ok': {
    classId: 10, methodId: 41, synchronous: false, content: false,
    fields: [['knownHosts', 'shortstr']],
  },
  'connection.close': {
    classId: 10, methodId: 50, synchronous: true, content: false,
    fields: CLOSE_FIELDS,
  },
  'connection.close-ok': {
    classId: 10, methodId: 51, synchronous: false, content: false,
    fields: [],
  },
  'connection.blocked': {
    classId: 10, methodId: 60, synchronous: false, content: false,
    fields: [['reason', 'shortstr']],
  },
  'connection.unblocked': {
    classId: 10, methodId: 61, synchronous: false, content: false,
    fields: [],
  },
  'connection.update-secret': {
    classId: 10, methodId: 70, synchronous: true, content: false,
    fields: [['newSecret', 'longstr'], ['reason', 'shortstr']],
  },
  'connection.update-secret-ok': {
    classId: 10, methodId: 71, synchronous: false, content: false,
    fields: [],
  },

  'channel.open': {
    classId: 20, methodId: 10, synchronous: true, content: false,
    fields: [['outOfBand', 'shortstr']],
  },
  'channel.open-ok': {
    classId: 20, methodId: 11, synchronous: false, content: false,
    fields: [['channelId', 'longstr']],
  },
  'channel.flow': {
    classId: 20, methodId: 20, synchronous: true, content: false,
    fields: [['active', 'bit']],
  },
  'channel.flow-ok': {
    classId: 20, methodId: 21, synchronous: false, content: false,
    fields: [['active', 'bit']],
  },
  'channel.close': {
    classId: 20, methodId: 40, synchronous: true, content: false,
    fields: CLOSE_FIELDS,
  },
  'channel.close-ok': {
    classId: 20, methodId: 41, synchronous: false, content: false,
    fields: [],
  },

  'access.request': {
    classId: 30, methodId: 10, synchronous: true, content: false,
    fields: [
      ['realm', 'shortstr'],
      ['exclusive', 'bit'],
      ['passive', 'bit'],
      ['active', 'bit'],
      ['write', 'bit'],
      ['read', 'bit'],
    ],
  },
  'access.request-ok': {
    classId: 30, methodId: 11, synchronous: false, content: false,
    fields: [TICKET],
  },

  'exchange.declare': {
    classId: 40, methodId: 10, synchronous: true, content: false,
    fields: [
      TICKET,
      ['exchange', 'shortstr'],
      ['type', 'shortstr'],
      ['passive', 'bit'],
      ['durable', 'bit'],
      ['autoDelete', 'bit'],
      ['internal', 'bit'],
      NOWAIT,
      ARGUMENTS,
    ],
  },
  'exchange.declare-ok': {
    classId: 40, methodId: 11, synchronous: false, content: false,
    fields: [],
  },
  'exchange.delete': {
    classId: 40, methodId: 20, synchronous: true, content: false,
    fields: [TICKET, ['exchange', 'shortstr'], ['ifUnused', 'bit'], NOWAIT],
  },
  'exchange.delete-ok': {
    classId: 40, methodId: 21, synchronous: false, content: false,
    fields: [],
  },
  'exchange.bind': {
    classId: 40, methodId: 30, synchronous: true, content: false,
    fields: [
      TICKET,
      ['destination', 'shortstr'],
      ['source', 'shortstr'],
      ['routingKey', 'shortstr'],
      NOWAIT,
      ARGUMENTS,
    ],
  },
  'exchange.bind-ok': {
    classId: 40, methodId: 31, synchronous: false, content: false,
    fields: [],
  },
  'exchange.unbind': {
    classId: 40, methodId: 40, synchronous: true, content: false,
    fields: [
      TICKET,
      ['destination', 'shortstr'],
      ['source', 'shortstr'],
      ['routingKey', 'shortstr'],
      NOWAIT,
      ARGUMENTS,
    ],
  },
  // 51, not 41: the id RabbitMQ and every client use.
  'exchange.unbind-ok': {
    classId: 40, methodId: 51, synchronous: false, content: false,
    fields: [],
  },

  'queue.declare': {
    classId: 50, methodId: 10, synchronous: true, content: false,
    fields: [
      TICKET,
      ['queue', 'shortstr'],
      ['passive', 'bit'],
      ['durable', 'bit'],
      ['exclusive', 'bit'],
      ['autoDelete', 'bit'],
      NOWAIT,
      ARGUMENTS,
    ],
  },
  'queue.declare-ok': {
    classId: 50, methodId: 11, synchronous: false, content: false,
    fields: [['queue', 'shortstr'], ['messageCount', 'long'], ['consumerCount', 'long']],
  },
  'queue.bind': {
    classId: 50, methodId: 20, synchronous: true, content: false,
    fields: [
      TICKET,
      ['queue', 'shortstr'],
      ['exchange', 'shortstr'],
      ['routingKey', 'shortstr'],
      NOWAIT,
      ARGUMENTS,
    ],
  },
  'queue.bind-ok': {
    classId: 50, methodId: 21, synchronous: false, content: false,
    fields: [],
  },
  'queue.purge': {
    classId: 50, methodId: 30, synchronous: true, content: false,
    fields: [TICKET, ['queue', 'shortstr'], NOWAIT],
  },
  'queue.purge-ok': {
    classId: 50, methodId: 31, synchronous: false, content: false,
    fields: [['messageCount', 'long']],
  },
  'queue.delete': {
    classId: 50, methodId: 40, synchronous: true, content: false,
    fields: [TICKET, ['queue', 'shortstr'], ['ifUnused', 'bit'], ['ifEmpty', 'bit'], NOWAIT],
  },
  'queue.delete-ok': {
    classId: 50, methodId: 41, synchronous: false, content: false,
    fields: [['messageCount', 'long']],
  },
  // queue.unbind has no nowait bit: the reply is always sent.
  'queue.unbind': {
    classId: 50, methodId: 50, synchronous: true, content: false,
    fields: [
      TICKET,
      ['queue', 'shortstr'],
      ['exchange', 'shortstr'],
      ['routingKey', 'shortstr'],
      ARGUMENTS,
    ],
  },
  'queue.unbind-ok': {
    classId: 50, methodId: 51, synchronous: false, content: false,
    fields: [],
  },

  'basic.qos': {
    classId: 60, methodId: 10, synchronous: true, content: false,
    fields: [['prefetchSize', 'long'], ['prefetchCount', 'short'], ['global', 'bit']],
  },
  'basic.qos-ok': {
    classId: 60, methodId: 11, synchronous: false, content: false,
    fields: [],
  },
  'basic.consume': {
    classId: 60, methodId: 20, synchronous: true, content: false,
    fields: [
      TICKET,
      ['queue', 'shortstr'],
      ['consumerTag', 'shortstr'],
      ['noLocal', 'bit'],
      ['noAck', 'bit'],
      ['exclusive', 'bit'],
      NOWAIT,
      ARGUMENTS,
    ],
  },
  'basic.consume-ok': {
    classId: 60, methodId: 21, synchronous: false, content: false,
    fields: [['consumerTag', 'shortstr']],
  },
  'basic.cancel': {
    classId: 60, methodId: 30, synchronous: true, content: false,
    fields: [['consumerTag', 'shortstr'], NOWAIT],
  },
  'basic.cancel-ok': {
    classId: 60, methodId: 31, synchronous: false, content: false,
    fields: [['consumerTag', 'shortstr']],
  },
  'basic.publish': {
    classId: 60, methodId: 40, synchronous: false, content: true,
    fields: [
      TICKET,
      ['exchange', 'shortstr'],
      ['routingKey', 'shortstr'],
      ['mandatory', 'bit'],
      ['immediate', 'bit'],
    ],
  },
  'basic.return': {
    classId: 60, methodId: 50, synchronous: false, content: true,
    fields: [
      ['replyCode', 'short'],
      ['replyText', 'shortstr'],
      ['exchange', 'shortstr'],
      ['routingKey', 'shortstr'],
    ],
  },
  'basic.deliver': {
    classId: 60, methodId: 60, synchronous: false, content: true,
    fields: [
      ['consumerTag', 'shortstr'],
      ['deliveryTag', 'longlong'],
      ['redelivered', 'bit'],
      ['exchange', 'shortstr'],
      ['routingKey', 'shortstr'],
    ],
  },
  'basic.get': {
    classId: 60, methodId: 70, synchronous: true, content: false,
    fields: [TICKET, ['queue', 'shortstr'], ['noAck', 'bit']],
  },
  'basic.get-ok': {
    classId: 60, methodId: 71, synchronous: false, content: true,
    fields: [
      ['deliveryTag', 'longlong'],
      ['redelivered', 'bit'],
      ['exchange', 'shortstr'],
      ['routingKey', 'shortstr'],
      ['messageCount', 'long'],
    ],
  },
  'basic.get-empty': {
    classId: 60, methodId: 72, synchronous: false, content: false,
    fields: [['clusterId', 'shortstr']],
  },
  'basic.ack': {
    classId: 60, methodId: 80, synchronous: false, content: false,
    fields: [['deliveryTag', 'longlong'], ['multiple', 'bit']],
  },
  'basic.reject': {
    classId: 60, methodId: 90, synchronous: false, content: false,
    fields: [['deliveryTag', 'longlong'], ['requeue', 'bit']],
  },
  'basic.recover-async': {
    classId: 60, methodId: 100, synchronous: false, content: false,
    fields: [['requeue', 'bit']],
  },
  'basic.recover': {
    classId: 60, methodId: 110, synchronous: true, content: false,
    fields: [['requeue', 'bit']],
  },
  'basic.recover-ok': {
    classId: 60, methodId: 111, synchronous: false, content: false,
    fields: [],
  },
  'basic.nack': {
    classId: 60, methodId: 120, synchronous: false, content: false,
    fields: [['deliveryTag', 'longlong'], ['multiple', 'bit'], ['requeue', 'bit']],
  },

  'tx.select': { classId: 90, methodId: 10, synchronous: true, content: false, fields: [] },
  'tx.select-ok': { classId: 90, methodId: 11, synchronous: false, content: false, fields: [] },
  'tx.commit': { classId: 90, methodId: 20, synchronous: true, content: false, fields: [] },
  'tx.commit-ok': { classId: 90, methodId: 21, synchronous: false, content: false, fields: [] },
  'tx.rollback': { classId: 90, methodId: 30, synchronous: true, content: false, fields: [] },
  'tx.rollback-ok': { classId: 90, methodId: 31, synchronous: false, content: false, fields: [] },

  'confirm.select': {
    classId: 85, methodId: 10, synchronous: true, content: false,
    fields: [NOWAIT],
  },
  'confirm.select-ok': {
    classId: 85, methodId: 11, synchronous: false, content: false,
    fields: [],
  },
} as const satisfies Record<string, MethodSpec>;

export type MethodName = keyof typeof METHODS;

/** The basic class's content properties in wire order; the first has flag bit 15, the last bit 2. */
export const BASIC_PROPERTIES = [
  ['contentType', 'shortstr'],
  ['contentEncoding', 'shortstr'],
  ['headers', 'table'],
  ['deliveryMode', 'octet'],
  ['priority', 'octet'],
  ['correlationId', 'shortstr'],
  ['replyTo', 'shortstr'],
  ['expiration', 'shortstr'],
  ['messageId', 'shortstr'],
  ['timestamp', 'timestamp'],
  ['type', 'shortstr'],
  ['userId', 'shortstr'],
  ['appId', 'shortstr'],
  ['clusterId', 'shortstr'],
] as const satisfies readonly FieldSpec[];

export const BASIC_CLASS_ID = 60;

/** The flag bit of the property at `index` in BASIC_PROPERTIES. */
export function propertyFlag(index: number): number {
  return 0x8000 >>> index;
}
