// bench:mirrored — a classic queue mirrored over three nodes, Warren against RabbitMQ 3.10 on
// this machine in one run: throughput with persistent messages and confirms, and how long the
// queue is unavailable when its master's node is killed (kill -9) or silently cut off (a real
// network partition, noticed by net_ticktime).
//
//   node test/bench/mirrored.js [--quick]
//
// Each broker gets a three-node cluster on this host (bench_a, bench_b, bench_c, formed by the
// runbook; one port mapper and one cookie between them; each node in a cgroup of its own so
// that partition.js can cut it off), with rabbitmq.conf
//   net_ticktime = 2
//   cluster_partition_handling = pause_minority
// the policy ha-all '^ha\.' {"ha-mode":"all","ha-sync-mode":"automatic"} and a durable queue
// ha.bench declared through bench_a, so that a holds its master. Both clusters stay up for the
// whole run and each measurement alternates between them (Warren, RabbitMQ, Warren, ...).
//
// 1. Throughput: warren-perf with 1 KiB persistent messages, confirms (window 1000), consumer
//    acking every 100 with prefetch 1000 (bench:amqp's scenario 3). "Clients on other nodes":
//    a --publish-only warren-perf connected to b and a --consume-only one connected to c, run
//    together; "clients on the master": one warren-perf with both, connected to a.
// 2. Failover after kill -9: a consumer on one node other than the master (amqplib, acking,
//    prefetch 100), a publisher on the third (confirm channel, one persistent message every 5
//    ms, each carrying its sequence number). The bench SIGKILLs the master's process and
//    measures from just before the kill(2) call to the consumer's first delivery of a message
//    published after it: a delivery the old master had already sent cannot count. The killed
//    node is then started again and the next repeat waits until both mirrors are synchronised.
// 3. Failover after a partition: the same, but the master's node is cut off from both others
//    (its distribution links silenced, nothing reset), timed from the moment nft has loaded the
//    rules; pause_minority makes the cut-off node stop its app, as a majority-less master must
//    not go on accepting messages. The partition is then healed and the next repeat waits until
//    the node is back and synchronised.
// Every failover checks that each message confirmed to the publisher reached the consumer, and
// that the consumer was not cancelled. Every node, port mapper, cgroup and nftables table made
// here is removed at the end, on a failure and on Ctrl-C.

import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { ROOT, cleanUpOnExit, clusterHost, failureLog, loadavg, machine, median, rabbitmqInstalled, startRabbit, startWarren, stopAll, table, waitUntil } from './lib.js';
import { cleanUpPartitions, createCgroup, cut, healAll, partitionUnsupported } from './partition.js';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 1 : 3;
const REPEATS = QUICK ? 1 : 3;
/** Seconds per throughput run: the headline variant (clients on other nodes), then the other. */
const SECONDS_OTHERS = QUICK ? 5 : 15;
const SECONDS_MASTER = QUICK ? 5 : 8;
const NET_TICKTIME = 2;
const CONF = [`net_ticktime = ${NET_TICKTIME}`, 'cluster_partition_handling = pause_minority'];
const SHORTS = ['bench_a', 'bench_b', 'bench_c'];
const QUEUE = 'ha.bench';
const POLICY = ['set_policy', 'ha-all', '^ha\\.', '{"ha-mode":"all","ha-sync-mode":"automatic"}'];
const PUBLISHER = ['-s', '1024', '-p', '-c', '1000'];
const CONSUMER = ['-a', '100', '-q', '1000'];
const PUBLISH_EVERY_MS = 5;
/** How long a failover may take before the repeat counts as failed. */
const FAILOVER_LIMIT_MS = 60_000;
const PERF = path.join(ROOT, 'bin', 'warren-perf');
const LOGS = path.join(os.tmpdir(), `warren-bench-logs-${process.pid}`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const num = (n) => Math.round(n).toLocaleString('en-US');
const log = (line) => process.stderr.write(`${line}\n`);

/** `args` through the node's own CLI; throws with its output unless it exits 0. */
function ctl(node, args) {
  const [cmd, argv] = node.ctl(args);
  const r = spawnSync(cmd, argv, { env: node.env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${node.kind} ${node.name}: ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.error?.message ?? ''}${r.stderr}${r.stdout}`);
  return r.stdout;
}

// ---- the clusters ----

/** Three nodes of `kind`, clustered by the runbook, with the policy and ha.bench on a. */
async function formCluster(kind, partitionable) {
  const cluster = await clusterHost(kind);
  const nodes = [];
  for (const short of SHORTS) {
    const cgroup = partitionable ? createCgroup(`${kind}-${short}`) : undefined;
    const node = kind === 'warren' ? await startWarren(short, { cluster, conf: CONF, cgroup }) : await startRabbit(short, { cluster, conf: CONF, cgroup });
    node.cgroup = cgroup;
    nodes.push(node);
  }
  const [a, ...joiners] = nodes;
  for (const n of joiners) {
    ctl(n, ['stop_app']);
    ctl(n, ['reset']);
    ctl(n, ['join_cluster', a.name]);
    ctl(n, ['start_app']);
  }
  ctl(a, ['await_online_nodes', String(nodes.length)]);
  ctl(a, POLICY);
  const conn = await amqp.connect(a.uri);
  await (await conn.createChannel()).assertQueue(QUEUE, { durable: true });
  await conn.close();
  await waitForMirrors(nodes, a);
  return nodes;
}

/** The queue's master and its synchronised mirrors, as `from` lists them. */
function mirrors(from) {
  const out = ctl(from, ['list_queues', 'name', 'pid', 'synchronised_slave_pids', '-q', '--no-table-headers']);
  const line = out.split('\n').find((l) => l.startsWith(`${QUEUE}\t`));
  if (line === undefined) return { master: undefined, synced: [] };
  const [, pid, synced] = line.split('\t');
  const nodesIn = (s) => [...s.matchAll(/<([^.<>]+@[^.<>]+)\./g)].map((m) => m[1]);
  return { master: nodesIn(pid)[0], synced: nodesIn(synced) };
}

/** Waits until ha.bench has a master and both other nodes as synchronised mirrors; the master. */
async function waitForMirrors(nodes, from) {
  let m;
  await waitUntil(`${QUEUE} to be mirrored and synchronised on all three ${from.kind} nodes`, () => {
    m = mirrors(from);
    return m.master !== undefined && m.synced.length === nodes.length - 1;
  }, 120_000);
  return nodes.find((n) => n.name === m.master);
}

/** What each node was configured with, read back from the running node. */
function ticktime(node) {
  if (node.kind === 'rabbitmq') return Number(ctl(node, ['eval', 'net_kernel:get_net_ticktime().']).trim());
  return JSON.parse(ctl(node, ['status', '--formatter', 'json'])).net_ticktime;
}

// ---- throughput ----

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** warren-perf against `node`; resolves with its JSON summary. */
function perf(node, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PERF, '-h', node.uri, '--json', '--quiet', '-u', QUEUE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      running.delete(child);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`warren-perf ${args.join(' ')} against ${node.kind} ${node.name} exited ${code}: ${err.trim() || out.trim()}`));
    });
  });
}

/** One throughput run; { confirmed, consumed, cpu } in msg/s and % of a core (both tools). */
async function flow(nodes, variant) {
  const [a, b, c] = nodes;
  ctl(a, ['purge_queue', QUEUE]);
  if (variant === 'master') {
    const s = await perf(a, [...PUBLISHER, ...CONSUMER, '-z', String(SECONDS_MASTER)]);
    return { confirmed: s.confirmRate, consumed: s.consumeRate, cpu: s.toolCpuPercent };
  }
  const z = String(SECONDS_OTHERS);
  const [p, q] = await Promise.all([perf(b, ['--publish-only', ...PUBLISHER, '-z', z]), perf(c, ['--consume-only', ...CONSUMER, '-z', z])]);
  return { confirmed: p.confirmRate, consumed: q.consumeRate, cpu: p.toolCpuPercent + q.toolCpuPercent };
}

// ---- failover ----

/**
 * A consumer on `consumerNode` and a publisher on `publisherNode`, running until stop(). The
 * publisher sends one persistent message every PUBLISH_EVERY_MS on a confirm channel; each
 * body is its sequence number. `firstAfter(seq)` resolves with performance.now() at the first
 * delivery of a message numbered above `seq`.
 */
async function steadyFlow(consumerNode, publisherNode) {
  const received = new Map();
  const confirmed = new Set();
  const nacked = new Set();
  const errors = [];
  let cancelled = false;
  let waiting;
  const cconn = await amqp.connect(consumerNode.uri);
  const pconn = await amqp.connect(publisherNode.uri);
  for (const conn of [cconn, pconn]) conn.on('error', (err) => errors.push(err.message));
  const cch = await cconn.createChannel();
  await cch.prefetch(100);
  await cch.consume(QUEUE, (msg) => {
    if (msg === null) {
      cancelled = true;
      return;
    }
    const seq = msg.content.readUInt32BE(0);
    received.set(seq, (received.get(seq) ?? 0) + 1);
    cch.ack(msg);
    if (waiting !== undefined && seq > waiting.after) {
      waiting.resolve(performance.now());
      waiting = undefined;
    }
  });
  const pch = await pconn.createConfirmChannel();
  let seq = 0;
  const timer = setInterval(() => {
    const n = ++seq;
    const body = Buffer.alloc(16);
    body.writeUInt32BE(n, 0);
    pch.sendToQueue(QUEUE, body, { persistent: true }, (err) => {
      if (err) nacked.add(n);
      else confirmed.add(n);
    });
  }, PUBLISH_EVERY_MS);
  return {
    received,
    get published() {
      return seq;
    },
    firstAfter(after) {
      return new Promise((resolve, reject) => {
        waiting = { after, resolve };
        setTimeout(() => reject(new Error(`no delivery of a new message within ${FAILOVER_LIMIT_MS / 1000} s of the failure`)), FAILOVER_LIMIT_MS).unref();
      });
    },
    /** Stops publishing, waits for the last confirms and deliveries; what went wrong. */
    async stop() {
      clearInterval(timer);
      await Promise.race([pch.waitForConfirms().catch(() => undefined), sleep(10_000)]);
      const missing = () => [...confirmed].filter((n) => !received.has(n));
      const deadline = Date.now() + 10_000;
      while (missing().length > 0 && Date.now() < deadline) await sleep(50);
      const duplicates = [...received.values()].filter((k) => k > 1).length;
      await Promise.allSettled([cconn.close(), pconn.close()]);
      const nackedDelivered = [...nacked].filter((n) => received.has(n)).length;
      return { published: seq, confirmed: confirmed.size, nacked: nacked.size, nackedDelivered, lost: missing().length, duplicates, cancelled, errors };
    },
  };
}

/**
 * One failover of `kind` ('kill' or 'partition'): { ms } to the first new delivery, and how
 * many of the publisher's messages the broker nacked.
 */
async function failover(nodes, kind) {
  const master = await waitForMirrors(nodes, nodes[0]);
  const [consumerNode, publisherNode] = nodes.filter((n) => n !== master);
  const f = await steadyFlow(consumerNode, publisherNode);
  await waitUntil('deliveries before the failure', () => f.received.size >= 100, 20_000);
  const newDelivery = f.firstAfter(f.published);
  let t0;
  if (kind === 'kill') {
    t0 = performance.now();
    await master.kill9();
  } else {
    cut(master, ...nodes.filter((n) => n !== master));
    t0 = performance.now();
  }
  let ms;
  let nacked;
  try {
    ms = (await newDelivery) - t0;
    await sleep(1000);
  } finally {
    const end = await f.stop();
    nacked = end.nacked;
    log(
      `    ${master.kind} ${kind} of ${master.name}: ${ms === undefined ? 'no new delivery' : `${ms.toFixed(0)} ms`}; ` +
        `published ${end.published}, confirmed ${end.confirmed}, nacked ${end.nacked} (${end.nackedDelivered} of them delivered all the same), ` +
        `unanswered ${end.published - end.confirmed - end.nacked}, ` +
        `confirmed but not delivered ${end.lost}, delivered twice ${end.duplicates}` +
        `${end.cancelled ? ', CONSUMER CANCELLED' : ''}${end.errors.length ? `, errors: ${end.errors.join('; ')}` : ''}`,
    );
    if (kind === 'kill') await master.restart();
    else healAll();
    await waitForMirrors(nodes, consumerNode);
    if (end.lost > 0) throw new Error(`${master.kind}: ${end.lost} confirmed messages never reached the consumer after the ${kind}`);
    if (end.cancelled) throw new Error(`${master.kind}: the consumer on ${consumerNode.name} was cancelled by the ${kind}`);
  }
  return { ms, nacked };
}

// ---- report ----

const rows = [];
function row(metric, unit, target) {
  const r = { metric, unit, target, warren: [], rabbitmq: [] };
  rows.push(r);
  return r;
}

/** Scenarios that fail are reported under the table, and the exit code is 1. */
const { attempt, finish } = failureLog(LOGS);

function fmt(v, unit) {
  if (v === undefined || Number.isNaN(v)) return '-';
  return unit === '%' ? v.toFixed(0) : num(v);
}

function printTable() {
  const out = rows.map((r) => {
    const w = r.warren.length ? median(r.warren) : undefined;
    const q = r.rabbitmq.length ? median(r.rabbitmq) : undefined;
    const ratio = w !== undefined && q !== undefined && q !== 0 ? w / q : undefined;
    const met = r.target === undefined || w === undefined ? '' : r.target.met(w, ratio) ? 'yes' : 'NO';
    const spread = (xs) => (xs.length > 1 ? `${fmt(Math.min(...xs), r.unit)}–${fmt(Math.max(...xs), r.unit)}` : '-');
    return [`${r.metric} (${r.unit})`, fmt(w, r.unit), fmt(q, r.unit), ratio === undefined ? '-' : `${ratio.toFixed(2)}x`, r.target?.text ?? '', met, spread(r.warren), spread(r.rabbitmq)];
  });
  console.log(table(['scenario', 'Warren', 'RabbitMQ', 'W/R', 'target', 'met', 'Warren min–max', 'RabbitMQ min–max'], out));
}

// ---- main ----

cleanUpOnExit(cleanUpPartitions);
const began = Date.now();
console.log(`bench:mirrored on ${machine()}; load average ${loadavg()}`);
console.log(`command: node test/bench/mirrored.js${QUICK ? ' --quick' : ''} (3 nodes per broker; ${RUNS} throughput run(s), ${REPEATS} failover repeat(s) each)`);
const kinds = rabbitmqInstalled() ? ['warren', 'rabbitmq'] : ['warren'];
if (kinds.length === 1) console.log('note: rabbitmq-server is not installed (apt-get install rabbitmq-server); Warren only');
const noPartitions = partitionUnsupported();
if (noPartitions !== undefined) console.log(`note: no partition scenario: ${noPartitions}`);

const perfLine = `warren-perf ${[...PUBLISHER, ...CONSUMER].join(' ')}`;
const others = {
  confirmed: row(`clients on other nodes (producer on b, consumer on c), ${perfLine}, ${SECONDS_OTHERS} s: confirmed`, 'msg/s', { text: '≥ 1.5x', met: (w, r) => r >= 1.5 }),
  consumed: row('  consumed', 'msg/s', { text: '≥ 1.5x', met: (w, r) => r >= 1.5 }),
  cpu: row('  tool CPU, both warren-perfs', '%'),
};
const master = {
  confirmed: row(`clients on the master (a), same flags, ${SECONDS_MASTER} s: confirmed`, 'msg/s'),
  consumed: row('  consumed', 'msg/s'),
  cpu: row('  tool CPU', '%'),
};
const kill = {
  ms: row('failover, kill -9 of the master: kill to first delivery of a message published after it', 'ms', { text: '≤ RabbitMQ', met: (w, r) => r <= 1 }),
  nacked: row(`  publishes nacked (one every ${PUBLISH_EVERY_MS} ms)`, 'msg'),
};
const partition =
  noPartitions === undefined
    ? {
        ms: row(`failover, master cut off (partition), net_ticktime ${NET_TICKTIME}: cut to first such delivery`, 'ms', {
          text: `≤ ${2 * NET_TICKTIME * 1000} (2 × net_ticktime)`,
          met: (w) => w <= 2 * NET_TICKTIME * 1000,
        }),
        nacked: row('  publishes nacked', 'msg'),
      }
    : undefined;

const clusters = {};
try {
  for (const kind of kinds) {
    log(`${kind}: forming a 3-node cluster, policy ha-all, ${QUEUE} on bench_a`);
    const nodes = await attempt(`${kind} cluster`, () => formCluster(kind, noPartitions === undefined));
    if (nodes === undefined) continue;
    clusters[kind] = nodes;
    log(`  ${kind}: net_ticktime ${nodes.map(ticktime).join(', ')} on ${nodes.map((n) => n.name).join(', ')}`);
  }
  const brokers = Object.entries(clusters);

  for (let run = 1; run <= RUNS; run++) {
    for (const [variant, rs] of [['others', others], ['master', master]]) {
      for (const [kind, nodes] of brokers) {
        const s = await attempt(`${kind} throughput (${variant}) run ${run}`, () => flow(nodes, variant));
        if (s === undefined) continue;
        rs.confirmed[kind].push(s.confirmed);
        rs.consumed[kind].push(s.consumed);
        rs.cpu[kind].push(s.cpu);
        log(`  ${kind} clients on ${variant === 'master' ? 'the master' : 'other nodes'}, run ${run}: confirmed ${num(s.confirmed)}/s, consumed ${num(s.consumed)}/s, tool CPU ${s.cpu.toFixed(0)}%`);
      }
    }
  }

  for (const [what, r] of [['kill', kill], ['partition', partition]]) {
    if (r === undefined) continue;
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      for (const [kind, nodes] of brokers) {
        const f = await attempt(`${kind} failover (${what}) repeat ${repeat}`, () => failover(nodes, what));
        if (f === undefined) continue;
        r.ms[kind].push(f.ms);
        r.nacked[kind].push(f.nacked);
      }
    }
  }
} finally {
  if (noPartitions === undefined) healAll();
  await stopAll();
  cleanUpPartitions();
}

console.log('');
printTable();
finish(began);
