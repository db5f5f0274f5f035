// A message-flow run, from the main thread: declare the queues, start the worker threads with
// their producers and consumers, start consumers before producers, report each second, decide
// when the run ends (time, message count drained, queue drained, Ctrl-C, a failure), stop the
// workers, and add up what they did.
//
// The clock is process.hrtime.bigint(): CLOCK_MONOTONIC, one clock for every thread of the
// process, so a send time written by a producer thread is comparable with the receive time a
// consumer thread reads (performance.now() is relative to each thread's own time origin).

import crypto from 'node:crypto';
import { AmqpClient, BrokerError, ConnectionFailure } from './client.js';
import { Counters, type FieldName } from './counters.js';
import { Histogram } from './histogram.js';
import type { PerfOptions } from './options.js';
import { progressLine, type Check, type FlowSummary } from './report.js';
import { WorkerPool } from './threads.js';
import { displayUri } from './uri.js';
import type { Role, WorkerError } from './worker.js';

const POLL_MS = 50;
/** A drained run that sees nothing arrive for this long gives up and reports the shortfall. */
const STALL_MS = 10_000;

export class RunFailure extends Error {
  constructor(
    readonly kind: WorkerError['kind'],
    message: string,
  ) {
    super(message);
  }
}

export function failureKind(err: unknown): WorkerError['kind'] {
  if (err instanceof RunFailure) return err.kind;
  if (err instanceof BrokerError) return 'broker';
  if (err instanceof ConnectionFailure) return 'connection';
  return 'other';
}

/** How a run went, for the summary. */
interface Outcome {
  t0: bigint;
  tEnd: bigint;
  cpu: NodeJS.CpuUsage;
  /** Counts when the run ended (later confirms and deliveries are in the totals, not the rates). */
  atEnd: { published: number; confirmed: number; consumed: number };
  stalled: boolean;
  drainTarget: number;
}

export async function runFlow(o: PerfOptions): Promise<FlowSummary> {
  const admin = await AmqpClient.connect(o.uri, { name: 'warren-perf setup', heartbeat: o.heartbeat });
  let adminFailure: RunFailure | undefined;
  admin.onFailure = (e) => (adminFailure ??= new RunFailure(e instanceof BrokerError ? 'broker' : 'connection', e.message));
  await admin.openChannel(1);

  const generated = o.queue === undefined;
  const base = o.queue ?? `warren-perf-${crypto.randomBytes(4).toString('hex')}`;
  const queues = o.queues === 1 ? [base] : Array.from({ length: o.queues }, (_, i) => `${base}-${i + 1}`);
  let drainTarget = 0;
  for (const q of queues) {
    if (o.consumeOnly) {
      drainTarget += (await admin.declareQueue(1, q, { passive: true })).messageCount;
    } else {
      const args = new Map(o.queueArgs);
      if (o.queueType === 'quorum') args.set('x-queue-type', 'quorum');
      await admin.declareQueue(1, q, { durable: o.persistent || o.queueType === 'quorum', arguments: args });
    }
  }

  const counters = Counters.create(o.producers + o.consumers);
  const pool = new WorkerPool(o.uri, o.heartbeat, roles(o, queues), counters, o.threads);
  let outcome: Outcome;
  try {
    outcome = await drive(o, pool, counters, () => adminFailure, drainTarget);
  } finally {
    await pool.stop();
    if (adminFailure === undefined && (generated || o.deleteQueues)) {
      for (const q of queues) await admin.deleteQueue(1, q).catch(() => undefined);
    }
    await admin.close();
  }
  const failure = adminFailure ?? (pool.failure && new RunFailure(pool.failure.kind, pool.failure.message));
  if (failure !== undefined) throw failure;
  return summarize(o, queues, pool, counters, outcome);
}

function roles(o: PerfOptions, queues: string[]): Role[] {
  const out: Role[] = [];
  for (let i = 0; i < o.producers; i++) {
    const settings = { queue: queues[i % queues.length], size: o.size, persistent: o.persistent, confirmWindow: o.confirmWindow, count: o.count, rate: o.rate };
    out.push({ kind: 'producer', slot: i, name: `warren-perf producer ${i + 1}`, settings });
  }
  for (let i = 0; i < o.consumers; i++) {
    const settings = { queue: queues[i % queues.length], ackEvery: o.ackEvery, prefetch: o.prefetch };
    out.push({ kind: 'consumer', slot: o.producers + i, name: `warren-perf consumer ${i + 1}`, settings });
  }
  return out;
}

/** From 'ready' to the end of the run: starts the workers, reports, and decides when to stop. */
async function drive(
  o: PerfOptions,
  pool: WorkerPool,
  counters: Counters,
  adminFailure: () => RunFailure | undefined,
  drainTarget: number,
): Promise<Outcome> {
  const out = o.json ? process.stderr : process.stdout;
  const tty = out.isTTY === true && !o.quiet;
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  try {
    await pool.waitFor(pool.all, 'ready', 60_000);
    const failed = () => pool.failure !== undefined || adminFailure() !== undefined;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    if (!failed()) {
      pool.post(pool.consumerThreads, { type: 'consume' });
      await pool.waitFor(pool.consumerThreads, 'consuming', 30_000);
      pool.post(pool.producerThreads, { type: 'publish', startNs: t0 });
    }

    const countRun = o.count > 0 && o.producers > 0;
    const drainMode = o.consumeOnly && o.time === 0;
    let last = { t: t0, published: 0, confirmed: 0, consumed: 0, cpu: process.cpuUsage() };
    let printed = false;
    let lastConsumed = -1;
    let lastChange = Date.now();
    let stalled = false;
    while (!failed() && !interrupted) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      pool.read();
      const now = process.hrtime.bigint();
      const published = counters.total('published');
      const consumed = counters.total('consumed');
      if (consumed !== lastConsumed) {
        lastConsumed = consumed;
        lastChange = Date.now();
      }
      const sinceLast = Number(now - last.t) / 1e9;
      if (!o.quiet && sinceLast >= 1) {
        const confirmed = counters.total('confirmed');
        const cpu = process.cpuUsage();
        const line = progressLine({
          elapsedS: Number(now - t0) / 1e9,
          publishRate: (published - last.published) / sinceLast,
          confirmRate: (confirmed - last.confirmed) / sinceLast,
          consumeRate: (consumed - last.consumed) / sinceLast,
          cpuPercent: (cpu.user - last.cpu.user + cpu.system - last.cpu.system) / 1e4 / sinceLast,
          blocked: counters.total('blocked') > 0,
          showPublish: o.producers > 0,
          showConfirm: o.producers > 0 && o.confirmWindow > 0,
          showConsume: o.consumers > 0,
        });
        out.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
        printed = true;
        last = { t: now, published, confirmed, consumed, cpu };
      }
      if (o.time > 0 && Number(now - t0) / 1e9 >= o.time) break;
      const producersFinished = countRun && pool.allProducersDone;
      if (producersFinished && o.consumers === 0) break;
      if (producersFinished || drainMode) {
        const target = drainMode ? drainTarget : published - counters.total('nacked') - counters.total('returned');
        if (consumed >= target) break;
        if (Date.now() - lastChange > STALL_MS) {
          stalled = true;
          break;
        }
      }
    }
    if (tty && printed) out.write('\n');
    return {
      t0,
      tEnd: process.hrtime.bigint(),
      cpu: process.cpuUsage(cpu0),
      atEnd: { published: counters.total('published'), confirmed: counters.total('confirmed'), consumed: counters.total('consumed') },
      stalled,
      drainTarget,
    };
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function summarize(o: PerfOptions, queues: string[], pool: WorkerPool, counters: Counters, r: Outcome): FlowSummary {
  const latency = new Histogram();
  for (const h of pool.latencies) latency.merge(h);
  const total = (f: FieldName) => counters.total(f);
  const published = total('published');
  const confirmed = total('confirmed');
  const nacked = total('nacked');
  const consumed = total('consumed');
  const durationS = Number(r.tEnd - r.t0) / 1e9;
  // A count or drain run is timed to its last message; a timed run to its end.
  const countRun = o.count > 0 && o.producers > 0 && pool.allProducersDone;
  const drainRun = countRun || (o.consumeOnly && o.time === 0);
  const latest = (f: 'lastPublishedNs' | 'lastConsumedNs') => {
    let m = r.t0;
    for (let s = 0; s < counters.slots; s++) if (counters.getBig(s, f) > m) m = counters.getBig(s, f);
    return m;
  };
  const rate = (n: number, end: bigint) => n / Math.max(Number(end - r.t0) / 1e9, 1e-9);

  const checks: Check[] = [];
  if (o.confirmWindow > 0 && o.producers > 0) {
    checks.push({
      name: 'every published message confirmed',
      ok: confirmed === published,
      detail: `published ${published}, confirmed ${confirmed}${nacked > 0 ? `, nacked ${nacked}` : ''}`,
    });
  }
  if (countRun && o.consumers > 0) {
    checks.push({
      name: 'drained: consumed = published',
      ok: consumed === published && !r.stalled,
      detail: `published ${published}, consumed ${consumed}${r.stalled ? `, nothing arrived for ${STALL_MS / 1000} s` : ''}`,
    });
  }
  if (o.consumeOnly && o.time === 0) {
    checks.push({
      name: 'drained the queues',
      ok: consumed >= r.drainTarget && !r.stalled,
      detail: `${r.drainTarget} ready at the start, consumed ${consumed}`,
    });
  }
  const cpuS = (r.cpu.user + r.cpu.system) / 1e6;
  const ms = (us: number) => us / 1000;
  const l = latency.summary();
  return {
    uri: displayUri(o.uri),
    producers: o.producers,
    consumers: o.consumers,
    queues,
    size: o.size,
    persistent: o.persistent,
    confirmWindow: o.confirmWindow,
    ackEvery: o.ackEvery,
    prefetch: o.prefetch,
    rate: o.rate,
    durationS,
    published,
    confirmed,
    nacked,
    returned: total('returned'),
    consumed,
    publishRate: countRun ? rate(published, latest('lastPublishedNs')) : r.atEnd.published / durationS,
    confirmRate: countRun ? rate(confirmed, pool.producersDoneNs) : r.atEnd.confirmed / durationS,
    consumeRate: drainRun ? rate(consumed, latest('lastConsumedNs')) : r.atEnd.consumed / durationS,
    latencyMs: { count: l.count, min: ms(l.min), mean: ms(l.mean), p50: ms(l.p50), p75: ms(l.p75), p95: ms(l.p95), p99: ms(l.p99), p999: ms(l.p999), max: ms(l.max) },
    blockedS: total('blockedNs') / 1e9,
    toolCpuPercent: durationS > 0 ? (cpuS / durationS) * 100 : 0,
    toolCpu: { userS: r.cpu.user / 1e6, systemS: r.cpu.system / 1e6 },
    checks,
    ok: checks.every((c) => c.ok),
  };
}
