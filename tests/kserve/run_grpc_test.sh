#!/usr/bin/env bash
# The KServe v2 gRPC service of the real binary, driven by the standard client
# (tritonclient[grpc]): starts the server with GRPC_PORT=0 and --port 0 (both
# ports read from its log) on the real MobileNetV2 fp32 model, small queue
# limits so that a burst is shed, runs test_grpc.py against it; that script's
# last check sends SIGTERM during an RPC, which must complete, and the server
# must then exit 0.
# Usage: run_grpc_test.sh BINARY MODELS_DIR SHARED_DIR PYTHON
#   MODELS_DIR: the repository's models/ (mobilenetv2-12-fp32.onnx, imagenet_classes.txt)
#   PYTHON: an interpreter with tritonclient[grpc,http] and numpy installed.
# Exit status 77 (skipped, for CTest's SKIP_RETURN_CODE) when PYTHON lacks them.
set -euo pipefail
BIN=$(realpath "$1") MODELS=$(realpath "$2") SHARED=$(realpath "$3") PY=$4
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../support/python_modules.sh"
require_python_modules "$PY" numpy tritonclient.grpc tritonclient.http
[ -f "$MODELS/mobilenetv2-12-fp32.onnx" ] || { echo "FAIL: no $MODELS/mobilenetv2-12-fp32.onnx (scripts/setup makes it)"; exit 1; }
# Absolute (we cd below), but not resolved: a venv's python is a symlink.
case $PY in */*) PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY") ;; esac
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
MODEL_PATH="$MODELS/mobilenetv2-12-fp32.onnx" LABELS_PATH="$MODELS/imagenet_classes.txt" MODEL_NAME=mobilenetv2 \
  GRPC_PORT=0 MAX_QUEUE=2 MODEL_RUNNERS=1 DECODE_CONCURRENCY=1 NUM_THREADS=1 \
  DRAIN_DELAY_S=0 "$BIN" serve --host 127.0.0.1 --port 0 2> server.log &
PID=$!
for _ in $(seq 100); do grep -q "serving gRPC on" server.log && break; sleep 0.1; done
PORT=$(sed -n 's/.*serving on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' server.log)
GRPC_PORT=$(sed -n 's/.*serving gRPC on 127.0.0.1:\([0-9]*\).*/\1/p' server.log)
[ -n "$PORT" ] && [ -n "$GRPC_PORT" ] || { cat server.log; echo "FAIL: server did not start"; exit 1; }

status=0
"$PY" "$HERE/test_grpc.py" "127.0.0.1:$GRPC_PORT" "127.0.0.1:$PORT" mobilenetv2 "$SHARED/images/eagle.jpg" $PID \
  || status=$?

# test_grpc.py has sent SIGTERM (its last check); send it again in case it stopped before.
kill -TERM $PID 2>/dev/null || true
wait $PID || { echo "FAIL: exit status $? after SIGTERM"; cat server.log; exit 1; }
PID=
[ $status -eq 0 ] || cat server.log
exit $status
