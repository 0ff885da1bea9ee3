#!/bin/sh
# Builds the socket population docs/stat.md shows, in a network namespace of its own, so every
# `synack stat` example there can be run as written (as root, Linux, with socat and node):
#
#   sh examples/stat-population/build.sh          # create netns synack-stat-docs and fill it
#   synack stat --netns synack-stat-docs --diagnose
#   sh examples/stat-population/build.sh down     # stop everything, delete the namespace
#
# What it holds (loopback only, nothing leaves the namespace):
#   CLOSE_WAIT  48 connections to leaky-server.mjs on :8080, which never closes after the peer's FIN
#   FIN_WAIT2   their client ends, half still owned, half orphaned
#   TIME_WAIT   120 client connections that closed first
#   SYN_RECV    4 clients of a socat TCP_DEFER_ACCEPT listener on :7004 that send nothing
#   a full accept queue and SYN_SENT clients: stuck-server.mjs on :9000, backlog 4, event loop blocked
#   ESTABLISHED pairs over 127.0.0.1, ::1 and IPv4-mapped IPv6
# The servers exit on their own after about two minutes; run `down` to clean up before that.
set -eu
NS=${SYNACK_STAT_NS:-synack-stat-docs}
DIR=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = down ]; then
  for pid in $(ip netns pids "$NS" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  echo "deleted netns $NS"
  exit 0
fi

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
run() { ip netns exec "$NS" "$@"; }
wait_line() { # FILE PATTERN: wait (at most 10 s) for a line matching PATTERN in FILE
  i=0
  until grep -q "$2" "$1" 2>/dev/null; do
    i=$((i + 1)); [ "$i" -le 100 ] || { echo "timed out waiting for $2 in $1" >&2; cat "$LOG/errors" >&2; exit 1; }
    sleep 0.1
  done
}
LOG=$(mktemp -d)
# (background jobs write to files only, so whoever runs this script gets its end of file at once)
run node "$DIR/leaky-server.mjs" 127.0.0.1 8080 120 < /dev/null > "$LOG/leaky" 2>> "$LOG/errors" &
run node "$DIR/stuck-server.mjs" 127.0.0.1 9000 4 120 < /dev/null > "$LOG/stuck" 2>> "$LOG/errors" &
run socat -u TCP-LISTEN:7004,bind=127.0.0.1,defer-accept=60 OPEN:/dev/null < /dev/null > /dev/null 2>> "$LOG/errors" &
wait_line "$LOG/leaky" '^READY'
wait_line "$LOG/stuck" '^READY'
sleep 0.2
PLAN='{"estab4":40,"estab6":6,"estabMapped":4,"timeWait":120,"leakyPort":8080,"leaky":48,"deferPort":7004,"defer":4,"stuckPort":9000,"stuck":9,"lifetime":120}'

run node "$DIR/population.mjs" "$PLAN" < /dev/null > "$LOG/population" 2>> "$LOG/errors" &
wait_line "$LOG/population" '^READY'
echo "netns $NS is ready (logs in $LOG): synack stat --netns $NS [--diagnose | -p | --sysctl]; clean up with: sh $0 down"
