// Kill -9 in the middle of a stream of confirmed publishes, six times over one store, at a
// random moment or by the writer itself right after a confirm: every confirmed message that was
// not acked must come back, whole and in order, and nothing that was never appended.

import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { isKept } from '../fixtures/store-writer-kept.js';
import { openStore, tempDir } from './store-samples.js';

const WRITER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/store-writer.ts');
let bundle: string;

beforeAll(async () => {
  // One file the child can run with plain node, built from the sources under test.
  bundle = path.join(tempDir(), 'store-writer.mjs');
  await build({
    entryPoints: [WRITER],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
  });
});

type Range = [number, number];

/**
 * Runs the writer until `batches` batches are confirmed, then kills it a few milliseconds later,
 * at any point of a flush; or, `byItself`, lets it kill itself at the moment of that confirm.
 */
async function runAndKill(
  dir: string,
  run: string,
  batches: number,
  byItself: boolean,
): Promise<{ appended: Range[]; confirmed: Range[] }> {
  const args = [bundle, dir, run, ...(byItself ? [String(batches)] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const appended: Range[] = [];
  const confirmed: Range[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  for await (const line of readline.createInterface({ input: child.stdout })) {
    const [what, first, last] = line.split(' ');
    (what === 'appended' ? appended : confirmed).push([Number(first), Number(last)]);
    if (confirmed.length === batches && !byItself) setTimeout(() => child.kill('SIGKILL'), Math.random() * 20);
  }
  expect(await exited).toBe('SIGKILL');
  return { appended, confirmed };
}

const within = (seq: number, ranges: Range[]): boolean => ranges.some(([first, last]) => first <= seq && seq <= last);

describe('a store killed with SIGKILL', () => {
  it('loses no confirmed message', async () => {
    const dir = tempDir();
    const appended: Range[] = [];
    const confirmed: Range[] = [];
    const runs = [['a', false], ['b', true], ['c', false], ['d', true], ['e', false], ['f', true]] as const;
    for (const [run, byItself] of runs) {
      const result = await runAndKill(dir, run, 30 + Math.floor(Math.random() * 30), byItself);
      appended.push(...result.appended);
      confirmed.push(...result.confirmed);
      expect(result.confirmed.length).toBeGreaterThanOrEqual(30);

      const { store, seqs, messages, warnings } = await openStore(dir, { segmentSize: 256 * 1024 });
      for (const warning of warnings) expect(warning).toMatch(/torn tail/);
      // In order, each one appended, each one whole.
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      for (const seq of seqs) expect(within(seq, appended), `seq ${seq} was never appended`).toBe(true);
      for (const { message } of messages) {
        expect(message.body.equals(Buffer.alloc(1024, message.routingKey))).toBe(true);
      }
      // Every confirmed message that was not acked.
      const present = new Set(seqs);
      const lost = confirmed.flatMap(([first, last]) =>
        Array.from({ length: last - first + 1 }, (_, i) => first + i).filter((seq) => isKept(seq) && !present.has(seq)),
      );
      expect(lost).toEqual([]);
      await store.close();
    }
  });
});
