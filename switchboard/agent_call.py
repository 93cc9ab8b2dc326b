"""Who an agent is talking to: the context of the call the ACD offered or connected.

The Python API the agent's console (and ``vaxel agent status <agent>``) reads: the
routing store knows the agent's current call (``Agent.call_id``, the same id as the
IVR's and the call context's), the context store knows its history (caller and
reverse lookup, IVR path, whom the caller tried and why it failed, earlier contacts
today). Both are read, nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.model import Agent
from routing.store import RoutingStore
from switchboard.context import CallContext, describe
from switchboard.context_store import CallContextStore


@dataclass(frozen=True)
class AgentCall:
    """An agent and the context of their current call (None: no call, or no context)."""

    agent: Agent
    context: CallContext | None

    def lines(self) -> list[str]:
        """What the agent reads about the call (Swedish, with English)."""
        if self.agent.call_id is None:
            return ["Inget samtal (no call)"]
        if self.context is None:
            return [f"Samtal (call) {self.agent.call_id}: ingen historik (no context)"]
        return [f"Samtal (call) {self.agent.call_id}:", *describe(self.context)]


async def agent_call(routing: RoutingStore, contexts: CallContextStore,
                     agent_id: str) -> AgentCall:
    """The agent's current call with its context; ``UnknownAgent`` for an unknown agent."""
    agent = await routing.agent(agent_id)
    context = await contexts.get(agent.call_id) if agent.call_id else None
    return AgentCall(agent, context)
