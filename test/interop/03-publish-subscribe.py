#!/usr/bin/python3
"""Tutorial 3, "Publish/Subscribe": a fanout exchange and exclusive server-named queues.

Three subscribers, each on its own connection, declare queue '' (exclusive) and
bind it to one fanout exchange.

Asserts:
  - the broker names each queue (non-empty, distinct, RabbitMQ's "amq.gen-" prefix);
  - every subscriber receives every message, exactly once and in publish order,
    whatever routing key the publisher used (fanout ignores it) and whatever
    binding key the subscriber used;
  - an exclusive queue cannot be consumed from another connection (405 RESOURCE_LOCKED);
  - a subscriber's queue disappears when its connection closes;
  - a message published while no queue is bound is dropped (returned if mandatory).
"""

from interop_common import check, check_eq, connect, fail, main, pump, pump_all, settle, wait_queue_gone, unique

import pika
import pika.exceptions

SUBSCRIBERS = 3
MESSAGES = [("", "boot"), ("ignored.key", "user login"), ("x", "disk 91% full"), ("", "shutdown"), ("y", "\x00binary\xff")]


def test(cleanup):
    exchange = cleanup.exchange(unique("logs"))
    pub = connect()
    pch = pub.channel()
    pch.exchange_declare(exchange, exchange_type="fanout")

    # A message sent before anyone subscribes goes nowhere: with mandatory it comes back.
    returned = []
    pch.add_on_return_callback(lambda c, m, p, b: returned.append((m, b)))
    pch.basic_publish(exchange, "", b"nobody listens", mandatory=True)
    pump(pub, lambda: returned, 5, "basic.return of an unroutable fanout message")
    check_eq((returned[0][0].reply_code, returned[0][0].reply_text, returned[0][1]),
             (312, "NO_ROUTE", b"nobody listens"), "basic.return")

    subs = []
    for i in range(SUBSCRIBERS):
        conn = connect()
        ch = conn.channel()
        q = ch.queue_declare("", exclusive=True).method.queue
        check(q, "server-named queue has an empty name")
        check(q.startswith("amq.gen-"), "server-named queue %r lacks the amq.gen- prefix" % q)
        # The binding key is meaningless for fanout; give each subscriber a different one.
        ch.queue_bind(q, exchange, routing_key="sub%d" % i if i else "")
        got = []
        ch.basic_consume(q, lambda c, m, p, b, got=got: got.append((m.exchange, b)), auto_ack=True)
        subs.append((conn, ch, q, got))
    names = [q for _, _, q, _ in subs]
    check_eq(len(set(names)), SUBSCRIBERS, "number of distinct server-named queues (%s)" % names)

    # Exclusive means exclusive: another connection may not consume from it.
    intruder = connect()
    ich = intruder.channel()
    try:
        ich.basic_consume(names[0], lambda *a: None)
        fail("consuming another connection's exclusive queue was allowed")
    except pika.exceptions.ChannelClosedByBroker as e:
        check_eq(e.reply_code, 405, "reply code for consuming an exclusive queue (%s)" % e.reply_text)
    intruder.close()

    pch.confirm_delivery()
    for key, body in MESSAGES:
        pch.basic_publish(exchange, key, body.encode("latin-1"), mandatory=True)
    expected = [(exchange, b.encode("latin-1")) for _, b in MESSAGES]
    conns = [c for c, _, _, _ in subs]
    pump_all(conns, lambda: all(len(g) >= len(MESSAGES) for *_, g in subs), 5, "every subscriber to get every message")
    settle(conns, 0.3)
    for i, (_, _, q, got) in enumerate(subs):
        check_eq(got, expected, "messages received by subscriber %d (%s)" % (i, q))

    # Exclusive queues go away with their connection.
    for conn, _, q, _ in subs:
        conn.close()
        check(wait_queue_gone(q), "exclusive queue %s still exists 3s after its connection closed" % q)
    pub.close()
    return "%d messages fanned out to %d exclusive server-named queues" % (len(MESSAGES), SUBSCRIBERS)


if __name__ == "__main__":
    main(test)
