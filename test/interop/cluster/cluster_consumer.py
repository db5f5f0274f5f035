"""The seed book's cluster-aware consumer against a three-node Warren cluster.

The consumer connects to the first node it can, (re)declares its exchange, mirrored queue and
binding, and consumes; when its connection drops it moves on to the next node and does it all
again. The test publishes through another node, stops the consumer's node (warrenctl stop_app,
the queue's master: a mirror takes over), publishes again, and expects the consumer to get
everything published after the stop.

Environment: CLUSTER_PORTS (AMQP ports, comma-separated; the first is the consumer's node),
STOP_FIRST (a shell command that stops the first node's app).
"""

import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from interop_common import check, main, pika  # noqa: E402

EXCHANGE = "cluster_test"
QUEUE = "ha.cluster_test"
KEY = "cluster_test"


def params(port):
    return pika.ConnectionParameters(host="127.0.0.1", port=port, connection_attempts=1, socket_timeout=5)


class ClusterConsumer(threading.Thread):
    def __init__(self, ports):
        super().__init__(daemon=True)
        self.ports = ports
        self.received = []
        self.nodes_used = []
        self.stop_flag = False
        self.lock = threading.Lock()

    def run(self):
        i = 0
        while not self.stop_flag:
            port = self.ports[i % len(self.ports)]
            try:
                conn = pika.BlockingConnection(params(port))
            except pika.exceptions.AMQPConnectionError:
                i += 1
                time.sleep(0.2)
                continue
            self.nodes_used.append(port)
            try:
                ch = conn.channel()
                ch.exchange_declare(EXCHANGE, exchange_type="direct", durable=True)
                ch.queue_declare(QUEUE, durable=True)
                ch.queue_bind(QUEUE, EXCHANGE, routing_key=KEY)

                def on_message(ch, method, props, body):
                    with self.lock:
                        self.received.append(body.decode())
                    ch.basic_ack(method.delivery_tag)

                ch.basic_consume(QUEUE, on_message)
                while not self.stop_flag:
                    conn.process_data_events(time_limit=0.2)
                conn.close()
            except (pika.exceptions.AMQPError, OSError):
                # The node went away (or cancelled us): on to the next one.
                i += 1
                time.sleep(0.2)

    def got(self, prefix):
        with self.lock:
            return {m for m in self.received if m.startswith(prefix)}


def publish(port, prefix, count):
    conn = pika.BlockingConnection(params(port))
    ch = conn.channel()
    ch.confirm_delivery()
    for n in range(count):
        ch.basic_publish(EXCHANGE, KEY, ("%s-%d" % (prefix, n)).encode(), pika.BasicProperties(delivery_mode=2))
    conn.close()


def wait_for(what, cond, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.1)
    check(False, "timed out waiting for " + what)


def test(cleanup):
    ports = [int(p) for p in os.environ["CLUSTER_PORTS"].split(",")]
    consumer = ClusterConsumer(ports)
    consumer.start()
    wait_for("the consumer to start", lambda: len(consumer.nodes_used) > 0)
    wait_for("the queue to exist", lambda: queue_exists(ports[2]))
    publish(ports[2], "before", 20)
    wait_for("messages before the stop", lambda: len(consumer.got("before-")) == 20)
    subprocess.run(os.environ["STOP_FIRST"], shell=True, check=True, stdout=subprocess.DEVNULL)
    wait_for("the consumer to move to another node", lambda: len(consumer.nodes_used) > 1, 30)
    publish(ports[2], "after", 20)
    wait_for("messages after the stop", lambda: len(consumer.got("after-")) == 20, 30)
    consumer.stop_flag = True
    consumer.join(5)
    check(consumer.nodes_used[0] == ports[0], "the consumer started on the first node")
    conn = pika.BlockingConnection(params(ports[2]))
    conn.channel().queue_delete(QUEUE)
    conn.close()


def queue_exists(port):
    try:
        conn = pika.BlockingConnection(params(port))
        try:
            conn.channel().queue_declare(QUEUE, passive=True)
            return True
        finally:
            if conn.is_open:
                conn.close()
    except pika.exceptions.AMQPError:
        return False


if __name__ == "__main__":
    main(test)
