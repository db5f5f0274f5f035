// Who may do what: SASL PLAIN and AMQPLAIN credentials checked against stored users,
// loopback-only users (guest), and the configure/write/read permission regexes RabbitMQ
// checks on every operation, compiled once per permission record.

import { readTable } from '../amqp/table.js';
import { checkPassword } from './passwords.js';
import type { Metadata, PermissionRecord } from './metadata.js';

export type Permission = 'configure' | 'write' | 'read';

export interface Credentials {
  username: string;
  password: string;
}

/** Decodes a start-ok response; undefined when malformed. */
export function parseCredentials(mechanism: string, response: Buffer): Credentials | undefined {
  if (mechanism === 'PLAIN') {
    // [authzid] NUL authcid NUL passwd
    const parts = response.toString('utf8').split('\u0000');
    if (parts.length !== 3) return undefined;
    return { username: parts[1], password: parts[2] };
  }
  if (mechanism === 'AMQPLAIN') {
    // A field table's contents, without its length prefix.
    try {
      const t = readTable(response, 0, response.length);
      const login = t.get('LOGIN');
      const password = t.get('PASSWORD');
      if (typeof login !== 'string' || typeof password !== 'string') return undefined;
      return { username: login, password };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function authenticate(md: Metadata, creds: Credentials): boolean {
  const user = md.users.get(creds.username);
  return user !== undefined && user.passwordHash !== '' && checkPassword(creds.password, user.passwordHash);
}

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a.startsWith('127.');
}

const compiled = new WeakMap<PermissionRecord, Record<Permission, RegExp>>();

/** RabbitMQ anchors nothing: a permission regex matches anywhere unless it says ^ or $. */
function regexes(p: PermissionRecord): Record<Permission, RegExp> {
  let r = compiled.get(p);
  if (r === undefined) {
    const mk = (s: string) => (s === '' ? /(?!)/ : new RegExp(s));
    r = { configure: mk(p.configure), write: mk(p.write), read: mk(p.read) };
    compiled.set(p, r);
  }
  return r;
}

export function permitted(md: Metadata, user: string, vhost: string, what: Permission, resource: string): boolean {
  const p = md.permissionsFor(user, vhost);
  return p !== undefined && regexes(p)[what].test(resource);
}
