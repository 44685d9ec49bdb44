#!/usr/bin/env python3
"""The KServe v2 gRPC service (inference.GRPCInferenceService) against the
standard client, tritonclient[grpc], and its generated stubs.

Usage: test_grpc.py GRPC_ADDR HTTP_ADDR MODEL_NAME IMAGE_PATH SERVER_PID
  GRPC_ADDR   host:port of the gRPC server (GRPC_PORT)
  HTTP_ADDR   host:port of the same server's HTTP side (the REST answer to compare with, /metrics)
  MODEL_NAME  the served model's name
  IMAGE_PATH  a photo whose top-1 label is "bald eagle" (../shared/images/eagle.jpg)
  SERVER_PID  the server process: the last check sends it SIGTERM during an RPC

Expects the real MobileNetV2 fp32 model (input [N,3,224,224], 1000 classes)
served with MAX_QUEUE=2 MODEL_RUNNERS=1 DECODE_CONCURRENCY=1 (so that a burst
saturates it). Plain script: exit status 0 when every check passes; the last
line printed is "N passed, M failed".
"""
import os
import signal
import sys
import threading
import time
import urllib.request

import grpc
import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from checks import check, run_checks

CLASSES = 1000
EAGLE = 22


def main(argv):
    if len(argv) != 6:
        print(__doc__)
        print("0 passed, 1 failed")
        return 1
    grpc_addr, http_addr, model, image_path, server_pid = argv[1], argv[2], argv[3], argv[4], int(argv[5])
    client = grpcclient.InferenceServerClient(url=grpc_addr)
    rest = httpclient.InferenceServerClient(url=http_addr, network_timeout=120.0)
    channel = grpc.insecure_channel(grpc_addr)
    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    with open(image_path, "rb") as f:
        image = f.read()

    def expect_error(code, fn, what):
        try:
            fn()
        except InferenceServerException as e:
            check(e.status() == str(code), f"{what}: {e.status()} {e.message()}")
            return e
        raise AssertionError(f"{what}: no error")

    def image_input(n):
        inp = grpcclient.InferInput("image", [n], "BYTES")
        inp.set_data_from_numpy(np.array([image] * n, dtype=np.object_))
        return inp

    def metric(name_and_labels):
        text = urllib.request.urlopen(f"http://{http_addr}/metrics", timeout=10).read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name_and_labels):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def health():
        check(client.is_server_live(), "not live")
        check(client.is_server_ready(), "not ready")
        check(client.is_model_ready(model), "model not ready")
        check(client.is_model_ready(model, "1"), "model version 1 not ready")
        expect_error(grpc.StatusCode.NOT_FOUND, lambda: client.is_model_ready("no-such-model"), "unknown model")
        expect_error(grpc.StatusCode.NOT_FOUND, lambda: client.is_model_ready(model, "2"), "unknown version")

    def metadata():
        server = client.get_server_metadata(as_json=True)
        check(server["name"] == "cross_pictures", f"server metadata: {server}")
        check("classification" in server["extensions"], f"server metadata: {server}")
        md = client.get_model_metadata(model, as_json=True)
        check(md["name"] == model and md["versions"] == ["1"], f"model metadata: {md}")
        check(md["platform"] == "onnxruntime_onnx", f"platform: {md}")
        check(md["inputs"][0]["datatype"] == "FP32", f"inputs: {md}")
        check([int(d) for d in md["inputs"][0]["shape"]] == [-1, 3, 224, 224], f"input shape: {md}")
        check([int(d) for d in md["outputs"][0]["shape"]] == [-1, CLASSES], f"output shape: {md}")
        r = rest.get_model_metadata(model)
        check(md["inputs"][0]["name"] == r["inputs"][0]["name"], f"REST says {r}")
        check(md["outputs"][0]["name"] == r["outputs"][0]["name"], f"REST says {r}")
        expect_error(grpc.StatusCode.NOT_FOUND, lambda: client.get_model_metadata("no-such-model"), "unknown model")

    def names():
        md = client.get_model_metadata(model, as_json=True)
        return md["inputs"][0]["name"], md["outputs"][0]["name"]

    def fp32_equals_rest():
        in_name, out_name = names()
        x = np.random.default_rng(1).standard_normal((2, 3, 224, 224), dtype=np.float32)
        g = grpcclient.InferInput(in_name, list(x.shape), "FP32")
        g.set_data_from_numpy(x)  # raw_input_contents
        result = client.infer(model, [g], outputs=[grpcclient.InferRequestedOutput(out_name)], request_id="g-1")
        y = result.as_numpy(out_name)
        check(y is not None and y.shape == (2, CLASSES) and y.dtype == np.float32, f"output {y}")
        check(result.get_response().id == "g-1", "id not echoed")
        h = httpclient.InferInput(in_name, list(x.shape), "FP32")
        h.set_data_from_numpy(x, binary_data=True)
        z = rest.infer(model, [h]).as_numpy(out_name)
        check(np.allclose(y, z, atol=1e-5, rtol=1e-5), f"gRPC and REST differ by {np.abs(y - z).max()}")

    def fp32_contents():  # typed contents, via the generated stub
        in_name, out_name = names()
        x = np.random.default_rng(2).standard_normal((1, 3, 224, 224), dtype=np.float32)
        req = service_pb2.ModelInferRequest(model_name=model)
        t = req.inputs.add(name=in_name, datatype="FP32", shape=[1, 3, 224, 224])
        t.contents.fp32_contents.extend(x.ravel().tolist())
        res = stub.ModelInfer(req, timeout=60)
        y = np.frombuffer(res.raw_output_contents[0], dtype=np.float32).reshape(1, CLASSES)
        g = grpcclient.InferInput(in_name, list(x.shape), "FP32")
        g.set_data_from_numpy(x)
        check(np.array_equal(y, client.infer(model, [g]).as_numpy(out_name)), "fp32_contents != raw")

    def bytes_classification():
        _, out_name = names()
        out = grpcclient.InferRequestedOutput(out_name, class_count=3)
        top = client.infer(model, [image_input(2)], outputs=[out]).as_numpy(out_name)
        check(top.shape == (2, 3), f"classification shape {top.shape}")
        score, index, label = top[0][0].decode().split(":", 2)
        check(int(index) == EAGLE and "bald eagle" in label and float(score) > 0, f"top-1 is {top[0][0]!r}")
        check(list(top[0]) == list(top[1]), "the two rows differ")
        h = httpclient.InferInput("image", [1], "BYTES")
        h.set_data_from_numpy(np.array([image], dtype=np.object_), binary_data=True)
        r = rest.infer(model, [h], outputs=[httpclient.InferRequestedOutput(out_name, class_count=3)])
        check(list(r.as_numpy(out_name)[0]) == list(top[0]), "REST classification differs")

    def bytes_contents():  # bytes_contents, via the generated stub, logits out
        _, out_name = names()
        req = service_pb2.ModelInferRequest(model_name=model, model_version="1")
        t = req.inputs.add(name="image", datatype="BYTES", shape=[1])
        t.contents.bytes_contents.append(image)
        res = stub.ModelInfer(req, timeout=60)
        check(res.outputs[0].name == out_name and list(res.outputs[0].shape) == [1, CLASSES], f"{res.outputs}")
        y = np.frombuffer(res.raw_output_contents[0], dtype=np.float32)
        check(int(np.argmax(y)) == EAGLE, f"argmax {np.argmax(y)}")

    def errors():
        in_name, _ = names()
        x = np.zeros((1, 3, 100, 100), dtype=np.float32)
        bad = grpcclient.InferInput(in_name, list(x.shape), "FP32")
        bad.set_data_from_numpy(x)
        e = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: client.infer(model, [bad]), "bad shape")
        check("shape" in e.message(), e.message())
        expect_error(grpc.StatusCode.NOT_FOUND, lambda: client.infer("no-such-model", [bad]), "unknown model")
        expect_error(grpc.StatusCode.NOT_FOUND, lambda: client.infer(model, [bad], model_version="7"), "version")
        junk = grpcclient.InferInput("image", [1], "BYTES")
        junk.set_data_from_numpy(np.array([b"not an image"], dtype=np.object_))
        expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: client.infer(model, [junk]), "undecodable image")
        e = expect_error(grpc.StatusCode.RESOURCE_EXHAUSTED, lambda: client.infer(model, [image_input(160)]),
                         "a message beyond MAX_BODY_BYTES (20 MiB)")
        req = service_pb2.ModelInferRequest(model_name=model)
        req.inputs.add(name="image", datatype="BYTES", shape=[1])
        req.raw_input_contents.append(b"\x05\x00\x00\x00abc")  # the length says 5, 3 follow
        try:
            stub.ModelInfer(req, timeout=30)
            raise AssertionError("truncated raw BYTES accepted")
        except grpc.RpcError as err:
            check(err.code() == grpc.StatusCode.INVALID_ARGUMENT, f"truncated raw BYTES: {err.code()}")
        try:
            stub.ModelConfig(service_pb2.ModelConfigRequest(name=model), timeout=30)
            raise AssertionError("ModelConfig answered")
        except grpc.RpcError as err:
            check(err.code() == grpc.StatusCode.UNIMPLEMENTED, f"ModelConfig: {err.code()}")

    def deadline():
        before = metric("cross_pictures_timed_out_total")
        start = time.monotonic()
        expect_error(grpc.StatusCode.DEADLINE_EXCEEDED,
                     lambda: client.infer(model, [image_input(96)], client_timeout=0.3), "client deadline")
        check(time.monotonic() - start < 5, "the deadline did not cut the call short")
        # The server got the deadline too: it gives up (timed out, not finished).
        for _ in range(100):
            if metric("cross_pictures_timed_out_total") > before:
                break
            time.sleep(0.1)
        check(metric("cross_pictures_timed_out_total") > before, "the server did not time the request out")
        check(metric('cross_pictures_requests_total{endpoint="grpc/ModelInfer",status="4"}') >= 1,
              "no grpc/ModelInfer DEADLINE_EXCEEDED (4) in requests_total")

    def overload():
        results, lock = [], threading.Lock()

        def one():
            try:
                client.infer(model, [image_input(16)], client_timeout=120)
                outcome = "ok"
            except InferenceServerException as e:
                outcome = e.status()
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=one) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check("ok" in results, f"no request succeeded: {results}")
        check(str(grpc.StatusCode.UNAVAILABLE) in results, f"none shed: {results}")
        check(all(r in ("ok", str(grpc.StatusCode.UNAVAILABLE)) for r in results), f"other errors: {results}")
        check(metric("cross_pictures_shed_total") >= 1, "shed_total not counted")

    def metrics_count_grpc():
        check(metric('cross_pictures_requests_total{endpoint="grpc/ModelInfer",status="0"}') >= 3, "no OK ModelInfer")
        check(metric('cross_pictures_requests_total{endpoint="grpc/ServerLive"') >= 1, "no ServerLive")

    def sigterm_drains():
        box = {}

        def call():
            try:
                _, out_name = names()
                box["out"] = client.infer(model, [image_input(48)], client_timeout=120).as_numpy(out_name)
            except Exception as e:  # noqa: BLE001
                box["error"] = e

        t = threading.Thread(target=call)
        t.start()
        time.sleep(0.3)  # the call is in flight (48 images take well over a second here)
        os.kill(server_pid, signal.SIGTERM)
        t.join()
        check("error" not in box, f"in-flight RPC failed on SIGTERM: {box.get('error')}")
        check(box["out"].shape == (48, CLASSES) and int(np.argmax(box["out"][47])) == EAGLE, "wrong answer")

    tests = [
        ("live / ready / model ready", health),
        ("server and model metadata", metadata),
        ("FP32 raw_input_contents == REST", fp32_equals_rest),
        ("FP32 fp32_contents == raw", fp32_contents),
        ("BYTES images, classification", bytes_classification),
        ("BYTES bytes_contents, logits", bytes_contents),
        ("errors", errors),
        ("client deadline -> DEADLINE_EXCEEDED", deadline),
        ("burst -> UNAVAILABLE", overload),
        ("metrics count gRPC", metrics_count_grpc),
        ("SIGTERM during an RPC: it completes", sigterm_drains),  # last: the server stops
    ]
    status = run_checks(tests, (AssertionError, InferenceServerException))
    client.close()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
