// Frames captured from real traffic: what amqplib 2.3.1 (Node 20) sent to a throwaway server,
// and what that server sent, built by hand from the spec, which amqplib accepted.

import { describe, expect, it } from 'vitest';
import { decodeContentHeader, encodeBasicDeliver } from '../../src/amqp/content.js';
import { FrameParser } from '../../src/amqp/frame-parser.js';
import type { Frame } from '../../src/amqp/frame.js';
import { decodeMethod, encodeMethodFrame, type Method, type MethodArgs } from '../../src/amqp/methods.js';
import { EMPTY_PROPERTIES, decodeProperties, encodeProperties } from '../../src/amqp/properties.js';
import type { FieldValue } from '../../src/amqp/table.js';

const hex = (s: string) => Buffer.from(s, 'hex');

const FROM_AMQPLIB = {
  header: '414d515000000901',
  startOk:
    '0100000000013b000a000b000001170770726f647563745300000007616d71706c69620776657273696f6e530000' +
    '0005322e332e3108706c6174666f726d53000000104e6f64652e4a53207632302e32302e320b696e666f726d6174' +
    '696f6e530000002468747470733a2f2f616d71702d6e6f64652e6769746875622e696f2f616d71706c69622f0c63' +
    '61706162696c6974696573460000008c127075626c69736865725f636f6e6669726d7374011a65786368616e6765' +
    '5f65786368616e67655f62696e64696e677374010a62617369632e6e61636b740116636f6e73756d65725f63616e' +
    '63656c5f6e6f74696679740112636f6e6e656374696f6e2e626c6f636b656474011c61757468656e746963617469' +
    '6f6e5f6661696c7572655f636c6f7365740105504c41494e0000000c00677565737400677565737405656e5f5553' +
    'ce',
  tuneOk: '0100000000000c000a001f07ff000200000000ce',
  open: '01000000000008000a0028012f0000ce',
  channelOpen: '010001000000050014000a00ce',
  confirmSelect: '010001000000050055000a00ce',
  queueDeclare:
    '010001000000370032000a000002713102000000290c782d6d61782d6c656e6774687303e80c782d71756575652d' +
    '747970655300000007636c6173736963ce',
  qos: '0100010000000b003c000a00000000000a00ce',
  publish: '0100010000000b003c002800000002713100ce',
  publishHeader:
    '0200010000002d003c00000000000000000005b0c00a746578742f706c61696e000000040161620102026d310000' +
    '00006553f100ce',
  publishBody: '0300010000000568656c6c6fce',
  consume: '0100010000000f003c00140000027131000000000000ce',
  ack: '0100010000000d003c0050000000000000000100ce',
  nack: '0100010000000d003c0078000000000000000101ce',
  close: '01000000000019000a003200c80e4368656572732c207468616e6b7300000000ce',
};

const TO_AMQPLIB = {
  start:
    '01000000000039000a000a0009000000140770726f647563745300000007636170747572650000000e504c41494e' +
    '20414d51504c41494e00000005656e5f5553ce',
  tune: '0100000000000c000a001e07ff000200000000ce',
  deliver:
    '01000100000018003c003c06637461672d3100000000000000010000027131ce0200010000000e003c0000000000' +
    '00000000080000ce030001000000086869207468657265ce',
};

const STREAM = hex(Object.values(FROM_AMQPLIB).join(''));

function frames(chunks: Buffer[]): Frame[] {
  const parser = new FrameParser({ frameMax: 131072 });
  const out: Frame[] = [];
  let header = false;
  for (const chunk of chunks) {
    parser.push(chunk);
    if (!header && parser.readProtocolHeader() === null) continue;
    header = true;
    for (let f = parser.next(); f !== null; f = parser.next()) out.push(f);
  }
  return out;
}

const FRAMES = frames([STREAM]);
const METHODS = FRAMES.filter((f) => f.type === 1).map((f) => decodeMethod(f.payload));

function args<N extends Method['name']>(name: N): MethodArgs<N> {
  const found = METHODS.find((m) => m.name === name);
  if (found === undefined) throw new Error(`no ${name} in the capture`);
  return found.args as MethodArgs<N>;
}

describe('what amqplib sends', () => {
  it('parses as one stream, and the same at every chunk boundary', () => {
    expect(METHODS.map((m) => m.name)).toEqual([
      'connection.start-ok',
      'connection.tune-ok',
      'connection.open',
      'channel.open',
      'confirm.select',
      'queue.declare',
      'basic.qos',
      'basic.publish',
      'basic.consume',
      'basic.ack',
      'basic.nack',
      'connection.close',
    ]);
    const seen = (fs: Frame[]) => fs.map((f) => [f.type, f.channel, f.payload.toString('hex')]);
    for (let i = 1; i < STREAM.length; i++) {
      const parts = [Buffer.from(STREAM.subarray(0, i)), Buffer.from(STREAM.subarray(i))];
      expect(seen(frames(parts))).toEqual(seen(FRAMES));
    }
  });

  it('connection.start-ok with PLAIN', () => {
    const startOk = args('connection.start-ok');
    expect(startOk.mechanism).toBe('PLAIN');
    expect(startOk.response.toString('latin1')).toBe('\0guest\0guest');
    expect(startOk.locale).toBe('en_US');
    expect(startOk.clientProperties.get('product')).toBe('amqplib');
    expect(startOk.clientProperties.get('capabilities')).toEqual(
      new Map<string, FieldValue>([
        ['publisher_confirms', true],
        ['exchange_exchange_bindings', true],
        ['basic.nack', true],
        ['consumer_cancel_notify', true],
        ['connection.blocked', true],
        ['authentication_failure_close', true],
      ]),
    );
  });

  it('tune-ok, open, channel.open, confirm.select, basic.qos', () => {
    expect(args('connection.tune-ok')).toEqual({ channelMax: 2047, frameMax: 131072, heartbeat: 0 });
    expect(args('connection.open')).toEqual({ virtualHost: '/', capabilities: '', insist: false });
    expect(args('channel.open')).toEqual({ outOfBand: '' });
    expect(args('confirm.select')).toEqual({ nowait: false });
    expect(args('basic.qos')).toEqual({ prefetchSize: 0, prefetchCount: 10, global: false });
  });

  it('queue.declare, keeping the short amqplib chose for x-max-length', () => {
    expect(args('queue.declare')).toEqual({
      ticket: 0,
      queue: 'q1',
      passive: false,
      durable: true,
      exclusive: false,
      autoDelete: false,
      nowait: false,
      arguments: new Map<string, FieldValue>([
        ['x-max-length', { type: 's', value: 1000 }],
        ['x-queue-type', 'classic'],
      ]),
    });
  });

  it('basic.publish with its content header and body', () => {
    expect(args('basic.publish')).toEqual({
      ticket: 0,
      exchange: '',
      routingKey: 'q1',
      mandatory: false,
      immediate: false,
    });
    const header = decodeContentHeader(FRAMES.find((f) => f.type === 2)!.payload);
    expect(header.bodySize).toBe(5);
    expect(decodeProperties(header.propertyBytes)).toEqual({
      contentType: 'text/plain',
      headers: new Map([['a', { type: 'b', value: 1 }]]),
      deliveryMode: 2,
      messageId: 'm1',
      timestamp: 1700000000,
    });
    expect(encodeProperties(decodeProperties(header.propertyBytes)).equals(header.propertyBytes)).toBe(true);
    expect(FRAMES.find((f) => f.type === 3)!.payload.toString()).toBe('hello');
  });

  it('basic.consume, basic.ack, basic.nack, connection.close', () => {
    expect(args('basic.consume')).toEqual({
      ticket: 0,
      queue: 'q1',
      consumerTag: '',
      noLocal: false,
      noAck: false,
      exclusive: false,
      nowait: false,
      arguments: new Map(),
    });
    expect(args('basic.ack')).toEqual({ deliveryTag: 1, multiple: false });
    expect(args('basic.nack')).toEqual({ deliveryTag: 1, multiple: true, requeue: false });
    expect(args('connection.close')).toEqual({ replyCode: 200, replyText: 'Cheers, thanks', classId: 0, methodId: 0 });
  });

  it('re-encodes every method to the bytes amqplib sent', () => {
    const methodFrames = FRAMES.filter((f) => f.type === 1);
    methodFrames.forEach((f, i) => {
      const m = METHODS[i];
      const encoded = encodeMethodFrame(f.channel, m.name, m.args as MethodArgs<typeof m.name>);
      expect(encoded.subarray(7, -1).toString('hex')).toBe(f.payload.toString('hex'));
    });
  });
});

describe('what amqplib accepted from a server', () => {
  it('connection.start and connection.tune', () => {
    const start = encodeMethodFrame(0, 'connection.start', {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: new Map([['product', 'capture']]),
      mechanisms: Buffer.from('PLAIN AMQPLAIN'),
      locales: Buffer.from('en_US'),
    });
    expect(start.toString('hex')).toBe(TO_AMQPLIB.start);
    const tune = encodeMethodFrame(0, 'connection.tune', { channelMax: 2047, frameMax: 131072, heartbeat: 0 });
    expect(tune.toString('hex')).toBe(TO_AMQPLIB.tune);
  });

  it('basic.deliver with content, which amqplib acked', () => {
    const content = { propertyBytes: EMPTY_PROPERTIES, body: Buffer.from('hi there') };
    const out = encodeBasicDeliver(1, 'ctag-1', 1, false, '', 'q1', content, 131072);
    expect(Buffer.concat(out).toString('hex')).toBe(TO_AMQPLIB.deliver);
  });
});
