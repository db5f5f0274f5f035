// Test harness: real warren-server processes on free ports, each host (a `Host`) with its own
// port mapper, HOME (cookie) and temp dirs; warrenctl driven through execa. Everything it
// starts is killed and removed by `cleanup()`.

import { afterAll, beforeAll } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCgroup, inCgroup, removeCgroup } from './partition.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = {
  server: path.join(ROOT, 'bin', 'warren-server'),
  ctl: path.join(ROOT, 'bin', 'warrenctl'),
  epmd: path.join(ROOT, 'bin', 'warren-epmd'),
};
export const HOSTNAME = os.hostname().split('.')[0];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface CtlResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface NodeHandle {
  name: string;
  short: string;
  amqpPort: number;
  distPort: number;
  dataDir: string;
  logFile: string;
  pidFile: string;
  env: NodeJS.ProcessEnv;
  /** The node's own cgroup, when started with `partitionable`: what `cut` needs. */
  cgroup?: string;
  /** The foreground process, when started in the foreground. */
  process?: ResultPromise;
  pid(): number;
}

export interface NodeOptions {
  /** Runs the node in a cgroup of its own, so that partition.ts can cut it off. */
  partitionable?: boolean;
}

export class Host {
  readonly dir: string;
  readonly home: string;
  epmdPort = 0;
  private mapper: ResultPromise | undefined;
  private readonly nodes: NodeHandle[] = [];
  private readonly extraPids = new Set<number>();

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warren-test-'));
    this.home = path.join(this.dir, 'home');
    fs.mkdirSync(this.home);
  }

  /** Environment for warrenctl and nodes on this host. */
  baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: this.home,
      ERL_EPMD_PORT: String(this.epmdPort),
      ...extra,
    };
  }

  async startMapper(): Promise<void> {
    this.epmdPort = await freePort();
    this.mapper = execa('node', [BIN.epmd, '-port', String(this.epmdPort)], { reject: false, cleanup: true });
    await waitFor('the port mapper', async () => (await this.ctlRaw(['-names'], BIN.epmd)).exitCode === 0 || undefined);
  }

  /** Allocates ports and dirs for a node without starting it. */
  async prepareNode(short: string, extraEnv: NodeJS.ProcessEnv = {}, options: NodeOptions = {}): Promise<NodeHandle> {
    const amqpPort = await freePort();
    const distPort = await freePort();
    const base = path.join(this.dir, short);
    const name = `${short}@${HOSTNAME}`;
    const env = this.baseEnv({
      RABBITMQ_NODENAME: name,
      RABBITMQ_NODE_PORT: String(amqpPort),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: path.join(base, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(base, 'log'),
      RABBITMQ_PID_FILE: path.join(base, 'node.pid'),
      ...extraEnv,
    });
    const handle: NodeHandle = {
      name,
      short,
      amqpPort,
      distPort,
      dataDir: path.join(base, 'mnesia', name),
      logFile: path.join(base, 'log', `${name}.log`),
      pidFile: path.join(base, 'node.pid'),
      env,
      cgroup: options.partitionable ? createCgroup(short) : undefined,
      pid: () => Number(fs.readFileSync(handle.pidFile, 'utf8').trim()),
    };
    this.nodes.push(handle);
    return handle;
  }

  /** Starts a node in the foreground (as a child) and waits until its app runs. */
  async startNode(short: string, extraEnv: NodeJS.ProcessEnv = {}, options: NodeOptions = {}): Promise<NodeHandle> {
    return this.launch(await this.prepareNode(short, extraEnv, options));
  }

  /** Starts a node again (after a stop or kill -9) with the same name, ports and data. */
  async restartNode(node: NodeHandle): Promise<NodeHandle> {
    return this.launch(node);
  }

  /**
   * Starts the node's process and waits only until it answers ping: its app may still be
   * starting (a cluster member waiting for the others, say).
   */
  async spawnNode(node: NodeHandle): Promise<NodeHandle> {
    const command = node.cgroup ? inCgroup(node.cgroup, 'node', [BIN.server]) : { file: 'node', args: [BIN.server] };
    node.process = execa(command.file, command.args, { env: node.env, extendEnv: false, reject: false, cleanup: true });
    let exited = false;
    void node.process.then(() => (exited = true));
    await waitFor(`node ${node.name} to answer`, async () => {
      if (exited) throw new Error(`node ${node.name} exited`);
      return (await this.ctl(node, ['ping', '-q'])).exitCode === 0 || undefined;
    });
    this.extraPids.add(node.pid());
    return node;
  }

  /** kill -9 of the node's process; resolves once it is gone. */
  async killNode(node: NodeHandle): Promise<void> {
    const pid = node.pid();
    process.kill(pid, 'SIGKILL');
    await waitFor(`node ${node.name} to die`, () => !processAlive(pid) || undefined);
  }

  private async launch(node: NodeHandle): Promise<NodeHandle> {
    const command = node.cgroup ? inCgroup(node.cgroup, 'node', [BIN.server]) : { file: 'node', args: [BIN.server] };
    node.process = execa(command.file, command.args, { env: node.env, extendEnv: false, reject: false, cleanup: true });
    const started = await Promise.race([
      this.ctl(node, ['await_startup', '-t', '30']),
      node.process.then((r) => ({ exitCode: -1, stdout: String(r.stdout), stderr: `node exited: ${String(r.stderr)}` })),
    ]);
    if (started.exitCode !== 0) throw new Error(`node ${node.name} did not start: ${started.stderr}`);
    this.extraPids.add(node.pid());
    return node;
  }

  /** Runs warrenctl against `node` (adds -n), with this host's environment. */
  ctl(node: NodeHandle | string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CtlResult> {
    const name = typeof node === 'string' ? node : node.name;
    return this.ctlRaw(['-n', name, ...args], BIN.ctl, env);
  }

  async ctlRaw(args: string[], bin = BIN.ctl, env: NodeJS.ProcessEnv = {}): Promise<CtlResult> {
    const r = await execa('node', [bin, ...args], {
      env: this.baseEnv(env),
      extendEnv: false,
      reject: false,
      timeout: 60_000,
      stripFinalNewline: false,
    });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
  }

  /** Remembers a process to kill at cleanup (e.g. a node started with -detached). */
  track(pid: number): void {
    this.extraPids.add(pid);
  }

  async cleanup(): Promise<void> {
    for (const n of this.nodes) {
      try {
        this.extraPids.add(n.pid());
      } catch {
        // No pid file: never started or already stopped.
      }
      n.process?.kill('SIGKILL');
    }
    for (const pid of this.extraPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.mapper?.kill('SIGKILL');
    await Promise.allSettled([...this.nodes.map((n) => n.process), this.mapper]);
    for (const n of this.nodes) if (n.cgroup) await removeCgroup(n.cgroup);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The reference capture of a command from ../shared/reference/rabbitmq-3.10/raw/. */
export function reference(file: string): { stdout: string; stderr: string; exit: number; cmd: string } {
  const base = path.join(ROOT, '..', 'shared', 'reference', 'rabbitmq-3.10', 'raw', file);
  const read = (ext: string) => fs.readFileSync(`${base}.${ext}`, 'utf8');
  return { stdout: read('stdout'), stderr: read('stderr'), exit: Number(read('exit').trim()), cmd: read('cmd') };
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/**
 * One node for a describe block: a host with its own port mapper and a node started before
 * the tests and cleaned up after. Read `node` and `url` inside tests (they are set by then).
 */
export function useSingleNode(short = 'rabbit'): { host: Host; node: NodeHandle; url: string } {
  const host = new Host();
  const scope = { host, node: undefined as unknown as NodeHandle, url: '' };
  beforeAll(async () => {
    await host.startMapper();
    scope.node = await host.startNode(short);
    scope.url = `amqp://guest:guest@127.0.0.1:${scope.node.amqpPort}`;
  });
  afterAll(() => host.cleanup());
  return scope;
}
