// Micro-benchmark of the routing tables. Not a test: run `npm run build` first, then
// `node test/bench/routing.js`. Prints routes per second for a direct exchange with 10k keys, a
// topic exchange with 10k patterns (keys it has cached and keys it has not) and a headers exchange
// with 100 bindings, each routing into one Set reused from message to message, as a channel would.

import { DirectTable, HeadersTable, TopicTable } from '../../dist/broker/routing/index.js';

const NO_ARGUMENTS = new Map();
const out = new Set();
let matched = 0;

// The best of three rounds, timed in CPU time: on a shared machine the wall clock also counts
// the time other processes held the core.
function bench(name, route, messages, n = 2_000_000) {
  for (let i = 0; i < n / 10; i++) route(messages[i % messages.length]); // warm up
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    matched = 0;
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      out.clear();
      route(messages[i % messages.length]);
      matched += out.size;
    }
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) * 1000);
  }
  const rate = Math.round((n * 1e9) / best).toLocaleString('en').padStart(12);
  console.log(`${name.padEnd(52)} ${rate} routes/s   ${(matched / n).toFixed(2)} destinations/route`);
}

/** A small seeded generator, so every run routes the same messages. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = random(1);
const pick = (items) => items[Math.floor(next() * items.length)];
const queue = (i) => ({ name: `q${i}` });

// direct: 10k queues, each bound with its own key, as with per-consumer or RPC reply queues.
const direct = new DirectTable();
const directKeys = [];
for (let i = 0; i < 10_000; i++) {
  directKeys.push(`orders.customer-${i}`);
  direct.bind(queue(i), directKeys[i], NO_ARGUMENTS);
}
const directMisses = directKeys.map((k) => `${k}.none`);
bench('direct, 10k keys, every key bound', (key) => direct.route(key, undefined, out), directKeys);
bench('direct, 10k keys, no key bound', (key) => direct.route(key, undefined, out), directMisses);

// topic: 10k patterns over region.service.event.id keys, each with one wildcard word.
const regions = Array.from({ length: 10 }, (_, i) => `region${i}`);
const services = Array.from({ length: 50 }, (_, i) => `service${i}`);
const events = ['created', 'updated', 'deleted', 'failed', 'retried'];
const ids = Array.from({ length: 200 }, (_, i) => `${i}`);
const topicKey = () => [pick(regions), pick(services), pick(events), pick(ids)];
const topic = new TopicTable();
for (let i = 0; i < 10_000; i++) {
  const words = topicKey();
  if (next() < 0.3) words.pop();
  words[Math.floor(next() * words.length)] = next() < 0.8 ? '*' : '#';
  topic.bind(queue(i), words.join('.'), NO_ARGUMENTS);
}
const topicKeys = Array.from({ length: 10_000 }, () => topicKey().join('.'));
bench('topic, 10k patterns, 100 keys (cached)', (key) => topic.route(key, undefined, out), topicKeys.slice(0, 100));
bench('topic, 10k patterns, 10k keys (beyond the cache)', (key) => topic.route(key, undefined, out), topicKeys, 500_000);

// headers: 100 bindings. Most match all of format, type and region, one combination each, so a
// message finds about one; a fifth match any of a customer or a priority.
const headers = new HeadersTable();
const formats = ['pdf', 'zip', 'csv', 'json', 'xml'];
const types = ['report', 'log', 'invoice', 'receipt'];
const customers = Array.from({ length: 20 }, (_, i) => `customer-${i}`);
for (let i = 0; i < 80; i++) {
  const args = new Map([
    ['format', formats[i % 5]],
    ['type', types[Math.floor(i / 5) % 4]],
    ['region', regions[Math.floor(i / 20)]],
  ]);
  headers.bind(queue(i), '', args);
}
for (let i = 0; i < 20; i++) {
  const args = new Map([
    ['x-match', 'any'],
    ['customer', customers[i]],
    ['priority', { type: 'I', value: 10 + i }],
  ]);
  headers.bind(queue(80 + i), '', args);
}
const messages = Array.from(
  { length: 1000 },
  () =>
    new Map([
      ['format', pick(formats)],
      ['type', pick(types)],
      ['region', pick(regions.slice(0, 4))],
      ['customer', `customer-${Math.floor(next() * 200)}`],
      ['priority', { type: 'l', value: Math.floor(next() * 10) }],
    ]),
);
bench('headers, 100 bindings, 5 headers a message', (h) => headers.route('', h, out), messages);
