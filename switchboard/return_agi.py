"""The ``return`` AGI: a call coming back to the operator, queued for the operators or not.

``[vaxel-switchboard-return]`` runs ``AGI(.../return,${VAXEL_RETURN_REASON})`` with
``IVR_DONE=0``. This adapter reads the channel's variables and the operator's agent state,
asks ``switchboard.returns.decide_return`` and, to queue the call, puts it into the
operators' queue (Redis) before it sets ``VAXEL_ACTION=queue`` and its variables, and
``IVR_DONE=1`` last, as an IVR hand-over does. Any failure leaves ``IVR_DONE`` unset: the
dialplan rings the operator's phone, then the operators' group, as without a controller.
"""

from __future__ import annotations

from typing import Any, Protocol

import structlog

from switchboard.returns import (
    RETURN_PRIORITY,
    QueueReturn,
    ReturnFacts,
    decide_return,
    find_agent,
)

log = structlog.get_logger(__name__)

#: The ring group the operators' queue replaces (``[queues.<name>] group``).
OPERATORS_GROUP = "operators"


class AgiChannel(Protocol):
    async def command(self, name: str, *args: str, sensitive: bool = False) -> Any: ...


class RoutingPort(Protocol):
    """What the return needs of ``routing.service.RoutingService``."""

    store: Any
    queues: Any

    def queue_for_group(self, group: str) -> str | None: ...
    async def enqueue(self, call_id: str, channel: str, queue: str, requirements: str,
                      priority: int, caller: str, last_agent: str | None = None,
                      node: str = "") -> None: ...


async def _var(channel: AgiChannel, name: str) -> str:
    reply = await channel.command("GET FULL VARIABLE", f"${{{name}}}")
    return str(getattr(reply, "data", None) or "")


async def serve_return(channel: AgiChannel, call_id: str, reason: str,
                       routing: RoutingPort | None) -> QueueReturn | None:
    """Decide and perform; returns the queueing done, or None (the dialplan rings)."""
    by, dial = await _var(channel, "VAXEL_XFER_BY"), await _var(channel, "VAXEL_XFER_RETURN")
    queue = routing.queue_for_group(OPERATORS_GROUP) if routing is not None else None
    found = None
    if routing is not None and queue is not None:
        agents = await routing.store.agents()
        found = find_agent([(a.id, a.device, a.state.value) for a in agents], by, dial)
    facts = ReturnFacts(reason, by, dial, queue, *(found or (None, None)))
    priority = routing.queues[queue].return_priority if routing and queue else RETURN_PRIORITY
    decision = decide_return(facts, priority)
    log.info("switchboard.return", reason=reason, by=by, decision=type(decision).__name__,
             agent_state=facts.agent_state)
    if not isinstance(decision, QueueReturn):
        return None
    assert routing is not None
    caller = await _var(channel, "CALLERID(num)")
    await routing.enqueue(call_id, await _var(channel, "CHANNEL"), decision.queue, "",
                          decision.priority, caller, last_agent=decision.last_agent,
                          node=await _var(channel, "SYSTEMNAME"))
    for name, value in (("VAXEL_ACTION", "queue"), ("VAXEL_QUEUE", decision.queue),
                        ("VAXEL_REQUIREMENTS", ""), ("VAXEL_PRIORITY", str(decision.priority)),
                        ("IVR_DONE", "1")):
        await channel.command("SET VARIABLE", name, value)
    return decision
