// Build step: bundle warrenctl into one CommonJS file (dist/warrenctl.cjs) and warm a V8 code
// cache for it (dist/warrenctl.cache). A CLI run then reads two files instead of resolving and
// compiling some forty ES modules, which is most of its start-up time beyond Node's own.

import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'warrenctl.cjs');

await build({
  entryPoints: [path.join(root, 'dist', 'cli', 'main.js')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
});
fs.rmSync(path.join(root, 'dist', 'warrenctl.cache'), { force: true });
// Running a few commands compiles the functions they use; bin/warrenctl saves the cache.
for (const args of [['help'], ['version'], ['help', 'status']]) {
  spawnSync(process.execPath, [path.join(root, 'bin', 'warrenctl'), ...args], { stdio: 'ignore' });
}
