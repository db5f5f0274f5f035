// The commands warrenctl knows. Each lives in its own module under commands/, loaded only when
// it runs (or when help lists them all), so a command's start-up pays for nothing else.

import type { Command } from './command.js';

const loaders: Record<string, () => Promise<{ default: Command }>> = {
  add_user: () => import('./commands/add_user.js'),
  add_vhost: () => import('./commands/add_vhost.js'),
  authenticate_user: () => import('./commands/authenticate_user.js'),
  await_online_nodes: () => import('./commands/await_online_nodes.js'),
  await_startup: () => import('./commands/await_startup.js'),
  change_cluster_node_type: () => import('./commands/change_cluster_node_type.js'),
  change_password: () => import('./commands/change_password.js'),
  clear_global_parameter: () => import('./commands/clear_global_parameter.js'),
  clear_policy: () => import('./commands/clear_policy.js'),
  clear_password: () => import('./commands/clear_password.js'),
  clear_permissions: () => import('./commands/clear_permissions.js'),
  clear_vhost_limits: () => import('./commands/clear_vhost_limits.js'),
  cluster_status: () => import('./commands/cluster_status.js'),
  delete_queue: () => import('./commands/delete_queue.js'),
  delete_user: () => import('./commands/delete_user.js'),
  delete_vhost: () => import('./commands/delete_vhost.js'),
  environment: () => import('./commands/environment.js'),
  force_boot: () => import('./commands/force_boot.js'),
  force_reset: () => import('./commands/force_reset.js'),
  forget_cluster_node: () => import('./commands/forget_cluster_node.js'),
  help: () => import('./commands/help.js'),
  join_cluster: () => import('./commands/join_cluster.js'),
  list_bindings: () => import('./commands/list_bindings.js'),
  list_channels: () => import('./commands/list_channels.js'),
  list_connections: () => import('./commands/list_connections.js'),
  list_consumers: () => import('./commands/list_consumers.js'),
  list_exchanges: () => import('./commands/list_exchanges.js'),
  list_global_parameters: () => import('./commands/list_global_parameters.js'),
  list_policies: () => import('./commands/list_policies.js'),
  list_permissions: () => import('./commands/list_permissions.js'),
  list_queues: () => import('./commands/list_queues.js'),
  list_user_permissions: () => import('./commands/list_user_permissions.js'),
  list_users: () => import('./commands/list_users.js'),
  list_vhost_limits: () => import('./commands/list_vhost_limits.js'),
  list_vhosts: () => import('./commands/list_vhosts.js'),
  ping: () => import('./commands/ping.js'),
  purge_queue: () => import('./commands/purge_queue.js'),
  sync_queue: () => import('./commands/sync_queue.js'),
  cancel_sync_queue: () => import('./commands/cancel_sync_queue.js'),
  reset: () => import('./commands/reset.js'),
  set_cluster_name: () => import('./commands/set_cluster_name.js'),
  set_disk_free_limit: () => import('./commands/set_disk_free_limit.js'),
  set_global_parameter: () => import('./commands/set_global_parameter.js'),
  set_policy: () => import('./commands/set_policy.js'),
  set_permissions: () => import('./commands/set_permissions.js'),
  set_user_tags: () => import('./commands/set_user_tags.js'),
  set_vhost_limits: () => import('./commands/set_vhost_limits.js'),
  set_vm_memory_high_watermark: () => import('./commands/set_vm_memory_high_watermark.js'),
  shutdown: () => import('./commands/shutdown.js'),
  start_app: () => import('./commands/start_app.js'),
  status: () => import('./commands/status.js'),
  stop: () => import('./commands/stop.js'),
  stop_app: () => import('./commands/stop_app.js'),
  update_cluster_nodes: () => import('./commands/update_cluster_nodes.js'),
  version: () => import('./commands/version.js'),
  wait: () => import('./commands/wait.js'),
};

export const commandNames: string[] = Object.keys(loaders).sort();

export async function loadCommand(name: string): Promise<Command | undefined> {
  const load = Object.prototype.hasOwnProperty.call(loaders, name) ? loaders[name] : undefined;
  return load ? (await load()).default : undefined;
}

export async function loadAllCommands(): Promise<Command[]> {
  return Promise.all(commandNames.map(async (n) => (await loaders[n]()).default));
}

/** Jaro similarity, as rabbitmqctl uses to suggest a command for a typo. */
export function jaro(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1);
  const aMatched = new Array<boolean>(a.length).fill(false);
  const bMatched = new Array<boolean>(b.length).fill(false);
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const lo = Math.max(0, i - window);
    const hi = Math.min(b.length - 1, i + window);
    for (let j = lo; j <= hi; j++) {
      if (!bMatched[j] && a[i] === b[j]) {
        aMatched[i] = bMatched[j] = true;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    if (!aMatched[i]) continue;
    while (!bMatched[k]) k++;
    if (a[i] !== b[k]) transpositions++;
    k++;
  }
  const m = matches;
  return (m / a.length + m / b.length + (m - transpositions / 2) / m) / 3;
}

const SUGGESTION_THRESHOLD = 0.77;

export function suggestCommand(name: string): string | undefined {
  let best: string | undefined;
  let bestScore = 0;
  for (const candidate of commandNames) {
    const score = jaro(name, candidate);
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return bestScore >= SUGGESTION_THRESHOLD ? best : undefined;
}
