// Administration of users, virtual hosts, permissions and vhost limits (what warrenctl's
// add_user, add_vhost, set_permissions, set_vhost_limits... do), through metadata commands so
// every change is journaled before it is acknowledged. Errors carry the CLI's texts.

import { ControlError } from '../control/errors.js';
import { HASHING_ALGORITHM, checkPassword, hashPassword } from './passwords.js';
import type { Broker } from './broker.js';
import type { VhostLimits } from './metadata.js';
import { VHost } from './vhost.js';

export class Admin {
  constructor(
    private readonly broker: Broker,
    /** Closes the client connections of a deleted virtual host. */
    private readonly closeConnectionsOf: (vhost: string) => void,
  ) {}

  private get md() {
    return this.broker.metadata;
  }

  private user(name: string) {
    const u = this.md.users.get(name);
    if (u === undefined) throw new ControlError('no_such_user', `User "${name}" does not exist`);
    return u;
  }

  private vhostExists(name: string): void {
    if (!this.md.vhosts.has(name)) throw new ControlError('no_such_vhost', `Virtual host '${name}' does not exist`);
  }

  async addUser(name: string, password: string | undefined): Promise<void> {
    if (this.md.users.has(name)) throw new ControlError('user_exists', `User "${name}" already exists`);
    this.md.apply({
      op: 'user.put',
      user: { name, passwordHash: password === undefined ? '' : hashPassword(password), hashingAlgorithm: HASHING_ALGORITHM, tags: [] },
    });
    await this.md.flush();
  }

  async deleteUser(name: string): Promise<void> {
    this.user(name);
    this.md.apply({ op: 'user.delete', name });
    await this.md.flush();
  }

  async changePassword(name: string, password: string | undefined): Promise<void> {
    const u = this.user(name);
    this.md.apply({ op: 'user.put', user: { ...u, passwordHash: password === undefined ? '' : hashPassword(password) } });
    await this.md.flush();
  }

  authenticate(name: string, password: string): boolean {
    const u = this.md.users.get(name);
    return u !== undefined && u.passwordHash !== '' && checkPassword(password, u.passwordHash);
  }

  async setUserTags(name: string, tags: string[]): Promise<void> {
    const u = this.user(name);
    this.md.apply({ op: 'user.put', user: { ...u, tags } });
    await this.md.flush();
  }

  async addVhost(name: string, description = '', tags: string[] = []): Promise<void> {
    if (this.md.vhosts.has(name)) return;
    this.md.apply({ op: 'vhost.add', vhost: { name, description, tags } });
    this.broker.vhosts.set(name, new VHost(name));
    await this.md.flush();
  }

  async deleteVhost(name: string): Promise<void> {
    this.vhostExists(name);
    const vh = this.broker.vhosts.get(name);
    if (vh !== undefined) {
      for (const q of [...vh.queues.values()]) this.broker.removeQueue(q);
      this.broker.vhosts.delete(name);
    }
    this.closeConnectionsOf(name);
    this.md.apply({ op: 'vhost.delete', name });
    await this.md.flush();
  }

  async setPermissions(user: string, vhost: string, configure: string, write: string, read: string): Promise<void> {
    this.user(user);
    this.vhostExists(vhost);
    for (const r of [configure, write, read]) {
      try {
        new RegExp(r);
      } catch {
        throw new ControlError('invalid_regexp', `Invalid regular expression '${r}'`);
      }
    }
    this.md.apply({ op: 'permissions.set', permissions: { user, vhost, configure, write, read } });
    await this.md.flush();
  }

  async clearPermissions(user: string, vhost: string): Promise<void> {
    this.user(user);
    this.vhostExists(vhost);
    this.md.apply({ op: 'permissions.clear', user, vhost });
    await this.md.flush();
  }

  async setVhostLimits(vhost: string, limits: VhostLimits): Promise<void> {
    this.vhostExists(vhost);
    this.md.apply({ op: 'vhost.limits', vhost, limits });
    await this.md.flush();
  }

  async clearVhostLimits(vhost: string): Promise<void> {
    this.vhostExists(vhost);
    this.md.apply({ op: 'vhost.limits', vhost, limits: undefined });
    await this.md.flush();
  }
}
