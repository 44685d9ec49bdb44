#!/usr/bin/env python3
"""Connection handling of the real `cross_pictures serve` binary on loopback.

Checks (each on its own fresh server; --only picks some):
  a  10,000 idle keep-alive connections held at once, all answered; then a
     fresh POST /infer still succeeds and the server is alive
     (MAX_CONNECTIONS = 10,016: the default 10,000 would refuse the fresh one).
  b  with 1,000 idle keep-alive and 256 slow-header clients held, a new
     /infer is answered; with HEADER_TIMEOUT_S=2 the server closes the
     slow-header clients within HEADER_TIMEOUT_S + 1 s and leaves the idle
     ones alone.
  c  3,000 connect/close in a burst (256 at once): no refused/reset/timeout,
     every GET /health gets 200.
  d  MAX_CONNECTIONS=50: the 51st connection gets 503 (JSON detail,
     Connection: close) and is closed; once some are closed, new ones are
     served again.
  e  KEEP_ALIVE_TIMEOUT_S=1 closes an idle connection after ~1 s; 3
     pipelined requests in one send() get 3 responses in order; Expect:
     100-continue gets 413 before the body when the length is over
     MAX_BODY_BYTES, and 100 Continue then 200 when it is not.

Behaviour only: times are asserted only as sanity bounds (answered within
30 s) or where the timeout under test defines them; speed is bench/connections.
Exit 0 if every selected check passed, 1 otherwise. The driver itself is
validated by passing every check against reference_server.py.
"""
import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from connlib import HOLD, Server, exchange, post_multipart, raise_nofile  # noqa: E402
from checks_misc import check_burst, check_keep_alive_pipelining_expect, check_max_connections  # noqa: E402
from fleets import IdleFleet, SlowHeaderFleet  # noqa: E402



class Report:
    """Expectations of one check: printed as they are met or not."""

    def __init__(self, key, title):
        self.key, self.fails = key, []
        print(f"--- {key}: {title}", flush=True)

    def expect(self, cond, what):
        print(f"  {'ok  ' if cond else 'FAIL'} {what}", flush=True)
        if not cond:
            self.fails.append(what)
        return cond

    def note(self, what):
        print(f"  .... {what}", flush=True)

    async def infer(self, port, image, what, timeout=30):
        """A fresh multipart POST /infer must answer 200 with predictions."""
        try:
            res, secs = await exchange(port, post_multipart("/infer", "file", "eagle.jpg", image), timeout)
            ok = res.status == 200 and "predictions" in res.json()
            return self.expect(ok, f"{what}: {res.status} in {secs * 1000:.0f} ms")
        except Exception as e:  # noqa: BLE001
            return self.expect(False, f"{what}: no answer ({type(e).__name__}: {e})")


async def check_idle(ctx, r):
    """a: the event-driven server holds 10,000 idle keep-alive connections (a
    thread per connection cannot: it answers HTTP_THREADS + pending ones)."""
    n = ctx.idle
    # Room for the fresh /infer: with the default MAX_CONNECTIONS (10000), the
    # 10,001st connection is refused with 503 by contract.
    with Server(ctx.binary, ctx.model, ctx.labels, dict(HOLD, MAX_CONNECTIONS=n + 16)) as srv:
        rss0 = srv.status_kb("VmRSS")
        t0 = time.monotonic()
        fleet = await IdleFleet(srv.port, n).open(deadline_s=60)
        answered = fleet.answered()
        r.expect(answered == n, f"{answered}/{n} idle connections answered 200 within 60 s"
                 f" ({time.monotonic() - t0:.1f} s); not answered: {fleet.errors()}")
        held = fleet.open_now()
        r.expect(held == answered, f"{held}/{answered} answered connections still open at once")
        r.note(f"server VmRSS {rss0 // 1024} -> {srv.status_kb('VmRSS') // 1024} MB, {srv.threads()} threads")
        await r.infer(srv.port, ctx.image, f"fresh POST /infer with {held} idle held")
        r.expect(srv.alive(), "server alive")
        await fleet.aclose()


async def hold_idle_and_slow(ctx, r, srv, idle_n=1000, slow_n=256):
    idle = await IdleFleet(srv.port, idle_n).open(deadline_s=30)
    r.expect(idle.answered() == idle_n, f"{idle.answered()}/{idle_n} idle keep-alive answered within 30 s;"
             f" not answered: {idle.errors()}")
    slow = await SlowHeaderFleet(srv.port, slow_n).open(deadline_s=30)
    started = sum(1 for c in slow.conns if c.t_connected is not None)
    r.expect(started == slow_n, f"{started}/{slow_n} slow-header clients connected and sent their request line")
    return idle, slow


async def check_slow_headers(ctx, r):
    """b: idle and slow-header clients take no thread each, so /infer is still
    served; the header timeout cuts slow-header clients, not idle ones."""
    with Server(ctx.binary, ctx.model, ctx.labels, dict(HOLD, HEADER_TIMEOUT_S=60)) as srv:
        idle, slow = await hold_idle_and_slow(ctx, r, srv)
        await r.infer(srv.port, ctx.image, "POST /infer while they are held")
        r.expect(idle.open_now() == idle.answered() and slow.open_now() == len(slow.conns),
                 f"still held after it: {idle.open_now()} idle, {slow.open_now()} slow-header")
        r.expect(srv.alive(), "server alive")
        await idle.aclose()
        await slow.aclose()
    timeout = 2
    with Server(ctx.binary, ctx.model, ctx.labels, dict(HOLD, HEADER_TIMEOUT_S=timeout)) as srv:
        idle, slow = await hold_idle_and_slow(ctx, r, srv)
        await slow.wait_all_closed(timeout + 5)
        # +0.5 s: this client's own scheduling on a busy 2-core machine.
        limit = timeout + 1.5
        within = slow.closed_within(limit)
        times = slow.close_times()
        spread = f"{times[0]:.2f}-{times[-1]:.2f} s" if times else "none closed"
        codes = sorted({c.status for c in slow.conns if c.status})
        r.expect(within == len(slow.conns), f"HEADER_TIMEOUT_S={timeout}: {within}/{len(slow.conns)} slow-header"
                 f" clients closed by the server within {limit} s of their first byte ({spread};"
                 f" {slow.closed_within(timeout + 1)} within {timeout + 1} s; answered {codes or 'nothing'})")
        r.expect(idle.open_now() == idle.answered(), f"{idle.open_now()}/{idle.answered()} idle keep-alive"
                 " connections untouched by the header timeout")
        await r.infer(srv.port, ctx.image, "POST /infer afterwards")
        await idle.aclose()
        await slow.aclose()


CHECKS = {
    "a": ("10,000 idle keep-alive connections held at once", check_idle),
    "b": ("/infer answered while 1,000 idle + 256 slow-header clients are held; HEADER_TIMEOUT_S", check_slow_headers),
    "c": ("3,000 connect/close in a burst", check_burst),
    "d": ("MAX_CONNECTIONS=50: the 51st gets 503 and is closed", check_max_connections),
    "e": ("keep-alive timeout, pipelining, Expect: 100-continue", check_keep_alive_pipelining_expect),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.path.normpath(os.path.join(here, "..", "..", "..", "shared"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--shared", default=shared, help="the shared data folder (images/, models/, labels/)")
    ap.add_argument("--model", help="default: SHARED/models/mobilenetv2-12-int8.onnx")
    ap.add_argument("--labels", help="default: SHARED/labels/imagenet_classes.txt")
    ap.add_argument("--only", default="abcde", help="which checks, e.g. 'ace'")
    ap.add_argument("--idle", type=int, default=10000, help="connections in check a")
    ctx = ap.parse_args()
    ctx.model = ctx.model or os.path.join(ctx.shared, "models", "mobilenetv2-12-int8.onnx")
    ctx.labels = ctx.labels or os.path.join(ctx.shared, "labels", "imagenet_classes.txt")
    with open(os.path.join(ctx.shared, "images", "eagle.jpg"), "rb") as f:
        ctx.image = f.read()
    limit = raise_nofile()  # the server inherits it too
    if limit < ctx.idle + 300:
        print(f"NOTE: RLIMIT_NOFILE hard limit is {limit}: check a scaled down from {ctx.idle}"
              f" to {limit - 300} connections")
        ctx.idle = limit - 300
    failed = []
    for key in ctx.only:
        title, fn = CHECKS[key]
        r = Report(key, title)
        try:
            asyncio.run(fn(ctx, r))
        except Exception as e:  # noqa: BLE001 - a crashed check is a failed check
            r.expect(False, f"check raised {type(e).__name__}: {e}")
        print(f"{'PASS' if not r.fails else 'FAIL'} {key}", flush=True)
        if r.fails:
            failed.append(key)
    print(f"connections: {len(ctx.only) - len(failed)} passed, {len(failed)} failed {''.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
