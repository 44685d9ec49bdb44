"""scripts/quantize.py — static int8 (QDQ) quantization with ONNX Runtime's own tool.

Run by scripts/quantize in .venv-quant (pinned onnxruntime, onnx, numpy), on
tensors that `cross_pictures preprocess` wrote (.npy, [1,3,H,W] or [1,H,W,3]),
so calibration sees exactly what serving feeds the model:

  python quantize.py IN.onnx OUT.onnx --calibration-tensors DIR
      [--eval-tensors DIR] [--method minmax|entropy|percentile]
      [--target auto|any|vnni] [--report OUT.onnx.report]

Steps: opset upgrade to 13 when lower (per-channel quantization needs it;
onnx.version_converter), ORT's quant_pre_process (symbolic shape inference and
graph clean-up), quantize_static in QDQ format with per-channel s8 weights and
u8 activations. reduce_range (7-bit weights) is on for --target any, and for
auto when this CPU has no VNNI (avx512_vnni / avx_vnni in /proc/cpuinfo): on
AVX2/AVX-512 CPUs without VNNI ONNX Runtime's u8 x s8 kernels add products
pairwise into a saturating 16-bit sum, which 7-bit weights cannot overflow.

Writes OUT.report.json and OUT.report.md: settings, top-1 agreement with the
float model on the evaluation tensors (all, and where the float top-1
probability >= 0.5), and engine img/s of both models (ORT InferenceSession,
2 intra-op threads, batch 1, median of 3 passes) on this CPU.
"""
import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import version_converter
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

METHODS = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
           "percentile": CalibrationMethod.Percentile}
CONFIDENT = 0.5


def log(msg):
    print(f"[quantize] {msg}", file=sys.stderr, flush=True)


def cpuinfo(key):
    """The first `key : value` line of /proc/cpuinfo, or ''."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.split(":", 1)[0].strip() == key:
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def cpu_flags():
    return set(cpuinfo("flags").split())


def cpu_model():
    return cpuinfo("model name") or platform.machine()


def cpu_has_vnni():
    return bool(cpu_flags() & {"avx512_vnni", "avx_vnni"})


def load_tensors(folder):
    names = sorted(n for n in os.listdir(folder) if n.endswith(".npy"))
    if not names:
        sys.exit(f"quantize: no .npy tensors in {folder}")
    return names, [np.load(os.path.join(folder, n)).astype(np.float32) for n in names]


class Reader(CalibrationDataReader):
    def __init__(self, input_name, tensors):
        self.input_name = input_name
        self.items = iter(tensors)

    def get_next(self):
        t = next(self.items, None)
        return None if t is None else {self.input_name: t}


def opset_of(model):
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def prepare(in_path, work):
    """Opset >= 13 and ORT's pre-processing; returns the path to quantize."""
    model = onnx.load(in_path)
    opset = opset_of(model)
    path = in_path
    if opset < 13:
        log(f"opset {opset} -> 13 (per-channel quantization needs it)")
        model = version_converter.convert_version(model, 13)
        path = os.path.join(work, "opset13.onnx")
        onnx.save(model, path)
    pre = os.path.join(work, "pre.onnx")
    try:
        quant_pre_process(path, pre, skip_symbolic_shape=False)
    except Exception as e:  # symbolic shape inference fails on some graphs: ONNX's own then
        log(f"quant_pre_process with symbolic shapes failed ({e}); retrying with ONNX shape inference")
        quant_pre_process(path, pre, skip_symbolic_shape=True)
    return opset, pre


def session(path, threads=2):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def run_all(sess, tensors):
    name = sess.get_inputs()[0].name
    return [sess.run(None, {name: t})[0][0] for t in tensors]


def img_per_s(sessions, tensors, passes=3, at_most=64):
    """{name: img/s stats}: batch 1 over up to at_most tensors, the sessions' passes interleaved
    (float, int8, float, ...) so that a change in the machine's load hits both alike."""
    sample = tensors[:at_most]
    rates = {name: [] for name in sessions}
    for name, sess in sessions.items():
        sess.run(None, {sess.get_inputs()[0].name: sample[0]})
    for _ in range(passes):
        for name, sess in sessions.items():
            input_name = sess.get_inputs()[0].name
            t0 = time.perf_counter()
            for t in sample:
                sess.run(None, {input_name: t})
            rates[name].append(len(sample) / (time.perf_counter() - t0))
    return {name: {"median": statistics.median(r), "min": min(r), "max": max(r), "images": len(sample),
                   "passes": passes} for name, r in rates.items()}


def agreement(float_out, int8_out):
    total = confident = same = same_confident = 0
    for f, q in zip(float_out, int8_out):
        p = softmax(f.astype(np.float64))
        hit = int(np.argmax(f)) == int(np.argmax(q))
        total += 1
        same += hit
        if p.max() >= CONFIDENT:
            confident += 1
            same_confident += hit
    pct = lambda a, b: round(100.0 * a / b, 2) if b else None
    return {"images": total, "agree": same, "agree_pct": pct(same, total), "confident_images": confident,
            "confident_agree": same_confident, "confident_agree_pct": pct(same_confident, confident)}


def digest(t):
    return hashlib.sha256(t.tobytes()).hexdigest()


def write_report(path_base, report):
    with open(path_base + ".json", "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    s, a = report["settings"], report.get("agreement")
    lines = [f"# int8 report: {os.path.basename(report['output'])}", "",
             f"From `{os.path.basename(report['input'])}` (opset {report['input_opset']}) by `scripts/quantize`.", "",
             "| setting | value |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in s.items()]
    lines += ["", f"Calibration: {report['calibration_images']} images. CPU: {report['cpu']['model']} "
              f"(VNNI: {report['cpu']['vnni']}).", ""]
    if a:
        lines += [f"Top-1 agreement with the float model on {a['images']} evaluation images (none of them used "
                  "for calibration), ONNX Runtime on this CPU:", "",
                  "| set | images | agree | % |", "| --- | --- | --- | --- |",
                  f"| float top-1 probability >= {CONFIDENT} | {a['confident_images']} | {a['confident_agree']} "
                  f"| {a['confident_agree_pct']} |",
                  f"| all | {a['images']} | {a['agree']} | {a['agree_pct']} |", ""]
    else:
        lines += ["No evaluation set given (--eval): no agreement measured.", ""]
    sp = report["speed"]
    lines += [f"Engine speed, ONNX Runtime {ort.__version__}, {sp['float']['images']} images x {sp['float']['passes']}"
              " passes (float and int8 interleaved), batch 1, 2 threads (median, min-max):", "",
              "| model | img/s |", "| --- | --- |",
              f"| float | {sp['float']['median']:.1f} ({sp['float']['min']:.1f}-{sp['float']['max']:.1f}) |",
              f"| int8 | {sp['int8']['median']:.1f} ({sp['int8']['min']:.1f}-{sp['int8']['max']:.1f}) |",
              f"| ratio | {sp['int8']['median'] / sp['float']['median']:.2f} |", ""]
    with open(path_base + ".md", "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--calibration-tensors", required=True)
    ap.add_argument("--eval-tensors")
    ap.add_argument("--method", choices=sorted(METHODS), default="percentile")
    ap.add_argument("--target", choices=["auto", "any", "vnni"], default="auto")
    ap.add_argument("--percentile", type=float, default=99.999)
    ap.add_argument("--report", help="report path without extension [OUT.onnx.report]")
    args = ap.parse_args()

    vnni = cpu_has_vnni()
    reduce_range = args.target == "any" or (args.target == "auto" and not vnni)
    calib_names, calib = load_tensors(args.calibration_tensors)
    eval_names, evals = load_tensors(args.eval_tensors) if args.eval_tensors else ([], [])
    overlap = {digest(t) for t in calib} & {digest(t) for t in evals}
    if overlap:
        sys.exit(f"quantize: {len(overlap)} evaluation tensors are also calibration tensors: keep the sets apart")

    with tempfile.TemporaryDirectory() as work:
        opset, pre = prepare(args.input, work)
        input_name = onnx.load(pre, load_external_data=False).graph.input[0].name
        extra = {"ActivationSymmetric": False, "WeightSymmetric": True}
        if args.method == "percentile":
            extra["CalibPercentile"] = args.percentile
        log(f"quantize_static: {args.method}, {len(calib)} calibration images, per-channel s8 weights, "
            f"u8 activations, reduce_range={reduce_range} (target {args.target}, VNNI here: {vnni})")
        t0 = time.perf_counter()
        quantize_static(pre, args.output, Reader(input_name, calib), quant_format=QuantFormat.QDQ,
                        per_channel=True, reduce_range=reduce_range, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=METHODS[args.method], extra_options=extra)
        seconds = time.perf_counter() - t0

    float_sess, int8_sess = session(args.input), session(args.output)
    report = {
        "input": os.path.abspath(args.input), "output": os.path.abspath(args.output), "input_opset": opset,
        "settings": {"format": "QDQ", "method": args.method,
                     "percentile": args.percentile if args.method == "percentile" else None,
                     "weights": "s8 per-channel, symmetric", "activations": "u8 per-tensor",
                     "reduce_range": reduce_range, "target": args.target, "opset": max(opset, 13),
                     "onnxruntime": ort.__version__, "onnx": onnx.__version__},
        "calibration_images": len(calib), "calibration_files": calib_names, "quantize_seconds": round(seconds, 1),
        "cpu": {"model": cpu_model(), "vnni": vnni},
    }
    if evals:
        report["agreement"] = agreement(run_all(float_sess, evals), run_all(int8_sess, evals))
        report["eval_files"] = eval_names
    bench = evals or calib
    report["speed"] = img_per_s({"float": float_sess, "int8": int8_sess}, bench)
    write_report(args.report or args.output + ".report", report)
    a = report.get("agreement")
    if a:
        log(f"top-1 agreement: {a['confident_agree_pct']}% of {a['confident_images']} confident, "
            f"{a['agree_pct']}% of {a['images']} all")
    log(f"img/s float {report['speed']['float']['median']:.1f}, int8 {report['speed']['int8']['median']:.1f}; "
        f"report {(args.report or args.output + '.report')}.md/.json")


if __name__ == "__main__":
    main()
