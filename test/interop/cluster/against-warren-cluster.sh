#!/usr/bin/env bash
# Runs the cluster interop script (pika) against three Warren nodes of its own: free ports, a
# port mapper and cookie of their own, formed into a cluster with warrenctl and given an ha-all
# policy; everything is stopped afterwards whatever happens. Prints "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
dir=$(mktemp -d /tmp/warren-interop-cluster.XXXXXX)
host=$(hostname -s)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
epmd_port=$(free_port)
export HOME="$dir/home" ERL_EPMD_PORT="$epmd_port"
mkdir -p "$HOME"
names=(ic_a ic_b ic_c)
ports=()
ctl() { node "$root/bin/warrenctl" "$@"; }
start() {
  local name=$1 port=$2
  printf 'net_ticktime = 2\n' > "$dir/$name.conf"
  env RABBITMQ_NODENAME="$name@$host" RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$(free_port)" \
    RABBITMQ_MNESIA_BASE="$dir/$name/mnesia" RABBITMQ_LOG_BASE="$dir/$name/log" RABBITMQ_PID_FILE="$dir/$name.pid" \
    RABBITMQ_CONFIG_FILE="$dir/$name.conf" node "$root/bin/warren-server" -detached
}
cleanup() {
  for n in "${names[@]}"; do
    ctl -n "$n@$host" stop "$dir/$n.pid" >/dev/null 2>&1 || { [ -f "$dir/$n.pid" ] && kill -9 "$(cat "$dir/$n.pid")" 2>/dev/null; }
  done
  node "$root/bin/warren-epmd" -kill -port "$epmd_port" >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL cluster_consumer: $1"; echo "0 passed, 1 failed"; exit 1; }
for n in "${names[@]}"; do
  p=$(free_port); ports+=("$p")
  start "$n" "$p" || fail "node $n did not start"
done
for n in ic_b ic_c; do
  { ctl -n "$n@$host" stop_app && ctl -n "$n@$host" reset && ctl -n "$n@$host" join_cluster "ic_a@$host" && ctl -n "$n@$host" start_app; } >/dev/null \
    || fail "$n could not join the cluster"
done
ctl -n "ic_a@$host" await_online_nodes 3 -t 30 >/dev/null || fail "the cluster did not form"
ctl -n "ic_a@$host" set_policy ha-all '^ha\.' '{"ha-mode":"all","ha-sync-mode":"automatic"}' >/dev/null || fail "set_policy failed"
log="$dir/cluster_consumer.log"
if CLUSTER_PORTS="${ports[0]},${ports[1]},${ports[2]}" STOP_FIRST="node '$root/bin/warrenctl' -n ic_a@$host stop_app" \
  INTEROP_TIMEOUT=90 "${PYTHON:-/usr/bin/python3}" "$here/cluster_consumer.py" > "$log" 2>&1; then
  echo "PASS cluster_consumer"; echo "1 passed, 0 failed"
else
  echo "FAIL cluster_consumer: $(tail -1 "$log")"; cat "$log" >&2; echo "0 passed, 1 failed"; exit 1
fi
