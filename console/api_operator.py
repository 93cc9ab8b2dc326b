"""REST routes of the operator view: queue log-in, the call in hand, directory search,
answer, transfers (blind, supervised, attended), park and pick-up, hang-up, messages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from console.auth import Permission, Principal
from console.calls import CallControl, translated
from console.errors import Invalid, Unavailable
from console.views import PersonState, search_rows
from console.web import allowed, deps_of
from routing.errors import UnknownAgent

router = APIRouter(prefix="/api", tags=["operator"])
OPERATE = allowed(Permission.OPERATE)
OPERATE_CHANGE = allowed(Permission.OPERATE, changes=True)


def control(request: Request) -> CallControl:
    calls: CallControl = request.app.state.calls
    return calls


class QueueLogin(BaseModel):
    device: str = Field("", description="your phone's dial string, e.g. PJSIP/1000; empty: "
                                        "the one stored for your user")


class Pause(BaseModel):
    reason: str = Field("paus", max_length=60)


class TransferBody(BaseModel):
    call_id: str = Field(..., min_length=1, description="the routing call id")
    target: str = Field(..., min_length=1, description="4711, unit:<id> or external:<number>")
    blind: bool = Field(False, description="true: an unanswered call goes to the operators' "
                                           "group, not back to you")


class ConsultBody(BaseModel):
    call_id: str = Field(..., min_length=1)
    target: str = Field(..., min_length=1)


class OperatorChannel(BaseModel):
    operator_channel: str = Field(..., min_length=1, description="as the consult returned")


class CallBody(BaseModel):
    call_id: str = Field(..., min_length=1)


class PickupBody(BaseModel):
    space: str = Field(..., pattern=r"^[0-9]{1,6}$")


class MessageBody(BaseModel):
    extension: str = Field(..., pattern=r"^[0-9]{2,8}$")
    text: str = Field("", max_length=2000)
    from_number: str = Field("", max_length=32)
    callback: bool = False
    call_id: str = ""


async def desk_login(request: Request, who: Principal, device: str, queue: str) -> Any:
    """Log ``who`` in to ``queue`` with their earlier skills (a supervisor's changes stay)."""
    deps = deps_of(request)
    skills: dict[str, int] = {}
    try:
        before = await deps.routing.agent(who.name)
        skills = dict(before.skills)
        device = device or before.device
    except UnknownAgent:
        pass
    if not device:
        user = await deps.users.user(who.name)
        device = user.device if user else ""
    if not device:
        raise Invalid("device", "give your phone's dial string, e.g. PJSIP/1000")
    async with translated():
        agent = await deps.desk.login(who.name, device, queues=[queue], skills=skills,
                                      employee_id=who.name)
    return {"state": agent.state.value, "device": agent.device}


@router.post("/operator/login", summary="log in to the operators' queue")
async def operator_login(body: QueueLogin, request: Request,
                         who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    return await desk_login(request, who, body.device,
                            deps_of(request).settings.operators_queue)


@router.post("/operator/logout", summary="log out of the queue")
async def operator_logout(request: Request, who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    async with translated():
        agent = await deps_of(request).desk.logout(who.name)
    return {"state": agent.state.value}


@router.post("/operator/pause", summary="pause (no calls offered)")
async def operator_pause(body: Pause, request: Request,
                         who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    async with translated():
        agent = await deps_of(request).desk.pause(who.name, body.reason)
    return {"state": agent.state.value}


@router.post("/operator/answer", summary="answer the next call (ends a pause or wrap-up)")
async def operator_answer(request: Request, who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    return await control(request).answer(who)


@router.get("/operator/state", summary="my queue state and the call in hand with its context")
async def operator_state(request: Request, who: Principal = Depends(OPERATE)) -> Any:
    return await call_in_hand(request, who)


async def call_in_hand(request: Request, who: Principal) -> dict[str, Any]:
    deps = deps_of(request)
    try:
        agent = await deps.routing.agent(who.name)
    except UnknownAgent:
        return {"agent": None, "call": None, "context": None}
    hub = request.app.state.hub
    from console.views import agent_row

    row = agent_row(agent, hub.times, hub.clock())
    call_id = agent.call_id or (row["last_call"] if agent.state.value == "wrap_up" else "")
    return {"agent": row, "call": await call_facts(request, call_id) if call_id else None}


async def call_facts(request: Request, call_id: str) -> dict[str, Any]:
    """A call's routing record and switchboard context as the pages show them."""
    deps = deps_of(request)
    facts: dict[str, Any] = {"call_id": call_id}
    try:
        call = await deps.routing.call(call_id)
        facts.update(caller=call.caller, queue=call.queue, callback=call.callback_requested,
                     requirements=list(call.requirements), priority=call.priority)
    except Exception:  # noqa: BLE001 (ended: the context below still tells)
        pass
    async with translated(call_id):
        ctx = await deps.contexts.get(call_id)
    variables = await ivr_variables(request, call_id)
    facts["language"] = variables.get("lang", variables.get("language", ""))
    facts["district"] = variables.get("district", "")
    if ctx is not None:
        facts.update(caller=ctx.caller_number or facts.get("caller", ""),
                     caller_names=list(ctx.caller_names), ivr_path=list(ctx.ivr_path),
                     attempts=[{"target": a.target, "name": a.target_name,
                                "outcome": a.outcome.value, "detail": a.detail,
                                "at": a.at.isoformat(), "by": a.by} for a in ctx.attempts],
                     not_answered=(f"{ctx.last_failure.target_name or ctx.last_failure.target}"
                                   if ctx.last_failure else ""),
                     earlier_today=len(ctx.earlier_contacts))
    return facts


async def ivr_variables(request: Request, call_id: str) -> dict[str, str]:
    import json

    try:
        raw = await deps_of(request).redis.get(f"vaxel:call:{call_id}")
    except Exception:  # noqa: BLE001
        return {}
    if not raw:
        return {}
    data = json.loads(raw)
    out = {k: str(v) for k, v in (data.get("variables") or {}).items()}
    if data.get("language"):
        out.setdefault("lang", str(data["language"]))
    return out


@router.get("/calls/{call_id}", summary="a call's facts and switchboard context")
async def call_context(call_id: str, request: Request,
                       who: Principal = Depends(allowed(Permission.VIEW))) -> Any:
    return await call_facts(request, call_id)


@router.get("/directory/search", summary="search people and units, with absence and "
                                         "device state")
async def directory_search(request: Request, q: str = Query(..., min_length=1, max_length=80),
                           who: Principal = Depends(OPERATE)) -> Any:
    deps = deps_of(request)
    if deps.directory is None:
        raise Unavailable("Ingen katalog (no directory configured)")
    devices = request.app.state.hub.devices
    directory = deps.directory
    now = datetime.now(UTC)

    def run() -> list[dict[str, Any]]:
        hits = directory.search(q, audience="operator", limit=15)
        units: dict[str, str] = {}

        def unit_name(unit_id: str | None) -> str:
            if unit_id and unit_id not in units:
                unit = directory.unit(unit_id)
                units[unit_id] = unit.name if unit else unit_id
            return units.get(unit_id or "", "")

        def state_of(employee: Any) -> PersonState:
            note = directory.current_absence(employee.id, now)
            busy = any(devices.busy(d.dial) for d in employee.devices)
            unit = unit_name(employee.unit_id)
            if note is None:
                return PersonState(busy=busy, unit_name=unit)
            label = note.message or note.category.value
            return PersonState(absence=label, back_at=note.ends_at, busy=busy, unit_name=unit)

        return search_rows(hits, state_of)

    return {"query": q, "hits": await asyncio.to_thread(run)}


@router.post("/operator/transfer", summary="transfer the call (supervised unless blind)")
async def transfer(body: TransferBody, request: Request,
                   who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    return await control(request).transfer(who, body.call_id, body.target, body.blind)


@router.post("/operator/consult", summary="attended transfer: hold the caller, ring the target")
async def consult(body: ConsultBody, request: Request,
                  who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    return await control(request).consult(who, body.call_id, body.target)


@router.post("/operator/complete", summary="attended transfer: connect caller and target")
async def complete(body: OperatorChannel, request: Request,
                   who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    await control(request).complete(who, body.operator_channel)
    return {"done": "complete"}


@router.post("/operator/cancel", summary="attended transfer: back to the caller")
async def cancel(body: OperatorChannel, request: Request,
                 who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    await control(request).cancel(who, body.operator_channel)
    return {"done": "cancel"}


@router.post("/operator/park", summary="park the call; returns the space")
async def park(body: CallBody, request: Request,
               who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    return {"space": await control(request).park(who, body.call_id)}


@router.post("/operator/pickup", summary="pick up a parked call on your phone")
async def pickup(body: PickupBody, request: Request,
                 who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    await control(request).pickup(who, body.space)
    return {"done": "pickup"}


@router.post("/operator/hangup", summary="hang up the call")
async def hangup(body: CallBody, request: Request,
                 who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    await control(request).hangup(who, body.call_id)
    return {"done": "hangup"}


@router.post("/operator/message", summary="take a message for an employee (stored, e-mailed)")
async def message(body: MessageBody, request: Request,
                  who: Principal = Depends(OPERATE_CHANGE)) -> Any:
    return await control(request).message(who, body.extension, body.text, body.from_number,
                                          body.callback, body.call_id)
