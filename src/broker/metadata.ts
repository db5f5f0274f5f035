// The node's metadata (virtual hosts, users, permissions) and where it lives on disk. A virgin
// node gets RabbitMQ's defaults on first start: vhost "/", user guest/guest tagged
// administrator with full permissions on "/". Writes go to a temp file, are fsync'd and renamed
// into place, so a crash leaves the old or the new state, never half of one.

import fs from 'node:fs';
import path from 'node:path';
import { HASHING_ALGORITHM, hashPassword } from './passwords.js';

export interface VhostRecord {
  name: string;
  description: string;
  tags: string[];
}

export interface UserRecord {
  name: string;
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

export interface MetadataDefaults {
  vhost: string;
  user: string;
  pass: string;
  tags: string[];
  permissions: { configure: string; write: string; read: string };
}

interface Snapshot {
  vhosts: VhostRecord[];
  users: UserRecord[];
  permissions: PermissionRecord[];
}

export class Metadata {
  readonly vhosts = new Map<string, VhostRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly permissions: PermissionRecord[] = [];

  private constructor(private readonly file: string) {}

  /** Loads the node's metadata, creating the defaults when the node is virgin. */
  static open(dataDir: string, defaults: MetadataDefaults): Metadata {
    const md = new Metadata(path.join(dataDir, 'metadata.json'));
    let snap: Snapshot | undefined;
    try {
      snap = JSON.parse(fs.readFileSync(md.file, 'utf8')) as Snapshot;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (snap) {
      for (const v of snap.vhosts) md.vhosts.set(v.name, v);
      for (const u of snap.users) md.users.set(u.name, u);
      md.permissions.push(...snap.permissions);
    } else {
      md.vhosts.set(defaults.vhost, { name: defaults.vhost, description: 'Default virtual host', tags: [] });
      md.users.set(defaults.user, {
        name: defaults.user,
        passwordHash: hashPassword(defaults.pass),
        hashingAlgorithm: HASHING_ALGORITHM,
        tags: defaults.tags,
      });
      md.permissions.push({ user: defaults.user, vhost: defaults.vhost, ...defaults.permissions });
      md.save();
    }
    return md;
  }

  save(): void {
    const snap: Snapshot = {
      vhosts: [...this.vhosts.values()],
      users: [...this.users.values()],
      permissions: this.permissions,
    };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(snap));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}
