// Links from this node to the other members of its cluster, over their distribution ports.
// Each link connects (and reconnects) on its own, says hello (the peer's app state, when its
// app started, its boot id and its view of the membership), then ticks: a peer that answers
// nothing for net_ticktime is declared down and its connection dropped, as Erlang's
// distribution does. Kernel-closed connections (a killed process) are noticed at once.

import { connect, type CallOptions, type ControlClient } from '../control/client.js';

export interface PeerHello {
  /** The peer's app state ('running', 'stopped', ...). */
  app: string;
  /** When the peer's app last reached running (ms since the epoch), 0 if it is not running. */
  appStartedAt: number;
  /** Differs between two runs of the same node (tells a partition from a restart). */
  bootId: string;
  /** Its port-mapper creation (in the pids list_queues shows). */
  creation?: number;
  members: Record<string, 'disc' | 'ram'>;
}

export interface LinkEvents {
  up(node: string, hello: PeerHello): void;
  /** `silent`: lost by heartbeat timeout rather than a closed connection. */
  down(node: string, silent: boolean): void;
}

export interface LinkSettings {
  self: string;
  epmdPort: number;
  cookie: () => string;
  netTicktimeMs: number;
  hello: () => Record<string, unknown>;
}

export class PeerLink {
  client: ControlClient | undefined;
  hello: PeerHello | undefined;
  private lastHeard = 0;
  private ticker: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private connecting = false;

  constructor(
    readonly node: string,
    private readonly settings: LinkSettings,
    private readonly events: LinkEvents,
  ) {
    void this.connect();
  }

  get up(): boolean {
    return this.client !== undefined && this.hello !== undefined;
  }

  get appRunning(): boolean {
    return this.up && this.hello!.app === 'running';
  }

  /** Calls an operation on the peer; fails at once when the link is down. */
  call(op: string, args: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<unknown> {
    if (this.client === undefined) return Promise.reject(new Error(`node ${this.node} is not connected`));
    return this.client.call(op, args, opts);
  }

  /** Asks the peer for its hello again (its membership view may have changed). */
  async refresh(): Promise<void> {
    if (this.client === undefined) return;
    try {
      const hello = (await withTimeout(this.client.call('peer.hello', this.settings.hello()), this.settings.netTicktimeMs)) as PeerHello;
      if (this.hello !== undefined) this.hello = hello;
      this.heard();
    } catch {
      // The ticks will tell whether it is gone.
    }
  }

  /** Something was heard from the peer (a request it sent us counts too). */
  heard(): void {
    this.lastHeard = Date.now();
  }

  /** Tries to connect now instead of waiting for the next retry. */
  poke(): void {
    if (this.up || this.connecting || this.closed) return;
    clearTimeout(this.retry);
    void this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.ticker);
    this.client?.close();
  }

  private async connect(): Promise<void> {
    if (this.closed || this.connecting) return;
    this.connecting = true;
    const s = this.settings;
    const timeoutMs = Math.max(1000, Math.min(s.netTicktimeMs, 10_000));
    try {
      const client = await connect({
        node: this.node,
        epmdPort: s.epmdPort,
        cookie: s.cookie(),
        selfName: s.self,
        kind: 'node',
        timeoutMs,
      });
      if (this.closed) {
        client.close();
        return;
      }
      const hello = (await withTimeout(client.call('peer.hello', s.hello()), timeoutMs)) as PeerHello;
      this.client = client;
      this.hello = hello;
      this.heard();
      client.onClose(() => this.lost(false));
      const tickMs = Math.max(100, Math.floor(s.netTicktimeMs / 4));
      this.ticker = setInterval(() => this.tick(), tickMs);
      this.events.up(this.node, hello);
    } catch {
      this.scheduleRetry();
    } finally {
      this.connecting = false;
    }
  }

  private tick(): void {
    const client = this.client;
    if (client === undefined) return;
    if (Date.now() - this.lastHeard > this.settings.netTicktimeMs) {
      this.lost(true);
      return;
    }
    client.call('peer.tick').then(
      () => this.heard(),
      () => {},
    );
  }

  private lost(silent: boolean): void {
    const client = this.client;
    if (client === undefined) return;
    this.client = undefined;
    this.hello = undefined;
    clearInterval(this.ticker);
    client.close();
    this.events.down(this.node, silent);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), Math.min(1000, Math.max(200, this.settings.netTicktimeMs / 4)));
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
