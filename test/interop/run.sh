#!/usr/bin/env bash
# Runs every interop script in this directory against one AMQP 0-9-1 broker and
# reports `PASS name` or `FAIL name: reason` per script, then `N passed, M failed`.
# Exits 0 only if every script passed. Knows nothing about the broker but its URL.
#
# Usage: test/interop/run.sh [FILTER...]
#   FILTER  run only the scripts whose name contains one of these strings
#
# Environment:
#   AMQP_URL          broker URL (default amqp://guest:guest@localhost:5672/%2F)
#   AMQP_PORT         if set, replaces (or adds) the port in AMQP_URL
#   PYTHON            python3 with pika for the *.py scripts (default /usr/bin/python3)
#   INTEROP_TIMEOUT   per-script watchdog in seconds (default 30); the runner kills a
#                     script that outlives it by 10 s more
#   INTEROP_VERBOSE   1: copy every script's own output to stderr
#   INTEROP_LOG_DIR   keep each script's output there as NAME.log (default: a temp
#                     dir, deleted when everything passed, kept and named otherwise)
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

url=${AMQP_URL:-amqp://guest:guest@localhost:5672/%2F}
if [ -n "${AMQP_PORT:-}" ]; then
  re='^(amqps?://)([^@/]*@)?(\[[^]/]*\]|[^:/]*)(:[0-9]*)?(/.*)?$'
  if [[ ! "$AMQP_PORT" =~ ^[0-9]+$ ]]; then
    echo "run.sh: AMQP_PORT must be a number, got '$AMQP_PORT'" >&2
    exit 2
  fi
  if [[ "$url" =~ $re ]]; then
    url="${BASH_REMATCH[1]}${BASH_REMATCH[2]}${BASH_REMATCH[3]}:${AMQP_PORT}${BASH_REMATCH[5]}"
  else
    echo "run.sh: cannot put AMQP_PORT into AMQP_URL '$url'" >&2
    exit 2
  fi
fi
export AMQP_URL=$url

if [ -z "${PYTHON:-}" ]; then
  if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
export PYTHON
export INTEROP_TIMEOUT=${INTEROP_TIMEOUT:-30}
hard_limit=$(awk -v t="$INTEROP_TIMEOUT" 'BEGIN { printf "%d", t + 10.999 }')
export PYTHONDONTWRITEBYTECODE=1

if [ -n "${INTEROP_LOG_DIR:-}" ]; then
  logs=$INTEROP_LOG_DIR
  mkdir -p "$logs"
  keep_logs=1
else
  logs=$(mktemp -d "${TMPDIR:-/tmp}/warren-interop.XXXXXX")
  keep_logs=0
fi

# The password is not printed.
echo "interop: broker ${AMQP_URL/:\/\/*:*@/://***:***@}, python $PYTHON" >&2

scripts=()
for f in "$here"/[0-9][0-9]-*.py "$here"/[0-9][0-9]-*.sh; do
  [ -f "$f" ] || continue
  name=$(basename "$f"); name=${name%.*}
  if [ $# -gt 0 ]; then
    match=0
    for filter in "$@"; do [[ "$name" == *"$filter"* ]] && match=1; done
    [ $match -eq 1 ] || continue
  fi
  scripts+=("$f")
done
mapfile -t scripts < <(printf '%s\n' "${scripts[@]}" | sort)
if [ ${#scripts[@]} -eq 0 ] || [ -z "${scripts[0]}" ]; then
  echo "run.sh: no scripts match: $*" >&2
  exit 2
fi

passed=0
failed=0
for f in "${scripts[@]}"; do
  name=$(basename "$f"); name=${name%.*}
  log=$logs/$name.log
  case "$f" in
    *.py) cmd=("$PYTHON" "$f") ;;
    *.sh) cmd=(bash "$f") ;;
  esac
  (cd "$here" && timeout --kill-after=2 "$hard_limit" "${cmd[@]}") </dev/null >"$log" 2>&1
  rc=$?
  if [ "${INTEROP_VERBOSE:-0}" = 1 ]; then
    sed "s/^/  [$name] /" "$log" >&2
  fi
  if [ $rc -eq 0 ]; then
    echo "PASS $name"
    passed=$((passed + 1))
    continue
  fi
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    reason="killed after ${hard_limit}s (hung past its own watchdog)"
  else
    reason=$(grep -a '^FAIL: ' "$log" | tail -n 1)
    reason=${reason#FAIL: }
    if [ -z "$reason" ]; then
      reason=$(grep -av '^[[:space:]]*$' "$log" | tail -n 1)
    fi
    reason=${reason:-"exited with status $rc and no output"}
  fi
  echo "FAIL $name: $reason"
  failed=$((failed + 1))
done

echo "$passed passed, $failed failed"
if [ $failed -gt 0 ]; then
  echo "interop: full output of each script is in $logs" >&2
elif [ $keep_logs -eq 0 ]; then
  rm -rf "$logs"
fi
[ $failed -eq 0 ]
