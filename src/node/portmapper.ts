// The port mapper daemon (Warren's epmd): maps node names on this host to their distribution
// ports. A node registers over a connection it keeps open; when that connection closes (the node
// stopped or was killed) the name is gone, so a dead node never looks alive.

import net from 'node:net';
import { randomInt } from 'node:crypto';
import {
  ALIVE2_REQ,
  ALIVE2_RESP,
  ALIVE2_X_RESP,
  KILL_REQ,
  NAMES_REQ,
  PORT2_RESP,
  PORT_PLEASE2_REQ,
  type Registration,
  decodeRegistration,
  encodePort2Resp,
} from './epmd-protocol.js';

export interface PortMapper {
  port: number;
  names(): string[];
  close(): Promise<void>;
}

export async function startPortMapper(port: number, onKill?: () => void): Promise<PortMapper> {
  const registry = new Map<string, Registration>();
  const sockets = new Set<net.Socket>();
  let creation = randomInt(1, 0x7fffffff);

  const server = net.createServer((socket) => {
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    let registered: string | undefined;
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      if (registered !== undefined) registry.delete(registered);
    });
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) return;
        const req = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        handle(req);
      }
    });

    function handle(req: Buffer): void {
      switch (req[0]) {
        case ALIVE2_REQ: {
          const reg = decodeRegistration(req, 1);
          const wantsExtended = reg.highest >= 6;
          const ok = registered === undefined && !registry.has(reg.name);
          if (ok) {
            registry.set(reg.name, { ...reg, extra: Buffer.from(reg.extra) });
            registered = reg.name;
            creation = creation >= 0x7ffffffe ? 1 : creation + 1;
          }
          const reply = Buffer.alloc(wantsExtended ? 6 : 4);
          reply[0] = wantsExtended ? ALIVE2_X_RESP : ALIVE2_RESP;
          reply[1] = ok ? 0 : 1;
          if (wantsExtended) reply.writeUInt32BE(creation, 2);
          else reply.writeUInt16BE(creation & 0xffff, 2);
          socket.write(reply);
          if (!ok) socket.end();
          return;
        }
        case PORT_PLEASE2_REQ: {
          const name = req.toString('utf8', 1);
          const reg = registry.get(name);
          socket.end(reg ? encodePort2Resp(reg) : Buffer.from([PORT2_RESP, 1]));
          return;
        }
        case NAMES_REQ: {
          const head = Buffer.alloc(4);
          head.writeUInt32BE(port, 0);
          const lines = [...registry.values()].map((r) => `name ${r.name} at port ${r.port}\n`).join('');
          socket.end(Buffer.concat([head, Buffer.from(lines, 'utf8')]));
          return;
        }
        case KILL_REQ: {
          socket.end('OK');
          onKill?.();
          return;
        }
        default:
          socket.destroy();
      }
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    port,
    names: () => [...registry.keys()],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
