"""The FastAGI session: runs one AGI connection by feeding the flow interpreter.

Two AGI scripts reach it (see asterisk-config/extensions.conf.in): ``inbound``
starts a new run for the entry number in ``agi_arg_1``; ``resume`` continues a
saved run after Asterisk's Dial() came back unanswered (``agi_arg_1=dial``,
``agi_arg_2=DIALSTATUS``). The session performs the interpreter's actions as AGI
commands and turns replies into events. It leaves the AGI session (so Asterisk
continues in ``vaxel-route``) by saving the run in the call store first and then
setting ``VAXEL_ACTION`` and, last, ``IVR_DONE=1``: when anything fails before
that, ``IVR_DONE`` stays unset and Asterisk's fallback rings the operators.
Each action is performed by ``ivr.session_actions``; the ports a session needs,
and ``SessionDeps`` that bundles them, are in ``ivr.session_ports``.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from directory.text import number_key
from ivr import actions as a
from ivr.flow import Flow
from ivr.interpreter import FlowRun
from ivr.registry import DIRECT_VARIABLE
from ivr.run import CallState
from ivr.session_actions import perform
from ivr.session_ports import AgiChannelPort, SessionDeps

log = structlog.get_logger("vaxel.ivr")


class SessionAborted(Exception):
    """The AGI session cannot go on (caller gone, or a command was refused)."""


async def run_session(channel: AgiChannelPort, script: str, args: tuple[str, ...], call_id: str,
                      deps: SessionDeps, caller: str = "") -> FlowRun | None:
    """Run one AGI connection to its end; return the run (None when there was nothing to run).

    ``caller`` is the caller's number (``agi_callerid``; "" or ``unknown`` when hidden): a new
    call's context opens with it, so that whoever answers sees the caller's earlier contacts
    today, and it is the flow's ``${caller}``, which a callback request is booked for."""
    now = deps.clock()
    if script == "inbound":
        entry = args[0] if args else ""
        flow = deps.flows.for_entry(entry)
        number = caller.strip()
        variables: dict[str, str] = {"caller": number} if number not in ("", "unknown") else {}
        if flow is None:
            flow = await _direct_flow(entry, deps, now)
            variables[DIRECT_VARIABLE] = entry
        if flow is None and number_key(entry) is not None:
            # A phone number nobody has (a direct number not given out, or given up): the
            # city's own flow, as if the caller had dialled the city number.
            flow = deps.flows.main_flow()
            variables.pop(DIRECT_VARIABLE, None)
        if flow is None:
            log.warning("ivr.no_flow_for_entry", entry=entry)
            return None  # IVR_DONE stays unset: Asterisk's fallback rings the operators
        await deps.store.save_flow(flow)
        await _open_context(deps, call_id, caller, now)
        run = FlowRun.new(flow, deps.groups, call_id, variables)
        log.info("ivr.call_started", flow=flow.name, version=flow.version[:8], entry=entry)
        pending = run.start(now)
    elif script == "resume":
        run = await _restore(call_id, deps)
        status = args[1] if len(args) > 1 else "UNKNOWN"
        log.info("ivr.call_resumed", flow=run.flow.name, node=run.state.node, dial_status=status)
        pending = run.handle(a.DialCompleted(status), now)
    else:
        log.warning("ivr.unknown_script", script=script)
        return None
    await _drive(channel, run, pending, deps)
    return run


async def _direct_flow(entry: str, deps: SessionDeps, now: datetime) -> Flow | None:
    """The direct-call flow when the number no flow claims is someone in the directory
    (an employee's extension, from outside or from a colleague's phone); else None."""
    flow = deps.flows.direct_flow()
    if flow is None or not entry.isdigit():
        return None
    found = await deps.directory.lookup_extension(entry, now)
    return flow if found.callee is not None else None


async def _restore(call_id: str, deps: SessionDeps) -> FlowRun:
    state = await deps.store.load(call_id)
    if state is None:
        raise SessionAborted(f"no saved state for call {call_id}")
    flow = deps.flows.by_version(state.version)
    if flow is None:
        text = await deps.store.load_flow_source(state.version)
        if text is None:
            raise SessionAborted(f"flow version {state.version[:8]} of call {call_id} is unknown")
        flow = deps.flows.add_version(text, f"{state.flow}@{state.version[:8]}")
    return FlowRun.restore(flow, deps.groups, state)


async def _drive(channel: AgiChannelPort, run: FlowRun, pending: list[a.Action],
                 deps: SessionDeps) -> None:
    """Perform actions and feed their events back until the run leaves the AGI session."""
    from ivr.fastagi import ChannelHungUp

    while True:
        event: a.Event | None = None
        for action in pending:
            try:
                event = await perform(channel, run, action, deps)
            except ChannelHungUp:
                event = a.CallerHungUp()
        if event is None:
            return
        if isinstance(event, a.CallerHungUp):
            run.handle(event, deps.clock())
            await deps.store.save(run.state)
            log.info("ivr.caller_hung_up", node=run.state.node)
            return
        pending = run.handle(event, deps.clock())


async def _open_context(deps: SessionDeps, call_id: str, caller: str, now: datetime) -> None:
    if deps.contexts is None:
        return
    try:
        await deps.contexts.open_call(call_id, caller, now)
    except Exception as exc:  # noqa: BLE001 - a lost history line must not drop the call
        log.warning("ivr.context_failed", error=str(exc))


def describe(state: CallState) -> str:
    """A one-line trace of a call's path, for logs and the demo."""
    return f"{state.call_id} -> {state.flow}: " + " -> ".join(state.path)
