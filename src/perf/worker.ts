// A worker thread of warren-perf: it owns some producers or consumers (a connection each) and
// runs their hot loops, so that publishing and consuming do not share one event loop with each
// other or with the main thread's reporting. It talks to the main thread in a few messages
// (below); counts go through the shared Counters, which the main thread reads at any time.
//
//   worker -> main   ready | consuming | producer-done | final { latency } | error { error }
//   main -> worker   consume | publish { startNs } | stop

import { parentPort, workerData } from 'node:worker_threads';
import { AmqpClient } from './client.js';
import { Consumer, type ConsumerSettings } from './consumer.js';
import { Counters } from './counters.js';
import { Histogram, type HistogramData } from './histogram.js';
import { Producer, type ProducerSettings } from './producer.js';
import type { AmqpUri } from './uri.js';

export type Role =
  | { kind: 'producer'; slot: number; name: string; settings: ProducerSettings }
  | { kind: 'consumer'; slot: number; name: string; settings: ConsumerSettings };

export interface WorkerInit {
  uri: AmqpUri;
  heartbeat: number | undefined;
  counters: SharedArrayBuffer;
  roles: Role[];
}

export interface WorkerError {
  kind: 'broker' | 'connection' | 'other';
  message: string;
}

export type ToMain =
  | { type: 'ready' }
  | { type: 'consuming' }
  | { type: 'producer-done' }
  | { type: 'final'; latency: HistogramData }
  | { type: 'error'; error: WorkerError };

export type ToWorker = { type: 'consume' } | { type: 'publish'; startNs: bigint } | { type: 'stop' };

function describeError(err: unknown): WorkerError {
  const e = err as Error;
  const kind = e.name === 'BrokerError' ? 'broker' : e.name === 'ConnectionFailure' ? 'connection' : 'other';
  return { kind, message: e.message };
}

function post(message: ToMain): void {
  parentPort!.postMessage(message);
}

async function main(init: WorkerInit): Promise<void> {
  const counters = new Counters(init.counters);
  const clients: AmqpClient[] = [];
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];
  let failed = false;
  const onFailure = (err: Error) => {
    if (failed) return;
    failed = true;
    post({ type: 'error', error: describeError(err) });
  };

  try {
    await Promise.all(
      init.roles.map(async (role) => {
        const client = await AmqpClient.connect(init.uri, { name: role.name, heartbeat: init.heartbeat });
        clients.push(client);
        client.onFailure = onFailure;
        if (role.kind === 'producer') {
          const p = new Producer(client, role.settings, counters, role.slot);
          await p.setup();
          producers.push(p);
        } else {
          const c = new Consumer(client, role.settings, counters, role.slot);
          await c.setup();
          consumers.push(c);
        }
      }),
    );
  } catch (err) {
    onFailure(err as Error);
    for (const c of clients) c.socket.destroy();
    parentPort!.close();
    return;
  }
  post({ type: 'ready' });

  parentPort!.on('message', (m: ToWorker) => {
    if (m.type === 'consume') {
      Promise.all(consumers.map((c) => c.start())).then(() => post({ type: 'consuming' }), onFailure);
    } else if (m.type === 'publish') {
      for (const p of producers) p.start(m.startNs);
      Promise.all(producers.map((p) => p.done)).then(() => {
        if (producers.every((p) => p.isFinishedPublishing)) post({ type: 'producer-done' });
      });
    } else if (m.type === 'stop') {
      void stop();
    }
  });

  async function stop(): Promise<void> {
    await Promise.all(producers.map((p) => p.stop()));
    for (const c of consumers) c.ackRemaining();
    await Promise.all(clients.map((c) => c.close()));
    const latency = new Histogram();
    for (const c of consumers) latency.merge(c.latency);
    post({ type: 'final', latency: latency.toTransfer() });
    parentPort!.close();
  }
}

void main(workerData as WorkerInit);
