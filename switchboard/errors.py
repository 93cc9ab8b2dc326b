"""The switchboard's errors: each names what it was about (call, channel, key, field)."""

from __future__ import annotations


class SwitchboardError(Exception):
    """Root of the switchboard's errors."""


class StoreUnavailable(SwitchboardError):
    """Redis could not be reached or refused the command."""


class TargetNotFound(SwitchboardError):
    """The transfer target is not in the directory (or not reachable by phone)."""

    def __init__(self, kind: str, key: str, reason: str = "not found") -> None:
        super().__init__(f"{kind} {key!r}: {reason}")
        self.kind = kind
        self.key = key


class ActionFailed(SwitchboardError):
    """Asterisk refused or lost an operator action; names the action and the channel."""

    def __init__(self, action: str, channel: str, reason: str) -> None:
        super().__init__(f"{action} on {channel or '(no channel)'} failed: {reason}")
        self.action = action
        self.channel = channel
        self.reason = reason
