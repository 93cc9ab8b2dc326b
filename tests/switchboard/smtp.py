"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping what it got."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from vaxel.testing.services import free_port


class Inbox:
    """aiosmtpd handler: stores each mail parsed; ``refuse`` answers 451 instead."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.refuse = False
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse:
            return "451 try again later"
        self.mails.append(email.message_from_bytes(  # type: ignore[arg-type]
            envelope.original_content, policy=email.policy.default))
        return "250 OK"


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[Inbox]:
    """A server on ``port`` (default: a free one), stopped on leaving."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()
