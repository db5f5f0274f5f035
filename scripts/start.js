// `npm start`: one node in the foreground with its data, logs, cookie-free defaults and port
// mapper under ./var, so trying Warren touches nothing outside the checkout.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const varDir = path.join(root, 'var');
const env = {
  ...process.env,
  RABBITMQ_MNESIA_BASE: process.env.RABBITMQ_MNESIA_BASE ?? path.join(varDir, 'mnesia'),
  RABBITMQ_LOG_BASE: process.env.RABBITMQ_LOG_BASE ?? path.join(varDir, 'log'),
  RABBITMQ_ENABLED_PLUGINS_FILE: process.env.RABBITMQ_ENABLED_PLUGINS_FILE ?? path.join(varDir, 'enabled_plugins'),
};
const child = spawn(process.execPath, [path.join(root, 'bin', 'warren-server'), ...process.argv.slice(2)], {
  env,
  stdio: 'inherit',
});
// Ctrl-C reaches the node too (same process group); wait for it to finish shutting down.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
