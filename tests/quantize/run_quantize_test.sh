#!/usr/bin/env bash
# The quantizer end to end, small: scripts/quantize makes an int8 MobileNetV2
# from the fp32 one, calibrated on 4 of the shared photos (decoded and
# preprocessed by `cross_pictures preprocess`); evaluated on tensors of the 3
# other photos and variants of them (tensor_variants.py: 27 tensors). Checks
# the report's top-1 agreement with fp32 and, through the binary
# (`classify`, INT8_WEIGHTS=native), that the held-out confident photos keep
# their fp32 top-1. Skipped (77) only when .venv-quant cannot be made.
#
#   run_quantize_test.sh BINARY SOURCE_DIR SHARED_DIR
set -euo pipefail
BIN=$1 SRC=$2 SHARED=$3
FP32=$SRC/models/mobilenetv2-12-fp32.onnx
[ -f "$FP32" ] || { echo "no $FP32 (scripts/setup makes it)"; exit 1; }
rc=0
"$SRC/scripts/quantize" --ensure-venv || rc=$?
[ $rc -ne 3 ] || { echo "SKIP: .venv-quant cannot be made"; exit 77; }
[ $rc -eq 0 ] || exit 1
VENV=${CP_QUANT_VENV:-$SRC/.venv-quant}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/calib" "$W/held-out"
for f in chelsea.png eagle.jpg kite.jpg astronaut.png; do ln -s "$SHARED/images/$f" "$W/calib/$f"; done
for f in coffee.png dog.jpg cat.webp; do ln -s "$SHARED/images/$f" "$W/held-out/$f"; done
export LABELS_PATH=$SHARED/labels/imagenet_classes.txt
MODEL_PATH=$FP32 "$BIN" preprocess -o "$W/held-out-tensors" "$W/held-out" >/dev/null 2>&1
"$VENV/bin/python" "$SRC/tests/quantize/tensor_variants.py" "$W/held-out-tensors" "$W/eval"

CP_BINARY=$BIN "$SRC/scripts/quantize" "$FP32" "$W/int8.onnx" --calibration "$W/calib" --eval "$W/eval" \
  --method percentile --target any
cat "$W/int8.onnx.report.md"

"$VENV/bin/python" - "$W/int8.onnx.report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a, s = r["agreement"], r["settings"]
assert s["reduce_range"] is True and s["format"] == "QDQ", s
assert a["images"] == 27, a
assert a["confident_agree_pct"] >= 90, f"confident agreement {a['confident_agree_pct']}% < 90%"
assert a["agree_pct"] >= 75, f"agreement {a['agree_pct']}% < 75%"
print(f"OK: {a['confident_agree_pct']}% of {a['confident_images']} confident, {a['agree_pct']}% of {a['images']}")
PY

# Served by the binary: the confident held-out photos keep their fp32 top-1.
top1() { MODEL_PATH=$1 INT8_WEIGHTS=native "$BIN" classify --top-k 1 "$SHARED/images/coffee.png" \
  "$SHARED/images/dog.jpg" 2>/dev/null | sed 's/ (.*//'; }
want=$(top1 "$FP32") got=$(top1 "$W/int8.onnx")
echo "fp32: $want"; echo "int8: $got"
[ "$want" = "$got" ] || { echo "FAIL: int8 top-1 differs from fp32"; exit 1; }
