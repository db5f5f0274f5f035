import { describe, expect, it } from 'vitest';
import { encodeBasicDeliver } from '../../src/amqp/content.js';
import { AmqpError, ProtocolHeaderError } from '../../src/amqp/errors.js';
import { FrameParser } from '../../src/amqp/frame-parser.js';
import { HEARTBEAT_FRAME, type Frame } from '../../src/amqp/frame.js';
import { encodeMethodFrame } from '../../src/amqp/methods.js';
import { encodeProperties } from '../../src/amqp/properties.js';
import { PROTOCOL_HEADER } from '../../src/amqp/spec.js';
import { isViewOf } from './amqp-samples.js';

/** Header, a method, a 3-frame content train, a heartbeat and a closing method: ~300 octets. */
const STREAM = Buffer.concat([
  PROTOCOL_HEADER,
  encodeMethodFrame(0, 'connection.tune-ok', { channelMax: 2047, frameMax: 4096, heartbeat: 60 }),
  ...encodeBasicDeliver(5, 'ctag', 1, false, 'ex', 'rk', {
    propertyBytes: encodeProperties({ contentType: 'text/plain' }),
    body: Buffer.alloc(150, 0x61),
  }, 100),
  HEARTBEAT_FRAME,
  encodeMethodFrame(0, 'connection.close-ok', {}),
]);

type Seen = Array<[number, number, string]>;

function feed(parser: FrameParser, chunks: Buffer[]): Seen {
  const seen: Seen = [];
  let header = false;
  for (const chunk of chunks) {
    parser.push(chunk);
    if (!header) {
      const version = parser.readProtocolHeader();
      if (version === null) continue;
      expect(version).toBe('0-9-1');
      header = true;
    }
    for (let f: Frame | null; (f = parser.next()) !== null; ) {
      seen.push([f.type, f.channel, f.payload.toString('hex')]);
    }
  }
  return seen;
}

function splitAt(b: Buffer, ...offsets: number[]): Buffer[] {
  const cuts = [0, ...offsets, b.length];
  // Copies, so that a view the parser hands out cannot be a view of STREAM by accident.
  return cuts.slice(1).map((end, i) => Buffer.from(b.subarray(cuts[i], end)));
}

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('no error');
}

const WHOLE = feed(new FrameParser(), [STREAM]);

describe('FrameParser', () => {
  it('reads the header and every frame of a whole stream', () => {
    expect(WHOLE.map(([type, channel]) => [type, channel])).toEqual([
      [1, 0],
      [1, 5],
      [2, 5],
      [3, 5],
      [3, 5],
      [8, 0],
      [1, 0],
    ]);
  });

  it('yields the same frames wherever a chunk boundary falls', () => {
    for (let i = 1; i < STREAM.length; i++) {
      expect(feed(new FrameParser(), splitAt(STREAM, i))).toEqual(WHOLE);
    }
  });

  it('yields the same frames for every pair of boundaries', () => {
    for (let i = 1; i < STREAM.length; i += 3) {
      for (let j = i + 1; j < STREAM.length; j += 2) {
        expect(feed(new FrameParser(), splitAt(STREAM, i, j))).toEqual(WHOLE);
      }
    }
  });

  it('yields the same frames one octet at a time', () => {
    const bytes = [...STREAM.keys()].slice(1);
    expect(feed(new FrameParser(), splitAt(STREAM, ...bytes))).toEqual(WHOLE);
  });

  it('yields the same frames when chunks are pushed before frames are pulled', () => {
    const parser = new FrameParser();
    for (const chunk of splitAt(STREAM, 3, 30, 31, 100, 200)) parser.push(chunk);
    expect(feed(parser, [Buffer.alloc(0)])).toEqual(WHOLE);
  });

  it('hands out views of the chunk, copying only a frame that spans chunks', () => {
    const a = encodeMethodFrame(1, 'basic.ack', { deliveryTag: 1, multiple: false });
    const b = encodeMethodFrame(1, 'basic.ack', { deliveryTag: 2, multiple: false });
    const [first, second] = splitAt(Buffer.concat([a, b, a]), a.length + 5);
    const parser = new FrameParser({ protocolHeader: false });
    parser.push(first);
    const f1 = parser.next()!;
    expect(isViewOf(f1.payload, first)).toBe(true);
    expect(parser.next()).toBeNull();
    parser.push(second);
    const f2 = parser.next()!;
    const f3 = parser.next()!;
    expect(isViewOf(f2.payload, first) || isViewOf(f2.payload, second)).toBe(false);
    expect(f2.payload.equals(b.subarray(7, -1))).toBe(true);
    expect(isViewOf(f3.payload, second)).toBe(true);
    expect(parser.next()).toBeNull();
  });

  it('accepts a payload of exactly frame_max, as RabbitMQ tolerates', () => {
    const parser = new FrameParser({ protocolHeader: false, frameMax: 4096 });
    const frame = Buffer.alloc(4096 + 8);
    frame.writeUInt32BE(4096, 3);
    frame[0] = 3;
    frame[frame.length - 1] = 0xce;
    parser.push(frame);
    expect(parser.next()!.payload.length).toBe(4096);
  });

  it('refuses an oversize frame as soon as its header arrives, and stays failed', () => {
    const parser = new FrameParser({ protocolHeader: false, frameMax: 4096 });
    parser.push(Buffer.from([1, 0, 1, 0, 0, 0x10, 0x01]));
    const err = errorOf(() => parser.next()) as AmqpError;
    expect(err).toBeInstanceOf(AmqpError);
    expect(err.replyCode).toBe(501);
    expect(err.replyText).toBe('FRAME_ERROR - type 1, all octets = <<>>: {frame_too_large,4097,4088}');
    parser.push(Buffer.alloc(10));
    expect(errorOf(() => parser.next())).toBe(err);
  });

  it('refuses an oversize frame that spans chunks', () => {
    const parser = new FrameParser({ protocolHeader: false, frameMax: 4096 });
    parser.push(Buffer.from([1, 0, 1]));
    parser.push(Buffer.from([0, 0, 0x20, 0, 0, 0]));
    expect((errorOf(() => parser.next()) as AmqpError).replyText).toContain('{frame_too_large,8192,4088}');
  });

  it('refuses a bad frame-end octet', () => {
    const parser = new FrameParser({ protocolHeader: false });
    parser.push(Buffer.from([1, 0, 0, 0, 0, 0, 4, 0, 10, 0, 11, 0]));
    expect((errorOf(() => parser.next()) as AmqpError).replyText).toBe(
      'FRAME_ERROR - type 1, all octets = <<0,10,0,11>>: {invalid_frame_end_marker,0}',
    );
    expect(() => parser.next()).toThrow(AmqpError);
  });

  it('refuses a bad frame-end octet on a frame assembled from chunks', () => {
    const parser = new FrameParser({ protocolHeader: false });
    parser.push(Buffer.from([3, 0, 1, 0, 0]));
    parser.push(Buffer.from([0, 2, 0x68, 0x69, 0xcd]));
    expect((errorOf(() => parser.next()) as AmqpError).replyText).toBe(
      'FRAME_ERROR - type 3, all octets = <<"hi">>: {invalid_frame_end_marker,205}',
    );
  });

  it('refuses an unknown frame type and a heartbeat with a payload, then goes on', () => {
    const parser = new FrameParser({ protocolHeader: false });
    parser.push(Buffer.from([4, 0, 0, 0, 0, 0, 0, 0xce, 8, 0, 0, 0, 0, 0, 1, 9, 0xce, ...HEARTBEAT_FRAME]));
    expect((errorOf(() => parser.next()) as AmqpError).replyText).toBe(
      'FRAME_ERROR - type 4, all octets = <<>>: unknown_frame',
    );
    expect((errorOf(() => parser.next()) as AmqpError).replyText).toBe(
      'FRAME_ERROR - type 8, all octets = <<9>>: unknown_frame',
    );
    expect(parser.next()!.type).toBe(8);
  });
});

describe('protocol header', () => {
  function headerError(bytes: Buffer): ProtocolHeaderError {
    const parser = new FrameParser();
    parser.push(bytes);
    const err = errorOf(() => parser.readProtocolHeader());
    expect(err).toBeInstanceOf(ProtocolHeaderError);
    return err as ProtocolHeaderError;
  }

  it('waits for all eight octets', () => {
    const parser = new FrameParser();
    for (const octet of PROTOCOL_HEADER.subarray(0, 7)) {
      parser.push(Buffer.from([octet]));
      expect(parser.readProtocolHeader()).toBeNull();
    }
    parser.push(PROTOCOL_HEADER.subarray(7));
    expect(parser.readProtocolHeader()).toBe('0-9-1');
  });

  it('accepts the 0-9 header, which RabbitMQ serves as 0-9-1', () => {
    const parser = new FrameParser();
    parser.push(Buffer.from('AMQP\x01\x01\x00\x09', 'latin1'));
    expect(parser.readProtocolHeader()).toBe('0-9');
  });

  it('refuses other versions, HTTP, TLS and anything else', () => {
    const version = headerError(Buffer.from('AMQP\x00\x00\x09\x00', 'latin1'));
    expect(version.message).toBe('unsupported AMQP protocol version {0,0,9,0}');
    expect(version.received.equals(Buffer.from('AMQP\x00\x00\x09\x00', 'latin1'))).toBe(true);
    expect(headerError(Buffer.from('GET / HTTP/1.1\r\n')).message).toBe('HTTP GET request detected on AMQP port');
    expect(headerError(Buffer.from([0x16, 3, 1, 2, 0, 1, 0, 1])).message).toBe(
      'TLS client detected on non-TLS AMQP port',
    );
    expect(headerError(Buffer.from('HELO xyz')).message).toBe(
      'client did not start with AMQP protocol header: <<"HELO xyz">>',
    );
  });

  it('is the 0-9-1 header the server answers with', () => {
    expect(PROTOCOL_HEADER.toString('latin1')).toBe('AMQP\x00\x00\x09\x01');
  });
});
