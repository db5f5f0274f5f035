#!/usr/bin/python3
"""Tutorial 6, "RPC": request/reply over a named request queue with correlation ids.

A server thread (own connection, prefetch 1, manual ack) consumes the request
queue; each request body is an integer and the reply is its prime factorisation
as JSON, published to the default exchange under the request's reply_to with the
request's correlation_id.

Asserts, for two kinds of client:
  A. an exclusive server-named callback queue: several requests in flight at once
     each get exactly one reply, matched by correlation id, with the right result;
  B. direct reply-to (consuming "amq.rabbitmq.reply-to" in no-ack mode): the same,
     the server sees reply_to rewritten to a unique "amq.rabbitmq.reply-to.*"
     name, and publishing with that reply_to on a channel that is not consuming
     it is refused with 406 PRECONDITION_FAILED.
Finally the request queue is empty and no reply was left unmatched.
"""

import json
import threading
import uuid

from interop_common import ThreadErrors, check, check_eq, connect, fail, main, pump, settle, unique

import pika
import pika.exceptions

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"

# n -> its prime factors, written out by hand
CASES_A = {1: [], 2: [2], 97: [97], 360: [2, 2, 2, 3, 3, 5], 1001: [7, 11, 13], 65536: [2] * 16}
CASES_B = {600851475143: [71, 839, 1471, 6857], 999983: [999983], 1024: [2] * 10, 30: [2, 3, 5]}


def factorise(n):
    out, d = [], 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    if n > 1:
        out.append(n)
    return out


def server(queue, ready, done, seen_reply_to):
    conn = connect()
    ch = conn.channel()
    ch.queue_declare(queue)
    ch.basic_qos(prefetch_count=1)

    def on_request(ch, method, props, body):
        seen_reply_to.append(props.reply_to)
        result = factorise(int(body))
        ch.basic_publish(
            "",
            props.reply_to,
            json.dumps({"n": int(body), "factors": result}).encode(),
            pika.BasicProperties(correlation_id=props.correlation_id, content_type="application/json"),
        )
        ch.basic_ack(method.delivery_tag)

    ch.basic_consume(queue, on_request)
    ready.set()
    while not done.is_set():
        conn.process_data_events(time_limit=0.05)
    conn.close()


def call_many(conn, ch, queue, reply_to, cases, replies, what):
    """Send every request before reading any reply; return {n: reply-json}."""
    pending = {}
    for n in cases:
        cid = str(uuid.uuid4())
        pending[cid] = n
        ch.basic_publish("", queue, str(n).encode(),
                         pika.BasicProperties(reply_to=reply_to, correlation_id=cid), mandatory=True)
    pump(conn, lambda: len(replies) >= len(cases), 10, "%d %s replies" % (len(cases), what))
    settle(conn, 0.2)
    check_eq(len(replies), len(cases), "number of %s replies" % what)
    results = {}
    for props, body in replies:
        cid = props.correlation_id
        check(cid in pending, "%s reply with unknown or repeated correlation id %r: %r" % (what, cid, body))
        n = pending.pop(cid)
        check_eq(props.content_type, "application/json", "%s reply content-type" % what)
        results[n] = json.loads(body)
    for n, want in cases.items():
        check_eq(results[n], {"n": n, "factors": want}, "%s reply for %d" % (what, n))
    return results


def test(cleanup):
    queue = cleanup.queue(unique("rpc"))
    ready, done = threading.Event(), threading.Event()
    seen_reply_to = []
    errors = ThreadErrors()
    srv = threading.Thread(target=errors.wrap(server, queue, ready, done, seen_reply_to), name="rpc-server", daemon=True)
    srv.start()
    try:
        if not ready.wait(10):
            errors.raise_first()
            fail("RPC server did not start within 10s")

        # ---- A: classic callback queue ----------------------------------------------
        conn = connect()
        ch = conn.channel()
        callback = ch.queue_declare("", exclusive=True).method.queue
        replies_a = []
        ch.basic_consume(callback, lambda c, m, p, b: replies_a.append((p, b)), auto_ack=True)
        call_many(conn, ch, queue, callback, CASES_A, replies_a, "callback-queue")
        check_eq(seen_reply_to, [callback] * len(CASES_A), "reply_to seen by the server")
        errors.raise_first()

        # ---- B: direct reply-to -----------------------------------------------------
        # Without consuming amq.rabbitmq.reply-to first, the broker must refuse it.
        bad = conn.channel()
        bad.basic_publish("", queue, b"7", pika.BasicProperties(reply_to=DIRECT_REPLY_TO, correlation_id="x"))
        try:
            bad.queue_declare(queue, passive=True)  # a round trip, to surface the channel error
            fail("publishing with reply_to=%s without consuming it was accepted" % DIRECT_REPLY_TO)
        except pika.exceptions.ChannelClosedByBroker as e:
            check_eq(e.reply_code, 406, "reply code for reply-to without a consumer (%s)" % e.reply_text)

        dch = conn.channel()
        replies_b = []
        dch.basic_consume(DIRECT_REPLY_TO, lambda c, m, p, b: replies_b.append((p, b)), auto_ack=True)
        call_many(conn, dch, queue, DIRECT_REPLY_TO, CASES_B, replies_b, "direct reply-to")
        # The refused request above must not have reached the server either.
        check_eq(len(seen_reply_to), len(CASES_A) + len(CASES_B), "requests handled by the server")
        seen_b = seen_reply_to[len(CASES_A):]
        for r in seen_b:
            check(r.startswith(DIRECT_REPLY_TO + ".") and len(r) > len(DIRECT_REPLY_TO) + 1,
                  "server saw reply_to %r, not a rewritten %s.* name" % (r, DIRECT_REPLY_TO))
        check_eq(len(set(seen_b)), 1, "distinct rewritten reply_to names for one channel")
        errors.raise_first()

        check_eq(replies_a[len(CASES_A):], [], "late replies on the callback queue")
        left = ch.queue_declare(queue, passive=True).method
        check_eq(left.message_count, 0, "requests left in the RPC queue")
        conn.close()
    finally:
        done.set()
        srv.join(5)
    errors.raise_first()
    return "%d callback-queue and %d direct reply-to calls answered and matched" % (len(CASES_A), len(CASES_B))


if __name__ == "__main__":
    main(test)
