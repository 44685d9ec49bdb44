"""Crowds of clients held against one server (asyncio, stdlib only).

IdleFleet: N keep-alive connections; each sends one `GET /health`, reads its
  answer, then stays open without sending more, watching for the server to
  close it. Opening is bounded by a deadline for the whole fleet, so a server
  that cannot take them all (thread per connection) gives a count, not a hang.
SlowHeaderFleet: N clients that send `POST /infer HTTP/1.1\\r\\n` and then one
  header byte a second, never finishing the headers; each records when the
  server closed it (and what, if anything, it answered: 408).
burst(): N connect/close as fast as possible, `concurrency` at a time; every
  other one sends `GET /health` first and must get 200.
"""
import asyncio
import time

from connlib import HOST, connect_timed, error_kind, get, read_response


class Conn:
    """One client's record. t_* are time.monotonic() values."""
    __slots__ = ("status", "error", "t_start", "t_connected", "t_answered", "t_closed", "reply", "writer", "retrans", "handshake")

    def __init__(self):
        self.status = self.error = self.t_connected = self.t_answered = self.t_closed = None
        self.reply = b""
        self.writer = self.retrans = self.handshake = None
        self.t_start = time.monotonic()


class Fleet:
    """n clients, each `_client(conn, ready)`, which resolves `ready` once it
    is in place (answered, request line sent) or failed."""

    def __init__(self, port, n, timeout=30):
        self.port, self.n, self.timeout = port, n, timeout
        self.conns = [Conn() for _ in range(n)]
        self.tasks = []

    async def open(self, deadline_s):
        """Starts all; returns when every one is in place or failed, or at the deadline."""
        ready = [asyncio.get_running_loop().create_future() for _ in range(self.n)]
        self.tasks = [asyncio.create_task(self._client(c, f)) for c, f in zip(self.conns, ready)]
        await asyncio.wait(ready, timeout=deadline_s)
        return self

    def close(self, k=None):
        """Client-side close of the first k connections (all by default)."""
        for c, t in list(zip(self.conns, self.tasks))[:k]:
            if c.writer is not None:
                c.writer.close()
            t.cancel()

    async def aclose(self):
        self.close()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class IdleFleet(Fleet):
    def __init__(self, port, n, concurrency=500, timeout=30):
        super().__init__(port, n, timeout)
        self.sem = asyncio.Semaphore(concurrency)  # connections being opened at once

    async def _client(self, c, ready):
        try:
            async with self.sem:
                c.t_start = time.monotonic()
                reader, c.writer = await asyncio.wait_for(asyncio.open_connection(HOST, self.port), self.timeout)
                c.t_connected = time.monotonic()
                c.writer.write(get("/health"))
                res = await asyncio.wait_for(read_response(reader), self.timeout)
                c.status, c.t_answered = res.status, time.monotonic()
                if res.closes():
                    c.t_closed = c.t_answered
        except Exception as e:  # noqa: BLE001 - every failure is counted by kind
            c.error = error_kind(e)
        finally:
            if not ready.done():
                ready.set_result(None)
        if c.error is None and c.t_closed is None:
            try:  # held: the next thing the server may do is close it
                while await reader.read(65536):
                    pass
            except (ConnectionError, OSError):
                pass
            c.t_closed = time.monotonic()

    def answered(self, status=200):
        return sum(1 for c in self.conns if c.status == status)

    def open_now(self):
        return sum(1 for c in self.conns if c.status is not None and c.t_closed is None)

    def errors(self):
        kinds = {}
        for c in self.conns:
            if c.error:
                kinds[c.error] = kinds.get(c.error, 0) + 1
        unanswered = sum(1 for c in self.conns if c.status is None and c.error is None)
        if unanswered:
            kinds["not answered by the deadline"] = unanswered
        return kinds


class SlowHeaderFleet(Fleet):
    async def _client(self, c, started):
        try:
            reader, c.writer = await asyncio.wait_for(asyncio.open_connection(HOST, self.port), self.timeout)
            c.writer.write(b"POST /infer HTTP/1.1\r\n")
            c.t_connected = time.monotonic()  # the request's first byte
        except Exception as e:  # noqa: BLE001
            c.error = error_kind(e)
            return
        finally:
            if not started.done():
                started.set_result(None)
        trickle = b"X-Slow-Header: " + b"a" * 100000
        i = 0
        try:
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(65536), 1.0)
                except asyncio.TimeoutError:
                    c.writer.write(trickle[i:i + 1])  # one header byte a second
                    i += 1
                    continue
                if not data:
                    break
                c.reply += data
        except (ConnectionError, OSError):
            pass
        c.t_closed = time.monotonic()
        if c.reply.startswith(b"HTTP/1."):
            c.status = int(c.reply.split()[1])

    def closed_within(self, seconds):
        return sum(1 for c in self.conns if c.t_closed is not None and c.t_connected is not None
                   and c.t_closed - c.t_connected <= seconds)

    def open_now(self):
        return sum(1 for c in self.conns if c.t_connected is not None and c.t_closed is None)

    def close_times(self):
        return sorted(c.t_closed - c.t_connected for c in self.conns if c.t_closed and c.t_connected)

    async def wait_all_closed(self, timeout):
        await asyncio.wait(self.tasks, timeout=timeout)


async def burst(port, n, concurrency=256, timeout=30, deadline_s=120):
    """n connect/close, concurrency at a time. Returns the list of Conn (status
    None for the ones that only connected and closed)."""
    sem = asyncio.Semaphore(concurrency)
    conns = [Conn() for _ in range(n)]

    async def one(i, c):
        try:
            async with sem:
                c.t_start = time.monotonic()
                reader, writer, c.handshake, wall, c.retrans = await connect_timed(port, timeout)
                c.t_connected = c.t_start + wall
                try:
                    if i % 2 == 0:
                        writer.write(get("/health"))
                        res = await asyncio.wait_for(read_response(reader), timeout)
                        c.status, c.t_answered = res.status, time.monotonic()
                finally:
                    writer.close()
        except asyncio.CancelledError:
            c.error = "not done by the deadline"
        except Exception as e:  # noqa: BLE001
            c.error = error_kind(e)

    tasks = [asyncio.create_task(one(i, c)) for i, c in enumerate(conns)]
    _, pending = await asyncio.wait(tasks, timeout=deadline_s)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return conns
