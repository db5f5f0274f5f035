#!/usr/bin/python3
"""Tutorial 5, "Topics": a topic exchange with "*" (one word) and "#" (zero or more words).

Eight exclusive server-named queues bind one topic exchange with the patterns in
BINDINGS; each routing key in EXPECTED is published once (mandatory).

Asserts, for every queue, the exact list of routing keys it receives (written out
by hand below, not computed), in publish order, each exactly once even when two
of the queue's bindings match; and that a mandatory message to a topic exchange
without bindings is returned 312 NO_ROUTE.
"""

from interop_common import check_eq, connect, main, pump, settle, unique

BINDINGS = {
    "kern_any": ["kern.*"],
    "any_critical": ["*.critical"],
    "everything": ["#"],
    "app_tree": ["app.#"],
    "audit": ["*.*.audit", "audit.#"],  # both can match one key: still one copy
    "exact": ["kern.critical"],
    "ends_error": ["#.error"],
    "one_word": ["*"],
}

# routing key -> queues that must get it (exactly these)
EXPECTED = [
    ("kern.critical", {"kern_any", "any_critical", "everything", "exact"}),
    ("kern.info", {"kern_any", "everything"}),
    ("kern", {"everything", "one_word"}),
    ("kern.critical.extra", {"everything"}),
    ("cron.critical", {"any_critical", "everything"}),
    ("app", {"everything", "app_tree", "one_word"}),
    ("app.db.critical", {"everything", "app_tree"}),
    ("app.error", {"everything", "app_tree", "ends_error"}),
    ("error", {"everything", "ends_error", "one_word"}),
    ("a.b.c.d.error", {"everything", "ends_error"}),
    ("audit", {"everything", "audit", "one_word"}),
    ("x.y.audit", {"everything", "audit"}),
    ("audit.login.audit", {"everything", "audit"}),
    ("audit.x.y.z", {"everything", "audit"}),
    ("x.audit", {"everything"}),
    ("appx.error", {"everything", "ends_error"}),
    ("error.app", {"everything"}),
]


def test(cleanup):
    exchange = cleanup.exchange(unique("topic_logs"))
    conn = connect()
    ch = conn.channel()
    ch.exchange_declare(exchange, exchange_type="topic")

    got = {}
    for name, patterns in BINDINGS.items():
        q = ch.queue_declare("", exclusive=True).method.queue
        for p in patterns:
            ch.queue_bind(q, exchange, routing_key=p)
        got[name] = []
        ch.basic_consume(q, lambda c, m, p, b, name=name: got[name].append((m.routing_key, b.decode())), auto_ack=True)

    returned = []
    ch.add_on_return_callback(lambda c, m, p, b: returned.append((m.reply_code, m.routing_key)))

    for key, _ in EXPECTED:
        ch.basic_publish(exchange, key, ("body of " + key).encode(), mandatory=True)
    # "#" matches every key above, so NO_ROUTE is checked on a second topic
    # exchange that has no bindings at all.
    empty = cleanup.exchange(unique("topic_empty"))
    ch.exchange_declare(empty, exchange_type="topic")
    ch.basic_publish(empty, "kern.critical", b"lost", mandatory=True)

    total = sum(len(qs) for _, qs in EXPECTED)
    pump(conn, lambda: sum(len(v) for v in got.values()) >= total and returned, 5, "%d topic deliveries" % total)
    settle(conn, 0.3)

    for name, patterns in BINDINGS.items():
        want = [(k, "body of " + k) for k, qs in EXPECTED if name in qs]
        check_eq(got[name], want, "keys delivered to queue %s bound to %s" % (name, patterns))
    check_eq(returned, [(312, "kern.critical")], "returns from a topic exchange with no bindings")
    conn.close()
    return "%d keys x %d patterns routed exactly as expected" % (len(EXPECTED), sum(len(p) for p in BINDINGS.values()))


if __name__ == "__main__":
    main(test)
