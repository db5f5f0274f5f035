// Micro-benchmark of the durable message store. Not a test: run `npm run build` first, then
// `node test/bench/store.js [dir]`. The default dir is a temp dir; give one on the disk that
// matters, since fdatasync on tmpfs costs nothing. Prints persistent appends per second with a
// wait for durability after every batch of 1000 messages of 1 KiB, the flushes and fsyncs that
// took, the CPU used (of one core; the thread pool's I/O included), and recovery speed. One more
// run has 200 publishers that each wait for every single message, as publishers confirming one
// message at a time do: there only group commit keeps the rate up.

import fs from 'node:fs';
import path from 'node:path';
import { Flusher } from '../../dist/store/flusher.js';
import { QueueStore } from '../../dist/store/queue-store.js';
import { tempDir } from './lib.js';

const BATCH = 1000;
const SECONDS = 3;
const root = process.argv[2]
  ? fs.mkdtempSync(path.join(process.argv[2], 'warren-bench-store-'))
  : tempDir('warren-bench-store-');
const message = {
  exchange: 'amq.direct',
  routingKey: 'bench',
  propertyBytes: Buffer.from([0x10, 0x00, 0x02]), // delivery-mode 2
  body: Buffer.alloc(1024, 0x61),
  flags: 0,
};
const warn = (line) => console.warn(line);
const perSecond = (n, seconds) => Math.round(n / seconds).toLocaleString('en');

/** `publishers` loops per queue, each: append `batch`, await durability, ack them if `ack`, again. */
async function run(name, { queues, publishers, ack = false, batch = BATCH }) {
  const flusher = new Flusher();
  const stores = [];
  for (let q = 0; q < queues; q++) {
    stores.push((await QueueStore.open(path.join(root, name, `q${q}`), { flusher, warn })).store);
  }
  let messages = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const publish = async (store) => {
    while (Date.now() < deadline) {
      const seqs = new Array(batch);
      for (let i = 0; i < batch; i++) seqs[i] = store.append(message);
      await store.durable(seqs[batch - 1]);
      messages += batch;
      if (ack) store.ack(seqs);
    }
  };
  await Promise.all(stores.flatMap((store) => Array.from({ length: publishers }, () => publish(store))));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { user, system } = process.cpuUsage(cpu);
  await Promise.all(stores.map((store) => store.close()));
  const { flushes, syncs } = flusher.stats;
  console.log(
    `${name.padEnd(42)} ${perSecond(messages, seconds).padStart(9)} msg/s` +
      `  ${perSecond(flushes, seconds).padStart(5)} flushes/s  ${perSecond(syncs, seconds).padStart(5)} fsyncs/s` +
      `  cpu ${Math.round((user + system) / 1e4 / seconds)}%`,
  );
  return path.join(root, name, 'q0');
}

async function recover(dir) {
  const started = process.hrtime.bigint();
  const { store, messages } = await QueueStore.open(dir, { flusher: new Flusher(), warn });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await store.close();
  const mib = fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0) / 2 ** 20;
  console.log(
    `${'recover the first queue'.padEnd(42)} ${perSecond(messages.length, seconds).padStart(9)} msg/s` +
      `  (${messages.length.toLocaleString('en')} messages, ${mib.toFixed(0)} MiB, ${seconds.toFixed(2)} s)`,
  );
}

console.log(`batches of ${BATCH} x 1 KiB, ${SECONDS} s each, in ${root}`);
const first = await run('1 queue, 1 publisher', { queues: 1, publishers: 1 });
await run('1 queue, 4 publishers', { queues: 1, publishers: 4 });
await run('8 queues, 1 publisher each', { queues: 8, publishers: 1 });
await run('1 queue, 4 publishers, acking every batch', { queues: 1, publishers: 4, ack: true });
await run('1 queue, 200 publishers, batches of 1', { queues: 1, publishers: 200, batch: 1 });
await recover(first);
fs.rmSync(root, { recursive: true, force: true });
