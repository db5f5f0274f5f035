"""Shared helpers for the pika interop scripts in this directory.

Every script is a standalone program: it reads the broker URL from AMQP_URL,
arms a watchdog (INTEROP_TIMEOUT seconds, default 30) that kills the process
with exit code 2 if anything hangs, runs its checks, deletes what it declared,
and prints a last line `PASS` (exit 0) or `FAIL: <reason>` (exit 1).
"""

import logging
import os
import socket
import sys
import threading
import time
import traceback
import uuid

try:
    import pika
    import pika.exceptions
except ImportError as e:  # pragma: no cover - reported as a plain failure
    print("FAIL: cannot import pika (%s); install python3-pika" % e, file=sys.stderr, flush=True)
    sys.exit(1)

DEFAULT_URL = "amqp://guest:guest@localhost:5672/%2F"


class Failure(Exception):
    """An assertion about broker behaviour did not hold."""


def fail(msg):
    raise Failure(msg)


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def check_eq(actual, expected, what):
    if actual != expected:
        raise Failure("%s: expected %r, got %r" % (what, expected, actual))


def amqp_url():
    return os.environ.get("AMQP_URL") or DEFAULT_URL


def timeout_seconds():
    try:
        return float(os.environ.get("INTEROP_TIMEOUT", "30"))
    except ValueError:
        return 30.0


def start_watchdog(seconds=None):
    """Kill the whole process (all threads) if the script runs too long."""
    seconds = timeout_seconds() if seconds is None else seconds

    def expire():
        sys.stderr.write("FAIL: timed out after %gs (watchdog)\n" % seconds)
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(2)

    t = threading.Timer(seconds, expire)
    t.daemon = True
    t.start()
    return t


def connect(**overrides):
    """A BlockingConnection to the broker under test, with bounded timeouts."""
    params = pika.URLParameters(amqp_url())
    params.socket_timeout = 5
    params.stack_timeout = 10
    params.blocked_connection_timeout = 10
    params.connection_attempts = 3
    params.retry_delay = 0.5
    for k, v in overrides.items():
        setattr(params, k, v)
    try:
        return pika.BlockingConnection(params)
    except pika.exceptions.AMQPConnectionError as e:
        if str(e).strip() or broker_error(e):
            raise
        # pika drops the cause of a failed TCP connect; find it ourselves.
        where = "%s:%s" % (params.host, params.port)
        try:
            socket.create_connection((params.host, params.port), timeout=3).close()
        except OSError as oe:
            raise Failure("cannot connect to the broker at %s: %s" % (where, oe)) from e
        raise Failure("AMQP connection to %s failed after TCP connect (%s)" % (where, type(e).__name__)) from e


def unique(kind):
    """A name no other run (or concurrent run) will use."""
    return "interop.%s.%s" % (kind, uuid.uuid4().hex[:10])


def pump(conn, pred, timeout, what):
    """Run the connection's I/O loop until pred() is true; fail after timeout."""
    deadline = time.monotonic() + timeout
    while not pred():
        left = deadline - time.monotonic()
        if left <= 0:
            fail("timed out after %gs waiting for %s" % (timeout, what))
        conn.process_data_events(time_limit=min(0.05, left))


def pump_all(conns, pred, timeout, what):
    """Like pump() for several connections served from one thread."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            fail("timed out after %gs waiting for %s" % (timeout, what))
        for c in conns:
            c.process_data_events(time_limit=0.01)


def settle(conns, seconds=0.3):
    """Keep serving I/O for a while so that unexpected extra deliveries show up."""
    if not isinstance(conns, (list, tuple)):
        conns = [conns]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for c in conns:
            c.process_data_events(time_limit=0.02)


def broker_error(exc):
    """(reply_code, reply_text) of a broker-initiated channel/connection close, else None."""
    if isinstance(exc, (pika.exceptions.ChannelClosedByBroker, pika.exceptions.ConnectionClosedByBroker)):
        return exc.reply_code, exc.reply_text
    return None


def queue_exists(name):
    """Passive declare on a fresh connection: True if the queue exists, False on 404."""
    conn = connect()
    try:
        ch = conn.channel()
        try:
            ch.queue_declare(name, passive=True)
            return True
        except pika.exceptions.ChannelClosedByBroker as e:
            if e.reply_code == 404:
                return False
            raise
    finally:
        if conn.is_open:
            conn.close()


def wait_queue_gone(name, timeout=3.0):
    """True once a passive declare of the queue gets 404 (deletion may be asynchronous)."""
    deadline = time.monotonic() + timeout
    while queue_exists(name):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Cleanup:
    """Deletes the queues and exchanges a script declared, on a fresh connection.

    Runs whether the script passed or failed, so a failed run leaves nothing behind
    either. A 404 (already gone) is fine; any other error is reported.
    """

    def __init__(self):
        self.queues = []
        self.exchanges = []

    def queue(self, name):
        self.queues.append(name)
        return name

    def exchange(self, name):
        self.exchanges.append(name)
        return name

    def run(self):
        if not self.queues and not self.exchanges:
            return []
        errors = []
        try:
            conn = connect(connection_attempts=1)
        except Exception as e:
            return ["cleanup: %s" % e]
        try:
            for kind, names, op in (
                ("queue", self.queues, lambda ch, n: ch.queue_delete(n)),
                ("exchange", self.exchanges, lambda ch, n: ch.exchange_delete(n)),
            ):
                for n in names:
                    ch = conn.channel()
                    try:
                        op(ch, n)
                        ch.close()
                    except pika.exceptions.ChannelClosedByBroker as e:
                        if e.reply_code != 404:
                            errors.append("cleanup: deleting %s %s: %s %s" % (kind, n, e.reply_code, e.reply_text))
        except Exception as e:
            errors.append("cleanup: %s: %s" % (type(e).__name__, e))
        finally:
            try:
                if conn.is_open:
                    conn.close()
            except Exception:
                pass
        return errors


class ThreadErrors:
    """Collects exceptions from worker threads so the main thread can report them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.errors = []

    def wrap(self, fn, *args):
        def run():
            try:
                fn(*args)
            except BaseException as e:  # noqa: BLE001 - reported by the main thread
                with self.lock:
                    self.errors.append((threading.current_thread().name, e, traceback.format_exc()))
        return run

    def raise_first(self):
        with self.lock:
            if self.errors:
                name, e, tb = self.errors[0]
                sys.stderr.write(tb)
                if isinstance(e, Failure):
                    raise Failure("[%s] %s" % (name, e))
                raise Failure("[%s] %s: %s" % (name, type(e).__name__, e))


def main(test):
    """Run test(cleanup) under a watchdog; print PASS or FAIL: reason; exit 0/1."""
    logging.basicConfig(level=logging.CRITICAL)
    start_watchdog()
    cleanup = Cleanup()
    started = time.monotonic()
    error = None
    try:
        summary = test(cleanup)
    except Failure as e:
        error = str(e)
    except pika.exceptions.AMQPError as e:
        traceback.print_exc()
        code = broker_error(e)
        if code:
            error = "broker closed %s: %s %s" % (
                "channel" if isinstance(e, pika.exceptions.ChannelClosedByBroker) else "connection", code[0], code[1])
        else:
            error = "%s: %s" % (type(e).__name__, e or "(no detail)")
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        error = "%s: %s" % (type(e).__name__, e)
    cleanup_errors = cleanup.run()
    if error is None and cleanup_errors:
        error = "; ".join(cleanup_errors)
    elif cleanup_errors:
        sys.stderr.write("\n".join(cleanup_errors) + "\n")
    elapsed = time.monotonic() - started
    if error is not None:
        sys.stdout.flush()
        sys.stderr.write("FAIL: %s\n" % error)
        sys.stderr.flush()
        os._exit(1)
    if summary:
        print(summary)
    print("PASS (%.2fs)" % elapsed, flush=True)
    os._exit(0)
