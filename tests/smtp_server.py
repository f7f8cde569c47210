"""A real SMTP server for the reminder tests (aiosmtpd, on a free local port): the code under
test connects, talks SMTP and sends; the tests read back what arrived."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from pst_data.reminders import SmtpSettings


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(mailbox: Mailbox | None = None) -> Iterator[tuple[Mailbox, SmtpSettings, dict[str, str]]]:
    """(mailbox, settings, environment variables) of a running server; stopped afterwards."""
    mailbox = mailbox or Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {"PST_SMTP_HOST": "127.0.0.1", "PST_SMTP_PORT": str(port), "PST_SMTP_TLS": "non",
               "PST_SMTP_FROM": "pst@cpas-test.be"}
        yield mailbox, SmtpSettings("127.0.0.1", port, None, None, "none", "pst@cpas-test.be"), env
    finally:
        controller.stop()
