import { describe, expect, it } from 'vitest';
import { GENERIC_CODECS } from '../../src/amqp/codegen.js';
import { AmqpError } from '../../src/amqp/errors.js';
import { decodeMethod, encodeMethodFrame, type MethodArgs } from '../../src/amqp/methods.js';
import { FRAME_METHOD, METHODS, type MethodName } from '../../src/amqp/spec.js';
import { parseFrames, sampleArgs } from './amqp-samples.js';

const NAMES = Object.keys(METHODS) as MethodName[];

function encodeAny(channel: number, name: MethodName, args: Record<string, unknown>): Buffer {
  return encodeMethodFrame(channel, name, args as MethodArgs<typeof name>);
}

function payloadOf(name: MethodName, args: Record<string, unknown>): Buffer {
  return parseFrames(encodeAny(1, name, args))[0].payload;
}

function decodeError(payload: Buffer): AmqpError {
  try {
    decodeMethod(payload);
  } catch (err) {
    if (err instanceof AmqpError) return err;
    throw err;
  }
  throw new Error('decoded without error');
}

describe('every method round-trips', () => {
  it('covers the whole of 0-9-1 with the RabbitMQ extensions', () => {
    expect(NAMES).toHaveLength(66);
    for (const extension of [
      'confirm.select',
      'confirm.select-ok',
      'basic.nack',
      'exchange.bind',
      'exchange.unbind-ok',
      'connection.blocked',
      'connection.unblocked',
      'connection.update-secret',
      'connection.update-secret-ok',
    ]) {
      expect(NAMES).toContain(extension);
    }
  });

  for (const name of NAMES) {
    it(name, () => {
      const { classId, methodId, fields } = METHODS[name];
      for (let variant = 0; variant < 4; variant++) {
        const args = sampleArgs(fields, variant);
        const frames = parseFrames(encodeAny(7, name, args));
        expect(frames).toHaveLength(1);
        expect(frames[0].type).toBe(FRAME_METHOD);
        expect(frames[0].channel).toBe(7);
        expect(frames[0].payload.readUInt16BE(0)).toBe(classId);
        expect(frames[0].payload.readUInt16BE(2)).toBe(methodId);
        expect(decodeMethod(frames[0].payload)).toEqual({ name, args });
      }
    });
  }
});

describe('bit packing', () => {
  it('packs consecutive bits into one octet, first bit lowest', () => {
    const args = {
      ticket: 0,
      queue: 'q',
      passive: true,
      durable: false,
      exclusive: true,
      autoDelete: false,
      nowait: true,
      arguments: new Map(),
    };
    const payload = payloadOf('queue.declare', args);
    // ids, ticket, "q", one octet of bits, empty table
    expect([...payload]).toEqual([0, 50, 0, 10, 0, 0, 1, 0x71, 0b10101, 0, 0, 0, 0]);
  });

  it('starts a new octet after a non-bit field', () => {
    const payload = payloadOf('basic.deliver', {
      consumerTag: 'c',
      deliveryTag: 2,
      redelivered: true,
      exchange: 'e',
      routingKey: 'k',
    });
    expect([...payload.subarray(4)]).toEqual([1, 0x63, 0, 0, 0, 0, 0, 0, 0, 2, 1, 1, 0x65, 1, 0x6b]);
  });

  it('gives eight bits one octet and a ninth a second (access.request has five)', () => {
    const payload = payloadOf('access.request', {
      realm: '/data',
      exclusive: false,
      passive: true,
      active: true,
      write: true,
      read: true,
    });
    expect(payload.length).toBe(4 + 6 + 1);
    expect(payload[10]).toBe(0b11110);
  });
});

describe('hand-tuned decoders agree with the generated ones', () => {
  const hot: MethodName[] = ['basic.publish', 'basic.ack', 'basic.nack', 'basic.reject'];
  for (const name of hot) {
    it(name, () => {
      const generic = GENERIC_CODECS.get(name)!;
      for (let variant = 0; variant < 4; variant++) {
        const payload = payloadOf(name, sampleArgs(METHODS[name].fields, variant));
        expect(decodeMethod(payload).args).toEqual(generic.decode(payload, 4, payload.length));
        // Every truncation and one trailing octet are refused by both, with the same text.
        const broken = [...Array(payload.length - 4).keys()].map((n) => payload.subarray(0, 4 + n));
        broken.push(Buffer.concat([payload, Buffer.from([0])]));
        for (const bad of broken) {
          const err = decodeError(bad);
          expect(err.replyCode).toBe(501);
          expect(() => generic.decode(bad, 4, bad.length)).toThrow(err.explanation);
        }
      }
    });
  }
});

describe('decoding errors', () => {
  it('refuses an unknown method with 540 NOT_IMPLEMENTED', () => {
    const err = decodeError(Buffer.from([0, 60, 3, 231]));
    expect(err.replyCode).toBe(540);
    expect(err.replyText).toBe('NOT_IMPLEMENTED - unknown method id {60,999}');
    expect([err.classId, err.methodId]).toEqual([60, 999]);
    expect(err.hard).toBe(true);
  });

  it('refuses a method frame too short for its ids as an unknown frame', () => {
    const err = decodeError(Buffer.from([0, 10]));
    expect(err.replyText).toBe('FRAME_ERROR - type 1, all octets = <<0,10>>: unknown_frame');
  });

  it('refuses truncated fields with 501 "cannot decode", blaming the method', () => {
    const payload = payloadOf('queue.declare', sampleArgs(METHODS['queue.declare'].fields, 2));
    const err = decodeError(payload.subarray(0, 8));
    expect(err.replyCode).toBe(501);
    expect(err.replyText).toBe('FRAME_ERROR - cannot decode <<4,210,18,97>>');
    expect([err.classId, err.methodId]).toEqual([50, 10]);
  });

  it('refuses trailing octets', () => {
    const payload = Buffer.from([0, 60, 0, 10, 0, 0, 0, 0, 0, 10, 0, 99]);
    expect(decodeError(payload).replyText).toBe('FRAME_ERROR - cannot decode <<0,0,0,0,0,10,0,99>>');
  });

  it('refuses a shortstr that is not UTF-8 in a method without content', () => {
    const payload = Buffer.from([0, 50, 0, 10, 0, 0, 2, 0xc3, 0x28, 0, 0, 0, 0, 0]);
    const err = decodeError(payload);
    expect(err.replyText).toBe('FRAME_ERROR - Malformed UTF-8 in shortstr');
    expect([err.classId, err.methodId]).toEqual([50, 10]);
  });

  it('does not check UTF-8 in basic.publish, as RabbitMQ skips it there', () => {
    const payload = Buffer.from([0, 60, 0, 40, 0, 0, 0, 2, 0xc3, 0x28, 0]);
    expect(decodeMethod(payload).name).toBe('basic.publish');
  });

  it('refuses a malformed field table with 502 SYNTAX_ERROR, blaming the method', () => {
    // queue.declare whose arguments hold {"k", 'Z'}
    const payload = Buffer.from([0, 50, 0, 10, 0, 0, 1, 0x71, 0, 0, 0, 0, 3, 1, 0x6b, 0x5a]);
    const err = decodeError(payload);
    expect(err.replyCode).toBe(502);
    expect(err.replyText).toBe("SYNTAX_ERROR - malformed field table: unknown field value type 'Z' for key 'k'");
    expect([err.classId, err.methodId]).toEqual([50, 10]);
  });

  it('refuses a table length running past the frame as "cannot decode"', () => {
    const payload = Buffer.from([0, 50, 0, 10, 0, 0, 1, 0x71, 0, 0, 0, 0, 9, 1, 0x6b, 0x56]);
    expect(decodeError(payload).replyCode).toBe(501);
  });

  it('caps the reply text at 255 bytes as RabbitMQ does', () => {
    const err = new AmqpError(404, `no queue '${'q'.repeat(300)}' in vhost '/'`);
    expect(Buffer.byteLength(err.replyText)).toBe(255);
    expect(err.replyText.endsWith('...')).toBe(true);
    expect(err.hard).toBe(false);
  });
});

describe('encoding errors', () => {
  it('refuses a shortstr longer than 255 bytes', () => {
    const args: MethodArgs<'basic.consume-ok'> = { consumerTag: 'é'.repeat(128) };
    expect(() => encodeMethodFrame(1, 'basic.consume-ok', args)).toThrow(RangeError);
  });

  it('refuses an octet out of range', () => {
    const args: MethodArgs<'connection.start'> = {
      versionMajor: 256,
      versionMinor: 9,
      serverProperties: new Map(),
      mechanisms: Buffer.from('PLAIN'),
      locales: Buffer.from('en_US'),
    };
    expect(() => encodeMethodFrame(0, 'connection.start', args)).toThrow(RangeError);
  });
});
