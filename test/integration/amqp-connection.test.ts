// Connections as RabbitMQ 3.10 handles them: open and close, refused logins and vhosts, what
// the server announces and proposes, and what it does with peers that break the protocol: a
// wrong header, garbage frames, a client that stops heartbeating.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { brokerUnderTest, type BrokerUnderTest } from './amqp-broker.js';
import { AmqpScope } from './amqp-support.js';
import { FRAME_HEARTBEAT, PROTOCOL_HEADER, WireClient, decodeConnectionClose, frame, handshake } from './amqp-wire.js';

const LOGIN_REFUSED = 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.';

describe('AMQP connections', () => {
  let broker: BrokerUnderTest;
  let t: AmqpScope;
  const wires: WireClient[] = [];

  beforeAll(async () => {
    broker = await brokerUnderTest();
  });
  afterAll(() => broker.stop());
  beforeEach(() => {
    t = new AmqpScope(broker.url);
  });
  afterEach(async () => {
    for (const w of wires.splice(0)) w.destroy();
    await t.cleanup();
  });

  async function wire(): Promise<WireClient> {
    const w = await WireClient.connect(broker.amqpPort);
    wires.push(w);
    return w;
  }

  it('opens a connection and a channel, then closes both cleanly', async () => {
    const conn = await amqp.connect(broker.url);
    const closed = new Promise<Error | undefined>((resolve) => conn.on('close', resolve));
    const ch = await conn.createChannel();
    await ch.close();
    await conn.close();
    expect(await closed).toBeUndefined();
  });

  it('refuses a wrong password with connection.close 403 and the PLAIN refusal text', async () => {
    await expect(amqp.connect(`amqp://guest:wrong@127.0.0.1:${broker.amqpPort}`)).rejects.toThrow(
      `Handshake terminated by server: 403 (ACCESS-REFUSED) with message "${LOGIN_REFUSED}"`,
    );

    const w = await wire();
    const outcome = await handshake(w, { password: 'wrong' });
    const refusedAt = Date.now();
    expect(outcome).toEqual({ opened: false, close: { replyCode: 403, replyText: LOGIN_REFUSED, classId: 0, methodId: 0 } });
    // The server closes the socket itself, without waiting for close-ok, and only after a
    // 3 s penalty that slows down password guessing.
    expect(await w.readToEnd()).toEqual(Buffer.alloc(0));
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(2_500);
  });

  it('refuses an unknown user exactly as a wrong password', async () => {
    const outcome = await handshake(await wire(), { user: 'nosuchuser', password: 'guest' });
    expect(outcome).toEqual({ opened: false, close: { replyCode: 403, replyText: LOGIN_REFUSED, classId: 0, methodId: 0 } });
  });

  it('refuses a vhost that does not exist with 530 on connection.open', async () => {
    // amqplib rejects without the reply text, so the text is read off the wire.
    await expect(amqp.connect(`${broker.url}/nosuchvhost`)).rejects.toThrow('Expected ConnectionOpenOk; got <ConnectionClose channel:0>');

    const outcome = await handshake(await wire(), { vhost: 'nosuchvhost' });
    expect(outcome).toEqual({
      opened: false,
      close: { replyCode: 530, replyText: 'NOT_ALLOWED - vhost nosuchvhost not found', classId: 10, methodId: 40 },
    });
  });

  it('announces product, version and RabbitMQ 3.10 capabilities in connection.start', async () => {
    const conn = await t.connect();
    const props = conn.connection.serverProperties as unknown as Record<string, unknown>;
    expect(props.product).toEqual(expect.any(String));
    expect(props.version).toEqual(expect.any(String));
    expect(props.product).not.toBe('');
    expect(props.version).not.toBe('');
    for (const key of ['cluster_name', 'copyright', 'information', 'platform']) expect(props[key]).toEqual(expect.any(String));
    expect(props.capabilities).toEqual({
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      consumer_priorities: true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    });
  });

  it('proposes channel_max 2047, frame_max 131072 and heartbeat 60, which amqplib accepts', async () => {
    const outcome = await handshake(await wire());
    expect(outcome).toEqual({ opened: true, tune: { channelMax: 2047, frameMax: 131072, heartbeat: 60 } });

    const conn = await t.connect();
    const negotiated = conn.connection as unknown as { channelMax: number; frameMax: number; heartbeat: number };
    expect({ channelMax: negotiated.channelMax, frameMax: negotiated.frameMax, heartbeat: negotiated.heartbeat }).toEqual({
      channelMax: 2047,
      frameMax: 131072,
      heartbeat: 60,
    });
  });

  it('answers a wrong protocol header with its own header and closes the socket', async () => {
    for (const header of ['GET / HTTP/1.1\r\n\r\n', 'AMQP\x00\x00\x09\x02', 'AMQP\x01\x01\x00\x0a']) {
      const w = await wire();
      w.write(Buffer.from(header, 'latin1'));
      expect(await w.readToEnd()).toEqual(PROTOCOL_HEADER);
    }
  });

  it('closes the connection with 501 FRAME_ERROR when an open connection receives garbage', async () => {
    const w = await wire();
    expect((await handshake(w)).opened).toBe(true);
    // Read as a frame header: type 'g' (103), channel "ar", size "bage" = 1650550629 octets.
    w.write(Buffer.from('garbage garbage garbage'));
    const close = await w.readMethod();
    expect([close.classId, close.methodId]).toEqual([10, 50]);
    expect(decodeConnectionClose(close.args)).toEqual({
      replyCode: 501,
      replyText: 'FRAME_ERROR - type 103, all octets = <<>>: {frame_too_large,1650550629,131064}',
      classId: 0,
      methodId: 0,
    });
  });

  it('closes the connection with 501 FRAME_ERROR for a bad frame-end octet or an unknown frame type', async () => {
    const badEnd = frame(1, 0, Buffer.from([0, 10, 0, 50]));
    badEnd[badEnd.length - 1] = 0;
    const cases: [Buffer, string][] = [
      [badEnd, 'FRAME_ERROR - type 1, all octets = <<0,10,0,50>>: {invalid_frame_end_marker,0}'],
      [frame(9, 0, Buffer.alloc(0)), 'FRAME_ERROR - type 9, all octets = <<>>: unknown_frame'],
    ];
    for (const [bytes, text] of cases) {
      const w = await wire();
      expect((await handshake(w)).opened).toBe(true);
      w.write(bytes);
      const close = await w.readMethod();
      expect(decodeConnectionClose(close.args)).toEqual({ replyCode: 501, replyText: text, classId: 0, methodId: 0 });
    }
  });

  it('drops a client that sends garbage during the handshake silently, after a 3 s penalty', async () => {
    const w = await wire();
    w.write(PROTOCOL_HEADER);
    const start = await w.readMethod();
    expect([start.classId, start.methodId]).toEqual([10, 10]);
    const sent = Date.now();
    w.write(Buffer.from('garbage garbage garbage'));
    // Before the connection is open RabbitMQ explains nothing: it waits (so a bad client
    // cannot hammer it) and then closes the socket.
    expect(await w.readToEnd(10_000)).toEqual(Buffer.alloc(0));
    expect(Date.now() - sent).toBeGreaterThanOrEqual(2_500);
  });

  it('drops a client that negotiated heartbeat 1 and then went silent, after two missed beats', async () => {
    const w = await wire();
    expect(await handshake(w, { heartbeat: 1 })).toMatchObject({ opened: true });
    const silentSince = Date.now();
    const received = await w.readToEnd(10_000);
    const after = Date.now() - silentSince;
    expect(after).toBeGreaterThanOrEqual(1_500);
    expect(after).toBeLessThan(4_500);
    // Meanwhile the server kept beating, and it closed without a connection.close.
    const heartbeat = frame(FRAME_HEARTBEAT, 0, Buffer.alloc(0));
    expect(received.length).toBeGreaterThan(0);
    expect(received.length % heartbeat.length).toBe(0);
    for (let i = 0; i < received.length; i += heartbeat.length) expect(received.subarray(i, i + heartbeat.length)).toEqual(heartbeat);
  });
});
