"""The agent's desk: log in, pause, answer the next call, status (the Python API).

``AgentDesk`` is what ``vaxel agent`` and ``vaxel operator`` (and later the web console)
call to change an agent's state. Every change goes through the store's checked Lua
transitions and its event stream, from which the router learns it (like the phone
feature codes); the desk never talks to the engine. ``next`` is "answer the next call":
it makes the agent available (ends a pause or a wrap-up) and says which waiting call the
router will offer them, decided by the pure ``head_for`` with the same rule the router
uses (``routing.matcher.select_call_for_agent``) and the queues' escalation steps.
Invariant: a refused change (wrong state, unknown agent) changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from routing.errors import ConfigError, IllegalTransition, UnknownCall
from routing.matcher import select_call_for_agent
from routing.model import Agent, AgentState, Call, CallState, QueueConfig
from routing.store import RoutingStore

#: What ``next`` does from each state; a state missing here refuses ``next``.
NEXT_FROM: Mapping[AgentState, str | None] = {
    AgentState.AVAILABLE: None,
    AgentState.PAUSED: "unpause",
    AgentState.WRAP_UP: "end_wrap_up",
}


def next_step(agent: Agent) -> str | None:
    """The store change that makes ``agent`` available (None: already available)."""
    if agent.state not in NEXT_FROM:
        raise IllegalTransition(f"agent {agent.id!r}", agent.state.value, "AnswerNext")
    return NEXT_FROM[agent.state]


def head_for(agent: Agent, calls: Iterable[Call], queues: Mapping[str, QueueConfig],
             now: float) -> Call | None:
    """The waiting call the router offers ``agent`` next once they are available: the
    highest priority, then the longest wait, among calls their skills meet *now* (the
    escalation step in force). A queue without configuration has no escalation steps:
    its calls then need all their skills."""
    ready = replace(agent, state=AgentState.AVAILABLE)
    restored = [replace(c, escalation=queues[c.queue].escalation) if c.queue in queues else c
                for c in calls]
    return select_call_for_agent(ready, restored, now)


@dataclass(frozen=True)
class NextCall:
    """The outcome of ``AgentDesk.next``: the agent now, what was done, the call offered next."""

    agent: Agent
    done: str | None
    call: Call | None


class AgentDesk:
    """See the module docstring. ``queues`` (name -> config) give the escalation steps."""

    def __init__(self, store: RoutingStore, queues: Mapping[str, QueueConfig] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.queues = dict(queues or {})
        self.clock = clock

    def __repr__(self) -> str:
        return f"<AgentDesk {len(self.queues)} queues configured>"

    async def login(self, agent_id: str, device: str, *, queues: Sequence[str],
                    skills: Mapping[str, int] | None = None, employee_id: str = "") -> Agent:
        if not agent_id.strip():
            raise ConfigError("agent id", "is empty")
        if not device.strip():
            raise ConfigError(f"agent {agent_id!r} device", "is empty")
        if not queues:
            raise ConfigError(f"agent {agent_id!r} queues", "name at least one queue")
        agent = Agent(agent_id, employee_id, device, dict(skills or {}), frozenset(queues))
        await self.store.login(agent, self.clock())
        return await self.store.agent(agent_id)

    async def logout(self, agent_id: str) -> Agent:
        await self.store.logout(agent_id, self.clock())
        return await self.store.agent(agent_id)

    async def pause(self, agent_id: str, reason: str) -> Agent:
        await self.store.pause(agent_id, reason, self.clock())
        return await self.store.agent(agent_id)

    async def unpause(self, agent_id: str) -> Agent:
        await self.store.unpause(agent_id, self.clock())
        return await self.store.agent(agent_id)

    async def status(self, agent_id: str | None = None) -> list[Agent]:
        return [await self.store.agent(agent_id)] if agent_id else await self.store.agents()

    async def next(self, agent_id: str) -> NextCall:
        """Make the agent available and tell which call they get next (None: none waits)."""
        agent = await self.store.agent(agent_id)
        step = next_step(agent)
        now = self.clock()
        if step == "unpause":
            await self.store.unpause(agent_id, now)
        elif step == "end_wrap_up":
            await self.store.end_wrap_up(agent_id, now)
        agent = await self.store.agent(agent_id)
        return NextCall(agent, step, head_for(agent, await self.waiting(agent.queues), self.queues,
                                              now))

    async def waiting(self, queues: Iterable[str]) -> list[Call]:
        """The waiting calls of ``queues`` as the store holds them."""
        calls: list[Call] = []
        for queue in sorted(queues):
            for call_id in await self.store.waiting(queue):
                try:
                    call = await self.store.call(call_id)
                except UnknownCall:  # ended between the two reads
                    continue
                if call.state is CallState.WAITING:
                    calls.append(call)
        return calls
