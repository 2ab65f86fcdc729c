"""An aiosmtpd server whose every reply a test can script, and a bare TCP server that greets and hangs up
(or never speaks): the faults of real SMTP servers at each step of a session.

``ScriptedSmtpServer`` answers as a normal server unless a hook returns a reply:

- ``auth(args)``: the reply to AUTH (None: accepted);
- ``mail(messages_on_this_connection)``: the reply to MAIL FROM;
- ``rcpt(address, rcpt_ordinal)``: the reply to RCPT TO;
- ``data_command(envelope)``: the reply to the DATA command itself, before any 354;
- ``data_end(envelope, data_ordinal)``: the reply after the message's final dot.

and ``starttls`` advertises STARTTLS (then refuses it: "454 TLS not available"), ``data_end_delay(ordinal)``
is how many seconds the server takes to answer a message's final dot (scanning it), and
``data_end_drop(ordinal)`` hangs up after taking the message without a word (it counts as received).

A 421 closes the connection after it is sent, as servers do.
"""

import asyncio
import socket
import threading
import time
from collections import Counter

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.conftest import _free_port


class _Handler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPTs) of each message given 250
        self.rcpts: Counter = Counter()
        self.mail_replies: list[str] = []
        self.connections = 0
        self.auth = self.mail = self.rcpt = self.data_command = self.data_end = None
        self.data_end_delay = self.data_end_drop = None
        self.starttls = False

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if not hasattr(session, "messages"):
            session.messages = 0
            with self.lock:
                self.connections += 1
        if self.starttls:
            responses.insert(len(responses) - 1, "250-STARTTLS")
        return responses

    async def handle_AUTH(self, server, session, envelope, args):
        reply = self.auth(args) if self.auth else None
        if reply is None:
            session.authenticated = True
            return "235 2.7.0 Authentication successful"
        return reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.mail(getattr(session, "messages", 0)) if self.mail else None
        self.mail_replies.append(reply or "250")
        if reply:
            if reply.startswith("421"):
                server.loop.call_soon(server.transport.close)
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpts[address.lower()] += 1
            ordinal = sum(self.rcpts.values())
        reply = self.rcpt(address.lower(), ordinal) if self.rcpt else None
        if reply:
            if reply.startswith("421"):
                server.loop.call_soon(server.transport.close)
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        ordinal = len(self.accepted) + 1
        reply = self.data_end(envelope, ordinal) if self.data_end else None
        if reply:
            return reply
        delay = self.data_end_delay(ordinal) if self.data_end_delay else 0
        if delay:
            await asyncio.sleep(delay)
        with self.lock:
            self.accepted.append((envelope.mail_from, [a.lower() for a in envelope.rcpt_tos]))
        session.messages = getattr(session, "messages", 0) + 1
        if self.data_end_drop and self.data_end_drop(ordinal):
            server.transport.close()
        return "250 Message accepted for delivery"

    def received(self) -> Counter:
        """How many messages each address was given (with a 250 after its final dot)."""
        with self.lock:
            return Counter(address for _, rcpts in self.accepted for address in rcpts)


class _SMTP(SMTP):
    async def smtp_DATA(self, arg):
        hook = self.event_handler.data_command
        if hook and self.envelope is not None and self.envelope.rcpt_tos:
            reply = hook(self.envelope)
            if reply:
                await self.push(reply)
                if reply.startswith("421"):
                    self.transport.close()
                return
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def factory(self):
        return _SMTP(self.handler, **self.SMTP_kwargs)


class ScriptedSmtpServer:
    """``with ScriptedSmtpServer() as server:`` on a free loopback port; script ``server.handler``."""

    def __init__(self, *, auth_required: bool = False) -> None:
        self.handler = _Handler()
        self.port = _free_port()
        options = {"auth_required": True, "auth_require_tls": False} if auth_required else {}
        self.controller = _Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    def __enter__(self) -> "ScriptedSmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class GreetingServer:
    """A TCP server that answers every connection with ``greeting`` and hangs up; with None, it accepts
    and never says a word (a black hole: a firewall that drops the port)."""

    def __init__(self, greeting: str | None) -> None:
        self.greeting = greeting
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.silent: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            if self.greeting is None:
                self.silent.append(client)
                continue
            with client:
                client.sendall(self.greeting.encode() + b"\r\n")
                time.sleep(0.05)

    def __enter__(self) -> "GreetingServer":
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
        for client in self.silent:
            client.close()
