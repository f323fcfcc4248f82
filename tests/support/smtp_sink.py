"""A local SMTP server that keeps what it receives, for tests of e-mail alerts."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


class _Keep:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_sink() -> Iterator[tuple[int, list[Message]]]:
    """``(port, messages)``: a plain-text SMTP server on 127.0.0.1 while the block runs."""
    keep = _Keep()
    controller = Controller(keep, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port, keep.messages
    finally:
        controller.stop()
