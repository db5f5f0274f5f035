// The node's side of the distribution port: authenticates every connection by the cookie
// handshake, then answers requests by calling the node's service handlers. A handler returns a
// value (one reply) or an async iterable of row batches (streamed, so a list of 100k queues
// never sits in one message).

import net from 'node:net';
import { ControlError, toWire } from './errors.js';
import { encodeFrame, readFrames, type Message } from './framing.js';
import { newNonce, proof, proofMatches } from './handshake.js';

export interface CallContext {
  /** The authenticated peer: a CLI process or another node. */
  peer: string;
  peerKind: 'cli' | 'node';
  /** Sends an interim message (e.g. "still booting") before the reply. */
  progress(data: unknown): void;
  /** Aborted when the caller disconnects. */
  signal: AbortSignal;
}

export type Handler = (args: Record<string, unknown>, ctx: CallContext) => unknown;

export interface ControlServerOptions {
  port: number;
  nodeName: string;
  cookie: () => string;
  handlers: Map<string, Handler>;
  /** Facts sent to a client as soon as it is authenticated (app state, pid). */
  describe: () => Record<string, unknown>;
  log: (level: 'info' | 'warning' | 'error', text: string) => void;
  /** Called for every authenticated connection (peer links use it). */
  onConnection?: (socket: net.Socket, peer: string, kind: 'cli' | 'node') => void;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;
const PRE_AUTH_MAX_FRAME = 4096;

export interface ControlServer {
  port: number;
  close(): Promise<void>;
}

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, opts);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function serve(socket: net.Socket, opts: ControlServerOptions): void {
  const serverNonce = newNonce();
  let state: 'hello' | 'auth' | 'ready' = 'hello';
  let peer = '';
  let peerKind: 'cli' | 'node' = 'cli';
  let clientNonce = '';
  const inflight = new Map<number, AbortController>();
  const send = (msg: Message) => {
    if (!socket.destroyed) socket.write(encodeFrame(msg));
  };
  const timer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    clearTimeout(timer);
    for (const ac of inflight.values()) ac.abort();
  });

  readFrames(
    socket,
    (msg) => {
      if (state === 'hello') {
        if (msg.t !== 'hello' || typeof msg.nonce !== 'string' || typeof msg.name !== 'string') {
          socket.destroy();
          return;
        }
        peer = msg.name;
        peerKind = msg.kind === 'node' ? 'node' : 'cli';
        clientNonce = msg.nonce;
        if (msg.target !== undefined && msg.target !== opts.nodeName) {
          opts.log('warning', `Connection attempt from ${peer} for node '${String(msg.target)}' rejected: this is ${opts.nodeName}`);
          send({ t: 'refused', reason: 'wrong_node', node: opts.nodeName });
          socket.end();
          return;
        }
        state = 'auth';
        send({ t: 'challenge', name: opts.nodeName, nonce: serverNonce });
        return;
      }
      if (state === 'auth') {
        const cookie = opts.cookie();
        if (msg.t !== 'auth' || !proofMatches(proof(cookie, 'client', serverNonce, clientNonce), msg.proof)) {
          opts.log(
            'error',
            `Connection attempt from ${peerKind === 'cli' ? 'CLI' : 'node'} '${peer}' (${socket.remoteAddress}) rejected: invalid challenge reply (the cookie does not match)`,
          );
          send({ t: 'refused', reason: 'bad_cookie' });
          socket.end();
          return;
        }
        clearTimeout(timer);
        state = 'ready';
        send({ t: 'welcome', proof: proof(cookie, 'server', clientNonce, serverNonce), info: opts.describe() });
        opts.onConnection?.(socket, peer, peerKind);
        return;
      }
      if (msg.t === 'req') void handleRequest(msg);
      else if (msg.t === 'cancel' && typeof msg.id === 'number') inflight.get(msg.id)?.abort();
    },
    () => (state === 'ready' ? 64 * 1024 * 1024 : PRE_AUTH_MAX_FRAME),
  );

  async function handleRequest(msg: Message): Promise<void> {
    const id = msg.id as number;
    const handler = opts.handlers.get(String(msg.op));
    if (!handler) {
      send({ t: 'res', id, error: { code: 'unknown_op', message: `unknown operation ${String(msg.op)}` } });
      return;
    }
    const ac = new AbortController();
    inflight.set(id, ac);
    const ctx: CallContext = {
      peer,
      peerKind,
      signal: ac.signal,
      progress: (data) => send({ t: 'progress', id, data }),
    };
    try {
      const result = await handler((msg.args ?? {}) as Record<string, unknown>, ctx);
      if (isAsyncIterable(result)) {
        for await (const batch of result) {
          if (ac.signal.aborted) throw new ControlError('cancelled', 'the caller went away');
          send({ t: 'rows', id, rows: batch as unknown[] });
          // Let the socket drain so a long listing does not pile up in memory.
          if (socket.writableNeedDrain) await new Promise((r) => socket.once('drain', r));
        }
        send({ t: 'res', id, ok: null });
      } else {
        send({ t: 'res', id, ok: result ?? null });
      }
    } catch (err) {
      if (!(err instanceof ControlError)) opts.log('error', `Request ${String(msg.op)} failed: ${(err as Error).stack ?? String(err)}`);
      send({ t: 'res', id, error: toWire(err) });
    } finally {
      inflight.delete(id);
    }
  }
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === 'object' && x !== null && Symbol.asyncIterator in x;
}
