// A message-flow run, from the main thread: declare the queues, start the worker threads with
// their producers and consumers, start consumers before producers, report each second, decide
// when the run ends (time, message count drained, queue drained, Ctrl-C, a failure), stop the
// workers, and add up what they did.
//
// The clock is process.hrtime.bigint(): CLOCK_MONOTONIC, one clock for every thread of the
// process, so a send time written by a producer thread is comparable with the receive time a
// consumer thread reads (performance.now() is relative to each thread's own time origin).

import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { AmqpClient, BrokerError, ConnectionFailure } from './client.js';
import { Counters } from './counters.js';
import { Histogram } from './histogram.js';
import type { PerfOptions } from './options.js';
import { progressLine, type Check, type FlowSummary } from './report.js';
import { displayUri } from './uri.js';
import type { Role, ToMain, ToWorker, WorkerError, WorkerInit } from './worker.js';

const POLL_MS = 50;
/** A drained run that sees nothing arrive for this long gives up and reports the shortfall. */
const STALL_MS = 10_000;
const STOP_TIMEOUT_MS = 60_000;

export class RunFailure extends Error {
  constructor(
    readonly kind: WorkerError['kind'],
    message: string,
  ) {
    super(message);
  }
}

interface Thread {
  worker: Worker;
  producers: number;
  consumers: number;
  inbox: ToMain[];
  /** The message types this thread has sent so far. */
  received: Set<ToMain['type']>;
  exited: boolean;
}

export async function runFlow(o: PerfOptions): Promise<FlowSummary> {
  const progressOut = o.json ? process.stderr : process.stdout;
  const admin = await AmqpClient.connect(o.uri, { name: 'warren-perf setup', heartbeat: o.heartbeat });
  let failure: RunFailure | undefined;
  const fail = (e: WorkerError) => {
    failure ??= new RunFailure(e.kind, e.message);
  };
  admin.onFailure = (e) => fail({ kind: e instanceof BrokerError ? 'broker' : 'connection', message: e.message });
  await admin.openChannel(1);

  const generated = o.queue === undefined;
  const base = o.queue ?? `warren-perf-${crypto.randomBytes(4).toString('hex')}`;
  const queues = o.queues === 1 ? [base] : Array.from({ length: o.queues }, (_, i) => `${base}-${i + 1}`);
  let drainTarget = 0;
  const declared: string[] = [];
  for (const q of queues) {
    if (o.consumeOnly) {
      drainTarget += (await admin.declareQueue(1, q, { passive: true })).messageCount;
    } else {
      const args = new Map(o.queueArgs);
      if (o.queueType === 'quorum') args.set('x-queue-type', 'quorum');
      await admin.declareQueue(1, q, { durable: o.persistent || o.queueType === 'quorum', arguments: args });
      declared.push(q);
    }
  }

  const counters = Counters.create(o.producers + o.consumers);
  const roles: Role[] = [];
  for (let i = 0; i < o.producers; i++) {
    roles.push({
      kind: 'producer',
      slot: i,
      name: `warren-perf producer ${i + 1}`,
      settings: {
        queue: queues[i % queues.length],
        size: o.size,
        persistent: o.persistent,
        confirmWindow: o.confirmWindow,
        count: o.count,
        rate: o.rate,
      },
    });
  }
  for (let i = 0; i < o.consumers; i++) {
    roles.push({
      kind: 'consumer',
      slot: o.producers + i,
      name: `warren-perf consumer ${i + 1}`,
      settings: { queue: queues[i % queues.length], ackEvery: o.ackEvery, prefetch: o.prefetch },
    });
  }
  const threads = spawnThreads(o, roles, counters);
  const producerThreads = threads.filter((t) => t.producers > 0);
  const consumerThreads = threads.filter((t) => t.consumers > 0);

  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
  };
  process.on('SIGINT', onSigint);

  let producersDone = 0;
  let producersDoneNs = 0n;
  const finals: Histogram[] = [];
  const drainInbox = (t: Thread) => {
    for (const m of t.inbox.splice(0)) {
      t.received.add(m.type);
      if (m.type === 'error') fail(m.error);
      else if (m.type === 'producer-done') {
        producersDone++;
        producersDoneNs = process.hrtime.bigint();
      } else if (m.type === 'final') finals.push(Histogram.from(m.latency));
    }
  };
  /** Waits until every thread in `ts` has sent `type` (or something failed). */
  const all = async (ts: Thread[], type: ToMain['type'], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let waiting = 0;
      for (const t of ts) {
        drainInbox(t);
        if (t.received.has(type)) continue;
        if (t.exited) {
          if (type !== 'final') fail({ kind: 'other', message: 'a worker thread ended unexpectedly' });
          continue;
        }
        waiting++;
      }
      if (waiting === 0 || failure !== undefined || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  let cpu0 = process.cpuUsage();
  let t0 = process.hrtime.bigint();
  let tEnd = t0;
  let cpu = cpu0;
  let snapshot = { published: 0, confirmed: 0, consumed: 0 };
  let stalled = false;
  try {
    await all(threads, 'ready', 60_000);
    if (failure !== undefined) throw failure;
    cpu0 = process.cpuUsage();
    t0 = process.hrtime.bigint();
    for (const t of consumerThreads) post(t, { type: 'consume' });
    await all(consumerThreads, 'consuming', 30_000);
    for (const t of producerThreads) post(t, { type: 'publish', startNs: t0 });

    const tty = progressOut.isTTY === true && !o.quiet;
    let last = { t: t0, published: 0, confirmed: 0, consumed: 0, cpu: process.cpuUsage() };
    let lastProgress = 0;
    let lastConsumed = -1;
    let lastChange = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      for (const t of threads) drainInbox(t);
      const now = process.hrtime.bigint();
      const elapsedS = Number(now - t0) / 1e9;
      const published = counters.total('published');
      const consumed = counters.total('consumed');
      if (consumed !== lastConsumed) {
        lastConsumed = consumed;
        lastChange = Date.now();
      }
      const sinceLast = Number(now - last.t) / 1e9;
      if (!o.quiet && sinceLast >= 1) {
        const confirmed = counters.total('confirmed');
        const cpuNow = process.cpuUsage();
        const line = progressLine({
          elapsedS,
          publishRate: (published - last.published) / sinceLast,
          confirmRate: (confirmed - last.confirmed) / sinceLast,
          consumeRate: (consumed - last.consumed) / sinceLast,
          cpuPercent: (cpuNow.user - last.cpu.user + cpuNow.system - last.cpu.system) / 1e4 / sinceLast,
          blocked: counters.total('blocked') > 0,
          showPublish: o.producers > 0,
          showConfirm: o.producers > 0 && o.confirmWindow > 0,
          showConsume: o.consumers > 0,
        });
        progressOut.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
        lastProgress = Date.now();
        last = { t: now, published, confirmed, consumed, cpu: cpuNow };
      }
      if (failure !== undefined || interrupted) break;
      if (o.time > 0 && elapsedS >= o.time) break;
      const draining = (o.count > 0 && o.producers > 0 && producersDone === producerThreads.length) || (o.consumeOnly && o.time === 0);
      if (o.count > 0 && o.producers > 0 && producersDone === producerThreads.length && o.consumers === 0) break;
      if (draining) {
        const target = o.consumeOnly ? drainTarget : published - counters.total('nacked') - counters.total('returned');
        if (consumed >= target) break;
        if (Date.now() - lastChange > STALL_MS) {
          stalled = true;
          break;
        }
      }
    }
    if (tty && lastProgress > 0) progressOut.write('\n');
    tEnd = process.hrtime.bigint();
    cpu = process.cpuUsage(cpu0);
    snapshot = { published: counters.total('published'), confirmed: counters.total('confirmed'), consumed: counters.total('consumed') };
  } finally {
    // Producers first, so that consumers still take what they sent until the stop.
    for (const t of producerThreads) post(t, { type: 'stop' });
    await all(producerThreads.filter((t) => t.consumers === 0), 'final', STOP_TIMEOUT_MS);
    for (const t of consumerThreads) post(t, { type: 'stop' });
    await all(consumerThreads, 'final', STOP_TIMEOUT_MS);
    await Promise.all(threads.map((t) => t.worker.terminate()));
    process.off('SIGINT', onSigint);
    if (failure === undefined && (generated || o.deleteQueues)) {
      for (const q of o.consumeOnly ? queues : declared) await admin.deleteQueue(1, q).catch(() => undefined);
    }
    await admin.close();
  }
  if (failure !== undefined) throw failure;

  const latency = new Histogram();
  for (const h of finals) latency.merge(h);
  const total = (f: Parameters<Counters['total']>[0]) => counters.total(f);
  const published = total('published');
  const confirmed = total('confirmed');
  const nacked = total('nacked');
  const returned = total('returned');
  const consumed = total('consumed');
  const durationS = Number(tEnd - t0) / 1e9;
  const countRun = o.count > 0 && o.producers > 0 && producersDone === producerThreads.length;
  const drainRun = countRun || (o.consumeOnly && o.time === 0);
  const maxNs = (f: 'lastPublishedNs' | 'lastConsumedNs') => {
    let m = t0;
    for (let s = 0; s < counters.slots; s++) if (counters.getBig(s, f) > m) m = counters.getBig(s, f);
    return m;
  };
  const span = (end: bigint) => Math.max(Number(end - t0) / 1e9, 1e-9);
  const publishRate = countRun ? published / span(maxNs('lastPublishedNs')) : snapshot.published / durationS;
  const confirmRate = countRun ? confirmed / span(producersDoneNs) : snapshot.confirmed / durationS;
  const consumeRate = drainRun ? consumed / span(maxNs('lastConsumedNs')) : snapshot.consumed / durationS;

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
      ok: consumed === published && !stalled,
      detail: `published ${published}, consumed ${consumed}${stalled ? `, nothing arrived for ${STALL_MS / 1000} s` : ''}`,
    });
  }
  if (o.consumeOnly && o.time === 0) {
    checks.push({
      name: 'drained the queues',
      ok: consumed >= drainTarget && !stalled,
      detail: `${drainTarget} ready at the start, consumed ${consumed}`,
    });
  }
  const cpuS = (cpu.user + cpu.system) / 1e6;
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
    returned,
    consumed,
    publishRate,
    confirmRate,
    consumeRate,
    latencyMs: msSummary(latency),
    blockedS: total('blockedNs') / 1e9,
    toolCpuPercent: durationS > 0 ? (cpuS / durationS) * 100 : 0,
    toolCpu: { userS: cpu.user / 1e6, systemS: cpu.system / 1e6 },
    checks,
    ok: checks.every((c) => c.ok),
  };
}

function msSummary(h: Histogram) {
  const s = h.summary();
  const toMs = (us: number) => us / 1000;
  return {
    count: s.count,
    min: toMs(s.min),
    mean: toMs(s.mean),
    p50: toMs(s.p50),
    p75: toMs(s.p75),
    p95: toMs(s.p95),
    p99: toMs(s.p99),
    p999: toMs(s.p999),
    max: toMs(s.max),
  };
}

/**
 * Producers and consumers go to separate threads (at most o.threads of each), so a busy
 * publisher never delays the reading of deliveries, whose arrival time is the latency.
 */
function spawnThreads(o: PerfOptions, roles: Role[], counters: Counters): Thread[] {
  const producers = roles.filter((r) => r.kind === 'producer');
  const consumers = roles.filter((r) => r.kind === 'consumer');
  const groups: Role[][] = [];
  for (const list of [producers, consumers]) {
    const n = Math.min(list.length, o.threads);
    for (let i = 0; i < n; i++) groups.push(list.filter((_, j) => j % n === i));
  }
  return groups.map((group) => {
    const init: WorkerInit = { uri: o.uri, heartbeat: o.heartbeat, counters: counters.buffer, roles: group };
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
    const t: Thread = {
      worker,
      producers: group.filter((r) => r.kind === 'producer').length,
      consumers: group.filter((r) => r.kind === 'consumer').length,
      inbox: [],
      received: new Set(),
      exited: false,
    };
    worker.on('message', (m: ToMain) => t.inbox.push(m));
    worker.on('error', (err) => t.inbox.push({ type: 'error', error: { kind: 'other', message: `worker thread: ${err.message}` } }));
    worker.on('exit', () => (t.exited = true));
    return t;
  });
}

function post(t: Thread, m: ToWorker): void {
  t.worker.postMessage(m);
}

export function failureKind(err: unknown): WorkerError['kind'] {
  if (err instanceof RunFailure) return err.kind;
  if (err instanceof BrokerError) return 'broker';
  if (err instanceof ConnectionFailure) return 'connection';
  return 'other';
}

