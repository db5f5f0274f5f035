// bench:cli — warrenctl against rabbitmqctl, whole-process wall time and peak RSS, on this
// machine in one run: each command once to warm up, then the median of 10 runs.
// Targets: warrenctl at most 0.2x rabbitmqctl's wall time, peak memory under 60 MiB.

import { median, rabbitmqInstalled, startRabbit, startWarren, table, timeProcess } from './lib.js';

const RUNS = 10;
const COMMANDS = [['status'], ['cluster_status'], ['ping', '-q'], ['version']];

function measure(node, args) {
  const [cmd, argv] = node.ctl(args);
  timeProcess(cmd, argv, node.env);
  const runs = Array.from({ length: RUNS }, () => timeProcess(cmd, argv, node.env));
  return { wall: median(runs.map((r) => r.wall)), rss: median(runs.map((r) => r.rssMiB)), max: Math.max(...runs.map((r) => r.rssMiB)) };
}

const warren = await startWarren();
let rabbit;
try {
  const results = COMMANDS.map((args) => ({ args, warren: measure(warren, args) }));
  if (rabbitmqInstalled()) {
    rabbit = await startRabbit();
    for (const r of results) r.rabbit = measure(rabbit, r.args);
  } else {
    console.log('note: rabbitmq-server is not installed (apt-get install rabbitmq-server); Warren only');
  }
  const rows = results.map((r) => [
    r.args.join(' '),
    r.warren.wall.toFixed(3),
    r.rabbit ? r.rabbit.wall.toFixed(3) : '-',
    r.rabbit ? (r.warren.wall / r.rabbit.wall).toFixed(2) + 'x' : '-',
    r.warren.rss.toFixed(1),
    r.rabbit ? r.rabbit.rss.toFixed(1) : '-',
  ]);
  console.log(`warrenctl vs rabbitmqctl: median of ${RUNS} whole-process runs after a warm-up`);
  console.log(table(['command', 'warren s', 'rabbitmq s', 'ratio', 'warren MiB', 'rabbitmq MiB'], rows));
} finally {
  await warren.stop();
  await rabbit?.stop();
}
