// bench:cluster — a three-node cluster of Warren against one of RabbitMQ 3.10 on this machine,
// in one run: forming it by the runbook, cluster_status, and listing 10,000 queues homed on
// all three nodes. Times are whole CLI processes (warrenctl vs rabbitmqctl), wall clock.
//
//   node test/bench/cluster.js
//
// Each broker in turn, alone on the machine: three lone nodes bench_a, bench_b, bench_c (own
// ports and dirs; one port mapper and one cookie between them). b and c then each `stop_app`,
// `reset`, `join_cluster bench_a@<host>`, `start_app`; CYCLES times, leaving in between with
// `stop_app`, `reset`, `start_app`. Then `cluster_status` from a, and `list_queues -q name
// messages` from a after a third of 10,000 queues was declared on each node. Every node and
// port mapper started here is stopped at the end, on a failure and on Ctrl-C.

import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { AmqpClient } from '../../dist/perf/client.js';
import { parseAmqpUri } from '../../dist/perf/uri.js';
import {
  cleanUpOnExit,
  clusterHost,
  failureLog,
  keepLogsIn,
  loadavg,
  machine,
  median,
  rabbitmqInstalled,
  startRabbit,
  startWarren,
  stopAll,
  table,
  timeProcess,
} from './lib.js';

const CYCLES = 3;
const STATUS_RUNS = 10;
const LIST_RUNS = 5;
const QUEUES = 10_000;
/** Declares in flight on each node's connection: enough to hide the round trip. */
const DECLARE_WINDOW = 200;
const SHORTS = ['bench_a', 'bench_b', 'bench_c'];
/** Where the nodes' logs go when a broker's run failed. */
const LOGS = path.join(os.tmpdir(), `warren-bench-logs-${process.pid}`);

function log(line) {
  process.stderr.write(`${line}\n`);
}

/** `args` through the node's own CLI; throws with its output unless it exits 0. */
function ctl(node, args) {
  const [cmd, argv] = node.ctl(args);
  const r = spawnSync(cmd, argv, { env: node.env, encoding: 'utf8', timeout: 180_000, maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${node.kind} ${node.name}: ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.error?.message ?? ''}${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Like ctl, timed: the whole process, wall clock. */
function timed(node, args) {
  const [cmd, argv] = node.ctl(args);
  return timeProcess(cmd, argv, node.env);
}

/** Fails unless `node` sees exactly `members` running in its cluster. */
function expectRunning(node, members) {
  const s = JSON.parse(ctl(node, ['cluster_status', '--formatter', 'json']));
  const got = [...s.running_nodes].sort().join(' ');
  const want = members.map((n) => n.name).sort().join(' ');
  if (got !== want) throw new Error(`${node.kind} ${node.name} sees running nodes [${got}], expected [${want}]`);
}

/** Declares `names` on `node` over one connection, DECLARE_WINDOW at a time in flight. */
async function declareQueues(node, names) {
  const client = await AmqpClient.connect(parseAmqpUri(node.uri), { name: 'bench:cluster declare', heartbeat: 0 });
  try {
    await client.openChannel(1);
    let next = 0;
    const lane = async () => {
      while (next < names.length) await client.declareQueue(1, names[next++]);
    };
    await Promise.all(Array.from({ length: DECLARE_WINDOW }, lane));
  } finally {
    await client.close();
  }
}

/** Fails unless the listing is exactly `names`, each with 0 messages (a header row allowed). */
function checkListing(kind, stdout, names) {
  const rows = stdout.split('\n').filter((l) => l !== '' && l !== 'name\tmessages');
  const want = new Set(names);
  const bad = rows.filter((l) => {
    const [name, messages] = l.split('\t');
    return !want.delete(name) || messages !== '0';
  });
  if (rows.length !== names.length || bad.length > 0 || want.size > 0) {
    throw new Error(
      `${kind}: list_queues gave ${rows.length} rows for ${names.length} queues; ` +
        `${bad.length} unexpected (first: ${JSON.stringify(bad[0])}), ${want.size} missing`,
    );
  }
}

async function runBroker(kind) {
  const result = { kind, joins: [] };
  const cluster = await clusterHost(kind);
  try {
    log(`${kind}: starting ${SHORTS.join(', ')}`);
    const nodes = [];
    for (const short of SHORTS) nodes.push(kind === 'warren' ? await startWarren(short, { cluster }) : await startRabbit(short, { cluster }));
    const [a, ...joiners] = nodes;

    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      log(`${kind}: forming the cluster (${cycle} of ${CYCLES})`);
      for (const n of joiners) {
        ctl(n, ['stop_app']);
        ctl(n, ['reset']);
        result.joins.push(timed(n, ['join_cluster', a.name]).wall);
        ctl(n, ['start_app']);
      }
      ctl(a, ['await_online_nodes', String(nodes.length)]);
      expectRunning(a, nodes);
      if (cycle === CYCLES) break;
      for (const n of joiners) {
        ctl(n, ['stop_app']);
        ctl(n, ['reset']);
        ctl(n, ['start_app']);
      }
      expectRunning(a, [a]);
    }

    log(`${kind}: cluster_status from ${a.name}`);
    timed(a, ['cluster_status']);
    result.status = Array.from({ length: STATUS_RUNS }, () => timed(a, ['cluster_status']).wall);

    log(`${kind}: declaring ${QUEUES.toLocaleString('en-US')} queues over ${nodes.length} nodes`);
    const perNode = nodes.map((n, i) => {
      const count = Math.floor(QUEUES / nodes.length) + (i < QUEUES % nodes.length ? 1 : 0);
      return Array.from({ length: count }, (_, j) => `bench-${n.name.split('@')[0]}-${j + 1}`);
    });
    const t0 = process.hrtime.bigint();
    await Promise.all(nodes.map((n, i) => declareQueues(n, perNode[i])));
    result.declare = Number(process.hrtime.bigint() - t0) / 1e9;

    log(`${kind}: list_queues -q name messages from ${a.name}`);
    const names = perNode.flat();
    const listArgs = ['list_queues', '-q', 'name', 'messages'];
    checkListing(kind, timed(a, listArgs).stdout, names);
    result.list = Array.from({ length: LIST_RUNS }, () => {
      const r = timed(a, listArgs);
      checkListing(kind, r.stdout, names);
      return r.wall;
    });
    return result;
  } catch (err) {
    keepLogsIn(LOGS);
    throw err;
  } finally {
    await stopAll();
  }
}

// ---- report ----

const fmt = (v) => (v === undefined ? '-' : v.toFixed(3));
const spread = (xs) => (xs?.length > 1 ? `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}` : '');
const count = QUEUES.toLocaleString('en-US');

/** Rows for the brokers that finished; a broker that failed shows '-'. */
function printTable({ warren: w, rabbitmq: r }) {
  const scenarios = [
    [`join_cluster, s (median of ${CYCLES * (SHORTS.length - 1)})`, w?.joins, r?.joins],
    [`cluster_status, 3 nodes, s (median of ${STATUS_RUNS})`, w?.status, r?.status],
    [`list_queues -q name messages, ${count} queues on 3 nodes, s (median of ${LIST_RUNS})`, w?.list, r?.list],
    [`declare ${count} queues, one client per node, s (once)`, w && [w.declare], r && [r.declare]],
  ];
  const rows = scenarios.map(([what, wx, rx]) => {
    const wm = wx && median(wx);
    const rm = rx && median(rx);
    return [what, fmt(wm), fmt(rm), wm && rm ? `${(wm / rm).toFixed(2)}x` : '-', spread(wx), spread(rx)];
  });
  console.log('seconds, lower is better; CLI rows: whole warrenctl / rabbitmqctl processes (join_cluster on b and c, the rest on a)');
  console.log(table(['scenario', 'Warren', 'RabbitMQ', 'W/R', 'Warren min–max', 'RabbitMQ min–max'], rows));
}

cleanUpOnExit();
const began = Date.now();
console.log(`bench:cluster on ${machine()}; load average ${loadavg()}`);
console.log(`command: node test/bench/cluster.js (3 nodes per broker, ${CYCLES} join cycles, ${QUEUES} queues)`);
const kinds = rabbitmqInstalled() ? ['warren', 'rabbitmq'] : ['warren'];
if (kinds.length === 1) console.log('note: rabbitmq-server is not installed (apt-get install rabbitmq-server); Warren only');

const results = {};
const { attempt, finish } = failureLog(LOGS);
for (const kind of kinds) results[kind] = await attempt(kind, () => runBroker(kind));
console.log('');
printTable(results);
finish(began);
