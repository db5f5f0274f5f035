// Shared pieces of the benchmarks: free ports, temp dirs, starting Warren and RabbitMQ nodes
// side by side on this machine, timing whole processes, medians and tables.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HOST = os.hostname().split('.')[0];
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl';
const GNU_TIME = '/usr/bin/time';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rabbitmqInstalled() {
  return fs.existsSync(RABBITMQ_SERVER) && fs.existsSync(RABBITMQCTL);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs a command to completion; returns wall seconds and peak RSS in MiB (GNU time, if present). */
export function timeProcess(cmd, args, env) {
  const haveTime = fs.existsSync(GNU_TIME);
  const started = process.hrtime.bigint();
  const r = haveTime
    ? spawnSync(GNU_TIME, ['-f', '%M', cmd, ...args], { env, encoding: 'utf8' })
    : spawnSync(cmd, args, { env, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const rssKb = haveTime ? Number(r.stderr.trim().split('\n').pop()) : NaN;
  return { wall, rssMiB: rssKb / 1024, stdout: r.stdout };
}

export async function waitUntil(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A Warren node with its own mapper port, HOME and dirs. */
export async function startWarren(short = 'bench') {
  const dir = tempDir('warren-bench-');
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  const epmdPort = await freePort();
  const amqpPort = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `${short}@${HOST}`,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_PID_FILE: path.join(dir, 'node.pid'),
  };
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'warren-server')], { env, stdio: 'ignore' });
  const ctl = path.join(ROOT, 'bin', 'warrenctl');
  await waitUntil('the Warren node', () => spawnSync(process.execPath, [ctl, 'await_startup', '-t', '1'], { env }).status === 0);
  return {
    name: `${short}@${HOST}`,
    amqpPort,
    env,
    ctl: (args) => [process.execPath, [ctl, ...args]],
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      spawnSync(process.execPath, [path.join(ROOT, 'bin', 'warren-epmd'), '-kill', '-port', String(epmdPort)]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A real RabbitMQ node (Debian's rabbitmq-server) with its own ports, dirs and epmd. */
export async function startRabbit(short = 'benchrabbit') {
  const dir = tempDir('rabbit-bench-');
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  const amqpPort = await freePort();
  const epmdPort = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `${short}@${HOST}`,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbit.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
  };
  const r = spawnSync(RABBITMQ_SERVER, ['-detached'], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rabbitmq-server -detached failed: ${r.stderr}`);
  await waitUntil('the RabbitMQ node', () => spawnSync(RABBITMQCTL, ['await_startup', '-t', '5'], { env }).status === 0, 120_000);
  return {
    name: `${short}@${HOST}`,
    amqpPort,
    env,
    ctl: (args) => [RABBITMQCTL, args],
    async stop() {
      spawnSync(RABBITMQCTL, ['stop', env.RABBITMQ_PID_FILE], { env });
      spawnSync('epmd', ['-kill'], { env });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
