"""The selection rule, as pure functions over plain collections.

This module is the *definition* of who gets what; `routing.index` answers the same
questions faster and is tested against these functions. The rule:

* **Eligible**: the agent is AVAILABLE, is a member of the call's queue, and has every
  skill the call requires *at `now`* (its escalation step in force, see
  `routing.model.requirements_at`) at or above the minimum level.
* **Agent frees up** (`select_call_for_agent`): among waiting calls the agent is
  eligible for, the highest priority, then the longest wait (earliest `enqueued_at`),
  then the earliest arrival sequence.
* **Call arrives** (`select_agent_for_call`): among eligible agents, the call's last
  agent first if the call is sticky; then the best skill match, then the longest idle
  (earliest `idle_since`), then the agent id. The **match score** is the sum of the
  agent's levels over *all* the skills the call lists (not only those its current step
  requires): a level-5 bygglov expert who also knows Bromma beats a level-3 one who
  does not, even once the step in force no longer requires either.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from routing.model import Agent, AgentState, Call, CallState, Requirement, requirements_at


def meets(agent: Agent, requirements: Iterable[Requirement]) -> bool:
    """True if the agent has every required skill at or above its minimum level."""
    skills = agent.skills
    return all(skills.get(r.skill, 0) >= r.min_level for r in requirements)


def is_eligible(agent: Agent, call: Call, now: float) -> bool:
    """The eligibility rule of the module docstring."""
    return (
        agent.state is AgentState.AVAILABLE
        and call.queue in agent.queues
        and meets(agent, requirements_at(call, now))
    )


def match_score(agent: Agent, call: Call) -> int:
    """Sum of the agent's levels over every skill the call lists (0 for a missing skill)."""
    skills = agent.skills
    return sum(skills.get(s, 0) for s in call.requirements)


def agent_rank(agent: Agent, call: Call) -> tuple[int, int, float, str]:
    """Sort key of agents for a call: smaller is better."""
    sticky = 0 if call.last_agent is not None and agent.id == call.last_agent else 1
    return (sticky, -match_score(agent, call), agent.idle_since, agent.id)


def select_agent_for_call(
    call: Call, agents: Iterable[Agent], now: float, exclude: Collection[str] = ()
) -> Agent | None:
    """The agent to offer a newly waiting `call` to, or None (linear scan)."""
    eligible = [a for a in agents if a.id not in exclude and is_eligible(a, call, now)]
    return min(eligible, key=lambda a: agent_rank(a, call), default=None)


def select_call_for_agent(agent: Agent, calls: Iterable[Call], now: float) -> Call | None:
    """The waiting call a newly available `agent` takes next, or None (linear scan)."""
    eligible = [
        c for c in calls if c.state is CallState.WAITING and is_eligible(agent, c, now)
    ]
    return min(eligible, key=Call.order_key, default=None)
