#!/usr/bin/python3
"""Tutorial 2, "Work queues": competing consumers with prefetch 1 and manual acks.

Three worker threads (each with its own connection) consume one durable queue with
basic.qos(prefetch_count=1) and ack each task after "working" on it. One worker is
slow (0.5 s per task), two are fast (0.02 s).

Asserts:
  - every one of the N persistent tasks is processed exactly once (no loss, no
    duplicates) and arrives with delivery_mode 2;
  - fair dispatch: the slow worker gets far fewer tasks than either fast one
    (round-robin without prefetch would give each worker N/3);
  - the queue is empty once all tasks are acked;
  - a task taken by a worker that dies without acking is redelivered to another
    worker, with the redelivered flag set.
"""

import collections
import threading
import time

from interop_common import ThreadErrors, check, check_eq, connect, fail, main, pump, unique

import pika

N_TASKS = 30
WORKERS = {"slow": 0.5, "fast-1": 0.02, "fast-2": 0.02}


def worker(name, delay, queue, done, processed, lock, all_in, ready):
    conn = connect()
    ch = conn.channel()
    ch.basic_qos(prefetch_count=1)

    def on_task(ch, method, props, body):
        check_eq(props.delivery_mode, 2, "[%s] delivery_mode of %r" % (name, body))
        time.sleep(delay)  # the "work"
        ch.basic_ack(method.delivery_tag)
        with lock:
            processed.append((name, body.decode()))
            if len(processed) >= N_TASKS:
                all_in.set()

    ch.basic_consume(queue, on_task)
    ready.release()
    while not done.is_set():
        conn.process_data_events(time_limit=0.05)
    conn.close()


def test(cleanup):
    queue = cleanup.queue(unique("tasks"))
    conn = connect()
    ch = conn.channel()
    ch.queue_declare(queue, durable=True)

    # ---- fair dispatch, exactly-once ---------------------------------------------
    done, all_in, lock = threading.Event(), threading.Event(), threading.Lock()
    ready = threading.Semaphore(0)
    processed = []
    errors = ThreadErrors()
    threads = [
        threading.Thread(
            target=errors.wrap(worker, name, delay, queue, done, processed, lock, all_in, ready),
            name=name,
            daemon=True,
        )
        for name, delay in WORKERS.items()
    ]
    for t in threads:
        t.start()
    for _ in threads:
        if not ready.acquire(timeout=10):
            errors.raise_first()
            fail("workers did not start consuming within 10s")
    # The broker registers consumers asynchronously to our threads; wait until it
    # reports all three, so that dispatch starts with every worker present.
    deadline = time.monotonic() + 5
    while ch.queue_declare(queue, passive=True).method.consumer_count != len(WORKERS):
        if time.monotonic() > deadline:
            fail("queue never reported %d consumers" % len(WORKERS))
        time.sleep(0.02)

    ch.confirm_delivery()
    expected = ["task-%02d" % i for i in range(N_TASKS)]
    for body in expected:
        ch.basic_publish("", queue, body.encode(), pika.BasicProperties(delivery_mode=2), mandatory=True)

    deadline = time.monotonic() + 15
    while not all_in.wait(0.1):
        errors.raise_first()  # a worker that failed stops the test at once
        if time.monotonic() > deadline:
            fail("only %d of %d tasks were processed within 15s" % (len(processed), N_TASKS))
    time.sleep(0.3)  # any duplicate delivery would show up here
    done.set()
    for t in threads:
        t.join(5)
    errors.raise_first()

    bodies = collections.Counter(b for _, b in processed)
    dupes = sorted(b for b, n in bodies.items() if n > 1)
    check(not dupes, "tasks processed more than once: %s" % dupes)
    check_eq(sorted(bodies), expected, "set of processed tasks")
    per_worker = collections.Counter(n for n, _ in processed)
    slow, fast1, fast2 = per_worker["slow"], per_worker["fast-1"], per_worker["fast-2"]
    share = "slow=%d fast-1=%d fast-2=%d" % (slow, fast1, fast2)
    check(slow <= N_TASKS // 6 and slow < fast1 and slow < fast2,
          "dispatch is not fair with prefetch 1 (%s); round-robin would be 10 each" % share)
    left = ch.queue_declare(queue, passive=True).method
    check_eq(left.message_count, 0, "ready messages after all acks")
    check_eq(left.consumer_count, 0, "consumers after the workers closed")

    # ---- a worker that dies before acking: the task goes to another worker ----------
    ch.basic_publish("", queue, b"survive-the-crash", pika.BasicProperties(delivery_mode=2), mandatory=True)
    doomed = connect()
    dch = doomed.channel()
    dch.basic_qos(prefetch_count=1)
    first = []
    dch.basic_consume(queue, lambda c, m, p, b: first.append((m, b)))
    pump(doomed, lambda: first, 5, "the task to reach the doomed worker")
    check_eq(first[0][1], b"survive-the-crash", "body seen by the doomed worker")
    check_eq(first[0][0].redelivered, False, "redelivered flag on first delivery")
    doomed.close()  # no ack: the broker must requeue

    second = []

    def on_redelivery(c, m, p, b):
        second.append((m, b))
        c.basic_ack(m.delivery_tag)

    ch.basic_qos(prefetch_count=1)
    ch.basic_consume(queue, on_redelivery)
    pump(conn, lambda: second, 5, "the unacked task to be redelivered")
    check_eq(second[0][1], b"survive-the-crash", "body of the redelivered task")
    check_eq(second[0][0].redelivered, True, "redelivered flag after a worker died")
    check_eq(ch.queue_declare(queue, passive=True).method.message_count, 0, "ready messages at the end")
    conn.close()
    return "%d tasks, each processed once (%s); unacked task redelivered" % (N_TASKS, share)


if __name__ == "__main__":
    main(test)
