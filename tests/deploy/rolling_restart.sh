#!/usr/bin/env bash
# Rolling restart under load, behind a real load balancer (issue 8):
#   REPLICAS replicas of the real binary, HAProxy in front that follows
#   /v2/health/ready (every 300 ms, down after 1 failure, up after 2 passes)
#   and never retries nor redispatches (as kube-proxy cannot), keep-alive to
#   the replicas; wrk POSTs eagle.jpg through it (bench/wrk/infer.lua) while
#   each replica in turn is SIGTERMed, must exit 0, and is restarted on its
#   port. PASS: every request answered 2xx (no other status, no socket error)
#   and every replica exited 0.
# Usage: rolling_restart.sh BINARY MODELS_DIR SHARED_DIR
# Env: RR_REPLICAS (2), RR_CONNECTIONS (8), RR_DRAIN_DELAY_S (2),
#      RR_KEEP=1 keeps the work directory (logs) for a look afterwards.
# Exit 77 (skipped) only when haproxy or wrk is not installed.
set -euo pipefail
BIN=$1 MODELS=$2 SHARED=$3
HERE=$(cd "$(dirname "$0")" && pwd)
LUA=$HERE/../../bench/wrk/infer.lua
IMG=$SHARED/images/eagle.jpg
REPLICAS=${RR_REPLICAS:-2}
CONNECTIONS=${RR_CONNECTIONS:-8}
# More than HAProxy's check interval x fall (0.3 s x 1) plus a check's own
# time on a loaded machine: the replica is marked down before its listener
# closes.
DELAY=${RR_DRAIN_DELAY_S:-2}
for tool in haproxy wrk curl python3; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs it)"; exit 77; }
done

WORK=$(mktemp -d)
declare -a PIDS PORTS
HAPROXY= WRK=
cleanup() {
  local p
  for p in $WRK $HAPROXY "${PIDS[@]}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${RR_KEEP:-0}" = 1 ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$WORK"/*.log; do echo "--- $(basename "$f") (last 15 lines)"; tail -15 "$f"; done
  exit 1
}

# Free loopback ports: the replicas', HAProxy's front and its stats page.
read -r -a FREE <<< "$(python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' $((REPLICAS + 2)))"
FRONT=${FREE[REPLICAS]} STATS=${FREE[REPLICAS + 1]}

# start_replica I: starts replica I on its port (log appended to replica-I.log).
start_replica() {
  local i=$1
  echo "=== start $(date +%T.%N)" >> "$WORK/replica-$i.log"
  MODEL_PATH="$MODELS/mobilenetv2-12-int8.onnx" LABELS_PATH="$MODELS/imagenet_classes.txt" \
    DRAIN_DELAY_S=$DELAY GRPC_PORT=-1 NUM_THREADS=1 DECODE_CONCURRENCY=1 \
    "$BIN" serve --host 127.0.0.1 --port "${PORTS[i]}" >> "$WORK/replica-$i.log" 2>&1 &
  PIDS[i]=$!
}
# ready I: waits (60 s at most: model load on a loaded machine) until replica
# I's readiness answers 200.
ready() {
  local i=$1
  for _ in $(seq 600); do
    kill -0 "${PIDS[i]}" 2>/dev/null || fail "replica $i died at start"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORTS[i]}/v2/health/ready")" = 200 ] && return
    sleep 0.1
  done
  fail "replica $i not ready after 60 s"
}
# lb_status I: HAProxy's view of replica I (UP, DOWN, "UP 1/2", ...), from
# its stats page in CSV (field 18 is the status).
lb_status() {
  curl -s "http://127.0.0.1:$STATS/stats;csv" | awk -F, -v s="r$1" '$1=="replicas" && $2==s {print $18}'
}
# lb_wait I STATE: waits (30 s at most) until HAProxy reports replica I STATE.
lb_wait() {
  for _ in $(seq 300); do [ "$(lb_status "$1")" = "$2" ] && return; sleep 0.1; done
  fail "HAProxy did not mark replica $1 $2 within 30 s (it says: $(lb_status "$1"))"
}

for i in $(seq 0 $((REPLICAS - 1))); do PORTS[i]=${FREE[i]}; start_replica "$i"; done
for i in $(seq 0 $((REPLICAS - 1))); do ready "$i"; done

# The load balancer. retries 0 and no redispatch: a request sent to a replica
# that refuses or drops it fails, as it would through kube-proxy. Keep-alive
# to the replicas (HAProxy's default; no http-server-close), so idle
# connections in its pool meet the replicas' drain too.
{
  cat <<EOF
global
  log stderr format raw local0
  maxconn 1024
defaults
  mode http
  log global
  option httplog
  retries 0
  no option redispatch
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-request 10s
  timeout http-keep-alive 10s
  timeout check 2s
frontend front
  bind 127.0.0.1:$FRONT
  default_backend replicas
backend replicas
  balance roundrobin
  option httpchk GET /v2/health/ready
  http-check expect status 200
  default-server inter 300ms fall 1 rise 2
EOF
  for i in $(seq 0 $((REPLICAS - 1))); do echo "  server r$i 127.0.0.1:${PORTS[i]} check"; done
  cat <<EOF
listen stats
  bind 127.0.0.1:$STATS
  stats enable
  stats uri /stats
EOF
} > "$WORK/haproxy.cfg"
haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 &
HAPROXY=$!
for i in $(seq 0 $((REPLICAS - 1))); do lb_wait "$i" UP; done

# The load: a long wrk run, stopped (SIGINT: it prints its results) once the
# restarts are done and load has run on the restarted replicas for a while,
# so a slow machine lengthens the run instead of cutting the restarts short.
wrk -t2 -c"$CONNECTIONS" -d300s --timeout 30s -s "$LUA" "http://127.0.0.1:$FRONT/infer" -- "$IMG" \
  > "$WORK/wrk.out" 2> "$WORK/wrk.log" &
WRK=$!
sleep 5
restarts=0
for i in $(seq 0 $((REPLICAS - 1))); do
  echo "replica $i: SIGTERM at $(date +%T.%N)"
  kill -TERM "${PIDS[i]}"
  lb_wait "$i" DOWN  # readiness answers 503 at once; the listener closes DELAY s later
  echo "replica $i: DOWN in HAProxy at $(date +%T.%N)"
  code=0
  wait "${PIDS[i]}" || code=$?
  [ "$code" = 0 ] || fail "replica $i exited $code after SIGTERM"
  grep -q "stopped" <(tail -3 "$WORK/replica-$i.log") || fail "replica $i: no clean stop in its log"
  echo "replica $i: exited 0 at $(date +%T.%N); restarting"
  start_replica "$i"
  ready "$i"
  lb_wait "$i" UP
  echo "replica $i: UP again at $(date +%T.%N)"
  restarts=$((restarts + 1))
  sleep 3  # traffic on the restarted replica before the next one goes
done
sleep 4
kill -INT "$WRK"
wait "$WRK" || fail "wrk failed: $(cat "$WORK/wrk.log")"
WRK=

result=$(grep '^WRK_RESULT' "$WORK/wrk.out") || fail "no WRK_RESULT line from wrk: $(cat "$WORK/wrk.out")"
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<< "$result"; }
requests=$(field requests)
non2xx=$(field non2xx)
errors=$(($(field err_connect) + $(field err_read) + $(field err_write) + $(field err_timeout)))
failed=$((non2xx + errors))
# HAProxy's log (option httplog: field 4 backend/replica, 6 status, 10 the
# termination state, e.g. SC-- = the replica refused the connection) names the replica, status and phase of every request
# that failed; the first 20 are shown. (awk stops itself: `| head` would end
# it with SIGPIPE under pipefail.)
bad=$(awk '/"POST \/infer/ && $6 !~ /^2/ && n++ < 20' "$WORK/haproxy.log")
served=$(awk '/"POST \/infer/ {n[$4]++} END {for (s in n) printf "%s%s=%d", (k++ ? " " : ""), s, n[s]}' "$WORK/haproxy.log")
echo "$result"
echo "served by: $served"
echo "rolling restart: $requests requests, $failed failed ($non2xx non-2xx, $errors socket errors), $restarts restarts of $REPLICAS replicas"
if [ -n "$bad" ]; then echo "HAProxy's log of the failures:"; echo "$bad"; fi
[ "$requests" -gt 0 ] || fail "no request was answered"
[ "$failed" -eq 0 ] || fail "$failed requests failed"
[ "$restarts" -eq "$REPLICAS" ] || fail "$restarts restarts of $REPLICAS"
echo "rolling_restart: 1 passed, 0 failed"
