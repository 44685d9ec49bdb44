#!/usr/bin/env python3
"""A stand-in for `cross_pictures serve` that keeps the front end's connection
contract and nothing else: it validates test_connections.py itself (every
check must pass against it) and shows the contract in ~100 lines. Not the
product: /infer answers canned predictions without looking at the image.

  reference_server.py serve --host 127.0.0.1 --port 0
Settings as the real server's: MAX_CONNECTIONS (10000; beyond it 503 +
Connection: close at accept), HEADER_TIMEOUT_S (10; first byte of a request
to the end of its headers: 408 + close), KEEP_ALIVE_TIMEOUT_S (5; idle between
requests), READ_TIMEOUT_S (10; the body), MAX_BODY_BYTES (20 MiB; Expect:
100-continue is refused with 413 before the body). Pipelined requests are
answered in order (one at a time per connection).
"""
import asyncio
import json
import os
import resource
import sys


def setting(name, default):
    return int(os.environ.get(name, default))


MAX_CONNECTIONS = setting("MAX_CONNECTIONS", 10000)
HEADER_TIMEOUT_S = setting("HEADER_TIMEOUT_S", 10)
KEEP_ALIVE_TIMEOUT_S = setting("KEEP_ALIVE_TIMEOUT_S", 5)
READ_TIMEOUT_S = setting("READ_TIMEOUT_S", 10)
MAX_BODY_BYTES = setting("MAX_BODY_BYTES", 20 * 1024 * 1024)
ROUTES = {
    ("GET", "/health"): {"Status": "ok", "model_loaded": True},
    ("GET", "/openapi.json"): {"openapi": "3.1.0"},
    ("POST", "/infer"): {"predictions": [{"label": "bald eagle", "probability": 0.83}], "inference_time_ms": 0.0},
}
active = 0


def reply(writer, status, body, close=False):
    data = json.dumps(body).encode()
    writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                 f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n".encode() + data)


async def serve_one(reader, writer):
    """One request; False when the connection is to be closed."""
    try:
        first = await asyncio.wait_for(reader.readexactly(1), KEEP_ALIVE_TIMEOUT_S)
    except (asyncio.TimeoutError, asyncio.IncompleteReadError):
        return False  # idle too long, or the client closed
    try:
        head = first + await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEADER_TIMEOUT_S)
    except asyncio.TimeoutError:
        reply(writer, 408, {"detail": "request headers not received in time"}, close=True)
        return False
    lines = head.decode("latin-1").split("\r\n")
    method, path = lines[0].split()[:2]
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if ":" in x)}
    length = int(headers.get("content-length", 0))
    if length > MAX_BODY_BYTES:
        reply(writer, 413, {"detail": "body too large"}, close=True)
        return False
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    await asyncio.wait_for(reader.readexactly(length), READ_TIMEOUT_S)
    body = ROUTES.get((method, path.split("?")[0]))
    close = headers.get("connection", "").lower() == "close"
    reply(writer, 200 if body else 404, body or {"detail": "Not Found"}, close)
    await writer.drain()
    return not close


async def connection(reader, writer):
    global active
    if active >= MAX_CONNECTIONS:
        reply(writer, 503, {"detail": "too many connections"}, close=True)
        writer.close()
        return
    active += 1
    try:
        while await serve_one(reader, writer):
            pass
    except Exception:  # noqa: BLE001 - a broken connection is just closed
        pass
    finally:
        active -= 1
        writer.close()


async def main(host, port):
    server = await asyncio.start_server(connection, host, port, backlog=4096, limit=1 << 20)
    print(f"reference_server: serving on http://{host}:{server.sockets[0].getsockname()[1]}", file=sys.stderr,
          flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "serve":
        sys.exit(__doc__)
    host = args[args.index("--host") + 1] if "--host" in args else "0.0.0.0"
    port = int(args[args.index("--port") + 1]) if "--port" in args else 8000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(main(host, port))
    except KeyboardInterrupt:
        pass
