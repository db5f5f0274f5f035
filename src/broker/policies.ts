// Which policy applies to a queue or an exchange, and the order list_policies shows policies in.
// As in RabbitMQ, a policy applies when it is in the entity's vhost, its apply-to covers the
// entity's kind ('all' covers both), and its pattern matches the name anywhere (an unanchored
// search, as Erlang's re:run); of those the highest priority wins.

import type { PolicyRecord } from './metadata.js';

export type PolicyKind = 'queues' | 'exchanges';

const compiled = new Map<string, RegExp | null>();

/** Patterns are validated before they are stored; one that no longer compiles matches nothing. */
function regex(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern);
    } catch {
      re = null;
    }
    compiled.set(pattern, re);
  }
  return re;
}

export function policyMatches(p: PolicyRecord, vhost: string, kind: PolicyKind, name: string): boolean {
  return p.vhost === vhost && (p.applyTo === 'all' || p.applyTo === kind) && regex(p.pattern)?.test(name) === true;
}

/**
 * The policy for an entity. RabbitMQ breaks a tie in priority by the order its table happens to
 * hold the policies in, which nobody can predict; Warren takes the name that sorts first, so the
 * choice is the same on every node and after every restart.
 */
export function matchPolicy(policies: Iterable<PolicyRecord>, vhost: string, kind: PolicyKind, name: string): PolicyRecord | undefined {
  let best: PolicyRecord | undefined;
  for (const p of policies) {
    if (!policyMatches(p, vhost, kind, name)) continue;
    if (best === undefined || p.priority > best.priority || (p.priority === best.priority && p.name < best.name)) best = p;
  }
  return best;
}

/** list_policies' order: lowest priority first (as rabbit_policy sorts them), then by name. */
export function listingOrder(a: PolicyRecord, b: PolicyRecord): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
