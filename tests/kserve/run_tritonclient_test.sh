#!/usr/bin/env bash
# The KServe v2 endpoints of the real binary, driven by the standard client
# (tritonclient[http]): starts the server on a free port with the real model,
# runs test_tritonclient.py against it, stops the server with SIGTERM.
# Usage: run_tritonclient_test.sh BINARY SHARED_DIR PYTHON
#   PYTHON: an interpreter with tritonclient[http] and numpy installed.
# Exit status 77 (skipped, for CTest's SKIP_RETURN_CODE) when PYTHON lacks them.
set -euo pipefail
BIN=$(realpath "$1") SHARED=$(realpath "$2") PY=$3
HERE=$(cd "$(dirname "$0")" && pwd)
if ! "$PY" -c 'import numpy, tritonclient.http' 2>/dev/null; then
  echo "SKIP: $PY lacks tritonclient[http]/numpy (python3 -m venv D && D/bin/pip install 'tritonclient[http]' numpy)"
  exit 77
fi
# Absolute (we cd below), but not resolved: a venv's python is a symlink.
case $PY in */*) PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY") ;; esac
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
# DRAIN_DELAY_S=0: the SIGTERM at the end exits at once.
MODEL_PATH="$SHARED/models/mobilenetv2-12-int8.onnx" LABELS_PATH="$SHARED/labels/imagenet_classes.txt" \
  MODEL_NAME=mobilenetv2 DRAIN_DELAY_S=0 "$BIN" serve --host 127.0.0.1 --port 0 2> server.log &
PID=$!
for _ in $(seq 100); do grep -q "serving on" server.log && break; sleep 0.1; done
PORT=$(sed -n 's/.*serving on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' server.log)
[ -n "$PORT" ] || { cat server.log; echo "FAIL: server did not start"; exit 1; }

status=0
"$PY" "$HERE/test_tritonclient.py" "http://127.0.0.1:$PORT" mobilenetv2 "$SHARED/images/eagle.jpg" || status=$?

kill -TERM $PID
wait $PID || { echo "FAIL: exit status $? after SIGTERM"; cat server.log; exit 1; }
PID=
[ $status -eq 0 ] || cat server.log
exit $status
