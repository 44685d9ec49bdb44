#!/usr/bin/env python3
"""The KServe v2 endpoints against the standard client, tritonclient[http].

Usage: test_tritonclient.py URL MODEL_NAME IMAGE_PATH
  URL         e.g. http://127.0.0.1:8000
  MODEL_NAME  the served model's name (MODEL_NAME, default: the model file's stem)
  IMAGE_PATH  a photo whose top-1 label contains "bald eagle" (../shared/images/eagle.jpg)

Expects the real MobileNetV2 model (input [N,3,224,224], 1000 classes).
Plain script, no pytest: exit status 0 when every check passes, 1 otherwise;
the last line printed is "N passed, M failed".
"""
import sys
from urllib.parse import urlparse

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from checks import check, run_checks

CLASSES = 1000


def main(argv):
    if len(argv) != 4:
        print(__doc__)
        print("0 passed, 1 failed")
        return 1
    url, model, image_path = argv[1], argv[2], argv[3]
    parsed = urlparse(url if "://" in url else "http://" + url)
    client = httpclient.InferenceServerClient(url=parsed.netloc, network_timeout=120.0)
    with open(image_path, "rb") as f:
        image = f.read()

    def metadata():
        md = client.get_model_metadata(model)
        check(md["name"] == model, f"name: {md}")
        check(md["versions"] == ["1"], f"versions: {md}")
        check(md["platform"] == "onnxruntime_onnx", f"platform: {md}")
        check(len(md["inputs"]) == 1 and md["inputs"][0]["datatype"] == "FP32", f"inputs: {md}")
        check(md["inputs"][0]["shape"] == [-1, 3, 224, 224], f"input shape: {md}")
        check(md["outputs"][0]["shape"] == [-1, CLASSES], f"output shape: {md}")
        server = client.get_server_metadata()
        check("binary_tensor_data" in server["extensions"], f"server metadata: {server}")
        check("classification" in server["extensions"], f"server metadata: {server}")
        versioned = client.get_model_metadata(model, model_version="1")
        check(versioned == md, f"versions/1 metadata differs: {versioned}")

    def names():
        md = client.get_model_metadata(model)
        return md["inputs"][0]["name"], md["outputs"][0]["name"]

    def fp32_infer(binary):
        in_name, out_name = names()
        x = np.random.default_rng(0).standard_normal((1, 3, 224, 224), dtype=np.float32)
        inp = httpclient.InferInput(in_name, list(x.shape), "FP32")
        inp.set_data_from_numpy(x, binary_data=binary)
        out = httpclient.InferRequestedOutput(out_name, binary_data=binary)
        result = client.infer(model, [inp], outputs=[out], request_id="req-7")
        y = result.as_numpy(out_name)
        check(y is not None and y.shape == (1, CLASSES), f"output shape {None if y is None else y.shape}")
        check(y.dtype == np.float32 and np.isfinite(y).all(), "output not finite FP32")
        check(result.get_response()["id"] == "req-7", f"id not echoed: {result.get_response()}")
        return y

    def fp32_json_matches_binary():
        check(np.allclose(fp32_infer(True), fp32_infer(False), atol=1e-5), "JSON and binary outputs differ")

    def image_classification():
        _, out_name = names()
        data = np.array([image], dtype=np.object_)
        inp = httpclient.InferInput("image_bytes", [1], "BYTES")
        inp.set_data_from_numpy(data, binary_data=True)
        out = httpclient.InferRequestedOutput(out_name, class_count=3)
        result = client.infer(model, [inp], outputs=[out])
        top = result.as_numpy(out_name)
        check(top.shape == (1, 3), f"classification shape {top.shape}")
        first = top[0][0].decode() if isinstance(top[0][0], bytes) else str(top[0][0])
        score, index, label = first.split(":", 2)
        check("bald eagle" in label, f"top-1 is {first!r}")
        check(int(index) == 22 and float(score) > 0, f"top-1 is {first!r}")

    def image_batch_logits():
        _, out_name = names()
        data = np.array([[image], [image]], dtype=np.object_)
        inp = httpclient.InferInput("input", [2, 1], "BYTES")
        inp.set_data_from_numpy(data)
        result = client.infer(model, [inp], outputs=[httpclient.InferRequestedOutput(out_name)])
        y = result.as_numpy(out_name)
        check(y.shape == (2, CLASSES), f"shape {y.shape}")
        check(int(np.argmax(y[0])) == 22 and np.allclose(y[0], y[1]), "batch rows differ or wrong class")

    def errors():
        in_name, _ = names()
        try:
            client.get_model_metadata("no-such-model")
            raise AssertionError("unknown model accepted")
        except InferenceServerException as e:
            check(e.status() == "404", f"unknown model gave {e.status()}: {e}")
        x = np.zeros((1, 3, 100, 100), dtype=np.float32)
        inp = httpclient.InferInput(in_name, list(x.shape), "FP32")
        inp.set_data_from_numpy(x)
        try:
            client.infer(model, [inp])
            raise AssertionError("bad shape accepted")
        except InferenceServerException as e:
            check(e.status() == "400" and "shape" in e.message(), f"bad shape gave {e.status()}: {e}")

    tests = [
        ("is_server_live", lambda: check(client.is_server_live(), "not live")),
        ("is_server_ready", lambda: check(client.is_server_ready(), "not ready")),
        ("is_model_ready", lambda: check(client.is_model_ready(model), "model not ready")),
        ("is_model_ready (unknown model)", lambda: check(not client.is_model_ready("no-such-model"), "ready?")),
        ("get_model_metadata", metadata),
        ("FP32 infer, binary", lambda: fp32_infer(True)),
        ("FP32 infer, JSON", lambda: fp32_infer(False)),
        ("FP32 JSON == binary", fp32_json_matches_binary),
        ("BYTES image, class_count=3", image_classification),
        ("BYTES image batch [2,1], logits", image_batch_logits),
        ("errors", errors),
    ]
    status = run_checks(tests, (AssertionError, InferenceServerException))
    client.close()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
