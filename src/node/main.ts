// warren-server: start a node in the foreground, or with -detached in the background (returning
// once the node answers, its pid file written). Exit codes follow RabbitMQ's: 78 for a bad
// configuration, 69 when a port or the node name is taken, 70 for anything else.

import { execaNode } from 'execa';
import { fileURLToPath } from 'node:url';
import { CookieError, resolveCookie } from '../control/cookie.js';
import { ConfigError, defaultConfig, loadConfigFile, type WarrenConfig } from './config.js';
import { EnvError, readNodeEnv, type NodeEnv } from './env.js';
import { Logger } from './log.js';
import { WarrenNode } from './node.js';
import { NameInUse } from './portmapper-client.js';
import { serviceHandlers } from './service.js';
import { WARREN_VERSION } from './version.js';

const EX_UNAVAILABLE = 69;
const EX_SOFTWARE = 70;
const EX_CONFIG = 78;

type ReadyMessage = { ready: true } | { error: string; code: number };

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('-detached') || argv.includes('--detached')) {
    await startDetached(argv.filter((a) => a !== '-detached' && a !== '--detached'));
    return;
  }
  const foreground = process.send === undefined;
  const fail = (message: string, code: number): never => {
    if (process.send) process.send({ error: message, code } satisfies ReadyMessage);
    else process.stderr.write(`${message}\n`);
    process.exit(code);
  };

  let env: NodeEnv;
  try {
    env = readNodeEnv();
  } catch (err) {
    return fail(`Error: ${(err as Error).message}`, err instanceof EnvError ? EX_CONFIG : EX_SOFTWARE);
  }
  let config: WarrenConfig;
  try {
    config = env.configFile === undefined ? defaultConfig() : loadConfigFile(env.configFile);
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, EX_CONFIG);
    throw err;
  }
  let cookie: string;
  try {
    cookie = resolveCookie(undefined);
  } catch (err) {
    return fail(`Error: ${(err as Error).message}`, err instanceof CookieError ? EX_CONFIG : EX_SOFTWARE);
  }

  const log = new Logger(env.logFile, foreground);
  const node = new WarrenNode(env, config, log, cookie, serviceHandlers);
  try {
    await node.boot();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const message =
      e.code === 'EADDRINUSE'
        ? `Error: the distribution port ${env.distPort} of node ${env.nodeName} is already in use`
        : err instanceof NameInUse
          ? `Error: node name ${env.nodeName.split('@')[0]} is already in use on this host (another node runs with it)`
          : `Error: could not start node ${env.nodeName}: ${e.message}`;
    log.error(message);
    return fail(message, e.code === 'EADDRINUSE' || err instanceof NameInUse ? EX_UNAVAILABLE : EX_SOFTWARE);
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void node.shutdown(`received ${signal}`));
  }
  if (foreground) printBanner(env);
  process.send?.({ ready: true } satisfies ReadyMessage);
  process.disconnect?.();
  try {
    await node.startApp();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const message =
      e.code === 'EADDRINUSE'
        ? `Error: the AMQP port ${env.amqpPort} of node ${env.nodeName} is already in use`
        : `Error: could not start the app on node ${env.nodeName}: ${e.stack ?? e.message}`;
    log.error(message);
    process.stderr.write(`${message}\n`);
    await node.shutdown('the app failed to start', e.code === 'EADDRINUSE' ? EX_UNAVAILABLE : EX_SOFTWARE);
  }
}

function printBanner(env: NodeEnv): void {
  const lines = [
    '',
    `  Warren ${WARREN_VERSION} (RabbitMQ 3.10 compatible) on Node.js ${process.version}`,
    '',
    `  Node:            ${env.nodeName}`,
    `  AMQP port:       ${env.amqpPort}`,
    `  Control port:    ${env.distPort} (port mapper on ${env.epmdPort})`,
    `  Data directory:  ${env.dataDir}`,
    `  Log file:        ${env.logFile}`,
    '',
    `  Try: warrenctl -n ${env.nodeName} status     (Ctrl-C stops the node)`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** Starts this node as a background process and returns once it answers on its control port. */
async function startDetached(argv: string[]): Promise<void> {
  const script = fileURLToPath(new URL('../../bin/warren-server', import.meta.url));
  const child = execaNode(script, argv, { detached: true, stdio: 'ignore', ipc: true, reject: false });
  const outcome = await Promise.race([
    child.getOneMessage() as Promise<ReadyMessage>,
    child.then((r): ReadyMessage => ({
      error: `warren-server exited with code ${String(r.exitCode)} while starting`,
      code: r.exitCode ?? EX_SOFTWARE,
    })),
  ]);
  if ('error' in outcome) {
    process.stderr.write(`${outcome.error}\n`);
    process.exit(outcome.code);
  }
  child.disconnect();
  child.unref();
  process.exit(0);
}
