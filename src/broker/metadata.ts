// The node's durable metadata: virtual hosts, users, permissions, vhost limits, and durable
// exchanges, queues and bindings. Every change is a command, applied in memory and appended to
// a journal (`metadata.log`, one JSON line each) that is fsync'd in groups before the change is
// acknowledged; at open the last snapshot (`metadata.json`) is loaded, the journal replayed and
// a new snapshot written. Commands are also the unit a cluster will replicate.
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

export interface ExchangeDef {
  vhost: string;
  name: string;
  type: string;
  autoDelete: boolean;
  internal: boolean;
  args: FieldTable;
}

export interface QueueDef {
  vhost: string;
  name: string;
  autoDelete: boolean;
  args: FieldTable;
}

export interface BindingDef {
  vhost: string;
  source: string;
  destination: string;
  routingKey: string;
  args: FieldTable;
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
  | { op: 'binding.add'; binding: BindingDef }
  | { op: 'binding.remove'; binding: BindingDef };

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

interface Snapshot {
  vhosts: VhostRecord[];
  users: UserRecord[];
  permissions: PermissionRecord[];
  limits: Array<[string, VhostLimits]>;
  exchanges: unknown[];
  queues: unknown[];
  bindings: unknown[];
}

/** Commands with their tables made JSON-safe (and back). */
function commandToJson(cmd: MetadataCommand): unknown {
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

function commandFromJson(raw: Record<string, unknown>): MetadataCommand {
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

export class Metadata {
  readonly vhosts = new Map<string, VhostRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly permissions = new Map<string, PermissionRecord>();
  readonly limits = new Map<string, VhostLimits>();
  readonly exchanges = new Map<string, ExchangeDef>();
  readonly queues = new Map<string, QueueDef>();
  readonly bindings = new Map<string, BindingDef>();

  private journalFd: number | undefined;
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;
  private waiters: Array<() => void> = [];

  private constructor(private readonly dir: string) {}

  /** Loads (or creates) the node's metadata, replaying the journal into a fresh snapshot. */
  static open(dataDir: string, defaults: MetadataDefaults): Metadata {
    const md = new Metadata(dataDir);
    fs.mkdirSync(dataDir, { recursive: true });
    const snapFile = path.join(dataDir, 'metadata.json');
    const logFile = path.join(dataDir, 'metadata.log');
    let virgin = true;
    try {
      md.load(JSON.parse(fs.readFileSync(snapFile, 'utf8')) as Snapshot);
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
        md.mutate(cmd);
        virgin = false;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (virgin) md.applyDefaults(defaults);
    md.writeSnapshot();
    md.journalFd = fs.openSync(logFile, 'w');
    fs.fsyncSync(md.journalFd);
    return md;
  }

  private applyDefaults(d: MetadataDefaults): void {
    this.mutate({ op: 'vhost.add', vhost: { name: d.vhost, description: 'Default virtual host', tags: [] } });
    this.mutate({
      op: 'user.put',
      user: { name: d.user, passwordHash: hashPassword(d.pass), hashingAlgorithm: HASHING_ALGORITHM, tags: d.tags },
    });
    this.mutate({ op: 'permissions.set', permissions: { user: d.user, vhost: d.vhost, ...d.permissions } });
  }

  /** Applies a change in memory and journals it; `flush()` makes it durable. */
  apply(cmd: MetadataCommand): void {
    this.mutate(cmd);
    this.pending.push(JSON.stringify(commandToJson(cmd)));
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
      case 'exchange.declare':
        this.exchanges.set(key(cmd.exchange.vhost, cmd.exchange.name), cmd.exchange);
        return;
      case 'exchange.delete':
        this.exchanges.delete(key(cmd.vhost, cmd.name));
        for (const [k, b] of this.bindings) {
          if (b.vhost === cmd.vhost && (b.source === cmd.name || b.destination === `e:${cmd.name}`)) this.bindings.delete(k);
        }
        return;
      case 'queue.declare':
        this.queues.set(key(cmd.queue.vhost, cmd.queue.name), cmd.queue);
        return;
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

  private load(s: Snapshot): void {
    for (const v of s.vhosts) this.vhosts.set(v.name, v);
    for (const u of s.users) this.users.set(u.name, u);
    for (const p of s.permissions) this.permissions.set(key(p.vhost, p.user), p);
    for (const [v, l] of s.limits) this.limits.set(v, l);
    for (const e of s.exchanges as ExchangeDef[]) this.mutate({ op: 'exchange.declare', exchange: withTable(e) });
    for (const q of s.queues as QueueDef[]) this.mutate({ op: 'queue.declare', queue: withTable(q) });
    for (const b of s.bindings as BindingDef[]) this.mutate({ op: 'binding.add', binding: withTable(b) });
  }

  private writeSnapshot(): void {
    const snap: Snapshot = {
      vhosts: [...this.vhosts.values()],
      users: [...this.users.values()],
      permissions: [...this.permissions.values()],
      limits: [...this.limits],
      exchanges: [...this.exchanges.values()].map((e) => ({ ...e, args: tableToJson(e.args) })),
      queues: [...this.queues.values()].map((q) => ({ ...q, args: tableToJson(q.args) })),
      bindings: [...this.bindings.values()].map((b) => ({ ...b, args: tableToJson(b.args) })),
    };
    const file = path.join(this.dir, 'metadata.json');
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(snap));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }
}
