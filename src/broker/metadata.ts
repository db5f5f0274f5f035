// The cluster's metadata as this node holds it: virtual hosts, users, permissions, vhost
// limits, global parameters, and every exchange, queue record (with its home node) and
// binding, durable or not. Every change is a command, applied in memory in the order the
// cluster sequenced it; listeners (the broker) follow each one. On a disc node the durable part
// is also appended to a journal (`metadata.log`, one JSON line each) that is fsync'd in groups
// before the change is acknowledged; at open the last snapshot (`metadata.json`) is loaded, the
// journal replayed and a new snapshot written. A RAM node keeps nothing on disk.
// A virgin node gets RabbitMQ's defaults: vhost "/", user guest/guest (administrator) with full
// permissions on "/".

import fs from 'node:fs';
import path from 'node:path';
import type { FieldTable } from '../amqp/table.js';
import { HASHING_ALGORITHM, hashPassword } from './passwords.js';
import { tableFromJson, tableToJson } from './table-json.js';

export interface VhostRecord {
  name: string;
  description: string;
  tags: string[];
}

export interface UserRecord {
  name: string;
  /** Empty when the password was cleared (no password login). */
  passwordHash: string;
  hashingAlgorithm: string;
  tags: string[];
}

export interface PermissionRecord {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

export interface VhostLimits {
  'max-connections'?: number;
  'max-queues'?: number;
}

/** A policy (set_policy): applies `definition` to the queues/exchanges its pattern matches. */
export interface PolicyRecord {
  vhost: string;
  name: string;
  pattern: string;
  /** 'queues', 'exchanges' or 'all' (RabbitMQ 3.10's choices). */
  applyTo: string;
  priority: number;
  /** The JSON object given to set_policy, keys as given (e.g. "ha-mode"). */
  definition: Record<string, unknown>;
}

export interface ExchangeDef {
  vhost: string;
  name: string;
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  args: FieldTable;
}

export interface QueueDef {
  vhost: string;
  name: string;
  /** The node the queue lives on. */
  node: string;
  durable: boolean;
  autoDelete: boolean;
  /** The owning connection of an exclusive queue ("<node>/<id>"). */
  owner?: string;
  args: FieldTable;
  /** The number in the queue's pid (<node.creation.id.0>), kept while its node is down. */
  id?: number;
  /** A mirrored queue's mirrors, oldest first, and which of them are synchronised. */
  mirrors?: string[];
  synced?: string[];
}

export interface BindingDef {
  vhost: string;
  source: string;
  destination: string;
  routingKey: string;
  args: FieldTable;
  /** Both ends are durable: the binding survives a restart. */
  durable: boolean;
}

export type MetadataCommand =
  | { op: 'vhost.add'; vhost: VhostRecord }
  | { op: 'vhost.delete'; name: string }
  | { op: 'vhost.limits'; vhost: string; limits: VhostLimits | undefined }
  | { op: 'user.put'; user: UserRecord }
  | { op: 'user.delete'; name: string }
  | { op: 'permissions.set'; permissions: PermissionRecord }
  | { op: 'permissions.clear'; user: string; vhost: string }
  | { op: 'exchange.declare'; exchange: ExchangeDef }
  | { op: 'exchange.delete'; vhost: string; name: string }
  | { op: 'queue.declare'; queue: QueueDef }
  | { op: 'queue.delete'; vhost: string; name: string }
  /** A mirrored queue's mirrors changed (added, synchronised, lost). */
  | { op: 'queue.mirrors'; vhost: string; name: string; mirrors: string[]; synced: string[] }
  /** A mirror took over as the queue's master. */
  | { op: 'queue.promote'; vhost: string; name: string; node: string; mirrors: string[]; synced: string[] }
  | { op: 'binding.add'; binding: BindingDef }
  | { op: 'binding.remove'; binding: BindingDef }
  | { op: 'policy.set'; policy: PolicyRecord }
  | { op: 'policy.clear'; vhost: string; name: string }
  | { op: 'global.set'; name: string; value: unknown }
  | { op: 'global.clear'; name: string };

export interface MetadataDefaults {
  vhost: string;
  user: string;
  pass: string;
  tags: string[];
  permissions: { configure: string; write: string; read: string };
}

const key = (vhost: string, name: string) => `${vhost}\u0000${name}`;
const bindingKey = (b: BindingDef) =>
  `${b.vhost}\u0000${b.source}\u0000${b.destination}\u0000${b.routingKey}\u0000${JSON.stringify(tableToJson(b.args))}`;

/** The metadata as JSON: on disk (durable part only) and sent to a syncing node (all of it). */
export interface Snapshot {
  vhosts: VhostRecord[];
  users: UserRecord[];
  permissions: PermissionRecord[];
  limits: Array<[string, VhostLimits]>;
  globals?: Array<[string, unknown]>;
  policies?: PolicyRecord[];
  exchanges: unknown[];
  queues: unknown[];
  bindings: unknown[];
}

/** Commands with their tables made JSON-safe (and back). */
export function commandToJson(cmd: MetadataCommand): unknown {
  switch (cmd.op) {
    case 'exchange.declare':
      return { ...cmd, exchange: { ...cmd.exchange, args: tableToJson(cmd.exchange.args) } };
    case 'queue.declare':
      return { ...cmd, queue: { ...cmd.queue, args: tableToJson(cmd.queue.args) } };
    case 'binding.add':
    case 'binding.remove':
      return { ...cmd, binding: { ...cmd.binding, args: tableToJson(cmd.binding.args) } };
    default:
      return cmd;
  }
}

function withTable<T extends { args: unknown }>(x: T): T {
  return { ...x, args: tableFromJson(x.args as Parameters<typeof tableFromJson>[0]) };
}

export function commandFromJson(raw: Record<string, unknown>): MetadataCommand {
  const cmd = raw as unknown as MetadataCommand;
  switch (cmd.op) {
    case 'exchange.declare':
      return { ...cmd, exchange: withTable(cmd.exchange) };
    case 'queue.declare':
      return { ...cmd, queue: withTable(cmd.queue) };
    case 'binding.add':
    case 'binding.remove':
      return { ...cmd, binding: withTable(cmd.binding) };
    default:
      return cmd;
  }
}

/** Older journals lack the fields added for clustering: fill them in. */
function upgrade(cmd: MetadataCommand, self: string): MetadataCommand {
  switch (cmd.op) {
    case 'exchange.declare':
      return cmd.exchange.durable === undefined ? { ...cmd, exchange: { ...cmd.exchange, durable: true } } : cmd;
    case 'queue.declare':
      return cmd.queue.node === undefined ? { ...cmd, queue: { ...cmd.queue, node: self, durable: true } } : cmd;
    case 'binding.add':
    case 'binding.remove':
      return cmd.binding.durable === undefined ? { ...cmd, binding: { ...cmd.binding, durable: true } } : cmd;
    default:
      return cmd;
  }
}

export type MetadataListener = (cmd: MetadataCommand, before: Metadata) => void;

export class Metadata {
  readonly vhosts = new Map<string, VhostRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly permissions = new Map<string, PermissionRecord>();
  readonly limits = new Map<string, VhostLimits>();
  readonly globals = new Map<string, unknown>();
  /** Policies by vhost and name. */
  readonly policies = new Map<string, PolicyRecord>();
  readonly exchanges = new Map<string, ExchangeDef>();
  readonly queues = new Map<string, QueueDef>();
  readonly bindings = new Map<string, BindingDef>();
  /** Called before each command changes the maps (so a listener can see what goes). */
  listener: MetadataListener | undefined;
  /** Called after each command changed the maps (so a listener sees the new state). */
  afterListener: ((cmd: MetadataCommand) => void) | undefined;

  private journalFd: number | undefined;
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly dir: string,
    /** A disc node keeps the durable part on disk; a RAM node keeps nothing. */
    readonly onDisc: boolean,
  ) {}

  /**
   * Loads (or creates) the node's metadata, replaying the journal into a fresh snapshot. A RAM
   * node starts empty (it gets everything from a disc node); a virgin disc node gets defaults.
   */
  static open(dataDir: string, defaults: MetadataDefaults | undefined, self: string, onDisc = true): Metadata {
    const md = new Metadata(dataDir, onDisc);
    fs.mkdirSync(dataDir, { recursive: true });
    if (!onDisc) return md;
    const snapFile = path.join(dataDir, 'metadata.json');
    const logFile = path.join(dataDir, 'metadata.log');
    let virgin = true;
    try {
      md.load(JSON.parse(fs.readFileSync(snapFile, 'utf8')) as Snapshot, self);
      virgin = false;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      const lines = fs.readFileSync(logFile, 'utf8').split('\n');
      for (const line of lines) {
        if (line === '') continue;
        let cmd: MetadataCommand;
        try {
          cmd = commandFromJson(JSON.parse(line) as Record<string, unknown>);
        } catch {
          break; // A torn last line from a crash: what came before it is intact.
        }
        md.mutate(upgrade(cmd, self));
        virgin = false;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (virgin && defaults !== undefined) md.applyDefaults(defaults);
    md.writeSnapshot();
    md.journalFd = fs.openSync(logFile, 'w');
    fs.fsyncSync(md.journalFd);
    return md;
  }

  /** Whether the node has no metadata at all (a RAM node before its first sync). */
  get empty(): boolean {
    return this.vhosts.size === 0 && this.users.size === 0;
  }

  private applyDefaults(d: MetadataDefaults): void {
    for (const cmd of defaultCommands(d)) this.mutate(cmd);
  }

  /** Applies a change in memory and journals its durable part; `flush()` makes it durable. */
  apply(cmd: MetadataCommand): void {
    const durable = this.isDurable(cmd);
    this.listener?.(cmd, this);
    this.mutate(cmd);
    this.afterListener?.(cmd);
    if (durable && this.journalFd !== undefined) this.pending.push(JSON.stringify(commandToJson(cmd)));
  }

  /** Whether a command changes what a disc node keeps on disk. */
  private isDurable(cmd: MetadataCommand): boolean {
    switch (cmd.op) {
      case 'exchange.declare':
        return cmd.exchange.durable;
      case 'exchange.delete':
        return this.exchanges.get(key(cmd.vhost, cmd.name))?.durable === true;
      case 'queue.declare':
        return cmd.queue.durable && cmd.queue.owner === undefined;
      case 'queue.delete':
      case 'queue.mirrors':
      case 'queue.promote': {
        const q = this.queues.get(key(cmd.vhost, cmd.name));
        return q !== undefined && q.durable && q.owner === undefined;
      }
      case 'binding.add':
        return cmd.binding.durable;
      case 'binding.remove':
        return this.bindings.get(bindingKey(cmd.binding))?.durable === true;
      default:
        return true;
    }
  }

  /** Resolves once every change applied so far is on disk (one fsync for many changes). */
  flush(): Promise<void> {
    if (this.pending.length === 0 && this.flushing === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (this.flushing === undefined) this.flushing = this.runFlush();
    });
  }

  private async runFlush(): Promise<void> {
    // Let every change made in this turn of the event loop join the same write.
    await new Promise((r) => setImmediate(r));
    while (this.pending.length > 0) {
      const lines = this.pending.join('\n') + '\n';
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      const fd = this.journalFd;
      if (fd !== undefined) {
        await new Promise<void>((resolve, reject) =>
          fs.write(fd, lines, (err) => (err ? reject(err) : fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())))),
        );
      }
      for (const w of waiters) w();
    }
    const rest = this.waiters;
    this.waiters = [];
    this.flushing = undefined;
    for (const w of rest) w();
  }

  close(): void {
    if (this.journalFd !== undefined) {
      if (this.pending.length > 0) {
        fs.writeSync(this.journalFd, this.pending.join('\n') + '\n');
        this.pending = [];
      }
      fs.fsyncSync(this.journalFd);
      fs.closeSync(this.journalFd);
      this.journalFd = undefined;
    }
  }

  private mutate(cmd: MetadataCommand): void {
    switch (cmd.op) {
      case 'vhost.add':
        this.vhosts.set(cmd.vhost.name, cmd.vhost);
        return;
      case 'vhost.delete':
        this.vhosts.delete(cmd.name);
        this.limits.delete(cmd.name);
        for (const [k, p] of this.permissions) if (p.vhost === cmd.name) this.permissions.delete(k);
        for (const [k, p] of this.policies) if (p.vhost === cmd.name) this.policies.delete(k);
        for (const [k, e] of this.exchanges) if (e.vhost === cmd.name) this.exchanges.delete(k);
        for (const [k, q] of this.queues) if (q.vhost === cmd.name) this.queues.delete(k);
        for (const [k, b] of this.bindings) if (b.vhost === cmd.name) this.bindings.delete(k);
        return;
      case 'vhost.limits':
        if (cmd.limits === undefined) this.limits.delete(cmd.vhost);
        else this.limits.set(cmd.vhost, cmd.limits);
        return;
      case 'user.put':
        this.users.set(cmd.user.name, cmd.user);
        return;
      case 'user.delete':
        this.users.delete(cmd.name);
        for (const [k, p] of this.permissions) if (p.user === cmd.name) this.permissions.delete(k);
        return;
      case 'permissions.set':
        this.permissions.set(key(cmd.permissions.vhost, cmd.permissions.user), cmd.permissions);
        return;
      case 'permissions.clear':
        this.permissions.delete(key(cmd.vhost, cmd.user));
        return;
      case 'global.set':
        this.globals.set(cmd.name, cmd.value);
        return;
      case 'policy.set':
        this.policies.set(key(cmd.policy.vhost, cmd.policy.name), cmd.policy);
        return;
      case 'policy.clear':
        this.policies.delete(key(cmd.vhost, cmd.name));
        return;
      case 'global.clear':
        this.globals.delete(cmd.name);
        return;
      case 'exchange.declare': {
        const k = key(cmd.exchange.vhost, cmd.exchange.name);
        // The first declaration the cluster sequenced wins; a racing one changes nothing.
        if (!this.exchanges.has(k)) this.exchanges.set(k, cmd.exchange);
        return;
      }
      case 'exchange.delete':
        this.exchanges.delete(key(cmd.vhost, cmd.name));
        for (const [k, b] of this.bindings) {
          if (b.vhost === cmd.vhost && (b.source === cmd.name || b.destination === `e:${cmd.name}`)) this.bindings.delete(k);
        }
        return;
      case 'queue.declare': {
        const k = key(cmd.queue.vhost, cmd.queue.name);
        if (!this.queues.has(k)) this.queues.set(k, cmd.queue);
        return;
      }
      case 'queue.mirrors':
      case 'queue.promote': {
        const k = key(cmd.vhost, cmd.name);
        const q = this.queues.get(k);
        if (q === undefined) return;
        this.queues.set(k, { ...q, node: cmd.op === 'queue.promote' ? cmd.node : q.node, mirrors: cmd.mirrors, synced: cmd.synced });
        return;
      }
      case 'queue.delete':
        this.queues.delete(key(cmd.vhost, cmd.name));
        for (const [k, b] of this.bindings) {
          if (b.vhost === cmd.vhost && b.destination === `q:${cmd.name}`) this.bindings.delete(k);
        }
        return;
      case 'binding.add':
        this.bindings.set(bindingKey(cmd.binding), cmd.binding);
        return;
      case 'binding.remove':
        this.bindings.delete(bindingKey(cmd.binding));
        return;
    }
  }

  permissionsFor(user: string, vhost: string): PermissionRecord | undefined {
    return this.permissions.get(key(vhost, user));
  }

  policy(vhost: string, name: string): PolicyRecord | undefined {
    return this.policies.get(key(vhost, name));
  }

  exchange(vhost: string, name: string): ExchangeDef | undefined {
    return this.exchanges.get(key(vhost, name));
  }

  queue(vhost: string, name: string): QueueDef | undefined {
    return this.queues.get(key(vhost, name));
  }

  binding(b: BindingDef): BindingDef | undefined {
    return this.bindings.get(bindingKey(b));
  }

  private load(s: Snapshot, self: string): void {
    for (const v of s.vhosts) this.vhosts.set(v.name, v);
    for (const u of s.users) this.users.set(u.name, u);
    for (const p of s.permissions) this.permissions.set(key(p.vhost, p.user), p);
    for (const [v, l] of s.limits) this.limits.set(v, l);
    for (const [n, v] of s.globals ?? []) this.globals.set(n, v);
    for (const p of s.policies ?? []) this.policies.set(key(p.vhost, p.name), p);
    for (const e of s.exchanges as ExchangeDef[]) this.mutate(upgrade({ op: 'exchange.declare', exchange: withTable(e) }, self));
    for (const q of s.queues as QueueDef[]) this.mutate(upgrade({ op: 'queue.declare', queue: withTable(q) }, self));
    for (const b of s.bindings as BindingDef[]) this.mutate(upgrade({ op: 'binding.add', binding: withTable(b) }, self));
  }

  /** Everything (durable or not), or only what a disc node keeps. */
  snapshot(durableOnly: boolean): Snapshot {
    const keep = <T>(xs: Iterable<T>, durable: (x: T) => boolean) => [...xs].filter((x) => !durableOnly || durable(x));
    return {
      vhosts: [...this.vhosts.values()],
      users: [...this.users.values()],
      permissions: [...this.permissions.values()],
      limits: [...this.limits],
      globals: [...this.globals],
      policies: [...this.policies.values()],
      exchanges: keep(this.exchanges.values(), (e) => e.durable).map((e) => ({ ...e, args: tableToJson(e.args) })),
      queues: keep(this.queues.values(), (q) => q.durable && q.owner === undefined).map((q) => ({ ...q, args: tableToJson(q.args) })),
      bindings: keep(this.bindings.values(), (b) => b.durable).map((b) => ({ ...b, args: tableToJson(b.args) })),
    };
  }

  /**
   * Replaces everything with a snapshot from the cluster (a node syncing at start): nothing of
   * this node's own view is kept, and a disc node writes the new state to disk at once.
   */
  replaceWith(s: Snapshot, self: string): void {
    const all = [this.vhosts, this.users, this.permissions, this.limits, this.globals, this.policies, this.exchanges, this.queues, this.bindings];
    for (const m of all) {
      m.clear();
    }
    this.load(s, self);
    this.pending = [];
    if (this.journalFd !== undefined) {
      this.writeSnapshot();
      fs.closeSync(this.journalFd);
      this.journalFd = fs.openSync(path.join(this.dir, 'metadata.log'), 'w');
      fs.fsyncSync(this.journalFd);
    }
  }

  private writeSnapshot(): void {
    const file = path.join(this.dir, 'metadata.json');
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(this.snapshot(true)));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }
}

/** What a virgin cluster starts with: RabbitMQ's default vhost, user and permissions. */
export function defaultCommands(d: MetadataDefaults): MetadataCommand[] {
  return [
    { op: 'vhost.add', vhost: { name: d.vhost, description: 'Default virtual host', tags: [] } },
    {
      op: 'user.put',
      user: { name: d.user, passwordHash: hashPassword(d.pass), hashingAlgorithm: HASHING_ALGORITHM, tags: d.tags },
    },
    { op: 'permissions.set', permissions: { user: d.user, vhost: d.vhost, ...d.permissions } },
  ];
}
