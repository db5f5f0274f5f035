// warren-epmd: run the port mapper (like Erlang's `epmd`), list its names (`-names`) or stop it
// (`-kill`). `-port N` (or ERL_EPMD_PORT) picks the port; `-daemon` runs it in the background.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { KILL_REQ, request } from './epmd-protocol.js';
import { startPortMapper } from './portmapper.js';
import { epmdPortFromEnv, listNames } from './portmapper-client.js';

export async function main(argv: string[]): Promise<number> {
  const portAt = argv.indexOf('-port');
  const port = portAt >= 0 ? Number(argv[portAt + 1]) : epmdPortFromEnv();
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    process.stderr.write('warren-epmd: -port takes a port number\n');
    return 64;
  }
  if (argv.includes('-names')) {
    try {
      const names = await listNames('127.0.0.1', port);
      process.stdout.write(`epmd: up and running on port ${port} with data:\n`);
      for (const n of names) process.stdout.write(`name ${n.name} at port ${n.port}\n`);
      return 0;
    } catch {
      process.stdout.write(`epmd: Cannot connect to local epmd\n`);
      return 1;
    }
  }
  if (argv.includes('-kill')) return kill(port);
  if (argv.includes('-daemon')) {
    const script = fileURLToPath(new URL('../../bin/warren-epmd', import.meta.url));
    spawn(process.execPath, [script, '-port', String(port)], { detached: true, stdio: 'ignore' }).unref();
    return 0;
  }
  try {
    const mapper = await startPortMapper(port, () => setImmediate(() => process.exit(0)));
    const stop = () => void mapper.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    process.stderr.write(`warren-epmd: cannot listen on port ${port}: ${code ?? (err as Error).message}\n`);
    return 1;
  }
  return 0;
}

function kill(port: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(request(KILL_REQ)));
    let reply = '';
    socket.on('data', (c) => (reply += c.toString()));
    socket.on('error', () => {
      process.stdout.write('epmd: Cannot connect to local epmd\n');
      resolve(1);
    });
    socket.on('close', () => {
      if (reply === 'OK') {
        process.stdout.write('Killed\n');
        resolve(0);
      }
    });
  });
}
