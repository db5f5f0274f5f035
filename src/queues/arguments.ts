// Queue arguments (x-message-ttl, x-max-length, x-dead-letter-exchange, ...): validation with
// RabbitMQ's error texts, the equivalence check for a redeclare, and the settings a queue runs
// with once its policy is merged in. Unknown arguments (x-ha-policy, which 3.x ignores, among
// them) are accepted, kept and listed, and change nothing.

import { AmqpError } from '../amqp/errors.js';
import { PRECONDITION_FAILED } from '../amqp/spec.js';
import type { FieldTable, FieldValue } from '../amqp/table.js';

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

export interface QueueSettings {
  messageTtl: number | undefined;
  expires: number | undefined;
  maxLength: number | undefined;
  maxLengthBytes: number | undefined;
  overflow: Overflow;
  deadLetterExchange: string | undefined;
  deadLetterRoutingKey: string | undefined;
  maxPriority: number | undefined;
  singleActiveConsumer: boolean;
}

/** The AMQP type name RabbitMQ prints for a value (signedint, longstr, bool, ...). */
export function typeName(v: FieldValue): string {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'longstr';
  if (v === null) return 'void';
  if (Buffer.isBuffer(v)) return 'binary';
  if (v instanceof Map) return 'table';
  if (Array.isArray(v)) return 'array';
  switch (v.type) {
    case 'b':
      return 'byte';
    case 'B':
      return 'unsignedbyte';
    case 's':
      return 'short';
    case 'u':
      return 'unsignedshort';
    case 'I':
      return 'signedint';
    case 'i':
      return 'unsignedint';
    case 'l':
      return 'long';
    case 'f':
      return 'float';
    case 'd':
      return 'double';
    case 'T':
      return 'timestamp';
    case 'D':
      return 'decimal';
    case 'S':
      return 'longstr';
  }
}

function integerOf(v: FieldValue | undefined): number | undefined {
  if (v === undefined || v === null || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Map || Array.isArray(v)) return undefined;
  if (v.type === 'f' || v.type === 'd' || v.type === 'D' || v.type === 'S') return undefined;
  return Number(v.value);
}

/** A value as RabbitMQ prints it inside an error: numbers bare, strings as <<"x">>. */
export function printValue(v: FieldValue): string {
  if (typeof v === 'string') return `<<"${v}">>`;
  if (typeof v === 'boolean') return String(v);
  const n = integerOf(v);
  return n === undefined ? typeName(v) : String(n);
}

function invalid(queue: string, vhost: string, arg: string, reason: string): AmqpError {
  return new AmqpError(PRECONDITION_FAILED, `invalid arg '${arg}' for queue '${queue}' in vhost '${vhost}': ${reason}`);
}

const NON_NEGATIVE_INTS = ['x-message-ttl', 'x-max-length', 'x-max-length-bytes'];

/** Checks a declare's arguments as RabbitMQ does; throws 406 with its text. */
export function validateArguments(args: FieldTable, queue: string, vhost: string): void {
  for (const [key, value] of args) {
    if (NON_NEGATIVE_INTS.includes(key) || key === 'x-expires' || key === 'x-max-priority') {
      const n = integerOf(value);
      if (n === undefined) throw invalid(queue, vhost, key, `{unacceptable_type,${typeName(value)}}`);
      if (key === 'x-expires' && n <= 0) throw invalid(queue, vhost, key, `{value_zero,${n}}`);
      if (n < 0) throw invalid(queue, vhost, key, `{value_negative,${n}}`);
      if (key === 'x-max-priority' && n > 255) throw invalid(queue, vhost, key, `{value_too_large,${n},255}`);
    } else if (key === 'x-dead-letter-exchange' || key === 'x-dead-letter-routing-key' || key === 'x-queue-type' || key === 'x-overflow' || key === 'x-queue-mode') {
      if (typeof value !== 'string') throw invalid(queue, vhost, key, `{unacceptable_type,${typeName(value)}}`);
      if (key === 'x-overflow' && !['drop-head', 'reject-publish', 'reject-publish-dlx'].includes(value)) {
        throw invalid(queue, vhost, key, `{unacceptable_value,<<"${value}">>}`);
      }
      if (key === 'x-queue-mode' && !['default', 'lazy'].includes(value)) {
        throw invalid(queue, vhost, key, `{unacceptable_value,<<"${value}">>}`);
      }
    } else if (key === 'x-single-active-consumer') {
      if (typeof value !== 'boolean') throw invalid(queue, vhost, key, `{unacceptable_type,${typeName(value)}}`);
    }
  }
  if (args.has('x-dead-letter-routing-key') && !args.has('x-dead-letter-exchange')) {
    throw invalid(queue, vhost, 'x-dead-letter-routing-key', 'x-dead-letter-exchange argument is missing');
  }
}

/** Arguments whose difference makes a redeclare inequivalent (RabbitMQ's list). */
const EQUIVALENCE_KEYS = [
  'x-expires',
  'x-message-ttl',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-queue-type',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-single-active-consumer',
];

function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const na = integerOf(a);
  const nb = integerOf(b);
  if (na !== undefined || nb !== undefined) return na === nb;
  return a === b;
}

function shown(v: FieldValue): string {
  return typeof v === 'string' ? v : String(integerOf(v) ?? typeName(v));
}

/** RabbitMQ's wording: both values alone when both exist, else the type of the one there is. */
function difference(a: FieldValue | undefined, b: FieldValue | undefined): string {
  if (a !== undefined && b !== undefined) return `received '${shown(a)}' but current is '${shown(b)}'`;
  const describe = (v: FieldValue | undefined) => (v === undefined ? 'none' : `the value '${shown(v)}' of type '${typeName(v)}'`);
  return `received ${describe(a)} but current is ${describe(b)}`;
}

/** Throws 406 when a redeclare's arguments differ from the current ones in a way that matters. */
export function checkEquivalentArguments(
  current: FieldTable,
  received: FieldTable,
  kind: 'queue' | 'exchange',
  name: string,
  vhost: string,
): void {
  for (const key of kind === 'queue' ? EQUIVALENCE_KEYS : ['alternate-exchange']) {
    const a = received.get(key);
    const b = current.get(key);
    if (!sameValue(a, b)) {
      throw new AmqpError(
        PRECONDITION_FAILED,
        `inequivalent arg '${key}' for ${kind} '${name}' in vhost '${vhost}': ${difference(a, b)}`,
      );
    }
  }
}

/** A policy's definition as stored: its JSON object, keys without the `x-` prefix. */
export type PolicyDefinition = Readonly<Record<string, unknown>>;

/**
 * The settings a queue runs with: its arguments, merged with the definition of the policy that
 * applies to it as RabbitMQ 3.10's queue process merges them (rabbit_amqqueue_process
 * process_args_policy): for message-ttl, expires, max-length and max-length-bytes the smaller
 * of the two wins; for dead-letter-exchange, dead-letter-routing-key and overflow the queue's
 * own argument wins and the policy only fills in what the arguments leave out. Each key is
 * resolved alone, so a policy's routing key can join an argument's exchange.
 */
export function settingsFromArguments(args: FieldTable, policy: PolicyDefinition = {}): QueueSettings {
  const polInt = (k: string) => (Number.isInteger(policy[k]) ? (policy[k] as number) : undefined);
  const polStr = (k: string) => (typeof policy[k] === 'string' ? (policy[k] as string) : undefined);
  const smaller = (k: string) => {
    const a = integerOf(args.get(`x-${k}`));
    const p = polInt(k);
    return a === undefined ? p : p === undefined ? a : Math.min(a, p);
  };
  const argFirst = (k: string) => {
    const v = args.get(`x-${k}`);
    return typeof v === 'string' ? v : polStr(k);
  };
  const maxPriority = integerOf(args.get('x-max-priority'));
  return {
    messageTtl: smaller('message-ttl'),
    expires: smaller('expires'),
    maxLength: smaller('max-length'),
    maxLengthBytes: smaller('max-length-bytes'),
    overflow: (argFirst('overflow') as Overflow | undefined) ?? 'drop-head',
    deadLetterExchange: argFirst('dead-letter-exchange'),
    deadLetterRoutingKey: argFirst('dead-letter-routing-key'),
    maxPriority: maxPriority === undefined || maxPriority === 0 ? undefined : Math.min(maxPriority, 255),
    singleActiveConsumer: args.get('x-single-active-consumer') === true,
  };
}
