"""Checks c, d, e of test_connections.py (r: its Report)."""
import asyncio
import time

from connlib import HOLD, HOST, Server, error_kind, get, post_jpeg, read_response, wait_closed_by_server
from fleets import IdleFleet, burst


async def check_burst(ctx, r):
    """c: the listener keeps up with a connect storm (backlog SOMAXCONN, accept
    never blocked by busy workers): nothing refused, reset or timed out."""
    n = 3000
    with Server(ctx.binary, ctx.model, ctx.labels) as srv:
        t0 = time.monotonic()
        conns = await burst(srv.port, n, concurrency=256, timeout=30)
        secs = time.monotonic() - t0
        errors = {}
        for c in conns:
            if c.error:
                errors[c.error] = errors.get(c.error, 0) + 1
        r.expect(not errors, f"{n} connect/close in {secs:.1f} s, 256 at once: failures {errors or 'none'}")
        asked = conns[0::2]
        ok = sum(1 for c in asked if c.status == 200)
        r.expect(ok == len(asked), f"{ok}/{len(asked)} GET /health answered 200")
        slowest = max((c.handshake for c in conns if c.handshake is not None), default=0)
        resent = sum(1 for c in conns if c.retrans)
        r.note(f"slowest handshake {slowest * 1000:.0f} ms, {resent} SYNs sent again (the targets are bench/connections')")
        r.expect(srv.alive(), "server alive")


async def read_one(reader, timeout):
    return await asyncio.wait_for(read_response(reader), timeout)


async def refused_connection(port):
    """The over-limit connection: what it is answered and whether it is closed.
    It sends nothing for 1 s (a server may refuse on accept), then GET /health."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 10)
    t0 = time.monotonic()
    try:
        try:
            res = await read_one(reader, 1.0)
        except asyncio.TimeoutError:
            writer.write(get("/health"))
            res = await read_one(reader, 10)
        answered = time.monotonic() - t0
        closed = await wait_closed_by_server(reader, 5)
        return res, answered, closed
    finally:
        writer.close()


async def check_max_connections(ctx, r):
    """d: MAX_CONNECTIONS bounds open connections with an immediate, explicit
    refusal (not a hang in the listen queue), and the slots come back."""
    limit = 50
    with Server(ctx.binary, ctx.model, ctx.labels, dict(HOLD, MAX_CONNECTIONS=limit)) as srv:
        held = await IdleFleet(srv.port, limit).open(deadline_s=30)
        r.expect(held.answered() == limit, f"{held.answered()}/{limit} held connections answered 200")
        try:
            res, answered, closed = await refused_connection(srv.port)
            detail = res.status == 503 and "detail" in res.json()
            r.expect(detail and res.closes(), f"connection {limit + 1}: {res.status} in {answered * 1000:.0f} ms,"
                     f" Connection: {res.headers.get('connection', '-')}, body {res.body[:80]!r}")
            r.expect(closed is not None, "... and the server closed it"
                     + (f" ({closed * 1000:.0f} ms after the answer)" if closed is not None else " (open after 5 s)"))
        except Exception as e:  # noqa: BLE001
            r.expect(False, f"connection {limit + 1}: {error_kind(e)} ({e})")
        held.close(10)  # free 10 slots; the server notices the EOFs
        served = 0
        deadline = time.monotonic() + 10
        while served < 10 and time.monotonic() < deadline:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, srv.port), 10)
                writer.write(get("/health", keep_alive=False))
                res = await read_one(reader, 10)
                writer.close()
                if res.status == 200:
                    served += 1
                    continue
            except Exception:  # noqa: BLE001 - retried until the deadline
                pass
            await asyncio.sleep(0.2)
        r.expect(served == 10, f"after closing 10 held: {served}/10 new connections served (within 10 s)")
        r.expect(srv.alive(), "server alive")
        await held.aclose()


async def check_keep_alive_pipelining_expect(ctx, r):
    """e: HTTP/1.1 connection semantics the front end must keep."""
    max_body = len(ctx.image) + 4096
    env = {"KEEP_ALIVE_TIMEOUT_S": 1, "MAX_BODY_BYTES": max_body}
    with Server(ctx.binary, ctx.model, ctx.labels, env) as srv:
        port = srv.port
        # Idle keep-alive: closed by the server after about KEEP_ALIVE_TIMEOUT_S.
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(get("/health"))
        res = await read_one(reader, 30)
        closed = await wait_closed_by_server(reader, 10)
        writer.close()
        r.expect(res.status == 200 and closed is not None and 0.5 <= closed <= 3,
                 "KEEP_ALIVE_TIMEOUT_S=1: idle connection closed by the server after "
                 + (f"{closed:.2f} s" if closed is not None else "more than 10 s"))

        # Pipelining: three requests in one send(), three answers in order.
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(get("/health") + post_jpeg("/infer", ctx.image) + get("/openapi.json"))
        got = []
        try:
            for _ in range(3):
                got.append(await read_one(reader, 30))
        except Exception as e:  # noqa: BLE001
            got.append(error_kind(e))
        writer.close()
        # The OpenAPI document names /health's fields too: recognise it first.
        kinds = [(g.status, b'"paths"' in g.body and "openapi"
                  or b"predictions" in g.body and "infer" or b'"Status"' in g.body and "health" or "?")
                 if not isinstance(g, str) else g for g in got]
        r.expect(kinds == [(200, "health"), (200, "infer"), (200, "openapi")],
                 f"pipelined GET /health, POST /infer, GET /openapi.json in one send(): {kinds}")

        # Expect: 100-continue, over the limit: 413 before any body byte.
        over = max_body * 10
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(post_jpeg("/infer", b"", f"Expect: 100-continue\r\n").replace(
            b"Content-Length: 0", f"Content-Length: {over}".encode()))
        try:
            res = await read_one(reader, 5)
            r.expect(res.status == 413, f"Expect: 100-continue, Content-Length {over} > MAX_BODY_BYTES {max_body}:"
                     f" {res.status} without the body")
        except Exception as e:  # noqa: BLE001
            r.expect(False, f"Expect: 100-continue over the limit: no answer in 5 s ({error_kind(e)})")
        writer.close()

        # Expect: 100-continue within the limit: 100 Continue, then the body, then 200.
        reader, writer = await asyncio.open_connection(HOST, port)
        request = post_jpeg("/infer", ctx.image, "Expect: 100-continue\r\n")
        head_len = request.index(b"\r\n\r\n") + 4
        writer.write(request[:head_len])
        try:
            interim = await read_one(reader, 5)
            if r.expect(interim.status == 100, f"Expect: 100-continue, {len(ctx.image)} bytes: {interim.status} first"):
                writer.write(request[head_len:])
                res = await read_one(reader, 30)
                r.expect(res.status == 200 and b"predictions" in res.body, f"... then {res.status} after the body")
        except Exception as e:  # noqa: BLE001
            r.expect(False, f"Expect: 100-continue within the limit: {error_kind(e)}")
        writer.close()
        r.expect(srv.alive(), "server alive")
