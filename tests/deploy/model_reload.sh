#!/usr/bin/env bash
# Model reload under load (issue 8): the real binary on a copy of the fp32
# MobileNetV2, HTTP and gRPC clients running without pause while the file at
# MODEL_PATH is replaced and reloaded (repository API, SIGHUP, a broken file);
# see model_reload.py for what must hold. Then SIGTERM: exit 0.
# Usage: model_reload.sh BINARY MODELS_DIR SHARED_DIR PYTHON
#   PYTHON: an interpreter with tritonclient[grpc] and numpy (.venv-test).
# Exit 77 (skipped) only when PYTHON lacks them.
set -euo pipefail
BIN=$(realpath "$1") MODELS=$(realpath "$2") SHARED=$(realpath "$3") PY=$4
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../support/python_modules.sh"
require_python_modules "$PY" numpy tritonclient.grpc
for m in mobilenetv2-12-fp32.onnx mobilenetv2-12-int8.onnx imagenet_classes.txt; do
  [ -f "$MODELS/$m" ] || { echo "FAIL: no $MODELS/$m (scripts/setup makes it)"; exit 1; }
done
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
cp "$MODELS/mobilenetv2-12-fp32.onnx" "$WORK/model.onnx"
MODEL_PATH="$WORK/model.onnx" LABELS_PATH="$MODELS/imagenet_classes.txt" MODEL_NAME=mobilenetv2 \
  GRPC_PORT=0 DRAIN_DELAY_S=0 "$BIN" serve --host 127.0.0.1 --port 0 2> "$WORK/server.log" &
PID=$!
for _ in $(seq 100); do grep -q "serving gRPC on" "$WORK/server.log" && break; sleep 0.1; done
PORT=$(sed -n 's/.*serving on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/server.log")
GRPC=$(sed -n 's/.*serving gRPC on 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/server.log")
[ -n "$PORT" ] && [ -n "$GRPC" ] || { cat "$WORK/server.log"; echo "FAIL: server did not start"; exit 1; }

status=0
"$PY" "$HERE/model_reload.py" "127.0.0.1:$PORT" "127.0.0.1:$GRPC" mobilenetv2 "$PID" "$WORK/model.onnx" \
  "$MODELS/mobilenetv2-12-fp32.onnx" "$MODELS/mobilenetv2-12-int8.onnx" "$SHARED/images/eagle.jpg" || status=$?
kill -TERM $PID
code=0
wait $PID || code=$?
PID=
echo "--- server log (reloads)"
grep -E "reload|SIGHUP|unloaded" "$WORK/server.log" || true
[ $code -eq 0 ] || { echo "FAIL: exit status $code after SIGTERM"; tail -20 "$WORK/server.log"; exit 1; }
exit $status
