#!/usr/bin/env bash
# End to end: the real binary, started as a user would, answers curl, then
# stops cleanly on SIGTERM. Usage: smoke.sh BINARY SHARED_DIR
set -euo pipefail
BIN=$1 SHARED=$2
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"
printf 'TOP_K=2\n' > .env   # the .env fallback is read from the working directory
# DRAIN_DELAY_S=0: the SIGTERM below exits at once (the delay is checked after).
MODEL_PATH="$SHARED/models/mobilenetv2-12-int8.onnx" LABELS_PATH="$SHARED/labels/imagenet_classes.txt" DRAIN_DELAY_S=0 \
  "$BIN" serve --host 127.0.0.1 --port 0 2> server.log &
PID=$!
for _ in $(seq 100); do grep -q "serving on" server.log && break; sleep 0.1; done
PORT=$(sed -n 's/.*serving on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' server.log)
[ -n "$PORT" ] || { cat server.log; echo "FAIL: server did not start"; exit 1; }
URL=http://127.0.0.1:$PORT
fail() { echo "FAIL: $*"; cat server.log; exit 1; }

[ "$(curl -s $URL/health)" = '{"Status":"ok","model_loaded":true}' ] || fail "health"
out=$(curl -s -F file=@"$SHARED/images/eagle.jpg" $URL/infer)
echo "$out" | grep -q '"label":"bald eagle"' || fail "eagle: $out"
[ "$(echo "$out" | grep -o '"label"' | wc -l)" -eq 2 ] || fail "TOP_K from .env not applied: $out"
code=$(curl -s -o /dev/null -w '%{http_code}' -F file=@"$SHARED/README.md" $URL/infer)
[ "$code" = 400 ] || fail "README.md as image gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$SHARED/images/cat.webp" -H 'Content-Type: image/jpeg' $URL/infer)
[ "$code" = 200 ] || fail "raw WebP body gave $code"

# Not `curl | grep -q`: grep -q exits at the first match, curl then fails on
# the closed pipe and pipefail fails the check (seen: 1 run in 6).
metrics=$(curl -s $URL/metrics)
grep -q '^cross_pictures_model_int8_weights{.*variant="\(native\|u8-shifted\)"} 1' <<<"$metrics" \
  || fail "no int8 weights gauge in /metrics"
grep -q "int8 weights: " server.log || fail "startup log does not say how int8 weights are served"

kill -TERM $PID
wait $PID || fail "exit status $? after SIGTERM"
grep -q "stopped" server.log || fail "no clean stop"

# DRAIN_DELAY_S: after SIGTERM, readiness answers 503 while requests are still
# served; then the server drains and exits 0.
MODEL_PATH="$SHARED/models/mobilenetv2-12-int8.onnx" LABELS_PATH="$SHARED/labels/imagenet_classes.txt" DRAIN_DELAY_S=3 \
  "$BIN" serve --host 127.0.0.1 --port 0 2> delay.log &
PID=$!
for _ in $(seq 100); do grep -q "serving on" delay.log && break; sleep 0.1; done
URL=http://127.0.0.1:$(sed -n 's/.*serving on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' delay.log)
[ "$(curl -s -o /dev/null -w '%{http_code}' $URL/v2/health/ready)" = 200 ] || fail "not ready before SIGTERM"
kill -TERM $PID
for _ in $(seq 20); do grep -q "not ready; serving" delay.log && break; sleep 0.1; done
code=$(curl -s -o /dev/null -w '%{http_code}' $URL/v2/health/ready)
[ "$code" = 503 ] || fail "readiness during DRAIN_DELAY_S gave $code: $(cat delay.log)"
code=$(curl -s -o /dev/null -w '%{http_code}' -F file=@"$SHARED/images/eagle.jpg" $URL/infer)
[ "$code" = 200 ] || fail "/infer during DRAIN_DELAY_S gave $code"
wait $PID || fail "exit status $? after SIGTERM with DRAIN_DELAY_S: $(cat delay.log)"
grep -q "stopped" delay.log || fail "no clean stop after the drain delay"
# SIGINT (Ctrl-C at a terminal) skips the drain delay, however long.
MODEL_PATH="$SHARED/models/mobilenetv2-12-int8.onnx" LABELS_PATH="$SHARED/labels/imagenet_classes.txt" DRAIN_DELAY_S=60 \
  GRPC_PORT=-1 "$BIN" serve --host 127.0.0.1 --port 0 2> int.log &
PID=$!
for _ in $(seq 100); do grep -q "serving on" int.log && break; sleep 0.1; done
kill -INT $PID
for _ in $(seq 100); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
kill -0 $PID 2>/dev/null && fail "SIGINT waited for DRAIN_DELAY_S: $(cat int.log)"
wait $PID || fail "exit status $? after SIGINT"

# Invalid configuration stops startup with the setting's name.
if TOP_K=abc "$BIN" serve --port 0 2> bad.log; then fail "TOP_K=abc was accepted"; fi
grep -q "TOP_K" bad.log || fail "error does not name TOP_K: $(cat bad.log)"
# classify without MODEL_PATH: the same fallback as serve when ResNet-50 v2 is
# absent; a directory is named as such.
mkdir -p fallback/models fallback/photos
ln -s "$SHARED/models/mobilenetv2-12-int8.onnx" fallback/models/mobilenetv2-12-int8.onnx
ln -s "$SHARED/labels/imagenet_classes.txt" fallback/models/imagenet_classes.txt
out=$(cd fallback && "$BIN" classify "$SHARED/images/eagle.jpg" 2> classify.log) || fail "classify: $(cat fallback/classify.log)"
echo "$out" | grep -q "bald eagle" || fail "classify with the fallback model: $out"
grep -q "using models/mobilenetv2-12-int8.onnx" fallback/classify.log || fail "no fallback note: $(cat fallback/classify.log)"
# --json: one item per file, with the model's time and the whole in-process time.
out=$(cd fallback && "$BIN" classify --json "$SHARED/images/eagle.jpg" 2>/dev/null) || fail "classify --json failed"
echo "$out" | python3 -c 'import json, sys
[item] = json.load(sys.stdin)
assert item["predictions"][0]["label"] == "bald eagle", item
assert 0 < item["inference_time_ms"] <= item["total_time_ms"], item' || fail "classify --json: $out"
if (cd fallback && "$BIN" classify photos 2> dir.log); then fail "a directory was classified"; fi
grep -q "photos: error: is a directory" fallback/dir.log || fail "directory message: $(cat fallback/dir.log)"
echo "e2e smoke: 1 passed, 0 failed"
