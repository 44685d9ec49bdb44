#!/usr/bin/env bash
# End to end under load, with the ResNet-50 v2 timing twin (real cost, random
# weights) generated from ../shared/tools:
#  1. overload: 256 concurrent uploads against MAX_QUEUE=2, NUM_THREADS=1 ->
#     only 200s and 503s, every 503 with Retry-After; the server stays healthy;
#  2. drain: SIGTERM while 24 requests are queued -> all answered 200, exit 0.
# Usage: load.sh BINARY SHARED_DIR CACHE_DIR
set -euo pipefail
BIN=$1 SHARED=$2 CACHE=$3
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir -p "$CACHE"
TWIN=$CACHE/resnet50-v2-synthetic.onnx
[ -f "$TWIN" ] || /usr/bin/python3 "$SHARED/tools/make-resnet50v2-synthetic" "$TWIN" > /dev/null
IMG=$SHARED/images/eagle.jpg
fail() { echo "FAIL: $*"; [ -f "$WORK/server.log" ] && tail -20 "$WORK/server.log"; exit 1; }

start() {  # start ENV... : starts the server with extra env, sets PID and URL
  : > "$WORK/server.log"
  # DRAIN_DELAY_S=0: SIGTERM drains at once (no load balancer to wait for).
  env MODEL_PATH="$TWIN" LABELS_PATH="$SHARED/labels/imagenet_classes.txt" DRAIN_DELAY_S=0 "$@" \
    "$BIN" serve --host 127.0.0.1 --port 0 2> "$WORK/server.log" &
  PID=$!
  for _ in $(seq 300); do grep -q "serving on" "$WORK/server.log" && break; sleep 0.1; done
  PORT=$(sed -n 's/.*serving on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/server.log")
  [ -n "$PORT" ] || fail "server did not start"
  URL=http://127.0.0.1:$PORT
}
post() {  # post N: one upload, prints "status retry-after"
  curl -s -o /dev/null -D - -F file=@"$IMG" "$URL/infer" |
    awk 'NR==1{s=$2} tolower($1)=="retry-after:"{r=$2} END{gsub("\r","",r); print s, (r==""?"-":r)}'
}
export -f post
export IMG

# 1. overload
start MAX_QUEUE=2 NUM_THREADS=1 MODEL_RUNNERS=1
export URL
seq 256 | xargs -P 256 -I{} bash -c post > "$WORK/overload.txt"
ok=$(grep -c '^200 ' "$WORK/overload.txt" || true)
shed=$(grep -c '^503 1$' "$WORK/overload.txt" || true)
total=$(wc -l < "$WORK/overload.txt")
[ "$total" -eq 256 ] || fail "overload: $total answers of 256"
[ $((ok + shed)) -eq 256 ] || fail "overload: other answers: $(grep -v -e '^200 ' -e '^503 1$' "$WORK/overload.txt" | sort | uniq -c)"
[ "$shed" -gt 0 ] || fail "overload: nothing was shed"
[ "$(curl -s "$URL/health")" = '{"Status":"ok","model_loaded":true}' ] || fail "unhealthy after overload"
metrics=$(curl -s "$URL/metrics")
grep -q '^cross_pictures_shed_total [1-9]' <<< "$metrics" || fail "shed_total not counted"
echo "overload: $ok x 200, $shed x 503 (Retry-After: 1)"
kill -TERM $PID; wait $PID || fail "exit status after overload run"

# 2. drain
start MODEL_RUNNERS=1 MAX_BATCH_SIZE=1
export URL
seq 24 | xargs -P 24 -I{} bash -c post > "$WORK/drain.txt" &
CLIENTS=$!
# SIGTERM once all 24 are being served (accepted, read) and most of them wait
# for the model: the ones still waiting for a connection would be refused.
for _ in $(seq 500); do
  m=$(curl -s "$URL/metrics")
  depth=$(sed -n 's/^cross_pictures_queue_depth \([0-9]*\).*/\1/p' <<< "$m")
  flight=$(sed -n 's/^cross_pictures_requests_in_flight \([0-9]*\).*/\1/p' <<< "$m")
  [ "${flight:-0}" -ge 24 ] && [ "${depth:-0}" -ge 20 ] && break
  sleep 0.02
done
echo "drain: SIGTERM with ${flight:-0} requests in flight, ${depth:-0} of them waiting for the model"
kill -TERM $PID
wait $PID || fail "exit status $? after SIGTERM"
PID=
wait $CLIENTS
[ "$(grep -c '^200 ' "$WORK/drain.txt")" -eq 24 ] || fail "drain: $(sort "$WORK/drain.txt" | uniq -c)"
echo "e2e load: 2 passed, 0 failed"
