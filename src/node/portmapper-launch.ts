// Getting a node's name into its host's port mapper: register with the one that answers, or,
// when none does, start Warren's mapper as a daemon (as Erlang starts epmd) and register there.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MapperUnreachable, register, type HeldRegistration } from './portmapper-client.js';
import type { Logger } from './log.js';

const MAPPER_BIN = fileURLToPath(new URL('../../bin/warren-epmd', import.meta.url));

export async function registerWithPortMapper(
  epmdPort: number,
  name: string,
  distPort: number,
  log: Logger,
): Promise<HeldRegistration> {
  const shortName = name.split('@')[0];
  const deadline = Date.now() + 10_000;
  let started = false;
  for (;;) {
    try {
      return await register(epmdPort, shortName, distPort);
    } catch (err) {
      if (!(err instanceof MapperUnreachable) || Date.now() > deadline) throw err;
      if (!started) {
        log.info(`No port mapper answers on port ${epmdPort}; starting one`);
        startMapperDaemon(epmdPort);
        started = true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function startMapperDaemon(port: number): void {
  const child = spawn(process.execPath, [MAPPER_BIN, '-port', String(port)], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
}
