// Calling a node operation whose failures rabbitmqctl reports with texts and exit codes of its
// own: the node's error codes (from broker/admin.ts and node/service-admin.ts) are mapped to
// the CommandError each command shows; any other error passes through.

import type { ControlClient } from '../control/client.js';
import { ControlError } from '../control/errors.js';
import type { TermJson } from '../control/term-json.js';
import { CommandError, EX_NOUSER, EX_SOFTWARE, EX_UNAVAILABLE } from './errors.js';
import { elixirInspect } from './formatters/elixir.js';
import { termFromJson } from './term-json.js';

export type ErrorTexts = Partial<Record<string, (err: ControlError) => CommandError>>;

export async function callNode(client: ControlClient, op: string, args: Record<string, unknown>, errors: ErrorTexts = {}): Promise<unknown> {
  try {
    return await client.call(op, args);
  } catch (err) {
    const mapped = err instanceof ControlError ? errors[err.code]?.(err) : undefined;
    throw mapped ?? err;
  }
}

/** set_permissions and clear_permissions name a missing user or vhost without quotes. */
export function permissionErrorTexts(user: string, vhost: string): ErrorTexts {
  return {
    no_such_user: () => new CommandError(`User ${user} does not exist`, EX_NOUSER),
    no_such_vhost: () => new CommandError(`Virtual host ${vhost} does not exist`, EX_UNAVAILABLE),
    invalid_regexp: (e) => new CommandError(e.message, EX_UNAVAILABLE),
  };
}

/**
 * Membership changes (join, forget, change type, update): the node reports rabbit_mnesia's
 * refusals ready to print (`{:not_a_cluster_node, '...'}`) under `cluster_error`, and an app that
 * started meanwhile as `app_running`, which join_cluster and friends word as rabbitmqctl does.
 */
export function clusterErrorTexts(node: string, programName: string): ErrorTexts {
  return {
    cluster_error: (e) => new CommandError(e.message, EX_UNAVAILABLE),
    app_running: () =>
      new CommandError(`Mnesia is still running on node ${node}.\nPlease stop RabbitMQ with '${programName} stop_app' first.`, EX_SOFTWARE),
  };
}

/** rabbitmqctl's refusal to join or seed from the node itself (found before asking the node). */
export function clusterWithItself(node: string): CommandError {
  return new CommandError(`Error: cannot cluster node with itself: ${node}`, EX_SOFTWARE);
}

/**
 * What rabbitmqctl prints when a JSON definition is valid but not an object: the node crashes
 * in maps:to_list, and the CLI shows the crash with the node's stack (`frames`, after maps').
 */
export function badmapText(value: TermJson, frames: string): string {
  const v = elixirInspect(termFromJson(value));
  return (
    `{{:badmap, ${v}}, [{:maps, :to_list, [${v}], [file: 'maps.erl', line: 581, error_info: %{module: :erl_stdlib_errors}]}, ` +
    `${frames}]}`
  );
}
