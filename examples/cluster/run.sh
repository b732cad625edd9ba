#!/usr/bin/env bash
# Three Parley nodes on one machine behind nginx (examples/cluster/nginx.conf), sharing
# PostgreSQL (history, order) and Redis (fan-out, presence). Ctrl-C stops everything.
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/parley REDIS_URL=redis://127.0.0.1:6379 examples/cluster/run.sh
# The database must exist (createdb parley); Parley creates its tables on start.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
: "${DATABASE_URL:?set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/parley}"
: "${REDIS_URL:?set REDIS_URL, e.g. redis://127.0.0.1:6379}"
export DATABASE_URL REDIS_URL

pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

for port in 8081 8082 8083; do
  # --ws-port 0: behind the proxy the WebSocket is /chat on the node's HTTP port.
  node --import tsx "$root/src/cli.ts" --host 127.0.0.1 --port "$port" --ws-port 0 &
  pids+=($!)
done
mkdir -p "$here/run"
nginx -p "$here/run" -c "$here/nginx.conf" &
pids+=($!)
echo "Parley cluster: http://localhost:8080/ (nodes on 8081-8083). Ctrl-C to stop."
wait -n
