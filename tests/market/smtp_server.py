"""A real SMTP server on 127.0.0.1 (aiosmtpd in a thread) that keeps what it accepted, and
can refuse the first messages with a temporary error, for the mail tests."""
from __future__ import annotations

import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller

from tests.ports import free_port




class Mailbox:
    """aiosmtpd handler: accepts a message (250) unless told to refuse the next few (451)."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.refuse_next = 0
        self.attempts = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.attempts += 1
            if self.refuse_next:
                self.refuse_next -= 1
                return "451 4.3.0 Try again later"
            self.raw.append(envelope.original_content or envelope.content)
        return "250 2.0.0 OK"

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [BytesParser(policy=policy.default).parsebytes(raw) for raw in self.raw]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.raw) >= count:
                return self.messages()
            time.sleep(0.05)
        raise AssertionError(f"{len(self.raw)} message(s) arrived within {timeout} s, {count} expected")

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]


class SmtpServer:
    def __init__(self, **controller_kwargs) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **controller_kwargs)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"
