"""Helpers for scripting the engine in tests: build events, pick commands."""

from __future__ import annotations

from routing import messages as m
from routing.engine import Engine
from routing.model import EscalationStep, QueueConfig, Requirement

KC = "kontaktcenter"

#: The issue's example: 0-30 s topic >= 3 and district; 30-90 s topic >= 1; then anyone.
ESCALATION = (
    EscalationStep(0, (Requirement("topic", 3), Requirement("district", 1))),
    EscalationStep(30, (Requirement("topic", 1),)),
    EscalationStep(90, ()),
)


def queue(**overrides: object) -> QueueConfig:
    fields: dict[str, object] = {"name": KC, "wrap_up_s": 0.0, "callback_after_s": None,
                                 "max_wait_s": None, "announce_every_s": 1000.0}
    fields.update(overrides)
    return QueueConfig(**fields)  # type: ignore[arg-type]


def login(agent_id: str, skills: dict[str, int] | None = None, queues=(KC,)) -> m.AgentLoggedIn:
    return m.AgentLoggedIn(agent_id, f"emp-{agent_id}", f"PJSIP/{agent_id}", skills or {},
                           frozenset(queues))


def offers(commands: list[m.Command]) -> list[tuple[str, str]]:
    return [(c.call_id, c.agent_id) for c in commands if isinstance(c, m.OfferCall)]


def of_type(commands: list[m.Command], kind: type) -> list:
    return [c for c in commands if isinstance(c, kind)]


def engine(**overrides: object) -> Engine:
    return Engine([queue(**overrides)])
