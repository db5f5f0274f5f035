// The service operations behind warrenctl's management and listing commands: users, virtual
// hosts, permissions, vhost limits, policies, queues, exchanges, bindings, connections, channels and
// consumers. Every change goes through broker/admin.ts (journaled before it is acknowledged);
// lists answer with plain JSON rows (admin-rows.ts), long ones streamed in batches.

import { AmqpError } from '../amqp/errors.js';
import { CONNECTION_FORCED } from '../amqp/spec.js';
import { Admin } from '../broker/admin.js';
import type { Broker } from '../broker/broker.js';
import { listingOrder } from '../broker/policies.js';
import { ControlError } from '../control/errors.js';
import type { Handler } from '../control/server.js';
import {
  Listing,
  batched,
  bindingItems,
  bindingsOf,
  channelItems,
  connectionItems,
  consumerItems,
  concatRows,
  consumersOf,
  downQueueItems,
  emptyRows,
  exchangeItems,
  queueItems,
  type Json,
} from './admin-rows.js';
import type { WarrenNode } from './node.js';
import { parsePolicy } from './policy-validation.js';
import { limitsJson, parseLimits } from './vhost-limits.js';

const QUEUE_TYPES = ['classic', 'quorum', 'stream'];

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);
const byName = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export function adminHandlers(node: WarrenNode, h: Map<string, Handler>): void {
  const broker = (): Broker => {
    if (node.broker === undefined || node.appState !== 'running') throw new ControlError('app_not_running', 'rabbit_is_not_running');
    return node.broker;
  };
  const admin = () => new Admin(broker());
  const vhostNamed = (name: string) => {
    if (!broker().metadata.vhosts.has(name)) throw new ControlError('no_such_vhost', `Virtual host '${name}' does not exist`);
    return broker().vhosts.get(name);
  };
  const columns = (a: Record<string, unknown>) => strs(a.columns);

  // ---- users ----

  h.set('list_users', () =>
    [...broker().metadata.users.values()].sort(byName((u) => u.name)).map((u) => [u.name, u.tags]),
  );
  h.set('add_user', async (a) => {
    const password = str(a.password);
    await admin().addUser(str(a.name), password === '' ? undefined : password);
    return 'ok';
  });
  h.set('delete_user', async (a) => {
    await admin().deleteUser(str(a.name));
    return 'ok';
  });
  h.set('change_password', async (a) => {
    const password = str(a.password);
    await admin().changePassword(str(a.name), password === '' ? undefined : password);
    return 'ok';
  });
  h.set('clear_password', async (a) => {
    await admin().changePassword(str(a.name), undefined);
    return 'ok';
  });
  h.set('authenticate_user', (a) => {
    const [name, password] = [str(a.name), str(a.password)];
    if (password === '') throw new ControlError('blank_password', `user '${name}' attempted to log in with a blank password`);
    if (!admin().authenticate(name, password)) throw new ControlError('invalid_credentials', `user '${name}' - invalid credentials`);
    return 'ok';
  });
  h.set('set_user_tags', async (a) => {
    await admin().setUserTags(str(a.name), strs(a.tags));
    return 'ok';
  });

  // ---- virtual hosts ----

  h.set('list_vhosts', (a) => {
    const md = broker().metadata;
    const items: Record<string, (v: { name: string; description: string; tags: string[] }) => Json> = {
      name: (v) => v.name,
      description: (v) => v.description,
      tags: (v) => v.tags,
      tracing: () => false,
      cluster_state: () => ({ [node.name]: 'running' }),
      default_queue_type: () => null,
    };
    return [...md.vhosts.values()].sort(byName((v) => v.name)).map((v) => columns(a).map((c) => items[c]?.(v) ?? null));
  });
  h.set('add_vhost', async (a) => {
    const type = a.defaultQueueType;
    if (type !== undefined && !QUEUE_TYPES.includes(str(type))) throw new ControlError('invalid_queue_type', 'invalid_queue_type');
    await admin().addVhost(str(a.name), str(a.description), strs(a.tags));
    return 'ok';
  });
  h.set('delete_vhost', async (a) => {
    await admin().deleteVhost(str(a.name));
    return 'ok';
  });

  // ---- permissions ----

  const permissionRow = (p: { configure: string; write: string; read: string }) => [p.configure, p.write, p.read];
  h.set('set_permissions', async (a) => {
    await admin().setPermissions(str(a.user), str(a.vhost), str(a.configure), str(a.write), str(a.read));
    return 'ok';
  });
  h.set('clear_permissions', async (a) => {
    await admin().clearPermissions(str(a.user), str(a.vhost));
    return 'ok';
  });
  h.set('list_permissions', (a) => {
    vhostNamed(str(a.vhost));
    return [...broker().metadata.permissions.values()]
      .filter((p) => p.vhost === a.vhost)
      .sort(byName((p) => p.user))
      .map((p) => [p.user, ...permissionRow(p)]);
  });
  h.set('list_user_permissions', (a) => {
    const user = str(a.user);
    if (!broker().metadata.users.has(user)) throw new ControlError('no_such_user', `User "${user}" does not exist`);
    return [...broker().metadata.permissions.values()]
      .filter((p) => p.user === user)
      .sort(byName((p) => p.vhost))
      .map((p) => [p.vhost, ...permissionRow(p)]);
  });

  // ---- vhost limits ----

  h.set('set_vhost_limits', async (a) => {
    const limits = parseLimits(str(a.definition));
    await admin().setVhostLimits(str(a.vhost), limits);
    return 'ok';
  });
  h.set('clear_vhost_limits', async (a) => {
    const vhost = str(a.vhost);
    if (!broker().metadata.limits.has(vhost)) throw new ControlError('parameter_not_found', 'Parameter does not exist');
    await admin().clearVhostLimits(vhost);
    return 'ok';
  });
  h.set('list_vhost_limits', (a) => {
    const md = broker().metadata;
    if (a.global === true) {
      return [...md.limits].sort(byName(([v]) => v)).map(([vhost, limits]) => [vhost, limitsJson(limits)]);
    }
    vhostNamed(str(a.vhost));
    const limits = md.limits.get(str(a.vhost));
    return limits === undefined || Object.keys(limits).length === 0 ? null : limitsJson(limits);
  });

  // ---- policies ----

  h.set('set_policy', async (a) => {
    const priority = Number(a.priority ?? 0);
    const policy = parsePolicy({
      vhost: str(a.vhost),
      name: str(a.name),
      pattern: str(a.pattern),
      definition: str(a.definition),
      priority: Number.isInteger(priority) ? priority : 0,
      applyTo: a.applyTo === undefined ? 'all' : str(a.applyTo),
    });
    await admin().setPolicy(policy);
    return 'ok';
  });
  h.set('clear_policy', async (a) => {
    await admin().clearPolicy(str(a.vhost), str(a.name));
    return 'ok';
  });
  h.set('list_policies', (a) => {
    vhostNamed(str(a.vhost));
    return [...broker().metadata.policies.values()]
      .filter((p) => p.vhost === a.vhost)
      .sort(listingOrder)
      .map((p) => [p.vhost, p.name, p.pattern, p.applyTo, p.definition, p.priority]);
  });

  // ---- lists ----

  h.set('list_queues', (a, ctx) => {
    const l = new Listing(node, broker());
    const vh = l.broker.vhosts.get(str(a.vhost));
    const local = vh === undefined || a.offline === true ? [] : vh.queues.values();
    const rows = batched(local, queueItems(l), columns(a));
    if (a.local === true || ctx.peerKind === 'node' || vh === undefined) return rows;
    // The whole cluster: each running member lists its own; queues whose home is down last.
    const down = [...vh.remoteQueues.values()].filter((d) => !node.cluster.runningNodes().includes(d.node));
    const fromPeers = a.offline === true ? [] : node.cluster.runningNodes().filter((n) => n !== node.name);
    // Queues whose home is down first, as rabbitmqctl lists them.
    return concatRows(
      a.online === true ? emptyRows() : batched(down, downQueueItems((n) => node.cluster.creationOf(n)), columns(a)),
      rows,
      ...fromPeers.map((n) => node.cluster.peerRows(n, 'list_queues', { vhost: a.vhost, columns: a.columns })),
    );
  });
  h.set('list_exchanges', (a) => {
    const vh = broker().vhosts.get(str(a.vhost));
    return batched(vh?.exchanges.values() ?? [], exchangeItems(), columns(a));
  });
  h.set('list_bindings', (a) => {
    const vh = broker().vhosts.get(str(a.vhost));
    return batched(vh === undefined ? [] : bindingsOf(vh), bindingItems(), columns(a));
  });
  h.set('list_connections', (a) => {
    const l = new Listing(node, broker());
    return batched(l.connections(), connectionItems(l), columns(a));
  });
  h.set('list_channels', (a) => {
    const l = new Listing(node, broker());
    const channels = l.connections().flatMap((conn) => conn.channelList().map((ch) => ({ conn, ch })));
    return batched(channels, channelItems(l), columns(a));
  });
  h.set('list_consumers', (a, ctx) => {
    const l = new Listing(node, broker());
    const vh = l.broker.vhosts.get(str(a.vhost));
    // Each row ends with its queue's name: rabbitmqctl groups consumers by queue.
    const rows = batched(vh === undefined ? [] : consumersOf(vh), consumerItems(l), columns(a), ({ q }) => q.name);
    if (ctx.peerKind === 'node') return rows;
    const peers = node.cluster.runningNodes().filter((n) => n !== node.name);
    return concatRows(rows, ...peers.map((n) => node.cluster.peerRows(n, 'list_consumers', { vhost: a.vhost, columns: a.columns })));
  });

  // ---- queue operations ----

  const queueNamed = (a: Record<string, unknown>) => broker().vhosts.get(str(a.vhost))?.queues.get(str(a.name));
  h.set('purge_queue', (a) => {
    const q = queueNamed(a);
    if (q === undefined) throw new ControlError('not_found', 'not_found');
    return q.purge();
  });
  h.set('delete_queue', async (a) => {
    const q = queueNamed(a);
    if (q === undefined) throw new ControlError('not_found', 'Queue not found');
    if (a.ifEmpty === true && q.messagesReady > 0) throw new ControlError('not_empty', 'Queue is not empty');
    if (a.ifUnused === true && q.consumers.length > 0) throw new ControlError('in_use', 'Queue is in use');
    const count = q.messagesReady;
    await broker().removeQueue(q);
    return count;
  });
}

/** delete_vhost: its clients are told why, as RabbitMQ tells them. */
export function closeConnectionsOf(node: WarrenNode, vhost: string): void {
  for (const c of node.amqp?.connections ?? []) {
    if (c.vhost === vhost) c.closeConnection(new AmqpError(CONNECTION_FORCED, `vhost '${vhost}' is deleted`));
  }
}
