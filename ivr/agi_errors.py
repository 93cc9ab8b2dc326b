"""The AGI codec's and FastAGI adapter's errors (re-exported by `ivr.agi`)."""

from __future__ import annotations


class AgiError(Exception):
    """Root of the AGI errors (codec and FastAGI adapter)."""


class AgiProtocolError(AgiError):
    """Asterisk (or whoever connected) sent something the AGI protocol does not allow."""

    def __init__(self, reason: str, received: bytes) -> None:
        super().__init__(f"AGI protocol error: {reason}; received {received[:200]!r}")
        self.reason = reason
        self.received = received


class AgiStateError(AgiError):
    """The caller of the codec broke its rules (a command while another is in flight...)."""


class AgiArgumentError(AgiError, ValueError):
    """A command argument cannot be sent (it contains a line break)."""
