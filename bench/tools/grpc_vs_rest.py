#!/usr/bin/env python3
"""gRPC vs REST: the same KServe v2 infer request, the same server, the same
client library (tritonclient, .grpc vs .http with the binary tensor extension).

Usage: grpc_vs_rest.py GRPC_ADDR HTTP_ADDR MODEL IMAGE [--duration S] [--reps R] [--saturation C]
                       [--server-pid PID]

Workloads:
  image   BYTES [1] = the encoded image, classification k=3 (what a client of
          the service sends): decode + preprocess + model + transport
  tensor  FP32 [1,3,224,224] raw (602 KB), logits [1,1000] back: the
          transport's share is larger
Modes, per workload and transport, interleaved (rep 1: rest, grpc; rep 2:
grpc, rest; ...), each run for --duration seconds after a short warm-up:
  c1   one client, requests back to back: latency p50 (ms)
  sat  --saturation client processes, back to back: requests/s
With --server-pid, also the server's CPU time (user + system, /proc/PID/stat)
per request in each saturation run: the server's own cost of a request,
which the clients' CPU (Python, on the same cores) does not blur.
Prints one "REC ..." line per run, then a Markdown table: per workload and
mode the median [min-max] over reps of each transport, and of the per-rep
ratios grpc/rest (from the same rep, so slow machine drift mostly cancels).
"""
import argparse
import multiprocessing as mp
import os
import statistics
import time

import numpy as np


def make_call(transport, addr, model, workload, image):
    if transport == "grpc":
        import tritonclient.grpc as client_lib
    else:
        import tritonclient.http as client_lib
    client = client_lib.InferenceServerClient(url=addr) if transport == "grpc" else \
        client_lib.InferenceServerClient(url=addr, network_timeout=120.0)
    md = client.get_model_metadata(model)
    if transport == "grpc":
        md = {"inputs": [{"name": md.inputs[0].name}], "outputs": [{"name": md.outputs[0].name}]}
    in_name, out_name = md["inputs"][0]["name"], md["outputs"][0]["name"]
    if workload == "image":
        inp = client_lib.InferInput("image", [1], "BYTES")
        data = np.array([image], dtype=np.object_)
        inp.set_data_from_numpy(data) if transport == "grpc" else inp.set_data_from_numpy(data, binary_data=True)
        out = client_lib.InferRequestedOutput(out_name, class_count=3)
    else:
        x = np.random.default_rng(0).standard_normal((1, 3, 224, 224), dtype=np.float32)
        inp = client_lib.InferInput(in_name, [1, 3, 224, 224], "FP32")
        inp.set_data_from_numpy(x) if transport == "grpc" else inp.set_data_from_numpy(x, binary_data=True)
        out = client_lib.InferRequestedOutput(out_name) if transport == "grpc" else \
            client_lib.InferRequestedOutput(out_name, binary_data=True)

    def call():
        r = client.infer(model, [inp], outputs=[out])
        if r.as_numpy(out_name) is None:
            raise RuntimeError("no output")
    return call


def loop(args, duration, queue):
    call = make_call(*args)
    for _ in range(3):
        call()
    lat = []
    end = time.monotonic() + duration
    while True:
        t = time.monotonic()
        if t >= end:
            break
        call()
        lat.append(time.monotonic() - t)
    queue.put(lat)


def server_cpu_s(pid):
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run(args, duration, processes):
    q = mp.Queue()
    ps = [mp.Process(target=loop, args=(args, duration, q)) for _ in range(processes)]
    for p in ps:
        p.start()
    lats = [q.get() for _ in ps]
    for p in ps:
        p.join()
    count = sum(len(lat) for lat in lats)
    all_lat = sorted(x for lat in lats for x in lat)
    return count / duration, 1000 * all_lat[len(all_lat) // 2]


def spread(values, digits):
    """ "median [min-max]" """
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("grpc_addr")
    ap.add_argument("http_addr")
    ap.add_argument("model")
    ap.add_argument("image")
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--saturation", type=int, default=4)
    ap.add_argument("--server-pid", type=int, default=None)
    a = ap.parse_args()
    with open(a.image, "rb") as f:
        image = f.read()
    addr = {"grpc": a.grpc_addr, "rest": a.http_addr}
    res = {}  # (workload, mode, transport) -> [value per rep]
    for rep in range(a.reps):
        order = ["rest", "grpc"] if rep % 2 == 0 else ["grpc", "rest"]
        for workload in ("image", "tensor"):
            for mode in ("c1", "sat"):
                for transport in order:
                    procs = 1 if mode == "c1" else a.saturation
                    cpu0 = server_cpu_s(a.server_pid)
                    rps, p50 = run((transport, addr[transport], a.model, workload, image), a.duration, procs)
                    # Warm-up calls (3 per client) are outside rps but inside the CPU time: count them.
                    cpu_ms = 1000 * (server_cpu_s(a.server_pid) - cpu0) / (rps * a.duration + 3 * procs)
                    res.setdefault((workload, mode, transport), []).append(p50 if mode == "c1" else rps)
                    if mode == "sat":
                        res.setdefault((workload, "cpu", transport), []).append(cpu_ms)
                    print(f"REC rep={rep + 1} workload={workload} mode={mode} transport={transport} "
                          f"clients={procs} rps={rps:.2f} p50_ms={p50:.2f} server_cpu_ms_per_req={cpu_ms:.2f}",
                          flush=True)
    print()
    print(f"{a.reps} interleaved reps of {a.duration:g} s; saturation = {a.saturation} client processes; "
          "median [min-max] over reps; gRPC/REST = the per-rep ratios (same rep), median [min-max]")
    print()
    print("| workload | measure | REST | gRPC | gRPC/REST |")
    print("| --- | --- | --- | --- | --- |")
    for workload in ("image", "tensor"):
        modes = [("c1", "p50 ms at c=1"), ("sat", f"req/s at c={a.saturation}")]
        if a.server_pid is not None:
            modes.append(("cpu", f"server CPU ms per request at c={a.saturation}"))
        for mode, label in modes:
            r, g = res[(workload, mode, "rest")], res[(workload, mode, "grpc")]
            ratios = [gi / ri for gi, ri in zip(g, r)]
            print(f"| {workload} | {label} | {spread(r, 2)} | {spread(g, 2)} | {spread(ratios, 3)} |")


if __name__ == "__main__":
    main()
