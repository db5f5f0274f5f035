// Administration of users, virtual hosts, permissions, vhost limits and policies (what
// warrenctl's add_user, add_vhost, set_permissions, set_vhost_limits, set_policy... do), as metadata commands committed
// through the cluster's log, so a change is everywhere (and journaled) before it is
// acknowledged. Errors carry the CLI's texts.

import { ControlError } from '../control/errors.js';
import { HASHING_ALGORITHM, checkPassword, hashPassword } from './passwords.js';
import type { Broker } from './broker.js';
import type { PolicyRecord, VhostLimits } from './metadata.js';

export class Admin {
  constructor(private readonly broker: Broker) {}

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
    await this.broker.commit({
      op: 'user.put',
      user: { name, passwordHash: password === undefined ? '' : hashPassword(password), hashingAlgorithm: HASHING_ALGORITHM, tags: [] },
    });
  }

  async deleteUser(name: string): Promise<void> {
    this.user(name);
    await this.broker.commit({ op: 'user.delete', name });
  }

  async changePassword(name: string, password: string | undefined): Promise<void> {
    const u = this.user(name);
    await this.broker.commit({ op: 'user.put', user: { ...u, passwordHash: password === undefined ? '' : hashPassword(password) } });
  }

  authenticate(name: string, password: string): boolean {
    const u = this.md.users.get(name);
    return u !== undefined && u.passwordHash !== '' && checkPassword(password, u.passwordHash);
  }

  async setUserTags(name: string, tags: string[]): Promise<void> {
    const u = this.user(name);
    await this.broker.commit({ op: 'user.put', user: { ...u, tags } });
  }

  async addVhost(name: string, description = '', tags: string[] = []): Promise<void> {
    if (this.md.vhosts.has(name)) return;
    await this.broker.commit({ op: 'vhost.add', vhost: { name, description, tags } });
  }

  async deleteVhost(name: string): Promise<void> {
    this.vhostExists(name);
    // Every node deletes the vhost's queues and closes its clients' connections to it.
    await this.broker.commit({ op: 'vhost.delete', name });
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
    await this.broker.commit({ op: 'permissions.set', permissions: { user, vhost, configure, write, read } });
  }

  async clearPermissions(user: string, vhost: string): Promise<void> {
    this.user(user);
    this.vhostExists(vhost);
    await this.broker.commit({ op: 'permissions.clear', user, vhost });
  }

  async setVhostLimits(vhost: string, limits: VhostLimits): Promise<void> {
    this.vhostExists(vhost);
    await this.broker.commit({ op: 'vhost.limits', vhost, limits });
  }

  async clearVhostLimits(vhost: string): Promise<void> {
    this.vhostExists(vhost);
    await this.broker.commit({ op: 'vhost.limits', vhost, limits: undefined });
  }

  /** A validated policy (node/policy-validation.ts): every node re-shapes its queues. */
  async setPolicy(policy: PolicyRecord): Promise<void> {
    this.vhostExists(policy.vhost);
    await this.broker.commit({ op: 'policy.set', policy });
  }

  /** RabbitMQ looks the policy up without checking the vhost, so a missing vhost says the same. */
  async clearPolicy(vhost: string, name: string): Promise<void> {
    if (this.md.policy(vhost, name) === undefined) throw new ControlError('parameter_not_found', 'Parameter does not exist');
    await this.broker.commit({ op: 'policy.clear', vhost, name });
  }
}
