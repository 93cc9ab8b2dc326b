"""Where a call coming back to the operator goes ("återkoppling"), decided in pure code.

A call an operator transferred that nobody answered (or held or parked too long) comes
back through ``[vaxel-switchboard-return]``, which asks the controller (the ``return``
AGI) before it rings anyone. Without an operators' ACD queue the operator's phone rings,
as it always did. With one, and the operator logged in to it, the call goes into the
operators' queue with a high priority and the operator as its last agent: the router
offers it to that operator first if they are free, otherwise to the first operator free,
before the calls that have not been answered yet. Its history (switchboard context) stays
under the same call id. Invariants: ``unhold`` (the operator takes the call back) always
rings the operator; nothing here rings or queues, it only returns the decision.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Priority of a returned call in the operators' queue (0-9, 9 first) unless configured.
RETURN_PRIORITY = 8
#: Return reasons (VAXEL_RETURN_REASON) that always ring the operator's own phone.
RING_ONLY_REASONS = frozenset({"unhold"})
#: Agent states (``routing.model.AgentState`` values) of an operator logged in to a queue.
LOGGED_IN_STATES = frozenset({"available", "offered", "on_call", "wrap_up", "paused"})


@dataclass(frozen=True)
class ReturnFacts:
    """What the controller knows when a call comes back."""

    reason: str
    """VAXEL_RETURN_REASON: transfer, hold, parked or unhold."""
    operator_id: str
    """VAXEL_XFER_BY: who handled the call."""
    return_dial: str
    """VAXEL_XFER_RETURN: the operator's phone."""
    queue: str | None
    """The ACD queue that replaces the operators' group (None: none configured)."""
    agent_id: str | None = None
    """The operator as an agent of ``queue`` (found by id, else by phone), or None."""
    agent_state: str | None = None
    """That agent's state (``available``, ``on_call``, ...)."""


@dataclass(frozen=True)
class RingOperator:
    """Ring the operator's phone (the static dialplan does it; then the operators' group)."""

    dial: str


@dataclass(frozen=True)
class QueueReturn:
    """Queue the call for the operators: ``last_agent`` first if free, with ``priority``."""

    queue: str
    priority: int
    last_agent: str | None


ReturnDecision = RingOperator | QueueReturn


def decide_return(facts: ReturnFacts, priority: int = RETURN_PRIORITY) -> ReturnDecision:
    """The rule of the module docstring."""
    if facts.queue is None or facts.reason in RING_ONLY_REASONS:
        return RingOperator(facts.return_dial)
    if facts.agent_id is None or facts.agent_state not in LOGGED_IN_STATES:
        # Not an agent of the queue: the queue would never offer the call to them.
        return RingOperator(facts.return_dial)
    return QueueReturn(facts.queue, priority, facts.agent_id)


def find_agent(agents: list[tuple[str, str, str]], operator_id: str,
               return_dial: str) -> tuple[str, str] | None:
    """(id, state) of the operator among (id, device, state) of agents: by id, else by
    the phone the call returns to (``--operator`` forgotten, the phone is still theirs)."""
    by_id = [(i, s) for i, _d, s in agents if i == operator_id]
    by_phone = [(i, s) for i, d, s in agents if return_dial and d == return_dial]
    found = by_id or by_phone
    return found[0] if found else None
