// The shared secret (Erlang's cookie) that the CLI and peer nodes must prove they know. The
// lookup order follows RabbitMQ's tools: --erlang-cookie, RABBITMQ_ERLANG_COOKIE, then
// $HOME/.erlang.cookie, which is created (owner-read-only, 20 random capitals) when missing.

import { createHash, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class CookieError extends Error {}

export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME && env.HOME !== '' ? env.HOME : os.homedir();
}

export function cookiePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(homeDir(env), '.erlang.cookie');
}

export function resolveCookie(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  if (env.RABBITMQ_ERLANG_COOKIE) return env.RABBITMQ_ERLANG_COOKIE;
  return readOrCreateCookieFile(cookiePath(env));
}

function readOrCreateCookieFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CookieError(`Cannot read cookie file ${file}: ${(err as Error).message}`);
    }
    return createCookieFile(file);
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new CookieError(`Cookie file ${file} must be accessible by owner only`);
  }
  if (!stat.isFile()) throw new CookieError(`Cookie file ${file} is not a regular file`);
  const cookie = fs.readFileSync(file, 'utf8').split(/\r?\n/)[0].trim();
  if (cookie === '') throw new CookieError(`Cookie file ${file} is empty`);
  return cookie;
}

function createCookieFile(file: string): string {
  let cookie = '';
  for (let i = 0; i < 20; i++) cookie += String.fromCharCode(65 + randomInt(26));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, cookie, { mode: 0o400, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs, so both agree.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreateCookieFile(file);
    throw new CookieError(`Cannot create cookie file ${file}: ${(err as Error).message}`);
  }
  return cookie;
}

/** What RabbitMQ's diagnostics print as "Erlang cookie hash": base64 of the cookie's MD5. */
export function cookieHash(cookie: string): string {
  return createHash('md5').update(cookie).digest('base64');
}
