#!/usr/bin/env bash
# Round trips through amqp-tools, the command line clients built on librabbitmq
# (rabbitmq-c): amqp-declare-queue, amqp-publish, amqp-consume, amqp-get,
# amqp-delete-queue. A different client library from pika, so a different
# framing/negotiation code path on the broker.
#
# Asserts:
#   - amqp-declare-queue prints the declared name; redeclaring a durable queue as
#     non-durable is refused;
#   - N messages published with a routing key (default exchange) come back with
#     the exact bodies, in order, split between amqp-consume -c (acked, then
#     gone) and amqp-get, and nothing more: amqp-get on the empty queue fails;
#   - a multi-line body read from standard input survives byte for byte;
#   - a message published with -p (persistent), -C and -H into a durable queue
#     arrives with delivery_mode 2, that content type and header (read back
#     with pika, a second client);
#   - amqp-delete-queue reports the number of messages it deleted, and the queue
#     is gone afterwards.
#
# Env: AMQP_URL (default amqp://guest:guest@localhost:5672/%2F), PYTHON (a python3
# with pika, default /usr/bin/python3), INTEROP_TIMEOUT (seconds, default 30).
set -u

URL=${AMQP_URL:-amqp://guest:guest@localhost:5672/%2F}
PY=${PYTHON:-/usr/bin/python3}
LIMIT=${INTEROP_TIMEOUT:-30}
N=10
STEP_TIMEOUT=10 # no single command may take longer than this

# Watchdog: run the body of this script under timeout(1), which kills it (and the
# amqp-* command it is waiting for) after LIMIT seconds. Each command below is
# also bounded by STEP_TIMEOUT.
if [ -z "${_INTEROP_UNDER_WATCHDOG:-}" ]; then
  _INTEROP_UNDER_WATCHDOG=1 timeout --kill-after=2 "$LIMIT" "$0" "$@"
  rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "FAIL: timed out after ${LIMIT}s (watchdog)" >&2
    exit 2
  fi
  exit "$rc"
fi

for tool in amqp-declare-queue amqp-publish amqp-consume amqp-get amqp-delete-queue; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (install amqp-tools)" >&2; exit 1; }
done

suffix=$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')
Q=interop.tools.$suffix
QD=interop.tools-durable.$suffix
WORK=$(mktemp -d)
started=$SECONDS

cleanup() {
  for q in "$Q" "$QD"; do
    timeout --foreground "$STEP_TIMEOUT" amqp-delete-queue --url="$URL" -q "$q" >/dev/null 2>&1
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# Runs one bounded command; its stderr is kept for why().
run() { timeout --foreground --kill-after=2 "$STEP_TIMEOUT" "$@" 2>"$WORK/err"; }
why() {
  local rc=$? msg
  msg=$(grep -av '^[[:space:]]*$' "$WORK/err" 2>/dev/null | tail -n 1)
  if [ "$rc" -eq 124 ]; then msg="timed out after ${STEP_TIMEOUT}s"; fi
  echo "exit $rc${msg:+, $msg}"
}
body() { printf 'message %02d: routed by key, caf\xc3\xa9 \xe2\x9c\x93' "$1"; }

# ---- declare ---------------------------------------------------------------------
out=$(run amqp-declare-queue --url="$URL" -q "$Q") || fail "amqp-declare-queue -q $Q: $(why)"
[ "$out" = "$Q" ] || fail "amqp-declare-queue printed '$out', expected '$Q'"

# ---- publish N, consume some with amqp-consume, the rest with amqp-get -------------
for i in $(seq 1 $N); do
  run amqp-publish --url="$URL" -r "$Q" -b "$(body "$i")" || fail "amqp-publish of message $i: $(why)"
done

CONSUMED=6
# One line per message: the command run for each one prints the body and a newline.
run amqp-consume --url="$URL" -q "$Q" -c "$CONSUMED" -p 1 -- sh -c 'cat; echo' >"$WORK/consumed" \
  || fail "amqp-consume -c $CONSUMED (fewer than $CONSUMED messages?): $(why)"
for i in $(seq 1 $CONSUMED); do body "$i"; echo; done >"$WORK/expected"
cmp -s "$WORK/consumed" "$WORK/expected" \
  || fail "amqp-consume bodies differ: got [$(tr '\n' '|' <"$WORK/consumed")] expected [$(tr '\n' '|' <"$WORK/expected")]"

for i in $(seq $((CONSUMED + 1)) $N); do
  run amqp-get --url="$URL" -q "$Q" >"$WORK/got" || fail "amqp-get found no message $i: $(why)"
  body "$i" >"$WORK/want"
  cmp -s "$WORK/got" "$WORK/want" || fail "amqp-get message $i: got '$(cat "$WORK/got")', expected '$(cat "$WORK/want")'"
done
if run amqp-get --url="$URL" -q "$Q" >"$WORK/extra" 2>/dev/null; then
  fail "queue should be empty after $N messages, but amqp-get returned '$(cat "$WORK/extra")'"
fi

# ---- a body from standard input, with newlines and a tab ----------------------------
printf 'first line\nsecond line\n\tindented, no final newline' >"$WORK/stdin-body"
run amqp-publish --url="$URL" -r "$Q" <"$WORK/stdin-body" || fail "amqp-publish from stdin: $(why)"
run amqp-get --url="$URL" -q "$Q" >"$WORK/got" || fail "amqp-get found no stdin-published message: $(why)"
cmp -s "$WORK/got" "$WORK/stdin-body" || fail "stdin body changed: got $(od -c "$WORK/got" | head -3 | tr -s ' \n' ' ')"

# ---- persistent message into a durable queue ---------------------------------------
out=$(run amqp-declare-queue --url="$URL" -d -q "$QD") || fail "amqp-declare-queue -d -q $QD: $(why)"
[ "$out" = "$QD" ] || fail "amqp-declare-queue -d printed '$out', expected '$QD'"
if run amqp-declare-queue --url="$URL" -q "$QD" >/dev/null 2>&1; then
  fail "redeclaring durable queue $QD as non-durable was accepted"
fi
run amqp-publish --url="$URL" -r "$QD" -p -C text/plain -H "x-interop: persistent" -b "kept on disk" \
  || fail "amqp-publish -p: $(why)"
props=$(AMQP_URL="$URL" QD="$QD" run "$PY" - <<'EOF'
import os, sys
import pika
conn = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"]))
ch = conn.channel()
method, props, body = ch.basic_get(os.environ["QD"], auto_ack=True)
if method is None:
    print("no message in the durable queue")
    sys.exit(1)
print("body=%r delivery_mode=%r content_type=%r header=%r" % (
    body, props.delivery_mode, props.content_type, (props.headers or {}).get("x-interop")))
conn.close()
EOF
) || fail "reading the persistent message with $PY/pika: $props $(why)"
want="body=b'kept on disk' delivery_mode=2 content_type='text/plain' header='persistent'"
[ "$props" = "$want" ] || fail "persistent message: got [$props], expected [$want]"

# ---- delete reports how many messages went with the queue --------------------------
for i in 1 2 3; do run amqp-publish --url="$URL" -r "$Q" -b "left behind $i" || fail "amqp-publish: $(why)"; done
out=$(run amqp-delete-queue --url="$URL" -q "$Q") || fail "amqp-delete-queue -q $Q: $(why)"
[ "$out" = "3" ] || fail "amqp-delete-queue printed '$out', expected the message count 3"
if run amqp-get --url="$URL" -q "$Q" >/dev/null 2>&1; then
  fail "amqp-get on deleted queue $Q succeeded"
fi

echo "$N messages + stdin body + persistent message round-tripped via amqp-tools"
echo "PASS ($((SECONDS - started))s)"
