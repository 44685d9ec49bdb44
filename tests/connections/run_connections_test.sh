#!/usr/bin/env bash
# Connection handling of the real binary on loopback (test_connections.py:
# 10,000 idle keep-alive, slow headers, connect bursts, MAX_CONNECTIONS,
# keep-alive timeout, pipelining, 100-continue). Each check starts its own
# server with the real MobileNetV2-int8.
# Usage: run_connections_test.sh BINARY SHARED_DIR [test_connections.py options, e.g. --only ae]
# Exit status 77 (skipped) only when no python3 or no shared model/images.
set -euo pipefail
BIN=$(realpath "$1") SHARED=$(realpath "$2"); shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "SKIP: no python3"; exit 77; }
for f in models/mobilenetv2-12-int8.onnx labels/imagenet_classes.txt images/eagle.jpg; do
  [ -f "$SHARED/$f" ] || { echo "SKIP: $SHARED/$f not found"; exit 77; }
done
echo "ulimit -Hn: $(ulimit -Hn)"
exec "$PY" "$HERE/test_connections.py" --binary "$BIN" --shared "$SHARED" "$@"
