"""The routing package's error tree.

Every error a caller of `routing` may need to tell apart derives from `RoutingError`.
Errors that come from the outside world (Redis) are translated at the adapter
boundary and keep their cause (`raise StoreUnavailable(...) from exc`).
"""

from __future__ import annotations


class RoutingError(Exception):
    """Base of every error raised by the routing package."""


class ConfigError(RoutingError):
    """A queue, agent or call description is invalid; the message names the field."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class IllegalTransition(RoutingError):
    """An event arrived that the entity's current state does not allow."""

    def __init__(self, entity: str, state: str, event: str) -> None:
        super().__init__(f"{entity} is {state}: event {event} is not allowed in that state")
        self.entity = entity
        self.state = state
        self.event = event


class UnknownAgent(RoutingError):
    """An event or command names an agent the engine or store does not know."""

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"unknown agent {agent_id!r}")
        self.agent_id = agent_id


class UnknownCall(RoutingError):
    """An event or command names a call the engine or store does not know."""

    def __init__(self, call_id: str) -> None:
        super().__init__(f"unknown call {call_id!r}")
        self.call_id = call_id


class StoreUnavailable(RoutingError):
    """The Redis store could not be reached or answered with an error."""


class ClaimConflict(RoutingError):
    """An atomic claim of (agent, call) failed: one of them was no longer free.

    `side` is ``"agent"`` or ``"call"`` (the one found busy), `state` its state then."""

    def __init__(self, call_id: str, agent_id: str, side: str, state: str) -> None:
        super().__init__(
            f"claim of call {call_id!r} by agent {agent_id!r} failed: {side} is {state}")
        self.call_id = call_id
        self.agent_id = agent_id
        self.side = side
        self.state = state
        #: "agent is offered", "call is waiting", ...: `side` and `state` as one phrase.
        self.reason = f"{side} is {state}"
