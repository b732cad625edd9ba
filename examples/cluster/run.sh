#!/usr/bin/env bash
# Parley nodes on one machine behind nginx (examples/cluster/nginx.conf), sharing PostgreSQL (history,
# order) and Redis (fan-out, presence). Runs from any directory:
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/parley REDIS_URL=redis://127.0.0.1:6379 examples/cluster/run.sh
# The database must exist (createdb parley); Parley creates its tables on start.
#
# Settings (environment):
#   PARLEY_CLUSTER_PORT        nginx's port, the one clients use (default 8080)
#   PARLEY_CLUSTER_NODE_PORTS  the nodes' ports, one node each, separated by spaces (default "8081 8082 8083")
#   PARLEY_CLUSTER_DIR         where nginx's generated config, pid and temp files go (default: a new temporary
#                              directory, removed on exit)
#   PARLEY_CLUSTER_PARLEY      the command that runs Parley (default: this checkout's bin/parley.js, else
#                              `parley` on the PATH)
# Every other PARLEY_* variable reaches the nodes as usual (e.g. PARLEY_REDIS_PREFIX).
#
# nginx starts once every node answers /readyz. A node that dies leaves the others serving (nginx sends
# its clients to them); Ctrl-C (or SIGTERM) stops the nodes and nginx, and waits until they are gone.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${DATABASE_URL:?set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/parley}"
: "${REDIS_URL:?set REDIS_URL, e.g. redis://127.0.0.1:6379}"
export DATABASE_URL REDIS_URL
front_port="${PARLEY_CLUSTER_PORT:-8080}"
read -r -a node_ports <<<"${PARLEY_CLUSTER_NODE_PORTS:-8081 8082 8083}"
[ "${#node_ports[@]}" -gt 0 ] || { echo "PARLEY_CLUSTER_NODE_PORTS names no port" >&2; exit 2; }
for port in "$front_port" "${node_ports[@]}"; do
  [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
    { echo "\"$port\" is not a port (1 to 65535)" >&2; exit 2; }
done
if [ -n "${PARLEY_CLUSTER_PARLEY:-}" ]; then
  read -r -a parley <<<"$PARLEY_CLUSTER_PARLEY"
elif [ -f "$here/../../bin/parley.js" ]; then
  parley=(node "$(cd "$here/../.." && pwd)/bin/parley.js")
else
  parley=(parley)
fi
command -v nginx >/dev/null || { echo "nginx is not installed (Debian: apt-get install nginx)" >&2; exit 2; }

if [ -n "${PARLEY_CLUSTER_DIR:-}" ]; then
  run_dir="$PARLEY_CLUSTER_DIR"
  mkdir -p "$run_dir"
  run_dir="$(cd "$run_dir" && pwd)"
  own_run_dir=0
else
  run_dir="$(mktemp -d "${TMPDIR:-/tmp}/parley-cluster.XXXXXX")"
  own_run_dir=1
fi

node_pids=()
nginx_pid=""
stopping=0
stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  trap '' INT TERM
  kill -TERM "${node_pids[@]}" $nginx_pid 2>/dev/null || true
  wait 2>/dev/null || true
  [ "$own_run_dir" = 1 ] && rm -rf "$run_dir"
  return 0
}
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

# true when the node on port $1 answers /readyz with 200 (bash's /dev/tcp: no curl needed)
ready() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    read -r -t 5 status_line <&3 && [[ "$status_line" == "HTTP/1."?" 200"* ]]
  ) 2>/dev/null
}

for port in "${node_ports[@]}"; do
  # --ws-port 0: behind the proxy the WebSocket is /chat on the node's HTTP port.
  "${parley[@]}" --host 127.0.0.1 --port "$port" --ws-port 0 &
  node_pids+=($!)
  echo "node on 127.0.0.1:$port: pid $!"
done

# wait_ready WHAT PORT PID: until PORT answers /readyz; stops everything if PID ends first or after 60 s
wait_ready() {
  for ((tries = 0; ; tries++)); do
    ready "$2" && return 0
    if ! kill -0 "$3" 2>/dev/null; then
      echo "$1 on port $2 exited before it was ready; stopping" >&2
      exit 1
    fi
    if [ "$tries" -ge 600 ]; then
      echo "$1 on port $2 is not ready after 60 s; stopping" >&2
      exit 1
    fi
    sleep 0.1
  done
}
for i in "${!node_ports[@]}"; do wait_ready "the node" "${node_ports[$i]}" "${node_pids[$i]}"; done

# nginx's config: the example's nginx.conf plus the files it includes, written for these ports.
cp "$here/nginx.conf" "$run_dir/nginx.conf"
echo "listen $front_port;" >"$run_dir/cluster-listen.conf"
for port in "${node_ports[@]}"; do
  echo "server 127.0.0.1:$port max_fails=1 fail_timeout=10s;"
done >"$run_dir/cluster-nodes.conf"
# As root, nginx's workers would switch to `nobody` (whose group is not named alike everywhere) and could not
# enter a private run directory: they run as the caller instead. As anyone else nginx ignores `user`.
if [ "$(id -u)" = 0 ]; then echo "user $(id -un) $(id -gn);"; fi >"$run_dir/cluster-main.conf"
nginx -e stderr -p "$run_dir" -c "$run_dir/nginx.conf" &
nginx_pid=$!
wait_ready nginx "$front_port" "$nginx_pid"
echo "Parley cluster: http://localhost:$front_port/ (nodes on ${node_ports[*]}; nginx pid $nginx_pid). Ctrl-C to stop."

# Until nginx stops or no node is left: a node that dies is reported, the others keep serving.
live=("${!node_pids[@]}")
while :; do
  wait -n || true
  kill -0 "$nginx_pid" 2>/dev/null || { echo "nginx stopped; stopping the nodes" >&2; exit 1; }
  still=()
  for i in "${live[@]}"; do
    if kill -0 "${node_pids[$i]}" 2>/dev/null; then
      still+=("$i")
    else
      echo "the node on port ${node_ports[$i]} (pid ${node_pids[$i]}) stopped; the others keep serving" >&2
    fi
  done
  live=("${still[@]}")
  [ "${#live[@]}" -gt 0 ] || { echo "every node has stopped; stopping nginx" >&2; exit 1; }
done
