"""REST routes of the agent desktop and the supervisor: own state, next call, case
outcomes at wrap-up; the wallboard, an agent's skills and levels, ending a pause."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from console.api_operator import QueueLogin, call_in_hand, desk_login
from console.auth import Permission, Principal
from console.calls import translated
from console.errors import Conflict, Forbidden, Invalid
from console.outcomes import CaseOutcome, parse_kind
from console.web import allowed, deps_of
from routing.model import AgentState, parse_skill

router = APIRouter(prefix="/api", tags=["agent", "supervisor"])
AGENT = allowed(Permission.AGENT)
AGENT_CHANGE = allowed(Permission.AGENT, changes=True)
SUPERVISE = allowed(Permission.SUPERVISE)
SUPERVISE_CHANGE = allowed(Permission.SUPERVISE, changes=True)
#: States in which a supervisor may change skills (the agent is logged out and in again).
SKILLS_CHANGE_FROM = frozenset({AgentState.LOGGED_OUT, AgentState.AVAILABLE, AgentState.PAUSED})


class AgentLogin(QueueLogin):
    queue: str = Field("kontaktcenter", min_length=1, max_length=40)


class PauseBody(BaseModel):
    reason: str = Field("paus", min_length=1, max_length=60)


class OutcomeBody(BaseModel):
    outcome: str = Field(..., description="resolved | forwarded | case_opened")
    topic: str = Field(..., max_length=60)
    unit: str = Field("", max_length=60, description="the unit, when forwarded")
    call_id: str = Field("", description="default: the call you just finished")


class SkillsBody(BaseModel):
    skills: list[str] = Field(..., description='["topic:bygglov=3", "lang:en=2"]')


@router.post("/agent/login", summary="log in to a queue")
async def agent_login(body: AgentLogin, request: Request,
                      who: Principal = Depends(AGENT_CHANGE)) -> Any:
    return await desk_login(request, who, body.device, body.queue)


@router.post("/agent/logout", summary="log out")
async def agent_logout(request: Request, who: Principal = Depends(AGENT_CHANGE)) -> Any:
    async with translated():
        agent = await deps_of(request).desk.logout(who.name)
    return {"state": agent.state.value}


@router.post("/agent/pause", summary="pause with a reason")
async def agent_pause(body: PauseBody, request: Request,
                      who: Principal = Depends(AGENT_CHANGE)) -> Any:
    async with translated():
        agent = await deps_of(request).desk.pause(who.name, body.reason)
    return {"state": agent.state.value}


@router.post("/agent/ready", summary="ready for the next call (ends a pause or wrap-up)")
async def agent_ready(request: Request, who: Principal = Depends(AGENT_CHANGE)) -> Any:
    return await request.app.state.calls.answer(who)


@router.get("/agent/state", summary="my state with the time in it, and the offered call")
async def agent_state(request: Request, who: Principal = Depends(AGENT)) -> Any:
    return await call_in_hand(request, who)


@router.post("/agent/outcome", summary="record the case outcome of the call at wrap-up")
async def agent_outcome(body: OutcomeBody, request: Request,
                        who: Principal = Depends(AGENT_CHANGE)) -> Any:
    deps, hub = deps_of(request), request.app.state.hub
    last = hub.times.last_call.get(who.name, ("", ""))
    call_id = body.call_id or last[0]
    if not call_id:
        raise Invalid("call_id", "you have answered no call to record an outcome for")
    queue = last[1] if call_id == last[0] else ""
    outcome = CaseOutcome(call_id, who.name, queue, parse_kind(body.outcome), body.topic,
                          hub.clock(), body.unit)
    if call_id != last[0] and not who.may(Permission.SUPERVISE):
        raise Forbidden("Du kan bara ange utfall för ditt senaste samtal "
                        "(you can record the outcome of your last call only)", call_id=call_id)
    entry = await deps.outcomes.record(outcome)
    hub._dirty.set()
    return {"id": entry, **outcome.fields()}


@router.get("/wallboard", summary="per queue: waiting, longest wait, service level, ASA, "
                                  "abandon rate, FCR, agents by state")
async def wallboard(request: Request, who: Principal = Depends(SUPERVISE)) -> Any:
    hub = request.app.state.hub
    snap = hub.last_snapshot or await hub.snapshot()
    return {"now": snap["now"], "queues": {q: v["figures"] for q, v in snap["queues"].items()},
            "agents": snap["agents"], "health": snap["health"]}


@router.post("/agents/{agent_id}/skills", summary="set an agent's skills and levels")
async def set_skills(body: SkillsBody, request: Request,
                     agent_id: str = Path(..., min_length=1, max_length=32),
                     who: Principal = Depends(SUPERVISE_CHANGE)) -> Any:
    deps = deps_of(request)
    skills: dict[str, int] = {}
    for n, text in enumerate(body.skills):
        try:
            name, level = parse_skill(text, f"skills.{n}")
        except Exception as exc:  # routing.errors.ConfigError names the place
            raise Invalid(f"skills.{n}", str(exc)) from exc
        skills[name] = level
    async with translated():
        agent = await deps.routing.agent(agent_id)
        if agent.state not in SKILLS_CHANGE_FROM:
            raise Conflict(f"{agent_id} är {agent.state.value}; ändra efter samtalet "
                           f"(change the skills after the call)", agent_id=agent_id)
        was_paused = agent.pause_reason if agent.state is AgentState.PAUSED else None
        logged_in = agent.state is not AgentState.LOGGED_OUT
        if logged_in:
            await deps.desk.logout(agent_id)
        await deps.desk.login(agent_id, agent.device, queues=sorted(agent.queues),
                              skills=skills, employee_id=agent.employee_id)
        if was_paused is not None:
            await deps.desk.pause(agent_id, was_paused)
        elif not logged_in:
            await deps.desk.logout(agent_id)
    await deps.users.audit(who.name, "agent.skills", agent=agent_id, skills=skills)
    return {"agent": agent_id, "skills": skills}


@router.post("/agents/{agent_id}/unpause", summary="end an agent's pause")
async def end_pause(request: Request, agent_id: str = Path(..., min_length=1, max_length=32),
                    who: Principal = Depends(SUPERVISE_CHANGE)) -> Any:
    deps = deps_of(request)
    async with translated():
        agent = await deps.desk.unpause(agent_id)
    await deps.users.audit(who.name, "agent.unpause", agent=agent_id)
    return {"agent": agent_id, "state": agent.state.value}
