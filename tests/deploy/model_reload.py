"""Model reload under load (issue 8), against the real binary.

Clients POST eagle.jpg to /infer without pause (HTTP keep-alive threads, and
one KServe v2 gRPC thread through tritonclient) while the model file at
MODEL_PATH is replaced and reloaded:
  1. fp32 -> int8 by POST /v2/repository/models/NAME/load (200),
  2. int8 -> fp32 by SIGHUP,
  3. a file that does not load: POST .../load answers 400 with why, the fp32
     model keeps serving,
then, with the clients stopped, unload (503 for /infer, readiness 503) and
load again (200), over HTTP and then tritonclient[grpc]'s load_model /
unload_model / get_model_repository_index.
PASS: every request under load answered 200; each answer is from the model
it must be from: the old one for requests sent before the swap began, the
new one for requests sent after it was done (top-1 probability of "bald
eagle" tells fp32 and int8 apart); the gRPC calls all succeeded.

Usage: model_reload.py HTTP_HOSTPORT GRPC_HOSTPORT MODEL_NAME PID MODEL_PATH FP32 INT8 IMAGE
"""
import http.client
import json
import os
import shutil
import signal
import sys
import threading
import time
import uuid

import numpy as np
import tritonclient.grpc as grpcclient

HTTP, GRPC, NAME, PID, MODEL_PATH, FP32, INT8, IMAGE = sys.argv[1:9]
PID = int(PID)
HOST, PORT = HTTP.rsplit(":", 1)
BOUNDARY = "reload" + uuid.uuid4().hex
with open(IMAGE, "rb") as f:
    PHOTO = f.read()
BODY = (
    f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"eagle.jpg\"\r\n"
    f"Content-Type: image/jpeg\r\n\r\n"
).encode() + PHOTO + f"\r\n--{BOUNDARY}--\r\n".encode()
HEADERS = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg, flush=True)


def request(method, path, body=None, headers=None, conn=None):
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(HOST, int(PORT), timeout=120)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    if own:
        conn.close()
    return r.status, data


def top1():
    status, data = request("POST", "/infer", BODY, HEADERS)
    assert status == 200, (status, data)
    p = json.loads(data)["predictions"][0]
    assert p["label"] == "bald eagle", p
    return p["probability"]


def replace_model(src):
    """A new file at MODEL_PATH, atomically (as a deploy tool would)."""
    tmp = MODEL_PATH + ".new"
    shutil.copyfile(src, tmp)
    os.replace(tmp, MODEL_PATH)


# The two models' answers for the photo, measured through the server itself.
p_fp32 = top1()
replace_model(INT8)
status, data = request("POST", f"/v2/repository/models/{NAME}/load")
assert status == 200, (status, data)
p_int8 = top1()
replace_model(FP32)
status, data = request("POST", f"/v2/repository/models/{NAME}/load")
assert status == 200, (status, data)
assert abs(p_fp32 - p_int8) > 1e-3, (p_fp32, p_int8)
print(f"bald eagle: fp32 {p_fp32:.6f}, int8 {p_int8:.6f}", flush=True)


def which(p):
    if abs(p - p_fp32) < 1e-6:
        return "fp32"
    if abs(p - p_int8) < 1e-6:
        return "int8"
    return f"unknown({p})"


records = []  # (sent, answered, status, model)
records_mu = threading.Lock()
stop = threading.Event()


def http_client():
    conn = http.client.HTTPConnection(HOST, int(PORT), timeout=120)
    while not stop.is_set():
        sent = time.monotonic()
        try:
            status, data = request("POST", "/infer", BODY, HEADERS, conn)
            model = which(json.loads(data)["predictions"][0]["probability"]) if status == 200 else data[:200]
        except Exception as e:  # a dropped connection is a failure too
            status, model = -1, repr(e)
            conn.close()
            conn = http.client.HTTPConnection(HOST, int(PORT), timeout=120)
        with records_mu:
            records.append((sent, time.monotonic(), status, model))
    conn.close()


grpc_results = {"ok": 0, "failed": []}


def grpc_client():
    client = grpcclient.InferenceServerClient(GRPC)
    inp = grpcclient.InferInput("image", [1], "BYTES")
    inp.set_data_from_numpy(np.array([PHOTO], dtype=np.object_))
    while not stop.is_set():
        try:
            client.infer(NAME, [inp], client_timeout=120)
            grpc_results["ok"] += 1
        except Exception as e:
            grpc_results["failed"].append(repr(e)[:200])


def loads_ok():
    """model_loads_total{result="ok"}: successful reloads so far."""
    _, data = request("GET", "/metrics")
    for line in data.decode().splitlines():
        if line.startswith('cross_pictures_model_loads_total{result="ok"}'):
            return float(line.split()[-1])
    return 0.0


def wait_reloads(n, timeout=120):
    """Until n reloads have succeeded (SIGHUP loads on the server's own thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if loads_ok() >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {n}th successful reload within {timeout} s")


threads = [threading.Thread(target=http_client) for _ in range(4)] + [threading.Thread(target=grpc_client)]
for t in threads:
    t.start()
phases = []  # (model before, swap began, swap done, model after)
time.sleep(2)

# 1. fp32 -> int8 through the repository API.
replace_model(INT8)
began = time.monotonic()
status, data = request("POST", f"/v2/repository/models/{NAME}/load")
done = time.monotonic()
if status != 200:
    fail(f"load of the int8 file: {status} {data[:300]}")
phases.append(("fp32", began, done, "int8"))
print(f"load (repository API): {done - began:.3f} s", flush=True)
time.sleep(2)

# 2. int8 -> fp32 by SIGHUP.
replace_model(FP32)
loaded = loads_ok()
began = time.monotonic()
os.kill(PID, signal.SIGHUP)
wait_reloads(loaded + 1)
done = time.monotonic()
phases.append(("int8", began, done, "fp32"))
print(f"load (SIGHUP): {done - began:.3f} s", flush=True)
time.sleep(2)

# 3. A file that does not load: 400 with why; fp32 keeps serving.
with open(MODEL_PATH + ".new", "wb") as f:
    f.write(b"this is not an ONNX model")
os.replace(MODEL_PATH + ".new", MODEL_PATH)
began = time.monotonic()
status, data = request("POST", f"/v2/repository/models/{NAME}/load")
done = time.monotonic()
if status != 400 or b"keeps serving" not in data:
    fail(f"load of a broken file: expected 400 saying the model before keeps serving, got {status} {data[:300]}")
else:
    print(f"broken file: 400 {json.loads(data)['error']}", flush=True)
phases.append(("fp32", began, done, "fp32"))
time.sleep(2)

stop.set()
for t in threads:
    t.join()

# Every request answered 200, by the right model.
bad = [r for r in records if r[2] != 200]
for r in bad[:10]:
    fail(f"request sent at {r[0]:.3f}: status {r[2]} {r[3]}")
wrong = []
# Between two swaps (after one was done, before the next began) only one
# model may answer; a request overlapping a swap may get either.
windows = []
prev_done, prev_model = 0.0, phases[0][0]
for before, began, done, after in phases:
    windows.append((prev_done, began, before))
    prev_done = done
windows.append((prev_done, float("inf"), phases[-1][3]))
for sent, answered, status, model in records:
    if status != 200:
        continue
    for start, end, expected in windows:
        if sent > start and answered < end and model != expected:
            wrong.append((sent, model, f"expected {expected}: sent and answered between two swaps"))
for w in wrong[:10]:
    fail(f"request sent at {w[0]:.3f} answered by {w[1]}: {w[2]}")
if grpc_results["failed"]:
    fail(f"{len(grpc_results['failed'])} gRPC calls failed, e.g. {grpc_results['failed'][0]}")
if grpc_results["ok"] == 0:
    fail("no gRPC call completed")
by_model = {}
for r in records:
    by_model[r[3] if r[2] == 200 else "error"] = by_model.get(r[3] if r[2] == 200 else "error", 0) + 1
print(f"under load: {len(records)} HTTP requests {by_model}, {grpc_results['ok']} gRPC calls ok, "
      f"{len(bad)} failed", flush=True)
for needed in ("fp32", "int8"):
    if by_model.get(needed, 0) == 0:
        fail(f"no request was answered by {needed}")

# 4. Unload, then load again (no load running).
replace_model(FP32)
status, data = request("POST", f"/v2/repository/models/{NAME}/unload")
if status != 200:
    fail(f"unload: {status} {data[:200]}")
status, _ = request("POST", "/infer", BODY, HEADERS)
ready, _ = request("GET", "/v2/health/ready")
if status != 503 or ready != 503:
    fail(f"after unload: /infer {status}, ready {ready} (expected 503, 503)")
status, data = request("POST", f"/v2/repository/models/{NAME}/load")
if status != 200 or which(top1()) != "fp32":
    fail(f"load after unload: {status} {data[:200]}")

# 5. The same through tritonclient[grpc]'s model-repository calls.
gc = grpcclient.InferenceServerClient(GRPC)
try:
    gc.unload_model(NAME)
    if gc.is_model_ready(NAME):
        fail("gRPC unload_model: the model is still ready")
    index = gc.get_model_repository_index(as_json=True)
    if index["models"][0]["state"] != "UNAVAILABLE":
        fail(f"gRPC index after unload: {index}")
    gc.load_model(NAME)
    if not gc.is_model_ready(NAME):
        fail("gRPC load_model: the model is not ready")
    print(f"gRPC repository: unload, index {index['models'][0]['state']}, load: ok", flush=True)
except Exception as e:
    fail(f"gRPC model repository: {e!r}")

print(f"model_reload: {'FAILED' if failures else 'passed'} ({len(failures)} failures)")
sys.exit(1 if failures else 0)
