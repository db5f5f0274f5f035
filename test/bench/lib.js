// Shared pieces of the benchmarks: free ports, temp dirs, starting Warren and RabbitMQ nodes
// side by side on this machine, timing whole processes, medians and tables.

import { spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inCgroup } from './partition.js';

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

/**
 * A fresh directory under the system's temp dir. Names start with "wperf-" so that nothing
 * cleaning up other benchmarks' directories (rabbit-bench-*, warren-bench-*) removes the data
 * of a node that is still running here.
 */
export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `wperf-${prefix}`));
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
  // A listing of 100,000 queues is megabytes: well above spawnSync's default 1 MiB buffer.
  const options = { env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 };
  const r = haveTime ? spawnSync(GNU_TIME, ['-f', '%M', cmd, ...args], options) : spawnSync(cmd, args, options);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.error?.message ?? r.stderr}`);
  const rssKb = haveTime ? Number(r.stderr.trim().split('\n').pop()) : NaN;
  return { wall, rssMiB: rssKb / 1024, stdout: r.stdout };
}

/** One line about this machine, for the top of a benchmark's report. */
export function machine() {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const rabbit = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'rabbitmq-server'], { encoding: 'utf8' }).stdout || 'not installed';
  return `${os.availableParallelism()} CPUs (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}, RabbitMQ ${rabbit}`;
}

export const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** Resident memory of a process in MiB, from /proc/<pid>/status (VmRSS). */
export function rssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb / 1024;
}

function readPid(file) {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Every node a benchmark started, so that stopAll() can stop them on failure or Ctrl-C.
const started = new Set();
// Every cluster host (shared port mapper) a benchmark made; stopped after the nodes.
const hosts = new Set();

// Where stop() copies a node's log directory before removing its files; undefined: nowhere.
let keptLogs;

/** From now on, stopping a node keeps its logs under `dir` (to find out why a run failed). */
export function keepLogsIn(dir) {
  keptLogs = dir;
}

/**
 * The steps of a bench run that failed: `attempt` runs a step, and a failure is logged, the
 * nodes' logs are kept in `logsDir`, and the run goes on; `finish` lists them under the table
 * and ends the process (exit 1 if any failed).
 */
export function failureLog(logsDir) {
  const failures = [];
  return {
    failures,
    async attempt(what, fn) {
      try {
        return await fn();
      } catch (err) {
        failures.push(`${what}: ${err.message}`);
        process.stderr.write(`  FAILED ${what}: ${err.message}\n`);
        keepLogsIn(logsDir);
        return undefined;
      }
    },
    finish(began) {
      for (const f of failures) console.log(`FAILED ${f}`);
      if (failures.length > 0) console.log(`the nodes' logs are in ${logsDir}`);
      console.log(`\ntotal ${((Date.now() - began) / 1000).toFixed(0)} s; load average at the end ${loadavg()}`);
      process.exit(failures.length > 0 ? 1 : 0);
    },
  };
}

function keepLogs(node) {
  if (keptLogs === undefined) return;
  const to = path.join(keptLogs, `${node.kind}-${node.name}-${Date.now()}`);
  fs.cpSync(path.join(node.dir, 'log'), to, { recursive: true, force: true });
}

/** Stops every node still running, then the clusters' port mappers (each stop() is safe to call twice). */
export async function stopAll() {
  await Promise.allSettled([...started].map((node) => node.stop()));
  await Promise.allSettled([...hosts].map((host) => host.stop()));
}

/**
 * Stops every node started here when the benchmark fails, is interrupted (Ctrl-C, SIGTERM) or
 * exits with nodes still up; only nodes this process started, found by their own pid files.
 * `afterStop` (optional, synchronous) then removes what else the benchmark made.
 */
export function cleanUpOnExit(afterStop = () => {}) {
  let stopping = false;
  const bail = (why, code) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${why}: stopping the nodes this benchmark started\n`);
    stopAll()
      .then(afterStop)
      .finally(() => process.exit(code));
  };
  process.on('SIGINT', () => bail('interrupted', 130));
  process.on('SIGTERM', () => bail('terminated', 143));
  process.on('uncaughtException', (err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    bail('failed', 70);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    bail('failed', 70);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What the nodes of one cluster share: a port mapper port (they find each other through it)
 * and a HOME whose .erlang.cookie they all prove to each other. The cookie is written before
 * any node starts, so nodes started together cannot each create a different one. `kind` is
 * 'warren' or 'rabbitmq': whose port mapper stop() ends, once every node on it has stopped.
 */
export async function clusterHost(kind) {
  const dir = tempDir(`${kind}-cluster-`);
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  const cookie = Array.from({ length: 20 }, () => String.fromCharCode(65 + randomInt(26))).join('');
  fs.writeFileSync(path.join(home, '.erlang.cookie'), cookie, { mode: 0o400 });
  const epmdPort = String(await freePort());
  // The mapper is the host's, started here: were the first node to start it, it would live in
  // that node's cgroup (see partition.js) and go with it.
  const mapperEnv = { PATH: process.env.PATH, HOME: home, ERL_EPMD_PORT: epmdPort };
  const mapper = kind === 'warren' ? [process.execPath, [path.join(ROOT, 'bin', 'warren-epmd'), '-port', epmdPort]] : ['epmd', []];
  spawnSync(mapper[0], [...mapper[1], '-daemon'], { env: mapperEnv });
  await waitUntil(`the ${kind} port mapper`, () => spawnSync(mapper[0], [...mapper[1], '-names'], { env: mapperEnv }).status === 0, 10_000);
  let stopped;
  const host = {
    kind,
    home,
    epmdPort,
    stop() {
      stopped ??= (async () => {
        hosts.delete(host);
        if (kind === 'warren') spawnSync(process.execPath, [path.join(ROOT, 'bin', 'warren-epmd'), '-kill', '-port', epmdPort]);
        else spawnSync('epmd', ['-kill'], { env: { PATH: process.env.PATH, HOME: home, ERL_EPMD_PORT: epmdPort } });
        fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  hosts.add(host);
  return host;
}

/**
 * A temp dir, HOME, free ports and the RABBITMQ_* environment for one node of either kind;
 * HOME and the port mapper are the cluster host's when one is given, else the node's own.
 */
async function nodeEnvironment(prefix, short, cluster, conf) {
  const dir = tempDir(prefix);
  const home = cluster?.home ?? path.join(dir, 'home');
  if (cluster === undefined) fs.mkdirSync(home);
  const amqpPort = await freePort();
  const distPort = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    ERL_EPMD_PORT: cluster?.epmdPort ?? String(await freePort()),
    RABBITMQ_NODENAME: `${short}@${HOST}`,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
  };
  if (conf !== undefined) {
    env.RABBITMQ_CONFIG_FILE = path.join(dir, 'rabbitmq.conf');
    fs.writeFileSync(env.RABBITMQ_CONFIG_FILE, conf.map((line) => `${line}\n`).join(''));
  }
  return { dir, env, amqpPort, distPort };
}

/** `file args`, run inside `cgroup` from its first instruction when one is given (partition.js). */
const launcher = (cgroup, file, args) => (cgroup === undefined ? { file, args } : inCgroup(cgroup, file, args));

/**
 * A Warren node with its own mapper port, HOME and dirs, or those of `cluster` (clusterHost).
 * `nodeArgs` go to Node itself (e.g. --cpu-prof); `keepDir` keeps the temp dir (and a profile
 * written into it) after stop(); `conf` is the lines of its rabbitmq.conf; `cgroup` one made
 * by partition.js's createCgroup, for the node to run in. kill9() and restart() are for
 * failover: the process killed with SIGKILL, then started again with the same name and data.
 */
export async function startWarren(short = 'bench', { nodeArgs = [], keepDir = false, cluster, conf, cgroup } = {}) {
  const { dir, env, amqpPort, distPort } = await nodeEnvironment('warren-bench-', short, cluster, conf);
  env.RABBITMQ_PID_FILE = path.join(dir, 'node.pid');
  const ctl = path.join(ROOT, 'bin', 'warrenctl');
  let child;
  let exited;
  const launch = async () => {
    const { file, args } = launcher(cgroup, process.execPath, [...nodeArgs, path.join(ROOT, 'bin', 'warren-server')]);
    child = spawn(file, args, { env, stdio: 'ignore', cwd: dir });
    exited = new Promise((r) => child.once('exit', r));
    await waitUntil('the Warren node', () => {
      if (child.exitCode !== null) throw new Error(`the Warren node exited (${child.exitCode}) while starting`);
      return spawnSync(process.execPath, [ctl, 'await_startup', '-t', '1'], { env }).status === 0;
    });
  };
  let stopped;
  const node = {
    kind: 'warren',
    name: `${short}@${HOST}`,
    amqpPort,
    distPort,
    uri: `amqp://guest:guest@127.0.0.1:${amqpPort}/`,
    env,
    dir,
    pid: () => child.pid,
    rssMiB: () => rssMiB(child.pid),
    ctl: (args) => [process.execPath, [ctl, ...args]],
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    restart: launch,
    stop() {
      stopped ??= (async () => {
        started.delete(node);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(timer);
        }
        if (cluster === undefined) spawnSync(process.execPath, [path.join(ROOT, 'bin', 'warren-epmd'), '-kill', '-port', env.ERL_EPMD_PORT]);
        keepLogs(node);
        if (!keepDir) fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  started.add(node);
  try {
    await launch();
  } catch (err) {
    await node.stop();
    throw err;
  }
  return node;
}

/**
 * A real RabbitMQ node (Debian's rabbitmq-server) with its own ports, dirs and epmd, or the
 * epmd and HOME of `cluster` (clusterHost); `conf`, `cgroup`, kill9() and restart() as for
 * startWarren.
 */
export async function startRabbit(short = 'benchrabbit', { cluster, conf, cgroup } = {}) {
  const { dir, env, amqpPort, distPort } = await nodeEnvironment('rabbit-bench-', short, cluster, conf);
  Object.assign(env, {
    LANG: 'C.UTF-8',
    RABBITMQ_PID_FILE: path.join(dir, 'rabbit.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    // A crashing node or rabbitmqctl writes its dump here, not into the caller's directory.
    ERL_CRASH_DUMP: path.join(dir, 'erl_crash.dump'),
  });
  const rabbitmqctl = (args) => spawnSync(RABBITMQCTL, args, { env, encoding: 'utf8', timeout: 120_000 });
  let stopped;
  let beamPid;
  const launch = async () => {
    beamPid = undefined;
    // -detached: beam.smp is forked from the wrapper, so it starts inside the same cgroup.
    const { file, args } = launcher(cgroup, RABBITMQ_SERVER, ['-detached']);
    const r = spawnSync(file, args, { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`rabbitmq-server -detached failed: ${r.stderr}`);
    await waitUntil('the RabbitMQ node', () => rabbitmqctl(['await_startup', '-t', '5']).status === 0, 120_000);
    node.pid();
  };
  const node = {
    kind: 'rabbitmq',
    name: `${short}@${HOST}`,
    amqpPort,
    distPort,
    uri: `amqp://guest:guest@127.0.0.1:${amqpPort}/`,
    env,
    dir,
    /** beam.smp of this node: from the pid file the node writes, remembered once started. */
    pid: () => (beamPid ??= readPid(env.RABBITMQ_PID_FILE)),
    rssMiB: () => rssMiB(node.pid()),
    ctl: (args) => [RABBITMQCTL, args],
    async kill9() {
      const pid = node.pid();
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await sleep(10);
    },
    restart: launch,
    stop() {
      stopped ??= (async () => {
        started.delete(node);
        const pid = node.pid();
        // rabbitmqctl stop waits out its whole timeout for a node that is already gone.
        if (pid === undefined || alive(pid)) rabbitmqctl(['stop', env.RABBITMQ_PID_FILE]);
        // A node rabbitmqctl could not stop (its cookie or pid file gone, the node stuck) is
        // still ours, known by the pid it had at start: SIGTERM (Erlang's init:stop), then KILL.
        if (pid !== undefined && alive(pid)) {
          process.kill(pid, 'SIGTERM');
          for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
          if (alive(pid)) process.kill(pid, 'SIGKILL');
        }
        if (cluster === undefined) spawnSync('epmd', ['-kill'], { env });
        keepLogs(node);
        fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  started.add(node);
  try {
    await launch();
  } catch (err) {
    await node.stop();
    throw err;
  }
  return node;
}

export function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
