// bench:amqp — Warren against RabbitMQ 3.10 on this machine, under the same warren-perf load,
// in one run. Each throughput and latency scenario runs RUNS times against each broker in
// turn (Warren, RabbitMQ, Warren, ...); the table gives medians, the Warren/RabbitMQ ratio and
// the spread (min-max). Memory and listing scenarios run on fresh nodes.
//
//   node test/bench/amqp.js [--quick] [--profile] [--rabbitmq-100k] [SCENARIO...]
//
// SCENARIO filters by number (1..10) or by a word of the scenario's name ("latency").
// --quick: one run each, 3 s flows, smaller memory and listing scenarios.
// --profile: no comparison; runs each selected flow scenario (1, 2, 3, 5, and 6 at 20,000 msg/s)
//   once against a Warren node under node --cpu-prof and prints the node's top frames.
// --rabbitmq-100k: scenario 9 against RabbitMQ too (slow: RabbitMQ declares ~500 queues/s).
// Every node started here is stopped at the end, on failure and on Ctrl-C.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AmqpClient } from '../../dist/perf/client.js';
import { parseAmqpUri } from '../../dist/perf/uri.js';
import { topFrames } from './profile-top.js';
import { ROOT, cleanUpOnExit, failureLog, loadavg, machine, median, rabbitmqInstalled, startRabbit, startWarren, stopAll, table, tempDir, timeProcess } from './lib.js';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const PROFILE = args.includes('--profile');
const RABBIT_100K = args.includes('--rabbitmq-100k');
const FILTERS = args.filter((a) => !a.startsWith('--'));
const RUNS = QUICK ? 1 : 3;
const SECONDS = QUICK ? 3 : 10;
const QUEUED_MESSAGES = QUICK ? 100_000 : 1_000_000;
const IDLE_QUEUES = QUICK ? 2_000 : 10_000;
const IDLE_CONNECTIONS = QUICK ? 200 : 1_000;
const MANY_QUEUES = QUICK ? 10_000 : 100_000;
const PERF = path.join(ROOT, 'bin', 'warren-perf');
/** Scenario 6's rate under --profile, which runs no RabbitMQ to take half of. */
const PROFILE_RATE = 20_000;
/** Where the nodes' logs go when a scenario failed. */
const LOGS = path.join(os.tmpdir(), `warren-bench-logs-${process.pid}`);

const SCENARIOS = [
  [1, '1p/1c 16 B transient no-ack'],
  [2, '1p/1c 1 KiB transient no-ack'],
  [3, '1 KiB persistent, confirms 1000, ack 100, prefetch 1000'],
  [4, 'publish only, then drain'],
  [5, '4p/4c over 4 queues'],
  [6, 'latency at 50% of RabbitMQ max rate'],
  [7, 'memory (RSS)'],
  [8, 'list_queues name messages'],
  [9, `${num(MANY_QUEUES)} queues in one node`],
  [10, 'churn: queues, connections, bindings'],
];
const selected = (id) => {
  const name = SCENARIOS.find(([n]) => n === id)[1];
  return FILTERS.length === 0 || FILTERS.some((f) => (/^\d+$/.test(f) ? f === String(id) : name.includes(f)));
};

function num(n) {
  return Math.round(n).toLocaleString('en-US');
}

function log(line) {
  process.stderr.write(`${line}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Scenarios that fail are reported under the table, and the exit code is 1. */
const { attempt, finish } = failureLog(LOGS);

// The warren-perf runs under way, ended with the benchmark (Ctrl-C, a failure).
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Runs warren-perf against `node`; resolves with its JSON summary. */
function perf(node, perfArgs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PERF, '-h', node.uri, '--json', '--quiet', ...perfArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      running.delete(child);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`warren-perf ${perfArgs.join(' ')} against ${node.kind} exited ${code}: ${err.trim() || out.trim()}`));
    });
  });
}

// ---- results ----

/** One row of the table: a metric with its values per broker over the runs. */
const rows = [];
function row(id, metric, unit, better) {
  const r = { id, metric, unit, better, warren: [], rabbitmq: [] };
  rows.push(r);
  return r;
}

function fmt(v, unit) {
  if (v === undefined || Number.isNaN(v)) return '-';
  switch (unit) {
    case 'msg/s':
    case 'op/s':
    case 'msg':
      return num(v);
    case 'ms':
      return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
    case 'MiB':
      return v.toFixed(1);
    case 's':
      return v.toFixed(3);
    case '%':
      return v.toFixed(0);
    default:
      return String(v);
  }
}

function printTable() {
  const out = rows.map((r) => {
    const w = r.warren.length ? median(r.warren) : undefined;
    const q = r.rabbitmq.length ? median(r.rabbitmq) : undefined;
    const ratio = w !== undefined && q !== undefined && q !== 0 ? w / q : undefined;
    let better = '';
    if (ratio !== undefined && r.better !== 'info') {
      const warrenWins = r.better === 'higher' ? ratio > 1 : ratio < 1;
      better = Math.abs(ratio - 1) < 0.05 ? 'even' : warrenWins ? 'Warren' : 'RabbitMQ';
    }
    const spread = (xs) => (xs.length > 1 ? `${fmt(Math.min(...xs), r.unit)}–${fmt(Math.max(...xs), r.unit)}` : '-');
    return [
      r.id,
      `${r.metric} (${r.unit})`,
      fmt(w, r.unit),
      fmt(q, r.unit),
      ratio === undefined ? '-' : `${ratio.toFixed(2)}x`,
      better,
      spread(r.warren),
      spread(r.rabbitmq),
    ];
  });
  console.log(table(['#', 'scenario / metric', 'Warren', 'RabbitMQ', 'W/R', 'better', 'Warren min–max', 'RabbitMQ min–max'], out));
}

// ---- scenarios on long-running nodes ----

const FLOWS = {
  1: ['-s', '16'],
  2: ['-s', '1024'],
  3: ['-s', '1024', '-p', '-c', '1000', '-a', '100', '-q', '1000'],
  5: ['-x', '4', '-y', '4', '--queues', '4', '-s', '16'],
};

async function flowScenario(id, brokers) {
  const name = SCENARIOS[id - 1][1];
  const label = (m) => `${id}. ${name}: ${m}`;
  const pub = row(id, label('publish'), 'msg/s', 'higher');
  const con = row(id, label('consume'), 'msg/s', 'higher');
  const p99 = id === 3 ? row(id, label('latency p99'), 'ms', 'lower') : undefined;
  const cpu = row(id, label('tool CPU'), '%', 'info');
  for (let run = 1; run <= RUNS; run++) {
    for (const node of brokers) {
      const s = await perf(node, [...FLOWS[id], '-z', String(SECONDS)]);
      pub[node.kind].push(id === 3 ? s.confirmRate : s.publishRate);
      con[node.kind].push(s.consumeRate);
      p99?.[node.kind].push(s.latencyMs.p99);
      cpu[node.kind].push(s.toolCpuPercent);
      log(`  ${id} ${node.kind} run ${run}: publish ${num(s.publishRate)}/s, consume ${num(s.consumeRate)}/s, p99 ${s.latencyMs.p99.toFixed(1)} ms, tool CPU ${s.toolCpuPercent.toFixed(0)}%`);
    }
  }
  return { pub, con };
}

async function publishThenDrain(brokers) {
  const pub = row(4, '4. publish only (no consumer)', 'msg/s', 'higher');
  const drain = row(4, '4. then drain (no-ack)', 'msg/s', 'higher');
  const queued = row(4, '4. messages queued', 'msg', 'info');
  for (let run = 1; run <= RUNS; run++) {
    for (const node of brokers) {
      const p = await perf(node, ['--publish-only', '-s', '16', '-z', String(SECONDS), '-u', 'bench-drain']);
      const d = await perf(node, ['--consume-only', '-u', 'bench-drain', '--delete-queues']);
      pub[node.kind].push(p.publishRate);
      drain[node.kind].push(d.consumeRate);
      queued[node.kind].push(d.consumed);
      log(`  4 ${node.kind} run ${run}: publish ${num(p.publishRate)}/s, drained ${num(d.consumed)} at ${num(d.consumeRate)}/s`);
    }
  }
}

async function latencyAtRate(brokers, rate) {
  const label = `6. latency at ${num(rate)} msg/s`;
  const rows6 = [
    [row(6, `${label}: p50`, 'ms', 'lower'), (s) => s.latencyMs.p50],
    [row(6, `${label}: p99`, 'ms', 'lower'), (s) => s.latencyMs.p99],
    [row(6, `${label}: p99.9`, 'ms', 'lower'), (s) => s.latencyMs.p999],
    [row(6, `${label}: achieved`, 'msg/s', 'info'), (s) => s.consumeRate],
  ];
  for (let run = 1; run <= RUNS; run++) {
    for (const node of brokers) {
      const s = await perf(node, ['-s', '16', '-z', String(SECONDS), '-r', String(rate)]);
      for (const [r, pick] of rows6) r[node.kind].push(pick(s));
      log(`  6 ${node.kind} run ${run}: p50 ${s.latencyMs.p50.toFixed(3)} ms, p99 ${s.latencyMs.p99.toFixed(3)} ms, p99.9 ${s.latencyMs.p999.toFixed(3)} ms`);
    }
  }
}

async function churn(brokers) {
  const defs = [
    ['queue-churn', 1000, [['declare', 'queue.declare'], ['delete', 'queue.delete']]],
    ['connection-churn', 500, [['open+close', 'connection open+close']]],
    ['bindings', 1000, [['bind', 'queue.bind'], ['unbind', 'queue.unbind']]],
  ];
  for (const [scenario, n, phases] of defs) {
    const rs = phases.map(([phase, what]) => [phase, row(10, `10. ${what}, 1 client`, 'op/s', 'higher')]);
    for (let run = 1; run <= RUNS; run++) {
      for (const node of brokers) {
        const s = await perf(node, ['--scenario', scenario, '-n', String(n)]);
        for (const [phase, r] of rs) r[node.kind].push(s.phases.find((p) => p.name === phase).rate);
        log(`  10 ${node.kind} ${scenario} run ${run}: ${s.phases.map((p) => `${p.name} ${num(p.rate)}/s`).join(', ')}`);
      }
    }
  }
}

// ---- scenarios on fresh nodes ----

async function settledRss(node) {
  await sleep(2000);
  return node.rssMiB();
}

async function openIdleConnections(node, n) {
  const uri = parseAmqpUri(node.uri);
  const clients = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, (_, j) => AmqpClient.connect(uri, { name: `bench idle ${i + j}`, heartbeat: 0 }));
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

/** warrenctl or rabbitmqctl list_queues name messages: median wall time of 3 after a warm-up. */
function listQueues(node, expected) {
  const [cmd, argv] = node.ctl(['list_queues', 'name', 'messages', '-q', '--no-table-headers']);
  const first = timeProcess(cmd, argv, node.env);
  const lines = first.stdout.split('\n').filter((l) => l.trim() !== '').length;
  if (lines < expected) throw new Error(`${node.kind} list_queues printed ${lines} queues, expected ${expected}`);
  return median([1, 2, 3].map(() => timeProcess(cmd, argv, node.env).wall));
}

const startFresh = (kind) => (kind === 'warren' ? startWarren('benchmem') : startRabbit('benchmem'));

/** Runs `fn` on a fresh node of `kind` and stops the node afterwards. */
async function onFreshNode(kind, fn) {
  const node = await startFresh(kind);
  try {
    return await fn(node);
  } finally {
    await node.stop();
  }
}

async function memory(kinds) {
  const idle = row(7, '7. RSS, idle node', 'MiB', 'lower');
  const msgs = row(7, `7. RSS with ${num(QUEUED_MESSAGES)} queued 16 B messages`, 'MiB', 'lower');
  const conns = row(7, `7. RSS with ${num(IDLE_CONNECTIONS)} idle connections`, 'MiB', 'lower');
  for (const kind of kinds) {
    await onFreshNode(kind, async (node) => {
      idle[kind].push(await settledRss(node));
      const s = await perf(node, ['--publish-only', '-C', String(QUEUED_MESSAGES), '-c', '1000', '-s', '16', '-u', 'bench-memory']);
      msgs[kind].push(await settledRss(node));
      log(`  7 ${kind}: idle ${idle[kind][0].toFixed(1)} MiB, ${num(s.confirmed)} queued messages ${msgs[kind][0].toFixed(1)} MiB`);
    });
    await onFreshNode(kind, async (node) => {
      const clients = await openIdleConnections(node, IDLE_CONNECTIONS);
      conns[kind].push(await settledRss(node));
      log(`  7 ${kind}: ${clients.length} idle connections ${conns[kind][0].toFixed(1)} MiB`);
      await Promise.all(clients.map((c) => c.close()));
    });
  }
}

/** Scenario 7's idle queues and scenario 8's listing of them, on one node per broker. */
async function idleQueues(kinds) {
  const rss = selected(7) ? row(7, `7. RSS with ${num(IDLE_QUEUES)} idle queues`, 'MiB', 'lower') : undefined;
  const list = selected(8) ? row(8, `8. list_queues name messages, ${num(IDLE_QUEUES)} queues`, 's', 'lower') : undefined;
  for (const kind of kinds) {
    await onFreshNode(kind, async (node) => {
      await perf(node, ['--scenario', 'queue-churn', '--declare-only', '-n', String(IDLE_QUEUES), '-x', '4', '-u', 'idle']);
      rss?.[kind].push(await settledRss(node));
      list?.[kind].push(listQueues(node, IDLE_QUEUES));
      log(`  7/8 ${kind}: ${num(IDLE_QUEUES)} queues${rss ? `, ${rss[kind][0].toFixed(1)} MiB` : ''}${list ? `, list_queues ${list[kind][0].toFixed(3)} s` : ''}`);
    });
  }
}

async function manyQueues(kinds) {
  const declare = row(9, `9. declare ${num(MANY_QUEUES)} queues, 4 clients`, 'op/s', 'higher');
  const list = row(9, `9. list_queues name messages, ${num(MANY_QUEUES)} queues`, 's', 'lower');
  const rss = row(9, `9. RSS with ${num(MANY_QUEUES)} queues`, 'MiB', 'lower');
  for (const kind of RABBIT_100K ? kinds : ['warren']) {
    await onFreshNode(kind, async (node) => {
      const s = await perf(node, ['--scenario', 'queue-churn', '--declare-only', '-n', String(MANY_QUEUES), '-x', '4', '-u', 'many']);
      declare[kind].push(s.phases[0].rate);
      rss[kind].push(await settledRss(node));
      list[kind].push(listQueues(node, MANY_QUEUES));
      log(`  9 ${kind}: declare ${num(s.phases[0].rate)}/s, RSS ${rss[kind][0].toFixed(1)} MiB, list_queues ${list[kind][0].toFixed(3)} s`);
    });
  }
}

// ---- profiling ----

async function profileScenarios() {
  for (const id of [1, 2, 3, 5, 6].filter(selected)) {
    const dir = tempDir('warren-prof-');
    const node = await startWarren('benchprof', { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
    let s;
    try {
      const flow = id === 6 ? ['-s', '16', '-r', String(PROFILE_RATE)] : FLOWS[id];
      s = await perf(node, [...flow, '-z', String(SECONDS)]);
    } finally {
      await node.stop();
    }
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    const { totalMs, rows: top } = topFrames(path.join(dir, file), 15);
    const what = id === 6 ? `latency at ${num(PROFILE_RATE)} msg/s` : SCENARIOS[id - 1][1];
    console.log(
      `\n${id}. ${what}: publish ${num(s.publishRate)}/s, consume ${num(s.consumeRate)}/s, p99 ${s.latencyMs.p99.toFixed(2)} ms; ` +
        `Warren node's top frames by self time (${(totalMs / 1000).toFixed(1)} s sampled):`,
    );
    for (const r of top) console.log(`${r.percent.toFixed(1).padStart(6)}%  ${r.name}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- main ----

cleanUpOnExit();
const began = Date.now();
console.log(`bench:amqp on ${machine()}; load average ${loadavg()}`);
console.log(`${QUICK ? 'quick: ' : ''}${RUNS} run(s) per broker, ${SECONDS} s flows; warren-perf ${PERF}`);
if (PROFILE) {
  await profileScenarios();
  process.exit(0);
}
const kinds = rabbitmqInstalled() ? ['warren', 'rabbitmq'] : ['warren'];
if (kinds.length === 1) console.log('note: rabbitmq-server is not installed (apt-get install rabbitmq-server); Warren only');

const flows = [1, 2, 3, 4, 5, 6, 10].filter(selected);
if (flows.length > 0) {
  const brokers = [await startWarren('benchamqp')];
  if (kinds.includes('rabbitmq')) brokers.push(await startRabbit('benchamqp'));
  try {
    let s1;
    for (const id of [1, 2, 3, 5].filter(selected)) {
      log(`scenario ${id}: ${SCENARIOS[id - 1][1]}`);
      const r = await attempt(`scenario ${id}`, () => flowScenario(id, brokers));
      if (id === 1) s1 = r;
    }
    if (selected(4)) {
      log('scenario 4: publish only, then drain');
      await attempt('scenario 4', () => publishThenDrain(brokers));
    }
    if (selected(6)) {
      // The reference is RabbitMQ's sustained rate in scenario 1: what its consumer received.
      await attempt('scenario 6', async () => {
        const ref = brokers.at(-1);
        let max = s1?.con[ref.kind].length ? median(s1.con[ref.kind]) : undefined;
        if (max === undefined) max = (await perf(ref, [...FLOWS[1], '-z', String(SECONDS)])).consumeRate;
        const rate = Math.max(1, Math.round(max / 2));
        log(`scenario 6: latency at ${num(rate)} msg/s (half of ${ref.kind}'s ${num(max)} msg/s in scenario 1)`);
        await latencyAtRate(brokers, rate);
      });
    }
    if (selected(10)) {
      log('scenario 10: churn');
      await attempt('scenario 10', () => churn(brokers));
    }
  } finally {
    await stopAll();
  }
}
if ([7, 8, 9].some(selected)) {
  log('scenarios 7-9: memory and listing on fresh nodes');
  try {
    if (selected(7)) await attempt('scenario 7', () => memory(kinds));
    if (selected(7) || selected(8)) await attempt(`scenario ${selected(7) ? '7/' : ''}8`, () => idleQueues(kinds));
    if (selected(9)) await attempt('scenario 9', () => manyQueues(kinds));
  } finally {
    await stopAll();
  }
}
console.log('');
printTable();
finish(began);
