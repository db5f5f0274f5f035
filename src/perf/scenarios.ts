// The churn scenarios, run from the main thread (each operation is a round trip, so the tool
// waits far more than it works): queue-churn declares -n queues then deletes them,
// connection-churn opens and closes -n connections, bindings binds -n routing keys of one queue
// to amq.direct then unbinds them. -x clients share the operations and work in parallel; each
// phase is timed from its first request to its last reply.

import crypto from 'node:crypto';
import { AmqpClient } from './client.js';
import type { PerfOptions } from './options.js';
import { num, type ScenarioSummary } from './report.js';
import { displayUri } from './uri.js';

type Phase = ScenarioSummary['phases'][number];

export async function runScenario(o: PerfOptions): Promise<ScenarioSummary> {
  const clients = Math.max(1, o.producers);
  const cpu0 = process.cpuUsage();
  const started = process.hrtime.bigint();
  const phases: Phase[] = [];
  const progress = o.json ? process.stderr : process.stdout;
  const tty = progress.isTTY === true && !o.quiet;

  /** Runs `op` o.operations times, shared by the lanes, and times it. */
  async function phase(name: string, lanes: Array<(i: number) => Promise<void>>): Promise<void> {
    let done = 0;
    const t0 = process.hrtime.bigint();
    const ticker = o.quiet
      ? undefined
      : setInterval(() => {
          const line = `${name}: ${num(done)} of ${num(o.operations)} (${num(done / (Number(process.hrtime.bigint() - t0) / 1e9))}/s)`;
          progress.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
        }, 1000);
    try {
      await Promise.all(
        lanes.map(async (op, lane) => {
          for (let i = lane; i < o.operations; i += lanes.length) {
            await op(i);
            done++;
          }
        }),
      );
    } finally {
      clearInterval(ticker);
      if (tty && ticker !== undefined) progress.write('\r\x1b[K');
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    phases.push({ name, operations: o.operations, seconds, rate: o.operations / seconds });
  }

  const open = async (name: string) => {
    const c = await AmqpClient.connect(o.uri, { name, heartbeat: o.heartbeat });
    await c.openChannel(1);
    return c;
  };
  const prefix = o.queue ?? `warren-perf-${crypto.randomBytes(4).toString('hex')}`;
  const conns: AmqpClient[] = [];
  try {
    if (o.scenario === 'connection-churn') {
      const lanes = Array.from({ length: clients }, () => async (i: number) => {
        const c = await AmqpClient.connect(o.uri, { name: `warren-perf churn ${i}`, heartbeat: 0 });
        await c.close();
      });
      await phase('open+close', lanes);
    } else if (o.scenario === 'queue-churn') {
      for (let i = 0; i < clients; i++) conns.push(await open(`warren-perf queue-churn ${i + 1}`));
      const args = new Map(o.queueArgs);
      if (o.queueType === 'quorum') args.set('x-queue-type', 'quorum');
      const durable = o.persistent || o.queueType === 'quorum';
      await phase(
        'declare',
        conns.map((c) => async (i: number) => {
          await c.declareQueue(1, `${prefix}-${i + 1}`, { durable, arguments: args });
        }),
      );
      if (!o.declareOnly) {
        await phase(
          'delete',
          conns.map((c) => async (i: number) => {
            await c.deleteQueue(1, `${prefix}-${i + 1}`);
          }),
        );
      }
    } else {
      for (let i = 0; i < clients; i++) conns.push(await open(`warren-perf bindings ${i + 1}`));
      const queue = prefix;
      await conns[0].declareQueue(1, queue, { durable: o.persistent });
      try {
        await phase(
          'bind',
          conns.map((c) => (i: number) => c.bindQueue(1, queue, 'amq.direct', `key-${i + 1}`)),
        );
        await phase(
          'unbind',
          conns.map((c) => (i: number) => c.unbindQueue(1, queue, 'amq.direct', `key-${i + 1}`)),
        );
      } finally {
        if (conns[0].failure === undefined) await conns[0].deleteQueue(1, queue);
      }
    }
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
  const cpu = process.cpuUsage(cpu0);
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    uri: displayUri(o.uri),
    scenario: o.scenario!,
    clients,
    operations: o.operations,
    phases,
    toolCpuPercent: ((cpu.user + cpu.system) / 1e6 / wallS) * 100,
    ok: true,
  };
}
