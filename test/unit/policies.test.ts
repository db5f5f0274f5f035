// Policies without a node: set_policy's validation texts as a RabbitMQ 3.10 node gives them (each
// expected text was taken from one), which policy applies to a name, and how a policy's
// definition merges with a queue's arguments.

import { describe, expect, it } from 'vitest';
import { matchPolicy, listingOrder } from '../../src/broker/policies.js';
import type { PolicyRecord } from '../../src/broker/metadata.js';
import { ControlError } from '../../src/control/errors.js';
import { parsePolicy, type PolicyProblem } from '../../src/node/policy-validation.js';
import { validationText } from '../../src/cli/commands/set_policy.js';
import { settingsFromArguments } from '../../src/queues/arguments.js';

/** What warrenctl prints after "Error:\n" for a set_policy, or 'ok'. */
function outcome(definition: string, pattern = '^x', applyTo = 'all'): string {
  try {
    parsePolicy({ vhost: '/', name: 'p1', pattern, definition, priority: 0, applyTo });
    return 'ok';
  } catch (err) {
    if (!(err instanceof ControlError)) throw err;
    if (err.code === 'validation_failed') return validationText((err.data as { problems: PolicyProblem[] }).problems);
    return `${err.code}: ${err.message}`;
  }
}

const failed = (...lines: string[]) => `Validation failed\n\n${lines.join('\n')}\n`;

describe('set_policy validation', () => {
  it.each([
    ['{"ha-mode":"all","ha-params":1}', 'ha-mode="all" does not take parameters'],
    ['{"ha-mode":"exactly","ha-params":0}', 'ha-mode="exactly" takes an integer, 0 given'],
    ['{"ha-mode":"exactly","ha-params":2.0}', 'ha-mode="exactly" takes an integer, 2.0 given'],
    ['{"ha-mode":"exactly"}', 'ha-mode="exactly" takes an integer, none given'],
    ['{"ha-mode":"nodes"}', 'ha-mode="nodes" takes a list, none given'],
    ['{"ha-mode":"nodes","ha-params":[]}', 'ha-mode="nodes" list must be non-empty'],
    ['{"ha-mode":"nodes","ha-params":["a",1,true]}', 'ha-mode="nodes" takes a list of strings, [1,true] was not a string'],
    ['{"ha-mode":"nodes","ha-params":"a"}', 'ha-mode="nodes" takes a list, <<"a">> given'],
    ['{"ha-params":1}', 'ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown'],
    ['{"ha-mode":"all","ha-sync-mode":"x"}', 'ha-sync-mode must be "manual" or "automatic", got <<"x">>'],
    ['{"ha-mode":"all","ha-sync-batch-size":0}', 'ha-sync-batch-size takes an integer greater than 0, 0 given'],
    ['{"ha-mode":"all","ha-promote-on-shutdown":"x"}', 'ha-promote-on-shutdown must be "always" or "when-synced", got <<"x">>'],
    ['{"ha-mode":"all","ha-promote-on-failure":"x"}', 'ha-promote-on-failure must be "always" or "when-synced", got <<"x">>'],
    ['{"ha-mode":"bogus","ha-sync-mode":"x"}', '<<"bogus">> is not a valid ha-mode value'],
    ['{"message-ttl":-1}', '-1 is not a valid message TTL'],
    ['{"message-ttl":null}', 'null is not a valid message TTL'],
    ['{"expires":0}', '0 is not a valid queue expiry'],
    ['{"max-length":1.5}', '1.5 is not a valid maximum length'],
    ['{"max-length-bytes":-1}', '-1 is not a valid maximum length in bytes'],
    ['{"overflow":"x"}', '<<"x">> is not a valid overflow value'],
    ['{"queue-mode":"x"}', '<<"x">> is not a valid queue-mode value'],
    ['{"dead-letter-exchange":1}', '1 is not a valid dead letter exchange name'],
    ['{"dead-letter-routing-key":1}', '1 is not a valid dead letter routing key'],
    ['{"alternate-exchange":1}', '1 is not a valid alternate exchange name'],
    ['{"queue-master-locator":"x"}', '<<"x">> invalid queue-master-locator value'],
    ['{"delivery-limit":-1}', '-1 is not a valid delivery limit'],
    ['{"queue-version":3}', '3 is not a valid queue-version value'],
    ['{"max-age":"1Q"}', '<<"1Q">> is not a valid max age'],
    ['{"federation-upstream":"x"}', '[{<<"federation-upstream">>,<<"x">>}] are not recognised policy settings'],
    ['{"a":1,"b":{"c":[1,2.5]},"frob":"x"}', '[{<<"a">>,1},{<<"b">>,#{<<"c">> => [1,2.5]}},{<<"frob">>,<<"x">>}] are not recognised policy settings'],
    ['{}', 'no policy provided'],
    // Validators run in RabbitMQ's order, each stopping at its first failure (keys sorted).
    ['{"message-ttl":-1,"ha-mode":"bogus","queue-master-locator":"x"}', '<<"x">> invalid queue-master-locator value'],
    ['{"message-ttl":-1,"max-length":-1}', '-1 is not a valid maximum length'],
    ['{"frob":1, "ha-mode":"bogus"}', '<<"bogus">> is not a valid ha-mode value'],
  ])('%s', (definition, text) => {
    expect(outcome(definition)).toBe(failed(text));
  });

  it('accepts the keys RabbitMQ 3.10 knows with good values, a repeated key keeping its last value', () => {
    for (const d of [
      '{"ha-mode":"exactly","ha-params":2,"ha-sync-mode":"automatic","ha-sync-batch-size":10,"ha-promote-on-shutdown":"always","ha-promote-on-failure":"when-synced"}',
      '{"ha-mode":"nodes","ha-params":["rabbit@a"]}',
      '{"message-ttl":0,"expires":1,"max-length":0,"max-length-bytes":0,"overflow":"reject-publish-dlx","queue-mode":"lazy"}',
      '{"dead-letter-exchange":"","dead-letter-routing-key":"k","alternate-exchange":"ae","queue-master-locator":"min-masters"}',
      '{"max-age":"1D","queue-leader-locator":"balanced","queue-version":2,"delivery-limit":3}',
      '{"message-ttl":1,"message-ttl":2}',
    ]) {
      expect({ d, result: outcome(d) }).toEqual({ d, result: 'ok' });
    }
    const p = parsePolicy({ vhost: '/', name: 'p', pattern: 'x', definition: '{"max-length":1,"ha-params":["b","a"],"ha-mode":"nodes"}', priority: 2, applyTo: 'queues' });
    expect(JSON.stringify(p.definition)).toBe('{"ha-mode":"nodes","ha-params":["b","a"],"max-length":1}');
  });

  it('reports the definition, then apply-to, then the pattern, as RabbitMQ does', () => {
    expect(outcome('{"ha-mode":"bogus"}', '(', 'bogus')).toBe(
      failed(
        '<<"bogus">> is not a valid ha-mode value',
        "apply-to 'bogus' unrecognised; should be 'queues', 'exchanges' or 'all'",
        'pattern should be regular expression but is invalid: {"missing )",1}',
      ),
    );
    expect(outcome('{"ha-mode":"all"}', '*')).toBe(failed('pattern should be regular expression but is invalid: {"nothing to repeat",0}'));
    // ~p wraps a tuple that would pass 80 columns, under its opening brace.
    expect(outcome('{"ha-mode":"all"}', '[')).toBe(
      failed(
        'pattern should be regular expression but is invalid: {"missing terminating ] for character class",\n' +
          `${' '.repeat(54)}1}`,
      ),
    );
  });

  it('refuses what is not JSON, and JSON that is not an object', () => {
    expect(outcome('{ha-mode:all}')).toBe('json_decoding_error: JSON decoding error. Reason: badarg');
    expect(outcome('[1]')).toBe('badmap: not a JSON object');
  });
});

const policy = (name: string, pattern: string, priority = 0, applyTo = 'all', vhost = '/'): PolicyRecord => ({
  vhost,
  name,
  pattern,
  applyTo,
  priority,
  definition: {},
});

describe('which policy applies', () => {
  it('matches the pattern anywhere in the name, in the vhost, for the kind apply-to names', () => {
    const ps = [policy('a', 'q\\.'), policy('ex', '.', 9, 'exchanges'), policy('other', '.', 9, 'all', 'v2')];
    expect(matchPolicy(ps, '/', 'queues', 'my.q.1')?.name).toBe('a');
    expect(matchPolicy(ps, '/', 'queues', 'plain')).toBeUndefined();
    expect(matchPolicy(ps, '/', 'exchanges', 'plain')?.name).toBe('ex');
  });

  it('takes the highest priority, and on a tie the name that sorts first', () => {
    const ps = [policy('zz', '^a', 5), policy('low', '^a', 1), policy('mm', '^a', 5)];
    expect(matchPolicy(ps, '/', 'queues', 'abc')?.name).toBe('mm');
    expect(matchPolicy([ps[1]], '/', 'queues', 'abc')?.name).toBe('low');
  });

  it('lists lowest priority first, then by name', () => {
    const ps = [policy('b', 'x', 1), policy('c', 'x', 0), policy('a', 'x', 0)];
    expect(ps.sort(listingOrder).map((p) => p.name)).toEqual(['a', 'c', 'b']);
  });
});

describe('a policy merged with queue arguments', () => {
  const args = (entries: Record<string, unknown>) => new Map(Object.entries(entries)) as never;
  const int = (value: number) => ({ type: 'I', value });

  it('takes the smaller limit and the argument first for the rest, key by key', () => {
    const s = settingsFromArguments(
      args({ 'x-max-length': int(5), 'x-message-ttl': int(100), 'x-dead-letter-exchange': 'argdlx', 'x-overflow': 'reject-publish' }),
      { 'max-length': 10, 'message-ttl': 50, expires: 1000, 'dead-letter-exchange': 'poldlx', 'dead-letter-routing-key': 'rk', overflow: 'drop-head', 'queue-mode': 'lazy' },
    );
    expect(s).toMatchObject({
      maxLength: 5,
      messageTtl: 50,
      expires: 1000,
      deadLetterExchange: 'argdlx',
      deadLetterRoutingKey: 'rk',
      overflow: 'reject-publish',
    });
    expect(settingsFromArguments(args({ 'x-ha-policy': 'all' }))).toMatchObject({ maxLength: undefined, overflow: 'drop-head' });
  });
});
