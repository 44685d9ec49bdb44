"""Shared pieces of the connection tests and bench/connections (stdlib only).

- raise_nofile(): this process's RLIMIT_NOFILE soft limit up to the hard one
  (10,000 client sockets need it; a server started afterwards inherits it).
- Server: `cross_pictures serve --host 127.0.0.1 --port 0` with the real
  model, its port read from the "serving on http://127.0.0.1:PORT" log line,
  its VmRSS from /proc, stopped with SIGTERM.
- Minimal HTTP/1.1 over asyncio streams: request builders and a response
  reader that understands Content-Length, chunked and read-to-close bodies,
  and reports 1xx interim responses (100 Continue) as responses of their own.
"""
import asyncio
import errno
import json
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import tempfile
import time

HOST = "127.0.0.1"
# Idle connections must outlive the time it takes to open them all.
HOLD = {"KEEP_ALIVE_TIMEOUT_S": 300}


def raise_nofile():
    """Soft RLIMIT_NOFILE := hard; returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Server:
    """One `cross_pictures serve` process. env: extra settings (str values)."""

    def __init__(self, binary, model, labels, env=None):
        self.binary, self.model, self.labels = binary, model, labels
        self.extra_env = {k: str(v) for k, v in (env or {}).items()}
        self.workdir = tempfile.mkdtemp(prefix="cp-conn-")  # no .env is read from here
        self.log_path = os.path.join(self.workdir, "server.log")
        self.proc = None
        self.port = None

    def start(self, timeout=120):
        # DRAIN_DELAY_S=0: no load balancer to wait for, stop at once.
        env = dict(os.environ, MODEL_PATH=self.model, LABELS_PATH=self.labels, DRAIN_DELAY_S="0", DRAIN_TIMEOUT_S="5",
                   GRPC_PORT="-1")
        env.update(self.extra_env)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.binary, "serve", "--host", HOST, "--port", "0"], cwd=self.workdir,
                                     env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"serving on http://127\.0\.0\.1:(\d+)", self.log())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError(f"server did not say 'serving on' within {timeout} s:\n{self.log_tail()}")
        while time.monotonic() < deadline:  # the model must be loaded too
            try:
                status, body = blocking_request(self.port, get("/health"), timeout=5)
                if status == 200 and json.loads(body).get("model_loaded"):
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"/health never said model_loaded within {timeout} s:\n{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def status_kb(self, field):
        """A kB field of /proc/PID/status (VmRSS, VmHWM), or None."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def threads(self):
        try:
            return len(os.listdir(f"/proc/{self.proc.pid}/task"))
        except OSError:
            return None

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=20):
        return "\n".join(self.log().splitlines()[-lines:])

    def stop(self, timeout=40):
        """SIGTERM, then SIGKILL after timeout; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ----------------------------------------------------------------- requests

def get(path, keep_alive=True):
    conn = "keep-alive" if keep_alive else "close"
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: {conn}\r\n\r\n".encode()


def post_jpeg(path, body, extra=""):
    """A raw image/jpeg body (the server sniffs the format from the bytes)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: image/jpeg\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n")
    return head.encode() + body


def post_multipart(path, field, filename, data):
    boundary = "cpconnboundary7d1f"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def closes(self):
        return self.headers.get("connection", "").lower() == "close"

    def __repr__(self):
        return f"<{self.status} {self.body[:80]!r}>"


async def read_response(reader):
    """One response (a 1xx interim response counts as one, without a body).
    Raises asyncio.IncompleteReadError on EOF before a whole response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    if 100 <= status < 200 or status in (204, 304):
        return Response(status, headers, b"")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are expected
                return Response(status, headers, body)
            body += await reader.readexactly(size + 2)
            body = body[:-2]
    if "content-length" in headers:
        return Response(status, headers, await reader.readexactly(int(headers["content-length"])))
    return Response(status, headers, await reader.read())  # until the server closes


async def wait_closed_by_server(reader, timeout):
    """Seconds until the server closed (EOF or reset), discarding any data;
    None if still open after timeout."""
    t0 = time.monotonic()
    try:
        while True:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                return None
            if not await asyncio.wait_for(reader.read(65536), left):
                break
    except asyncio.TimeoutError:  # before OSError: since 3.11 it is the builtin TimeoutError, an OSError
        return None
    except (ConnectionError, OSError):
        pass
    return time.monotonic() - t0


async def exchange(port, request, timeout=30):
    """A new connection: send request, read one final response, close.
    Returns (Response, seconds)."""
    t0 = time.monotonic()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    try:
        writer.write(request)
        while True:
            res = await asyncio.wait_for(read_response(reader), timeout - (time.monotonic() - t0))
            if res.status >= 200:
                return res, time.monotonic() - t0
    finally:
        writer.close()


async def connect_timed(port, timeout=30):
    """A connection whose handshake is timed by the kernel's clock: this
    client's own scheduling (256 connects in flight on a busy 2-core machine:
    100+ ms) must not count. The SYN leaves in connect() at t0; TCP_INFO's
    tcpi_last_ack_recv is the ms since the SYN-ACK came, read when this
    coroutine resumes. Returns (reader, writer, handshake s, wall s,
    retransmits); retransmits >= 1 when the SYN had to be sent again (a full
    listen queue drops it; the retry comes 1 s later)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    fd = sock.fileno()
    try:
        t0 = time.monotonic()
        err = sock.connect_ex((HOST, port))  # here, not in a task a loop iteration later
        if err == errno.EINPROGRESS:
            writable = loop.create_future()
            loop.add_writer(fd, lambda: writable.done() or writable.set_result(None))
            try:
                await asyncio.wait_for(writable, timeout)
            finally:
                loop.remove_writer(fd)
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            raise OSError(err, os.strerror(err))  # ConnectionRefusedError etc.
    except BaseException:
        sock.close()
        raise
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    wall = time.monotonic() - t0
    tcpi = struct.unpack_from("24I", info, 8)  # after the 8 one-byte fields
    since_synack, retrans = tcpi[12] / 1000, tcpi[23]  # tcpi_last_ack_recv (ms), tcpi_total_retrans
    reader, writer = await asyncio.open_connection(sock=sock)
    return reader, writer, max(0.0, wall - since_synack), wall, retrans


def blocking_request(port, request, timeout=10):
    """For the start-up probe: (status, body) over a plain socket, Connection: close."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(request.replace(b"keep-alive", b"close"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def error_kind(exc):
    """A short name for a failed connection: refused, reset, timeout, eof..."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return "reset"
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "eof"
    return type(exc).__name__
