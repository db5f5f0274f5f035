// warren-perf against a live Warren node, as a user runs it: a timed run, a drained run whose
// counts must add up (published = consumed, confirmed = published), publish-only then drain,
// the churn scenarios, and the exit codes for a refused connection and a refused declare.
// Needs `npm run build` (it runs bin/warren-perf, whose worker threads load dist/).

import { execa } from 'execa';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, freePort, type NodeHandle } from '../harness.js';

const PERF = path.resolve(import.meta.dirname, '..', '..', 'bin', 'warren-perf');
const host = new Host();
let node: NodeHandle;
let uri: string;

beforeAll(async () => {
  await host.startMapper();
  node = await host.startNode('rabbit');
  uri = `amqp://guest:guest@127.0.0.1:${node.amqpPort}/`;
});
afterAll(() => host.cleanup());

async function perf(args: string[]) {
  const r = await execa('node', [PERF, '-h', uri, '--json', '--quiet', ...args], { reject: false, timeout: 60_000 });
  return { exitCode: r.exitCode, stderr: String(r.stderr), summary: r.exitCode === 0 || r.exitCode === 1 ? JSON.parse(String(r.stdout)) : undefined };
}

async function queueNames(): Promise<string[]> {
  const r = await host.ctl(node, ['list_queues', 'name', '-q', '--no-table-headers']);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('warren-perf', () => {
  it('runs 1 producer and 1 consumer for 2 seconds, confirms and acks, and removes its queue', async () => {
    const { exitCode, summary } = await perf(['-z', '2', '-c', '100', '-a', '10', '-q', '100']);
    expect(exitCode).toBe(0);
    expect(summary.durationS).toBeGreaterThanOrEqual(2);
    expect(summary.durationS).toBeLessThan(4);
    expect(summary.published).toBeGreaterThan(0);
    expect(summary.confirmed).toBe(summary.published);
    expect(summary.consumed).toBeGreaterThan(0);
    expect(summary.consumed).toBeLessThanOrEqual(summary.published);
    expect(summary.publishRate).toBeGreaterThan(0);
    expect(summary.latencyMs.count).toBe(summary.consumed);
    expect(summary.latencyMs.p50).toBeLessThanOrEqual(summary.latencyMs.p99);
    expect(summary.latencyMs.p99).toBeLessThanOrEqual(summary.latencyMs.p999);
    expect(summary.toolCpuPercent).toBeGreaterThan(0);
    expect(summary.checks).toEqual([expect.objectContaining({ name: 'every published message confirmed', ok: true })]);
    expect(await queueNames()).toEqual([]);
  });

  it('drains a -C run: every message published is confirmed and consumed exactly once', async () => {
    const { exitCode, summary } = await perf(['-x', '2', '-y', '2', '--queues', '2', '-C', '5000', '-c', '200', '-a', '10', '-q', '50', '-s', '256']);
    expect(exitCode).toBe(0);
    expect([summary.published, summary.confirmed, summary.consumed, summary.nacked]).toEqual([10_000, 10_000, 10_000, 0]);
    expect(summary.queues).toHaveLength(2);
    expect(summary.latencyMs.count).toBe(10_000);
    expect(summary.checks.map((c: { ok: boolean }) => c.ok)).toEqual([true, true]);
    expect(summary.ok).toBe(true);
  });

  it('publishes persistent messages into a named durable queue, then drains it with --consume-only', async () => {
    const published = await perf(['--publish-only', '-u', 'smoke-drain', '-C', '3000', '-p', '-c', '500']);
    expect(published.exitCode).toBe(0);
    expect([published.summary.published, published.summary.confirmed, published.summary.consumers]).toEqual([3000, 3000, 0]);
    const listed = await host.ctl(node, ['list_queues', 'name', 'messages', 'durable', '-q', '--no-table-headers']);
    expect(listed.stdout).toBe('smoke-drain\t3000\ttrue\n');

    const drained = await perf(['--consume-only', '-u', 'smoke-drain', '-a', '100', '-q', '500', '--delete-queues']);
    expect(drained.exitCode).toBe(0);
    expect(drained.summary.consumed).toBe(3000);
    expect(drained.summary.checks).toEqual([expect.objectContaining({ name: 'drained the queues', ok: true })]);
    expect(await queueNames()).toEqual([]);
  });

  it('holds a fixed rate per producer', async () => {
    const { summary } = await perf(['-r', '500', '-z', '2']);
    expect(summary.published).toBeGreaterThanOrEqual(900);
    expect(summary.published).toBeLessThanOrEqual(1100);
    expect(summary.consumed).toBe(summary.published);
  });

  it('declares and deletes queues, opens and closes connections, binds and unbinds keys', async () => {
    const queues = await perf(['--scenario', 'queue-churn', '-n', '300', '-x', '3']);
    expect(queues.exitCode).toBe(0);
    expect(queues.summary.phases.map((p: { name: string; operations: number }) => [p.name, p.operations])).toEqual([
      ['declare', 300],
      ['delete', 300],
    ]);
    const connections = await perf(['--scenario', 'connection-churn', '-n', '50']);
    expect(connections.summary.phases[0]).toMatchObject({ name: 'open+close', operations: 50 });
    const bindings = await perf(['--scenario', 'bindings', '-n', '200']);
    expect(bindings.summary.phases.map((p: { name: string }) => p.name)).toEqual(['bind', 'unbind']);
    for (const s of [queues, connections, bindings]) {
      for (const p of s.summary.phases) expect(p.rate).toBeGreaterThan(0);
    }
    expect(await queueNames()).toEqual([]);
  });

  it('exits 69 with a clear message when nothing listens', async () => {
    const port = await freePort();
    const r = await execa('node', [PERF, '-h', `amqp://127.0.0.1:${port}`, '-z', '1'], { reject: false });
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toBe(`warren-perf: cannot connect to 127.0.0.1:${port}: connection refused`);
  });

  it('exits 70 with the reply code and text when the broker refuses', async () => {
    const denied = await execa('node', [PERF, '-h', `amqp://guest:wrong@127.0.0.1:${node.amqpPort}`, '-z', '1'], { reject: false });
    expect(denied.exitCode).toBe(70);
    expect(denied.stderr).toMatch(/^warren-perf: the broker closed the connection: 403 ACCESS_REFUSED - /);
    const refused = await perf(['-z', '1', '--queue-args', '{"x-queue-type": "bogus"}']);
    expect(refused.exitCode).toBe(70);
    expect(refused.stderr).toMatch(/^warren-perf: the broker closed the channel: 406 PRECONDITION_FAILED - invalid arg 'x-queue-type'/);
  });
});
