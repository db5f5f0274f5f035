// The operations behind warrenctl's cluster commands: join_cluster, forget_cluster_node,
// change_cluster_node_type, update_cluster_nodes, force_boot, set_cluster_name and the global
// parameters. Membership changes are the cluster module's; this file checks the app state each
// needs and turns failures into the errors the CLI prints.

import { NodeUnreachable } from '../control/client.js';
import { ControlError } from '../control/errors.js';
import type { Handler } from '../control/server.js';
import { clusterError } from '../cluster/cluster.js';
import type { WarrenNode } from './node.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));

export function clusterHandlers(node: WarrenNode, h: Map<string, Handler>): void {
  const appStopped = () => {
    if (node.appState !== 'stopped') throw new ControlError('app_running', 'mnesia_unexpectedly_running');
  };
  const broker = () => {
    if (node.broker === undefined || node.appState !== 'running') throw new ControlError('app_not_running', 'rabbit_is_not_running');
    return node.broker;
  };
  const reaching = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      if (err instanceof NodeUnreachable) throw clusterError(`{:badrpc, :nodedown}`);
      throw err;
    }
  };

  h.set('join_cluster', async (a) => {
    appStopped();
    return reaching(() => node.cluster.join(str(a.seed), a.ramNode === true ? 'ram' : 'disc'));
  });

  h.set('forget_cluster_node', async (a) => {
    await node.cluster.forget(str(a.node));
    return 'ok';
  });

  h.set('change_cluster_node_type', async (a) => {
    appStopped();
    return node.cluster.changeType(a.type === 'ram' ? 'ram' : 'disc');
  });

  h.set('update_cluster_nodes', async (a) => {
    appStopped();
    await reaching(() => node.cluster.updateFrom(str(a.seed)));
    return 'ok';
  });

  h.set('force_boot', () => {
    node.cluster.forceBootNow();
    return 'ok';
  });

  // Mirrored queues: the master does the work; another node passes the call on to it.
  const onMaster = async (op: string, a: Record<string, unknown>): Promise<unknown> => {
    const b = broker();
    const vhost = str(a.vhost);
    const name = str(a.name);
    const vh = b.vhosts.get(vhost);
    const local = vh?.queues.get(name);
    if (local !== undefined) return node.cluster.mirrorCall(op, local);
    const def = vh?.remoteQueues.get(name);
    if (def === undefined) throw new ControlError('not_found', `Queue '${name}' in vhost '${vhost}' not found`);
    return node.cluster.callNode(def.node, `peer.${op}`, { vhost, name });
  };
  h.set('sync_queue', (a) => onMaster('sync_queue', a));
  h.set('cancel_sync_queue', (a) => onMaster('cancel_sync_queue', a));

  h.set('set_cluster_name', async (a) => {
    await broker().commit({ op: 'global.set', name: 'cluster_name', value: str(a.name) });
    return 'ok';
  });

  h.set('list_global_parameters', () =>
    [...broker().metadata.globals].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([name, value]) => [name, value]),
  );

  h.set('set_global_parameter', async (a) => {
    await broker().commit({ op: 'global.set', name: str(a.name), value: a.value });
    return 'ok';
  });

  h.set('clear_global_parameter', async (a) => {
    const b = broker();
    const name = str(a.name);
    if (!b.metadata.globals.has(name)) throw new ControlError('parameter_not_found', 'Parameter does not exist');
    await b.commit({ op: 'global.clear', name });
    return 'ok';
  });
}
