import { describe, expect, it } from 'vitest';
import {
  INLINE_BODY_MAX,
  decodeContentHeader,
  encodeBasicDeliver,
  encodeContentMethod,
  type Content,
} from '../../src/amqp/content.js';
import { AmqpError } from '../../src/amqp/errors.js';
import type { Frame } from '../../src/amqp/frame.js';
import { decodeMethod } from '../../src/amqp/methods.js';
import {
  EMPTY_PROPERTIES,
  decodeProperties,
  encodeProperties,
  type BasicProperties,
} from '../../src/amqp/properties.js';
import { BASIC_PROPERTIES, FRAME_BODY, FRAME_HEADER, FRAME_METHOD, propertyFlag } from '../../src/amqp/spec.js';
import { EVERY_TYPE, isViewOf, parseFrames } from './amqp-samples.js';

const EVERY_PROPERTY: Required<BasicProperties> = {
  contentType: 'application/json',
  contentEncoding: 'gzip',
  headers: EVERY_TYPE,
  deliveryMode: 2,
  priority: 9,
  correlationId: 'c-1',
  replyTo: 'amq.rabbitmq.reply-to',
  expiration: '60000',
  messageId: 'm-1',
  timestamp: 1700000000,
  type: 'order.created',
  userId: 'guest',
  appId: 'warren-test',
  clusterId: 'c',
};

function errorOf(f: () => unknown): AmqpError {
  try {
    f();
  } catch (err) {
    if (err instanceof AmqpError) return err;
    throw err;
  }
  throw new Error('no error');
}

/** The body of a content train, checking the header's body size and that every frame fits. */
function bodyOf(frames: Frame[], frameMax: number): Buffer {
  const header = decodeContentHeader(frames[1].payload);
  const bodies = frames.slice(2);
  for (const f of bodies) {
    expect(f.type).toBe(FRAME_BODY);
    if (frameMax !== 0) expect(f.payload.length + 8).toBeLessThanOrEqual(frameMax);
  }
  const body = Buffer.concat(bodies.map((f) => f.payload));
  expect(body.length).toBe(header.bodySize);
  return body;
}

describe('content properties', () => {
  it('round-trip with every property set', () => {
    const bytes = encodeProperties(EVERY_PROPERTY);
    expect(bytes.readUInt16BE(0)).toBe(0xfffc);
    expect(decodeProperties(bytes)).toEqual(EVERY_PROPERTY);
  });

  it('round-trip with none set', () => {
    expect(encodeProperties({}).equals(EMPTY_PROPERTIES)).toBe(true);
    expect(decodeProperties(EMPTY_PROPERTIES)).toEqual({});
  });

  it('give each property its flag bit, first property highest', () => {
    BASIC_PROPERTIES.forEach(([name], i) => {
      const one = { [name]: EVERY_PROPERTY[name] } as BasicProperties;
      const bytes = encodeProperties(one);
      expect(bytes.readUInt16BE(0)).toBe(propertyFlag(i));
      expect(decodeProperties(bytes)).toEqual(one);
    });
  });

  it('decode to objects of one shape, absent properties undefined', () => {
    const decoded = decodeProperties(encodeProperties({ deliveryMode: 1 }));
    expect(Object.keys(decoded)).toEqual(BASIC_PROPERTIES.map(([name]) => name));
  });

  it('ignore the two reserved low flag bits, as RabbitMQ does', () => {
    expect(decodeProperties(Buffer.from([0x10, 0x03, 2]))).toEqual({ deliveryMode: 2 });
  });

  it('refuse bytes that do not match their flags', () => {
    expect(errorOf(() => decodeProperties(Buffer.from([0x10, 0]))).replyText).toBe(
      'FRAME_ERROR - cannot decode <<16,0>>',
    );
    expect(errorOf(() => decodeProperties(Buffer.from([0x10, 0, 2, 2]))).replyCode).toBe(501);
    expect(errorOf(() => decodeProperties(Buffer.from([0]))).replyCode).toBe(501);
  });
});

describe('content header frames', () => {
  it('are read without decoding the properties', () => {
    const payload = Buffer.from([0, 60, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5, 0x10, 0, 2]);
    const header = decodeContentHeader(payload);
    expect(header).toEqual({ classId: 60, weight: 0, bodySize: 2 ** 32 + 5, propertyBytes: Buffer.from([0x10, 0, 2]) });
    expect(isViewOf(header.propertyBytes, payload)).toBe(true);
  });

  it('shorter than 14 octets are an unknown frame', () => {
    expect(errorOf(() => decodeContentHeader(Buffer.from([0, 60, 0, 0]))).replyText).toBe(
      'FRAME_ERROR - type 2, all octets = <<0,60,0,0>>: unknown_frame',
    );
  });
});

describe('content trains', () => {
  const propertyBytes = encodeProperties({ contentType: 'text/plain', deliveryMode: 2 });
  const deliver = (content: Content, frameMax: number) =>
    encodeBasicDeliver(3, 'ctag', 42, true, 'amq.topic', 'a.b', content, frameMax);

  it('carry method, header and body frames on the channel', () => {
    const content = { propertyBytes, body: Buffer.from('hello') };
    const frames = parseFrames(...deliver(content, 4096));
    expect(frames.map((f) => [f.type, f.channel])).toEqual([
      [FRAME_METHOD, 3],
      [FRAME_HEADER, 3],
      [FRAME_BODY, 3],
    ]);
    expect(decodeMethod(frames[0].payload)).toEqual({
      name: 'basic.deliver',
      args: { consumerTag: 'ctag', deliveryTag: 42, redelivered: true, exchange: 'amq.topic', routingKey: 'a.b' },
    });
    const header = decodeContentHeader(frames[1].payload);
    expect(header.classId).toBe(60);
    expect(header.propertyBytes.equals(propertyBytes)).toBe(true);
    expect(bodyOf(frames, 4096).toString()).toBe('hello');
  });

  it('split bodies at frame_max - 8', () => {
    for (const frameMax of [4096, 4097, 131072]) {
      for (const size of [1, 4087, 4088, 4089, 10_000, INLINE_BODY_MAX, INLINE_BODY_MAX + 1, 300_000]) {
        const body = Buffer.alloc(size, size % 251);
        const frames = parseFrames(...deliver({ propertyBytes, body }, frameMax));
        expect(frames.length - 2).toBe(Math.ceil(size / (frameMax - 8)));
        expect(bodyOf(frames, frameMax).equals(body)).toBe(true);
      }
    }
  });

  it('send no body frame for an empty body, and one body frame when frame_max is 0', () => {
    expect(parseFrames(...deliver({ propertyBytes, body: Buffer.alloc(0) }, 4096))).toHaveLength(2);
    const body = Buffer.alloc(500_000, 1);
    const frames = parseFrames(...deliver({ propertyBytes, body }, 0));
    expect(frames).toHaveLength(3);
    expect(bodyOf(frames, 0).equals(body)).toBe(true);
  });

  it('are one buffer for a small body, views of the body for a large one', () => {
    expect(deliver({ propertyBytes, body: Buffer.alloc(INLINE_BODY_MAX) }, 4096)).toHaveLength(1);
    const body = Buffer.alloc(10_000 + INLINE_BODY_MAX, 7);
    const out = deliver({ propertyBytes, body }, 4096);
    const views = out.filter((b) => isViewOf(b, body));
    expect(views.reduce((n, b) => n + b.length, 0)).toBe(body.length);
  });

  it('encode basic.deliver by hand exactly as the generated encoder does', () => {
    const names = [
      ['amq.ctag-é', '', 'q'],
      ['c', 'amq.topic', 'k'.repeat(33)],
      ['t'.repeat(255), 'ü'.repeat(127), 'ascii-then-☃'],
    ];
    for (const [consumerTag, exchange, routingKey] of names) {
      for (const size of [0, 5, 5000, 40_000]) {
        const content = { propertyBytes, body: Buffer.alloc(size, 3) };
        const args = { consumerTag, deliveryTag: 2 ** 40 + 1, redelivered: true, exchange, routingKey };
        const byHand = encodeBasicDeliver(9, consumerTag, args.deliveryTag, true, exchange, routingKey, content, 4096);
        const generated = encodeContentMethod(9, 'basic.deliver', args, content, 4096);
        expect(Buffer.concat(byHand).equals(Buffer.concat(generated))).toBe(true);
      }
    }
    expect(() => encodeBasicDeliver(1, 'é'.repeat(128), 1, false, '', '', { propertyBytes, body: Buffer.alloc(0) }, 0)).toThrow(
      RangeError,
    );
  });

  it('encode the other content methods', () => {
    const content = { propertyBytes: EMPTY_PROPERTIES, body: Buffer.from('x') };
    const args = { replyCode: 312, replyText: 'NO_ROUTE', exchange: 'ex', routingKey: 'rk' };
    const frames = parseFrames(...encodeContentMethod(1, 'basic.return', args, content, 4096));
    expect(decodeMethod(frames[0].payload)).toEqual({ name: 'basic.return', args });
    expect(bodyOf(frames, 4096).toString()).toBe('x');
  });
});
