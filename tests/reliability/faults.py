"""Faults on demand for the reliability tests: an SMTP server that misbehaves as real ones do, a TCP
proxy to PostgreSQL that can be cut, a private redis-server, and a web server on loopback.

Everything here runs on 127.0.0.1, starts on a free port, and dies with the test run (the child
processes ask the kernel for a parent-death signal).
"""

import contextlib
import email
import email.policy
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from tests.celery_worker import die_with_parent
from tests.conftest import ROOT, SmtpSink, _free_port


def _child_dies_with_us() -> None:
    die_with_parent()


# --- SMTP ---------------------------------------------------------------------------------------------


class FaultySmtpSink(SmtpSink):
    """An aiosmtpd handler that refuses on demand:

    - ``transient_every = n``: every n-th RCPT command is answered ``451 4.3.0`` — once per address;
    - ``permanent``: addresses answered ``550 5.1.1`` every time;
    - ``close_at``: RCPT ordinals answered ``421 4.3.2`` after which the server closes the connection;
    - ``outage(seconds)``: for that long every command is answered 421 and the connection dropped.
    """

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host=host, port=port)
        self.transient_every: int | None = None
        self.permanent: set[str] = set()
        self.close_at: set[int] = set()
        self.down_until = 0.0
        self.rcpt_count = 0
        self.rcpts: Counter = Counter()
        self.refused_once: set[str] = set()
        self.closed = 0
        self.dropped = 0

    def outage(self, seconds: float) -> None:
        self.down_until = time.monotonic() + seconds

    @property
    def down(self) -> bool:
        return time.monotonic() < self.down_until

    def _drop(self, server) -> str:
        # Reply, then close: the 421 reaches the client before the connection goes.
        server.loop.call_soon(server.transport.close)
        return "421 4.3.2 Service shutting down, closing transmission channel"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        if self.down:
            with self.lock:
                self.dropped += 1
            return [self._drop(server)]
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.down:
            with self.lock:
                self.dropped += 1
            return self._drop(server)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        address_key = address.lower()
        with self.lock:
            if self.down:
                self.dropped += 1
                return self._drop(server)
            self.rcpt_count += 1
            self.rcpts[address_key] += 1
            n = self.rcpt_count
            if n in self.close_at:
                self.closed += 1
                return self._drop(server)
            if address_key in self.permanent:
                return "550 5.1.1 No such user here"
            if (
                self.transient_every
                and n % self.transient_every == 0
                and address_key not in self.refused_once
            ):
                self.refused_once.add(address_key)
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.down:
            with self.lock:
                self.dropped += 1
            return self._drop(server)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def received(self) -> Counter:
        with self.lock:
            return Counter(addr.lower() for _, rcpts in self.envelopes for addr in rcpts)


class FaultySmtpServer:
    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.sink = FaultySmtpSink(host="127.0.0.1", port=_free_port())
        self.controller = Controller(self.sink, hostname=self.sink.host, port=self.sink.port)

    def __enter__(self) -> FaultySmtpSink:
        self.controller.start()
        return self.sink

    def __exit__(self, *exc) -> None:
        self.controller.stop()


# --- Redis ----------------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of this test's own on a free port (the shared one is never touched)."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_child_dies_with_us,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


# --- PostgreSQL behind a proxy that can be cut -------------------------------------------------------------


class CuttableProxy:
    """A TCP proxy to PostgreSQL. ``cut()`` drops every connection and refuses new ones, as a database
    that stopped would; ``restore()`` lets connections through again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.is_cut = False
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.is_cut:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            with self.lock:
                self.sockets -= {src, dst}

    def cut(self) -> None:
        self.is_cut = True
        with self.lock:
            live = list(self.sockets)
        for s in live:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.is_cut = False

    def close(self) -> None:
        self.closing = True
        self.cut()
        self.listener.close()


# --- The web application on loopback ------------------------------------------------------------------------


class WebServer:
    """The site under gunicorn (one sync worker), as in production, with the given environment."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = _free_port()
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 40.0) -> "WebServer":
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "coalition.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_child_dies_with_us,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {self.log_path}")
            try:
                if self.get("/healthz/")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not come up; see {self.log_path}")

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, str]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json, text/html")
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def get(self, path: str) -> tuple[int, dict, str]:
        return self.request("GET", path)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def process_group(pgid: int) -> set[int]:
    """Live processes (not zombies) whose process group is ``pgid``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            found.add(int(entry))
    return found
