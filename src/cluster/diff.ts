// The commands that turn one node's metadata into another's snapshot: what a syncing node
// applies (so its broker follows each change as it would a live one) instead of swapping its
// whole state at once. Deletions come first, then additions in dependency order (vhosts before
// the exchanges and queues in them, both before bindings).

import { tableFromJson } from '../broker/table-json.js';
import type { BindingDef, ExchangeDef, Metadata, MetadataCommand, QueueDef, Snapshot } from '../broker/metadata.js';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const withTable = <T extends { args: unknown }>(x: T): T => ({ ...x, args: tableFromJson(x.args as Parameters<typeof tableFromJson>[0]) });
const key = (vhost: string, name: string) => `${vhost}\u0000${name}`;

export function diffCommands(md: Metadata, snap: Snapshot): MetadataCommand[] {
  const out: MetadataCommand[] = [];
  const wantVhosts = new Map(snap.vhosts.map((v) => [v.name, v]));
  const wantUsers = new Map(snap.users.map((u) => [u.name, u]));
  const wantPerms = new Map(snap.permissions.map((p) => [key(p.vhost, p.user), p]));
  const wantLimits = new Map(snap.limits);
  const wantGlobals = new Map(snap.globals ?? []);
  const wantPolicies = new Map((snap.policies ?? []).map((p) => [key(p.vhost, p.name), p]));
  const wantExchanges = new Map((snap.exchanges as ExchangeDef[]).map((e) => [key(e.vhost, e.name), withTable(e)]));
  const wantQueues = new Map((snap.queues as QueueDef[]).map((q) => [key(q.vhost, q.name), withTable(q)]));
  const wantBindings = (snap.bindings as BindingDef[]).map(withTable);

  // Removals.
  for (const b of md.bindings.values()) {
    if (!wantBindings.some((w) => sameBinding(w, b))) out.push({ op: 'binding.remove', binding: b });
  }
  for (const q of md.queues.values()) {
    const w = wantQueues.get(key(q.vhost, q.name));
    // A queue of ours the cluster does not know (declared while apart) goes too.
    if (w === undefined || w.durable !== q.durable) out.push({ op: 'queue.delete', vhost: q.vhost, name: q.name });
  }
  for (const e of md.exchanges.values()) {
    const w = wantExchanges.get(key(e.vhost, e.name));
    if (w === undefined || w.type !== e.type || w.durable !== e.durable) out.push({ op: 'exchange.delete', vhost: e.vhost, name: e.name });
  }
  for (const p of md.permissions.values()) {
    if (!wantPerms.has(key(p.vhost, p.user))) out.push({ op: 'permissions.clear', user: p.user, vhost: p.vhost });
  }
  for (const u of md.users.keys()) if (!wantUsers.has(u)) out.push({ op: 'user.delete', name: u });
  for (const v of md.vhosts.keys()) if (!wantVhosts.has(v)) out.push({ op: 'vhost.delete', name: v });
  for (const g of md.globals.keys()) if (!wantGlobals.has(g)) out.push({ op: 'global.clear', name: g });
  for (const p of md.policies.values()) {
    if (!wantPolicies.has(key(p.vhost, p.name))) out.push({ op: 'policy.clear', vhost: p.vhost, name: p.name });
  }

  // Additions and changes.
  for (const v of wantVhosts.values()) if (!same(md.vhosts.get(v.name), v)) out.push({ op: 'vhost.add', vhost: v });
  for (const u of wantUsers.values()) if (!same(md.users.get(u.name), u)) out.push({ op: 'user.put', user: u });
  for (const p of wantPerms.values()) {
    if (!same(md.permissionsFor(p.user, p.vhost), p)) out.push({ op: 'permissions.set', permissions: p });
  }
  for (const v of md.limits.keys()) if (!wantLimits.has(v)) out.push({ op: 'vhost.limits', vhost: v, limits: undefined });
  for (const [v, l] of wantLimits) if (!same(md.limits.get(v), l)) out.push({ op: 'vhost.limits', vhost: v, limits: l });
  for (const [g, value] of wantGlobals) if (!same(md.globals.get(g), value)) out.push({ op: 'global.set', name: g, value });
  for (const p of wantPolicies.values()) if (!same(md.policy(p.vhost, p.name), p)) out.push({ op: 'policy.set', policy: p });
  for (const e of wantExchanges.values()) {
    const have = md.exchange(e.vhost, e.name);
    if (have === undefined || have.type !== e.type || have.durable !== e.durable) out.push({ op: 'exchange.declare', exchange: e });
  }
  for (const q of wantQueues.values()) {
    const have = md.queue(q.vhost, q.name);
    if (have === undefined || have.durable !== q.durable) out.push({ op: 'queue.declare', queue: q });
    // A mirror took over while this node was away or apart: the queue moves, its mirrors stay.
    else if (have.node !== q.node) out.push({ op: 'queue.promote', vhost: q.vhost, name: q.name, node: q.node, mirrors: q.mirrors ?? [], synced: q.synced ?? [] });
    else if (!same(have.mirrors ?? [], q.mirrors ?? []) || !same(have.synced ?? [], q.synced ?? [])) {
      out.push({ op: 'queue.mirrors', vhost: q.vhost, name: q.name, mirrors: q.mirrors ?? [], synced: q.synced ?? [] });
    }
  }
  for (const b of wantBindings) if (md.binding(b) === undefined || removedAbove(out, b)) out.push({ op: 'binding.add', binding: b });
  return out;
}

function sameBinding(a: BindingDef, b: BindingDef): boolean {
  return a.vhost === b.vhost && a.source === b.source && a.destination === b.destination && a.routingKey === b.routingKey && same([...a.args], [...b.args]);
}

/** A binding that exists now but goes with an exchange or queue re-created above. */
function removedAbove(out: MetadataCommand[], b: BindingDef): boolean {
  return out.some(
    (c) =>
      (c.op === 'exchange.delete' && c.vhost === b.vhost && (c.name === b.source || `e:${c.name}` === b.destination)) ||
      (c.op === 'queue.delete' && c.vhost === b.vhost && `q:${c.name}` === b.destination),
  );
}
