// What a warrenctl command is: its help (usage, description, arguments, doc guides), its
// switches and arity, the app state it needs, its banner, and `run`, which returns plain data
// for a formatter or raises a typed error. A command never prints and never exits.

import type { ControlClient } from '../control/client.js';
import type { Row, Term } from './term.js';

export type Section =
  | 'Help'
  | 'Nodes'
  | 'Cluster'
  | 'Replication'
  | 'Users'
  | 'Access Control'
  | 'Monitoring, observability and health checks'
  | 'Parameters'
  | 'Policies'
  | 'Virtual hosts'
  | 'Configuration and Environment'
  | 'Definitions'
  | 'Feature flags'
  | 'Operations'
  | 'Queues'
  | 'Deprecated';

export type SwitchType = 'boolean' | 'string' | 'integer';

export interface Switch {
  type: SwitchType;
  short?: string;
}

export type FormatterName = 'table' | 'json' | 'erlang' | 'pretty_table' | 'csv' | 'string';

export interface GlobalOptions {
  node: string;
  quiet: boolean;
  silent: boolean;
  /** Seconds as given on the command line, if given. */
  timeout: number | undefined;
  longnames: boolean;
  vhost: string;
  formatter: FormatterName | undefined;
  tableHeaders: boolean;
  erlangCookie: string | undefined;
}

export interface RunContext {
  args: string[];
  opts: GlobalOptions;
  /** Command switches, by long name. */
  switches: Record<string, string | boolean | number | undefined>;
  /** The connected node (commands that set `node: 'none'` or 'self' connect themselves). */
  client: ControlClient;
  /** Milliseconds until the --timeout deadline (Infinity when none). */
  remainingMs(): number;
  /** Connects to another node with the same cookie (join_cluster and friends). */
  connect(node: string, timeoutMs: number): Promise<ControlClient>;
  /** Prints a line at once (progress that must not wait for the result). */
  progress(line: string): void;
  programName: string;
}

/** What `run` hands back to be printed. */
export type Result =
  | { kind: 'none' }
  /** Success with nothing to show, except under --formatter json ({"node":...,"result":"ok"}). */
  | { kind: 'ok' }
  /** Text written exactly as given (help); `bold` styles headings for the terminal. */
  | { kind: 'text'; text: (bold: (s: string) => string) => string }
  | { kind: 'lines'; lines: string[]; stream?: 'stdout' | 'stderr' }
  /**
   * A list: rows stream in; `columns` is the header. `whole` marks a list rabbitmqctl prints as
   * one value (list_users, list_permissions...), which shows an empty list as `[]` rather than
   * nothing; `grouped` makes the Erlang formatter nest each batch as a list of its own
   * (list_consumers groups its rows by queue).
   */
  | { kind: 'rows'; columns: string[]; rows: AsyncIterable<Row[]>; whole?: boolean; grouped?: boolean }
  /** One value shown as text by default, or as JSON / an Erlang term. */
  | { kind: 'document'; text: (bold: (s: string) => string) => string; json: unknown; erlang: Term };

export interface Command {
  name: string;
  section: Section;
  /** One line, no final full stop (help appends one). */
  description: string;
  /** Usage after the general options, e.g. `list_queues [--vhost <vhost>] ...`. */
  usage: string;
  argumentsHelp?: Array<[string, string]>;
  docGuides?: string[];
  switches?: Record<string, Switch>;
  arity: { min: number; max: number };
  /**
   * How the command reaches a node: 'connect' (default) connects before the banner and run;
   * 'self' lets run connect (its banner shows even when the node is down); 'none' needs none.
   */
  node?: 'connect' | 'self' | 'none';
  requiresApp?: 'running' | 'stopped';
  /** The command enforces --timeout itself (with its own error and exit code). */
  handlesTimeout?: boolean;
  /** Default --timeout in seconds, when the command has one. */
  defaultTimeout?: number;
  defaultFormatter?: FormatterName;
  /** Extra argument checks beyond arity; throw ValidationError. */
  validate?(args: string[], switches: RunContext['switches']): void;
  /**
   * Checks of the target's state made before the banner, as rabbitmqctl's
   * validate_execution_environment (forget_cluster_node --offline wants the node down); throw
   * AppStateError.
   */
  validateEnvironment?(ctx: Pick<RunContext, 'args' | 'opts' | 'switches' | 'connect' | 'remainingMs'>): Promise<void>;
  banner?(ctx: Omit<RunContext, 'client' | 'connect' | 'progress' | 'remainingMs'>): string[] | undefined;
  run(ctx: RunContext): Promise<Result>;
}
