#!/usr/bin/python3
"""Tutorial 1, "Hello World": one producer, one named queue, one consumer.

Asserts: a message published (with a publisher confirm) to the default exchange
with the queue's name as routing key is counted by a second queue.declare of the
same queue (idempotent redeclare), then reaches a consumer exactly once with its
(non-ASCII) body, exchange '', routing key, content type and header intact, not
flagged as redelivered; afterwards the queue has no ready messages and reports
one consumer.
"""

from interop_common import check_eq, connect, main, pump, settle, unique

import pika

BODY = "Hello, Warren! \u2603".encode("utf-8")  # non-ASCII on purpose


def test(cleanup):
    queue = cleanup.queue(unique("hello"))

    producer = connect()
    pch = producer.channel()
    ok = pch.queue_declare(queue)
    check_eq(ok.method.queue, queue, "declare-ok queue name")
    check_eq(ok.method.message_count, 0, "messages in a new queue")
    # Publisher confirms: once basic_publish returns, the broker has the message,
    # so the count below does not race with the publish.
    pch.confirm_delivery()
    pch.basic_publish(
        exchange="",
        routing_key=queue,
        body=BODY,
        properties=pika.BasicProperties(content_type="text/plain", headers={"greeting": "yes"}),
        mandatory=True,
    )
    producer.close()

    consumer = connect()
    cch = consumer.channel()
    # Declaring again with the same arguments is idempotent and sees the message.
    again = cch.queue_declare(queue)
    check_eq(again.method.message_count, 1, "message count after one publish")
    check_eq(again.method.consumer_count, 0, "consumer count before consuming")

    got = []

    def on_message(ch, method, props, body):
        got.append((method, props, body))
        ch.basic_ack(method.delivery_tag)

    cch.basic_consume(queue, on_message)
    pump(consumer, lambda: got, 5, "the hello message")
    settle(consumer, 0.3)
    check_eq(len(got), 1, "number of deliveries")
    method, props, body = got[0]
    check_eq(body, BODY, "body")
    check_eq(method.exchange, "", "delivery exchange")
    check_eq(method.routing_key, queue, "delivery routing key")
    check_eq(method.redelivered, False, "redelivered flag")
    check_eq(props.content_type, "text/plain", "content-type property")
    check_eq((props.headers or {}).get("greeting"), "yes", "header 'greeting'")

    after = cch.queue_declare(queue, passive=True)
    check_eq(after.method.message_count, 0, "ready messages after the ack")
    check_eq(after.method.consumer_count, 1, "consumer count while consuming")
    consumer.close()
    return "1 message round-tripped through queue %s" % queue


if __name__ == "__main__":
    main(test)
