#!/usr/bin/python3
"""Tutorial 4, "Routing": a direct exchange delivers by exact binding key.

Three consumers bind exclusive server-named queues to one direct exchange:
  errors  <- "error"
  console <- "info", "warning", "error" (and "error" bound twice: still one copy)
  debug   <- "debug"

Asserts:
  - each consumer receives exactly the messages whose severity it bound, in order,
    with the right exchange and routing key on the delivery;
  - a message whose key matches several queues reaches each of them once;
  - keys are compared exactly: "Error" and "critical" match nothing and come back
    as basic.return 312 NO_ROUTE (mandatory);
  - after queue.unbind, the unbound key no longer reaches that queue.
"""

from interop_common import check_eq, connect, main, pump, settle, unique

BINDINGS = {
    "errors": ["error"],
    "console": ["info", "warning", "error", "error"],
    "debug": ["debug"],
}
FIRST_ROUND = [
    ("info", "disk mounted"),
    ("error", "disk failed"),
    ("debug", "retrying read"),
    ("warning", "disk slow"),
    ("Error", "wrong case"),
    ("error", "disk gone"),
    ("critical", "no one listens"),
    ("info", "disk replaced"),
]


def test(cleanup):
    exchange = cleanup.exchange(unique("direct_logs"))
    conn = connect()
    ch = conn.channel()
    ch.exchange_declare(exchange, exchange_type="direct")

    queues, got = {}, {}
    for name, keys in BINDINGS.items():
        q = ch.queue_declare("", exclusive=True).method.queue
        for key in keys:
            ch.queue_bind(q, exchange, routing_key=key)
        queues[name] = q
        got[name] = []
        ch.basic_consume(q, lambda c, m, p, b, name=name: got[name].append((m.exchange, m.routing_key, b.decode())),
                         auto_ack=True)

    returned = []
    ch.add_on_return_callback(lambda c, m, p, b: returned.append((m.reply_code, m.reply_text, m.routing_key, b.decode())))

    def publish_and_wait(messages, expected, expected_returns, what):
        for key, body in messages:
            ch.basic_publish(exchange, key, body.encode(), mandatory=True)
        total = sum(len(v) for v in expected.values())
        pump(conn, lambda: sum(len(v) for v in got.values()) >= total and len(returned) >= len(expected_returns),
             5, "deliveries of the %s" % what)
        settle(conn, 0.3)
        for name in BINDINGS:
            check_eq(got[name], [(exchange, k, b) for k, b in expected[name]],
                     "%s: messages for %s (bound to %s)" % (what, name, sorted(set(BINDINGS[name]))))
        check_eq(returned, expected_returns, "%s: returned (unroutable) messages" % what)

    by_key = lambda *keys: [(k, b) for k, b in FIRST_ROUND if k in keys]  # noqa: E731
    publish_and_wait(
        FIRST_ROUND,
        {"errors": by_key("error"), "console": by_key("info", "warning", "error"), "debug": by_key("debug")},
        [(312, "NO_ROUTE", "Error", "wrong case"), (312, "NO_ROUTE", "critical", "no one listens")],
        "first round",
    )

    # Stop sending "info" to the console; "info" then has no queue at all.
    ch.queue_unbind(queues["console"], exchange, routing_key="info")
    for v in got.values():
        v.clear()
    returned.clear()
    publish_and_wait(
        [("info", "after unbind"), ("warning", "still here"), ("error", "still bad")],
        {"errors": [("error", "still bad")], "console": [("warning", "still here"), ("error", "still bad")], "debug": []},
        [(312, "NO_ROUTE", "info", "after unbind")],
        "round after unbinding info",
    )
    conn.close()
    return "direct routing by severity checked for %d consumers" % len(BINDINGS)


if __name__ == "__main__":
    main(test)
