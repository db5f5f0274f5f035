// Talking to a port mapper (Warren's or Erlang's epmd): register a node over a held connection,
// ask which port a name uses, and list the names a host knows.

import net from 'node:net';
import {
  ALIVE2_RESP,
  ALIVE2_X_RESP,
  HIGHEST_VERSION,
  LOWEST_VERSION,
  NAMES_REQ,
  NODE_TYPE_NORMAL,
  PORT2_RESP,
  PORT_PLEASE2_REQ,
  PROTOCOL_TCP,
  decodeRegistration,
  encodeAlive2,
  request,
} from './epmd-protocol.js';

export const DEFAULT_EPMD_PORT = 4369;

export function epmdPortFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ERL_EPMD_PORT;
  const port = raw === undefined || raw === '' ? DEFAULT_EPMD_PORT : Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`ERL_EPMD_PORT must be a port number, got '${raw}'`);
  }
  return port;
}

/** Why the mapper could not be reached: `nxdomain` for an unknown host, else the socket code. */
export class MapperUnreachable extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly reason: string,
  ) {
    super(`unable to connect to epmd (port ${port}) on ${host}: ${reason}`);
  }
}

function errorReason(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return 'nxdomain';
  return (err.code ?? err.message).toLowerCase();
}

/** Sends one request and collects the whole reply (the mapper closes after answering). */
function exchange(host: string, port: number, payload: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new MapperUnreachable(host, port, 'timeout'));
    }, timeoutMs);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(new MapperUnreachable(host, port, errorReason(err)));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** The distribution port of `name` on `host`, or undefined when no such node is registered. */
export async function lookupPort(
  host: string,
  name: string,
  epmdPort: number,
  timeoutMs = 5000,
): Promise<number | undefined> {
  const reply = await exchange(host, epmdPort, request(PORT_PLEASE2_REQ, Buffer.from(name, 'utf8')), timeoutMs);
  if (reply.length < 2 || reply[0] !== PORT2_RESP || reply[1] !== 0) return undefined;
  return decodeRegistration(reply, 2).port;
}

export interface NameEntry {
  name: string;
  port: number;
}

export async function listNames(host: string, epmdPort: number, timeoutMs = 5000): Promise<NameEntry[]> {
  const reply = await exchange(host, epmdPort, request(NAMES_REQ), timeoutMs);
  const text = reply.subarray(4).toString('utf8');
  const entries: NameEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^name (.+) at port (\d+)$/.exec(line);
    if (m) entries.push({ name: m[1], port: Number(m[2]) });
  }
  return entries;
}

export interface HeldRegistration {
  creation: number;
  /** Resolves when the mapper connection closes (the mapper died or dropped us). */
  lost: Promise<void>;
  release(): void;
}

export class NameInUse extends Error {}

/** Registers `name` -> `port` with the mapper on this host and holds the registration open. */
export function register(epmdPort: number, name: string, port: number): Promise<HeldRegistration> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: epmdPort });
    let settled = false;
    let buffered = Buffer.alloc(0);
    let markLost: () => void = () => {};
    const lost = new Promise<void>((r) => (markLost = r));
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(
        encodeAlive2({
          name,
          port,
          nodeType: NODE_TYPE_NORMAL,
          protocol: PROTOCOL_TCP,
          highest: HIGHEST_VERSION,
          lowest: LOWEST_VERSION,
        }),
      );
    });
    socket.on('data', (chunk) => {
      if (settled) return;
      buffered = Buffer.concat([buffered, chunk]);
      const extended = buffered[0] === ALIVE2_X_RESP;
      if (!extended && buffered[0] !== ALIVE2_RESP) {
        settled = true;
        socket.destroy();
        reject(new Error('the port mapper sent an unexpected reply'));
        return;
      }
      if (buffered.length < (extended ? 6 : 4)) return;
      settled = true;
      if (buffered[1] !== 0) {
        socket.destroy();
        reject(new NameInUse(`the name ${name} is already registered with the port mapper`));
        return;
      }
      const creation = extended ? buffered.readUInt32BE(2) : buffered.readUInt16BE(2);
      resolve({ creation, lost, release: () => socket.destroy() });
    });
    socket.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(new MapperUnreachable('localhost', epmdPort, errorReason(err)));
      }
    });
    socket.on('close', () => markLost());
  });
}
