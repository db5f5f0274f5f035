// The worker threads of a message-flow run, as the main thread sees them: spawning them with
// their producers and consumers, reading what they post, waiting for all of them to reach a
// step, and stopping them in order. See worker.ts for the messages.
//
// Producers and consumers go to separate threads (at most `threads` of each), so that a busy
// publisher never delays the reading of deliveries, whose arrival time is the latency.

import { Worker } from 'node:worker_threads';
import type { Counters } from './counters.js';
import { Histogram } from './histogram.js';
import type { AmqpUri } from './uri.js';
import type { Role, ToMain, ToWorker, WorkerError, WorkerInit } from './worker.js';

const STOP_TIMEOUT_MS = 60_000;

interface Thread {
  worker: Worker;
  inbox: ToMain[];
  /** The message types this thread has sent so far. */
  received: Set<ToMain['type']>;
  exited: boolean;
}

export class WorkerPool {
  readonly producerThreads: Thread[] = [];
  readonly consumerThreads: Thread[] = [];
  /** The first error a thread reported. */
  failure: WorkerError | undefined;
  /** Producer threads whose producers all reached their message count. */
  producersDone = 0;
  /** When the last of them did (process.hrtime.bigint()). */
  producersDoneNs = 0n;
  /** The consumers' latencies, one histogram per thread, once stopped. */
  readonly latencies: Histogram[] = [];

  constructor(
    uri: AmqpUri,
    heartbeat: number | undefined,
    roles: Role[],
    counters: Counters,
    threads: number,
  ) {
    for (const kind of ['producer', 'consumer'] as const) {
      const list = roles.filter((r) => r.kind === kind);
      const n = Math.min(list.length, threads);
      for (let i = 0; i < n; i++) {
        const group = list.filter((_, j) => j % n === i);
        const init: WorkerInit = { uri, heartbeat, counters: counters.buffer, roles: group };
        (kind === 'producer' ? this.producerThreads : this.consumerThreads).push(spawn(init));
      }
    }
  }

  get all(): Thread[] {
    return [...this.producerThreads, ...this.consumerThreads];
  }

  get allProducersDone(): boolean {
    return this.producersDone === this.producerThreads.length;
  }

  post(threads: Thread[], m: ToWorker): void {
    for (const t of threads) t.worker.postMessage(m);
  }

  /** Handles what the threads posted since the last call. */
  read(): void {
    for (const t of this.all) {
      for (const m of t.inbox.splice(0)) {
        t.received.add(m.type);
        if (m.type === 'error') this.failure ??= m.error;
        else if (m.type === 'final') this.latencies.push(Histogram.from(m.latency));
        else if (m.type === 'producer-done') {
          this.producersDone++;
          this.producersDoneNs = process.hrtime.bigint();
        }
      }
    }
  }

  /** Waits until every one of `threads` has sent `type`, or one failed, or the time is up. */
  async waitFor(threads: Thread[], type: ToMain['type'], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.read();
      let waiting = 0;
      for (const t of threads) {
        if (t.received.has(type)) continue;
        if (t.exited) {
          if (type !== 'final') this.failure ??= { kind: 'other', message: 'a worker thread ended unexpectedly' };
          continue;
        }
        waiting++;
      }
      if (waiting === 0 || this.failure !== undefined || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops the producers first, so that consumers take what was sent until then; then the rest. */
  async stop(): Promise<void> {
    this.post(this.producerThreads, { type: 'stop' });
    await this.waitFor(this.producerThreads, 'final', STOP_TIMEOUT_MS);
    this.post(this.consumerThreads, { type: 'stop' });
    await this.waitFor(this.consumerThreads, 'final', STOP_TIMEOUT_MS);
    await Promise.all(this.all.map((t) => t.worker.terminate()));
  }
}

function spawn(init: WorkerInit): Thread {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
  const t: Thread = { worker, inbox: [], received: new Set(), exited: false };
  worker.on('message', (m: ToMain) => t.inbox.push(m));
  worker.on('error', (err) => t.inbox.push({ type: 'error', error: { kind: 'other', message: `worker thread: ${err.message}` } }));
  worker.on('exit', () => (t.exited = true));
  return t;
}
