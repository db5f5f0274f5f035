// set_policy's input checked as RabbitMQ 3.10 checks it on the node (rabbit_policy,
// rabbit_policies, rabbit_mirror_queue_misc, rabbit_queue_location_validator), with its texts:
// the definition must be a JSON object of known keys with valid values; apply-to must be queues,
// exchanges or all; the pattern must be a regular expression. Failures carry each message as
// text around one Erlang-shaped value (control/term-json.ts), which the CLI prints as Erlang's ~p
// would. A valid definition is stored as plain JSON with its keys sorted, as RabbitMQ keeps it
// (an Erlang map turned into a list).

import { ControlError } from '../control/errors.js';
import { tStr, tTuple, type TermJson } from '../control/term-json.js';
import type { PolicyRecord } from '../broker/metadata.js';
import { parseJson } from './vhost-limits.js';

/** One validation message: `before`, then the value as ~p prints it, then `after`. */
export interface PolicyProblem {
  before: string;
  term?: TermJson;
  after?: string;
}

type Entry = [string, TermJson];
type Check = (entries: Entry[]) => PolicyProblem | undefined;

const isInt = (v: TermJson): v is number => typeof v === 'number' && Number.isInteger(v);
const nonNegative = (v: TermJson) => isInt(v) && v >= 0;
const oneOf = (...values: string[]) => (v: TermJson) => typeof v === 'string' && values.includes(v);
const problem = (term: TermJson, after: string): PolicyProblem => ({ before: '', term, after });

/** rabbit_policies: each key's test and the text after the value when it fails. */
const PLAIN_KEYS: Record<string, [(v: TermJson) => boolean, string]> = {
  'alternate-exchange': [(v) => typeof v === 'string', ' is not a valid alternate exchange name'],
  'dead-letter-exchange': [(v) => typeof v === 'string', ' is not a valid dead letter exchange name'],
  'dead-letter-routing-key': [(v) => typeof v === 'string', ' is not a valid dead letter routing key'],
  'dead-letter-strategy': [oneOf('at-most-once', 'at-least-once'), ' is not a valid dead letter strategy'],
  'message-ttl': [nonNegative, ' is not a valid message TTL'],
  expires: [(v) => isInt(v) && v >= 1, ' is not a valid queue expiry'],
  'max-length': [nonNegative, ' is not a valid maximum length'],
  'max-length-bytes': [nonNegative, ' is not a valid maximum length in bytes'],
  'max-in-memory-length': [nonNegative, ' is not a valid maximum memory in bytes'],
  'max-in-memory-bytes': [nonNegative, ' is not a valid maximum memory in bytes'],
  'queue-mode': [oneOf('default', 'lazy'), ' is not a valid queue-mode value'],
  'queue-version': [(v) => v === 1 || v === 2, ' is not a valid queue-version value'],
  overflow: [oneOf('drop-head', 'reject-publish', 'reject-publish-dlx'), ' is not a valid overflow value'],
  'delivery-limit': [nonNegative, ' is not a valid delivery limit'],
  // RabbitMQ crashes on a max-age that is not a string or has no digits; Warren gives this text.
  'max-age': [(v) => typeof v === 'string' && /^[0-9]*[1-9][0-9]*[YMDhms]$/.test(v), ' is not a valid max age'],
  'stream-max-segment-size-bytes': [nonNegative, ' is not a valid segment size'],
  'queue-leader-locator': [oneOf('client-local', 'balanced', 'random', 'least-leaders'), ' is not a valid queue leader locator value'],
  'initial-cluster-size': [nonNegative, ' is not a valid cluster size'],
};

/** rabbit_policies checks its keys in the definition's (sorted) order and stops at the first failure. */
const plainKeys: Check = (entries) => {
  for (const [k, v] of entries) {
    const [ok, text] = PLAIN_KEYS[k];
    if (!ok(v)) return problem(v, text);
  }
  return undefined;
};

const queueMasterLocator: Check = ([[, v]]) =>
  oneOf('min-masters', 'client-local', 'random')(v) ? undefined : problem(v, ' invalid queue-master-locator value');

const NONE = { $atom: 'none' } as const;

/** ha-params as each ha-mode wants it (rabbit_mirror_queue_mode_{all,exactly,nodes}). */
function haParams(mode: string, params: TermJson | undefined): PolicyProblem | undefined {
  switch (mode) {
    case 'all':
      return params === undefined ? undefined : { before: 'ha-mode="all" does not take parameters' };
    case 'exactly':
      return isInt(params ?? null) && (params as number) > 0 ? undefined : { before: 'ha-mode="exactly" takes an integer, ', term: params ?? NONE, after: ' given' };
    default: {
      if (!Array.isArray(params)) return { before: 'ha-mode="nodes" takes a list, ', term: params ?? NONE, after: ' given' };
      if (params.length === 0) return { before: 'ha-mode="nodes" list must be non-empty' };
      const invalid = params.filter((p) => typeof p !== 'string');
      return invalid.length === 0 ? undefined : { before: 'ha-mode="nodes" takes a list of strings, ', term: invalid, after: ' was not a string' };
    }
  }
}

/** rabbit_mirror_queue_misc: ha-mode first, then sync mode, batch size, promotion; first failure wins. */
const mirroring: Check = (entries) => {
  const get = (k: string) => entries.find(([key]) => key === k)?.[1];
  const mode = get('ha-mode');
  if (mode === undefined) {
    return { before: 'ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown' };
  }
  // RabbitMQ crashes on an ha-mode that is not a string; Warren reports it as any other bad mode.
  if (typeof mode !== 'string' || !['all', 'exactly', 'nodes'].includes(mode)) return problem(mode, ' is not a valid ha-mode value');
  const either = (key: string, a: string, b: string) => {
    const v = get(key);
    return v === undefined || v === a || v === b ? undefined : { before: `${key} must be "${a}" or "${b}", got `, term: v };
  };
  const batch = get('ha-sync-batch-size');
  return (
    haParams(mode, get('ha-params')) ??
    either('ha-sync-mode', 'manual', 'automatic') ??
    (batch === undefined || (isInt(batch) && batch > 0)
      ? undefined
      : { before: 'ha-sync-batch-size takes an integer greater than 0, ', term: batch, after: ' given' }) ??
    either('ha-promote-on-shutdown', 'always', 'when-synced') ??
    either('ha-promote-on-failure', 'always', 'when-synced')
  );
};

const HA_KEYS = ['ha-mode', 'ha-params', 'ha-sync-mode', 'ha-sync-batch-size', 'ha-promote-on-shutdown', 'ha-promote-on-failure'];

/** The validators in the order RabbitMQ 3.10 runs them, each with the keys it owns. */
const VALIDATORS: Array<[string[], Check]> = [
  [['queue-master-locator'], queueMasterLocator],
  [Object.keys(PLAIN_KEYS), plainKeys],
  [HA_KEYS, mirroring],
];

/** The definition's problem, if any: the first validator's failure, else the keys nobody knows. */
export function definitionProblem(entries: Entry[]): PolicyProblem | undefined {
  if (entries.length === 0) return { before: 'no policy provided' };
  for (const [keys, check] of VALIDATORS) {
    const scope = entries.filter(([k]) => keys.includes(k));
    if (scope.length === 0) continue;
    const p = check(scope);
    if (p !== undefined) return p;
  }
  const known = VALIDATORS.flatMap(([keys]) => keys);
  const unknown = entries.filter(([k]) => !known.includes(k));
  if (unknown.length > 0) return { before: '', term: unknown.map(([k, v]) => tTuple(k, v)), after: ' are not recognised policy settings' };
  return undefined;
}

export function applyToProblem(applyTo: string): PolicyProblem | undefined {
  return ['queues', 'exchanges', 'all'].includes(applyTo)
    ? undefined
    : { before: `apply-to '${applyTo}' unrecognised; should be 'queues', 'exchanges' or 'all'` };
}

/**
 * Whether the pattern compiles, with PCRE's words for the mistakes people make (Erlang's `re`
 * is PCRE; JavaScript's engine is close enough to decide, not to phrase).
 */
export function patternProblem(pattern: string): PolicyProblem | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    const msg = (err as Error).message;
    const at = (reason: string, offset: number) => ({
      before: 'pattern should be regular expression but is invalid: ',
      term: tTuple(tStr(reason), offset),
    });
    if (/Unterminated group/.test(msg)) return at('missing )', pattern.length);
    if (/Unmatched '\)'/.test(msg)) return at('unmatched parentheses', pattern.indexOf(')'));
    if (/Unterminated character class/.test(msg)) return at('missing terminating ] for character class', pattern.length);
    if (/Nothing to repeat/.test(msg)) return at('nothing to repeat', Math.max(0, pattern.search(/[*+?{]/)));
    if (/numbers out of order/.test(msg)) return at('numbers out of order in {} quantifier', pattern.indexOf('}'));
    return at(msg.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, ''), pattern.length);
  }
}

/** A TermJson value as plain JSON (floats become numbers, objects get sorted keys). */
function plain(v: TermJson): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain);
  if ('$float' in v) return v.$float;
  if ('$atom' in v) return v.$atom === 'null' ? null : v.$atom;
  if ('$map' in v) return Object.fromEntries(sortedEntries(v.$map).map(([k, x]) => [k, plain(x)]));
  return null;
}

function sortedEntries(map: Array<[TermJson, TermJson]>): Entry[] {
  // A repeated key keeps its last value, as a JSON object decoded into an Erlang map does.
  const byKey = new Map(map.map(([k, v]) => [String(k), v]));
  return [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface PolicyInput {
  vhost: string;
  name: string;
  pattern: string;
  definition: string;
  priority: number;
  applyTo: string;
}

/**
 * The policy set_policy describes, or a ControlError: `json_decoding_error`, `badmap` (valid
 * JSON that is not an object: RabbitMQ crashes, the CLI prints the crash) or
 * `validation_failed` with the problems in RabbitMQ's order (definition, apply-to, pattern).
 */
export function parsePolicy(input: PolicyInput): PolicyRecord {
  let parsed: TermJson;
  try {
    parsed = parseJson(input.definition);
  } catch {
    throw new ControlError('json_decoding_error', 'JSON decoding error. Reason: badarg');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !('$map' in parsed)) {
    throw new ControlError('badmap', 'not a JSON object', { value: parsed });
  }
  const entries = sortedEntries(parsed.$map);
  const problems = [definitionProblem(entries), applyToProblem(input.applyTo), patternProblem(input.pattern)].filter(
    (p): p is PolicyProblem => p !== undefined,
  );
  if (problems.length > 0) throw new ControlError('validation_failed', 'Validation failed', { problems });
  return {
    vhost: input.vhost,
    name: input.name,
    pattern: input.pattern,
    applyTo: input.applyTo,
    priority: input.priority,
    definition: plain(parsed) as Record<string, unknown>,
  };
}
