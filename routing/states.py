"""The agent and call state machines: every legal transition lives in these tables.

Keys are (current state, event name); the value is the next state (None for a call:
it leaves the engine). Event names are the event class names, plus internal names
for what the engine decides itself: ``Offer`` (it offers a call), ``RingTimeout`` (the
ring timer ran out), ``TooManyMisses`` (a miss that reaches the queue's limit),
``AgentTaken`` (the store says another controller owns the agent), ``WrapUpTimer``,
``MaxWait``. Anything not in a table raises `IllegalTransition` naming state and event.
`describe()` prints the tables (for docs and the wallboard team).
"""

from __future__ import annotations

from routing.errors import IllegalTransition
from routing.model import AgentState, CallState

A = AgentState
C = CallState

AGENT_TRANSITIONS: dict[tuple[AgentState, str], AgentState] = {
    (A.LOGGED_OUT, "AgentLoggedIn"): A.AVAILABLE,
    (A.AVAILABLE, "AgentLoggedOut"): A.LOGGED_OUT,
    (A.OFFERED, "AgentLoggedOut"): A.LOGGED_OUT,  # the offer is withdrawn, no miss
    (A.WRAP_UP, "AgentLoggedOut"): A.LOGGED_OUT,
    (A.PAUSED, "AgentLoggedOut"): A.LOGGED_OUT,
    (A.AVAILABLE, "AgentPaused"): A.PAUSED,
    (A.OFFERED, "AgentPaused"): A.PAUSED,  # the offer is withdrawn, no miss
    (A.WRAP_UP, "AgentPaused"): A.PAUSED,
    (A.PAUSED, "AgentPaused"): A.PAUSED,  # new reason
    (A.PAUSED, "AgentUnpaused"): A.AVAILABLE,
    (A.AVAILABLE, "Offer"): A.OFFERED,
    (A.AVAILABLE, "CallRestored"): A.ON_CALL,
    (A.OFFERED, "OfferAnswered"): A.ON_CALL,
    (A.OFFERED, "OfferTimedOut"): A.AVAILABLE,
    (A.OFFERED, "OfferRejected"): A.AVAILABLE,
    (A.OFFERED, "RingTimeout"): A.AVAILABLE,
    (A.OFFERED, "TooManyMisses"): A.PAUSED,
    (A.OFFERED, "ClaimFailed"): A.AVAILABLE,
    (A.OFFERED, "AgentTaken"): A.LOGGED_OUT,  # forgotten until the store reports it again
    (A.OFFERED, "CallAbandoned"): A.AVAILABLE,
    (A.ON_CALL, "CallAbandoned"): A.WRAP_UP,
    (A.ON_CALL, "CallEnded"): A.WRAP_UP,
    (A.WRAP_UP, "WrapUpEnded"): A.AVAILABLE,
    (A.WRAP_UP, "WrapUpTimer"): A.AVAILABLE,
}

CALL_TRANSITIONS: dict[tuple[CallState | None, str], CallState | None] = {
    (None, "CallEnqueued"): C.WAITING,
    (None, "CallRestored"): C.CONNECTED,
    (C.WAITING, "CallbackRequested"): C.WAITING,
    (C.WAITING, "Offer"): C.OFFERED,
    (C.WAITING, "MaxWait"): None,
    (C.WAITING, "CallAbandoned"): None,
    (C.OFFERED, "CallAbandoned"): None,
    (C.CONNECTED, "CallAbandoned"): None,
    (C.OFFERED, "OfferAnswered"): C.CONNECTED,
    (C.OFFERED, "OfferTimedOut"): C.WAITING,
    (C.OFFERED, "OfferRejected"): C.WAITING,
    (C.OFFERED, "RingTimeout"): C.WAITING,
    (C.OFFERED, "TooManyMisses"): C.WAITING,
    (C.OFFERED, "ClaimFailed"): C.WAITING,
    (C.OFFERED, "CallTaken"): None,  # another controller connected it
    (C.OFFERED, "AgentLoggedOut"): C.WAITING,
    (C.OFFERED, "AgentPaused"): C.WAITING,
    (C.CONNECTED, "CallEnded"): None,
}


def next_agent_state(agent_id: str, state: AgentState, event: str) -> AgentState:
    try:
        return AGENT_TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(f"agent {agent_id!r}", state.value, event) from None


def next_call_state(call_id: str, state: CallState | None, event: str) -> CallState | None:
    try:
        return CALL_TRANSITIONS[(state, event)]
    except KeyError:
        shown = "unknown" if state is None else state.value
        raise IllegalTransition(f"call {call_id!r}", shown, event) from None


def describe() -> str:
    """The tables as text, one ``state --event--> state`` line per transition."""
    lines = ["agent:"]
    lines += [f"  {s.value} --{e}--> {t.value}" for (s, e), t in AGENT_TRANSITIONS.items()]
    lines.append("call:")
    for (s, e), t in CALL_TRANSITIONS.items():
        lines.append(f"  {s.value if s else '(new)'} --{e}--> {t.value if t else '(gone)'}")
    return "\n".join(lines)
