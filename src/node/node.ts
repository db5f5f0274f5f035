// One Warren node's life: boot (control port up, name registered with the port mapper, pid file
// written), then the app (metadata, listeners), which stop_app/start_app stop and start while
// the node stays reachable; reset wipes the node's data; shutdown ends the process.

import fs from 'node:fs';
import path from 'node:path';
import type { HeldRegistration } from './portmapper-client.js';
import { startControlServer, type ControlServer, type Handler } from '../control/server.js';
import { Broker } from '../broker/broker.js';
import { Metadata } from '../broker/metadata.js';
import { Persistence } from '../broker/persistence.js';
import { AmqpServer } from '../amqp/server.js';
import { RABBITMQ_COMPAT_VERSION } from './version.js';
import { ResourceMonitor } from './alarms.js';
import type { NodeEnv } from './env.js';
import type { Logger } from './log.js';
import type { WarrenConfig } from './config.js';
import { registerWithPortMapper } from './portmapper-launch.js';
import { Cluster } from '../cluster/cluster.js';
import { connect, type ControlClient } from '../control/client.js';
import { closeConnectionsOf } from './service-admin.js';

export type AppState = 'booting' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface Listener {
  protocol: 'clustering' | 'amqp';
  port: number;
  interface: string;
  purpose: string;
}

export class WarrenNode {
  readonly startedAt = Date.now();
  appState: AppState = 'booting';
  broker: Broker | undefined;
  amqp: AmqpServer | undefined;
  readonly resources: ResourceMonitor;
  readonly cluster: Cluster;
  creation = 0;
  private control: ControlServer | undefined;
  private registration: HeldRegistration | undefined;
  private appListeners: Listener[] = [];
  private appStateWaiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(
    readonly env: NodeEnv,
    readonly config: WarrenConfig,
    readonly log: Logger,
    readonly cookie: string,
    private readonly handlers: (node: WarrenNode) => Map<string, Handler>,
  ) {
    this.cluster = new Cluster(this);
    this.resources = new ResourceMonitor(env.nodeName, config, env.dataDir, log, (active) => {
      const reason = active.includes('memory') ? 'low on memory' : 'low on disk';
      this.amqp?.setAlarm(active.length > 0, reason);
    });
  }

  get name(): string {
    return this.env.nodeName;
  }

  get listeners(): Listener[] {
    const clustering: Listener = {
      protocol: 'clustering',
      port: this.env.distPort,
      interface: '[::]',
      purpose: 'inter-node and CLI tool communication',
    };
    return [clustering, ...this.appListeners];
  }

  /** Brings the node up to the point where the CLI can reach it; the app starts after. */
  async boot(): Promise<void> {
    fs.mkdirSync(this.env.dataDir, { recursive: true });
    this.control = await startControlServer({
      port: this.env.distPort,
      nodeName: this.name,
      cookie: () => this.cookie,
      handlers: this.handlers(this),
      describe: () => ({ pid: process.pid, app: this.appState, node: this.name }),
      log: (level, text) => this.log.log(level, text),
    });
    this.registration = await registerWithPortMapper(this.env.epmdPort, this.name, this.env.distPort, this.log);
    this.creation = this.registration.creation;
    void this.registration.lost.then(() => this.onPortMapperLost());
    writePidFile(this.env.pidFile);
    this.log.info(`Node ${this.name} registered with the port mapper on port ${this.env.epmdPort}`);
    this.cluster.connectPeers();
  }

  /** A connection to another node of this host's cluster (same cookie). */
  connectTo(node: string, timeoutMs = 10_000): Promise<ControlClient> {
    return connect({ node, epmdPort: this.env.epmdPort, cookie: this.cookie, selfName: this.name, kind: 'node', timeoutMs });
  }

  async startApp(): Promise<void> {
    if (this.appState === 'running' || this.appState === 'starting') return;
    this.setAppState('starting');
    this.log.info(`Starting the app on node ${this.name}`);
    fs.mkdirSync(this.env.dataDir, { recursive: true });
    const c = this.config;
    const cluster = this.cluster;
    try {
      await cluster.discover();
    } catch (err) {
      this.setAppState('stopped');
      throw err;
    }
    // A lone node starts from its own data (RabbitMQ's defaults when it has none); a member of
    // a cluster gets what the running members hold, or waits for them.
    const lone = cluster.others.length === 0;
    let metadata: Metadata;
    let broker: Broker;
    try {
      metadata = Metadata.open(this.env.dataDir, lone ? Broker.defaults(c) : undefined, this.name, cluster.type === 'disc');
      broker = await Broker.open(this.name, metadata, new Persistence(this.env.dataDir, (m) => this.log.warning(m)), cluster);
      broker.onVhostDeleted = (vhost) => closeConnectionsOf(this, vhost);
      broker.remote = cluster.remoteAccess();
      await cluster.appStarting(metadata, broker);
    } catch (err) {
      cluster.appStopping();
      this.setAppState('stopped');
      throw err;
    }
    const amqp = new AmqpServer({
      port: this.env.amqpPort,
      broker,
      settings: {
        frameMax: c.frameMax,
        channelMax: c.channelMax,
        heartbeat: c.heartbeat,
        loopbackUsers: c.loopbackUsers,
        handshakeTimeoutMs: c.handshakeTimeout === 'infinity' ? 2 ** 31 - 1 : c.handshakeTimeout,
      },
      product: { name: 'Warren', version: RABBITMQ_COMPAT_VERSION, clusterName: c.clusterName ?? this.name },
      log: (level, text) => this.log.log(level, text),
    });
    try {
      await amqp.listen();
    } catch (err) {
      cluster.appStopping();
      await broker.stop();
      this.setAppState('stopped');
      throw err;
    }
    this.broker = broker;
    this.amqp = amqp;
    this.resources.start();
    if (this.resources.alarms().length > 0) amqp.setAlarm(true, 'low on memory');
    this.appListeners = [
      { protocol: 'amqp', port: this.env.amqpPort, interface: '[::]', purpose: 'AMQP 0-9-1 and AMQP 1.0' },
    ];
    this.setAppState('running');
    cluster.appStarted();
    this.log.info(`Node ${this.name} is running the app`);
  }

  async stopApp(): Promise<void> {
    if (this.appState === 'stopped' || this.appState === 'stopping') return;
    this.setAppState('stopping');
    this.log.info(`Stopping the app on node ${this.name}`);
    this.appListeners = [];
    this.cluster.appStopping();
    this.resources.stop();
    await this.amqp?.close();
    await this.broker?.stop();
    this.amqp = undefined;
    this.broker = undefined;
    this.setAppState('stopped');
    this.cluster.appStopped();
    this.log.info(`Stopped the app on node ${this.name}`);
  }

  /** Returns the node to its virgin state. The app must be stopped. */
  async reset(force: boolean): Promise<void> {
    this.log.info(`${force ? 'Forcefully resetting' : 'Resetting'} node ${this.name}`);
    if (force) this.cluster.close();
    else await this.cluster.leave();
    await this.wipeData();
    this.cluster.adopt({ nodes: { [this.name]: 'disc' }, running: [] });
  }

  /** Removes everything the node keeps on disk (reset, and a node joining a cluster). */
  async wipeData(): Promise<void> {
    fs.rmSync(this.env.dataDir, { recursive: true, force: true });
    fs.mkdirSync(this.env.dataDir, { recursive: true });
  }

  /** Resolves once the app is running, or rejects after `timeoutMs`. */
  waitForApp(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.appState === 'running') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.appStateWaiters = this.appStateWaiters.filter((w) => w !== check);
        resolve(ok);
      };
      const check = () => {
        if (this.appState === 'running') done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      signal?.addEventListener('abort', () => done(false));
      this.appStateWaiters.push(check);
    });
  }

  /** Stops everything and ends the process. */
  async shutdown(reason: string, exitCode = 0): Promise<never> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.log.info(`Node ${this.name} is shutting down: ${reason}`);
      await this.stopApp();
      this.cluster.close();
      this.registration?.release();
      await this.control?.close();
      removePidFile(this.env.pidFile);
      this.log.info(`Node ${this.name} has stopped`);
      this.log.close();
      process.exit(exitCode);
    }
    return new Promise<never>(() => {});
  }

  private setAppState(state: AppState): void {
    this.appState = state;
    for (const w of [...this.appStateWaiters]) w();
  }

  /** The mapper went away (killed): register again with a fresh one so the CLI can find us. */
  private async onPortMapperLost(): Promise<void> {
    if (this.shuttingDown) return;
    this.log.warning('Lost the connection to the port mapper; registering again');
    try {
      this.registration = await registerWithPortMapper(this.env.epmdPort, this.name, this.env.distPort, this.log);
      void this.registration.lost.then(() => this.onPortMapperLost());
    } catch (err) {
      this.log.error(`Could not register with the port mapper again: ${(err as Error).message}`);
    }
  }
}

function writePidFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${process.pid}\n`);
}

function removePidFile(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
  } catch {
    // Already gone: nothing to clean up.
  }
}
