// The calling side of the distribution port, used by warrenctl and by peer nodes: find the node
// through its host's port mapper, prove the cookie, then send requests and read replies, progress
// messages and streamed rows.

import net from 'node:net';
import { lookupPort, listNames, MapperUnreachable } from '../node/portmapper-client.js';
import { ControlError, type WireError } from './errors.js';
import { encodeFrame, readFrames, type Message } from './framing.js';
import { newNonce, proof, proofMatches } from './handshake.js';

export function splitNodeName(node: string): { name: string; host: string } {
  const at = node.indexOf('@');
  return at < 0 ? { name: node, host: '' } : { name: node.slice(0, at), host: node.slice(at + 1) };
}

/** Why a node could not be reached, with what was learnt on the way (for diagnostics). */
export type Unreachable =
  | { kind: 'mapper_unreachable'; host: string; epmdPort: number; reason: string }
  | { kind: 'not_registered'; host: string; epmdPort: number; others: string[] }
  | { kind: 'tcp_failed'; host: string; epmdPort: number; port: number; reason: string }
  | { kind: 'refused'; host: string; epmdPort: number; port: number; reason: string }
  | { kind: 'handshake_timeout'; host: string; epmdPort: number; port: number };

export class NodeUnreachable extends Error {
  constructor(
    readonly node: string,
    readonly why: Unreachable,
  ) {
    super(`node ${node} is unreachable (${why.kind})`);
  }
}

export interface ConnectOptions {
  node: string;
  epmdPort: number;
  cookie: string;
  selfName: string;
  kind: 'cli' | 'node';
  timeoutMs: number;
}

export interface CallOptions {
  onProgress?: (data: unknown) => void;
  onRows?: (rows: unknown[]) => void;
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; opts: CallOptions }
  >();
  private closedError: Error | undefined;

  constructor(
    readonly node: string,
    readonly info: Record<string, unknown>,
    private readonly socket: net.Socket,
  ) {
    socket.on('close', () => {
      this.closedError = new ControlError('connection_lost', `lost the connection to node ${node}`);
      for (const p of this.pending.values()) p.reject(this.closedError);
      this.pending.clear();
    });
  }

  /** Hooks the frame reader up once the handshake is done. */
  onMessage(msg: Message): void {
    const p = this.pending.get(msg.id as number);
    if (!p) return;
    if (msg.t === 'progress') p.opts.onProgress?.(msg.data);
    else if (msg.t === 'rows') p.opts.onRows?.(msg.rows as unknown[]);
    else if (msg.t === 'res') {
      this.pending.delete(msg.id as number);
      if (msg.error) {
        const e = msg.error as WireError;
        p.reject(new ControlError(e.code, e.message, e.data));
      } else p.resolve(msg.ok);
    }
  }

  call(op: string, args: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, opts });
      this.socket.write(encodeFrame({ t: 'req', id, op, args }));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Stops reading from the node (a streamed listing's consumer is behind); the node waits. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Runs `fn` once the connection is gone (at once if it already is). */
  onClose(fn: () => void): void {
    if (this.socket.destroyed) fn();
    else this.socket.once('close', fn);
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }
}

export async function connect(opts: ConnectOptions): Promise<ControlClient> {
  const { name, host } = splitNodeName(opts.node);
  const epmdPort = opts.epmdPort;
  let port: number | undefined;
  try {
    port = await lookupPort(host, name, epmdPort, opts.timeoutMs);
  } catch (err) {
    if (err instanceof MapperUnreachable) {
      throw new NodeUnreachable(opts.node, { kind: 'mapper_unreachable', host, epmdPort, reason: err.reason });
    }
    throw err;
  }
  if (port === undefined) {
    const others = await listNames(host, epmdPort, opts.timeoutMs).then(
      (entries) => entries.map((e) => e.name),
      () => [],
    );
    throw new NodeUnreachable(opts.node, { kind: 'not_registered', host, epmdPort, others });
  }
  return handshake(opts, host, port);
}

function handshake(opts: ConnectOptions, host: string, port: number): Promise<ControlClient> {
  const epmdPort = opts.epmdPort;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const clientNonce = newNonce();
    let client: ControlClient | undefined;
    let settled = false;
    const fail = (why: Unreachable) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(new NodeUnreachable(opts.node, why));
    };
    const timer = setTimeout(() => fail({ kind: 'handshake_timeout', host, epmdPort, port }), opts.timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(
        encodeFrame({ t: 'hello', name: opts.selfName, kind: opts.kind, target: opts.node, nonce: clientNonce }),
      );
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      fail({ kind: 'tcp_failed', host, epmdPort, port, reason: (err.code ?? err.message).toLowerCase() }),
    );
    socket.on('close', () => fail({ kind: 'refused', host, epmdPort, port, reason: 'closed' }));
    let serverNonce = '';
    readFrames(socket, (msg) => {
      if (client) {
        client.onMessage(msg);
        return;
      }
      if (msg.t === 'challenge' && typeof msg.nonce === 'string') {
        serverNonce = msg.nonce;
        socket.write(encodeFrame({ t: 'auth', proof: proof(opts.cookie, 'client', serverNonce, clientNonce) }));
      } else if (msg.t === 'welcome') {
        if (!proofMatches(proof(opts.cookie, 'server', clientNonce, serverNonce), msg.proof)) {
          fail({ kind: 'refused', host, epmdPort, port, reason: 'bad_server_proof' });
          return;
        }
        settled = true;
        clearTimeout(timer);
        client = new ControlClient(opts.node, (msg.info ?? {}) as Record<string, unknown>, socket);
        resolve(client);
      } else if (msg.t === 'refused') {
        fail({ kind: 'refused', host, epmdPort, port, reason: String(msg.reason) });
      }
    });
  });
}
