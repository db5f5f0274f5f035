// Micro-benchmark of the AMQP codec's per-message path. Not a test: run `npm run build` first,
// then `node test/bench/amqp-codec.js`. Prints operations per second for each step of
// basic.publish -> basic.deliver -> basic.ack, and for a whole publish stream through the parser.

import { decodeContentHeader, encodeBasicDeliver, encodeContentMethod } from '../../dist/amqp/content.js';
import { FrameParser } from '../../dist/amqp/frame-parser.js';
import { decodeMethod, encodeMethodFrame } from '../../dist/amqp/methods.js';
import { decodeProperties, encodeProperties } from '../../dist/amqp/properties.js';

const FRAME_MAX = 131072;
const body = Buffer.alloc(256, 0x61);
const propertyBytes = encodeProperties({ contentType: 'application/json', deliveryMode: 2 });
const content = { propertyBytes, body };
const publishArgs = { ticket: 0, exchange: 'amq.direct', routingKey: 'perf-test', mandatory: false, immediate: false };
const publishTrain = Buffer.concat(encodeContentMethod(1, 'basic.publish', publishArgs, content, FRAME_MAX));
const publishPayload = publishTrain.subarray(7, 7 + publishTrain.readUInt32BE(3));
const headerPayload = Buffer.from(publishTrain.subarray(publishPayload.length + 8 + 7, -body.length - 9));
const ackPayload = encodeMethodFrame(1, 'basic.ack', { deliveryTag: 123456, multiple: false }).subarray(7, -1);

// One socket chunk holding as many publish trains as fit in 64 KB.
const perChunk = Math.floor(65536 / publishTrain.length);
const chunk = Buffer.concat(Array(perChunk).fill(publishTrain));

let sink = 0;
function bench(name, fn, n = 2_000_000) {
  for (let i = 0; i < n / 10; i++) fn(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - start);
  console.log(`${name.padEnd(40)} ${Math.round((n * 1e9) / ns).toLocaleString('en').padStart(14)} ops/s`);
}

bench('decode basic.publish', () => {
  sink += decodeMethod(publishPayload).args.routingKey.length;
});
bench('decode content header (lazy)', () => {
  sink += decodeContentHeader(headerPayload).bodySize;
});
bench('decode properties', () => {
  sink += decodeProperties(propertyBytes).deliveryMode;
});
bench('encode basic.deliver + header + body', (i) => {
  sink += encodeBasicDeliver(1, 'amq.ctag-abc', i + 1, false, 'amq.direct', 'perf-test', content, FRAME_MAX).length;
});
bench('decode basic.ack', () => {
  sink += decodeMethod(ackPayload).args.deliveryTag;
});
const parser = new FrameParser({ frameMax: FRAME_MAX, protocolHeader: false });
bench(
  `parse frames (${perChunk} publishes per chunk)`,
  () => {
    parser.push(chunk);
    for (let f = parser.next(); f !== null; f = parser.next()) sink += f.payload.length;
  },
  20_000,
);
console.log(`  = ${perChunk} messages per op (3 frames each)`);
if (sink === 0) console.log('');
