#!/usr/bin/env bash
# Runs the interop scripts (pika, amqp-tools) against a Warren node of their own: a fresh data
# dir, free ports, its own port mapper and cookie; the node is stopped afterwards whatever
# happens. Prints run.sh's lines, ending with "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=$(mktemp -d /tmp/warren-interop.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
amqp_port=$(free_port); dist_port=$(free_port); epmd_port=$(free_port)
export HOME="$dir/home" ERL_EPMD_PORT="$epmd_port"
mkdir -p "$HOME"
node_env=(RABBITMQ_NODENAME="interop@$(hostname -s)" RABBITMQ_NODE_PORT="$amqp_port" RABBITMQ_DIST_PORT="$dist_port"
  RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/node.pid")
cleanup() {
  env "${node_env[@]}" node "$root/bin/warrenctl" -n "interop@$(hostname -s)" stop "$dir/node.pid" >/dev/null 2>&1 \
    || { [ -f "$dir/node.pid" ] && kill -9 "$(cat "$dir/node.pid")" 2>/dev/null; }
  node "$root/bin/warren-epmd" -kill -port "$epmd_port" >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
if ! env "${node_env[@]}" node "$root/bin/warren-server" -detached; then
  echo "FAIL interop: the Warren node did not start"; echo "0 passed, 1 failed"; exit 1
fi
env "${node_env[@]}" node "$root/bin/warrenctl" -n "interop@$(hostname -s)" await_startup -t 30 >/dev/null
AMQP_URL="amqp://guest:guest@127.0.0.1:$amqp_port/%2F" bash "$here/run.sh"
