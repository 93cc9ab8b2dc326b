"""The FastAGI session: runs one AGI connection by feeding the flow interpreter.

Two AGI scripts reach it (see asterisk-config/extensions.conf.in): ``inbound``
starts a new run for the entry number in ``agi_arg_1``; ``resume`` continues a
saved run after Asterisk's Dial() came back unanswered (``agi_arg_1=dial``,
``agi_arg_2=DIALSTATUS``). The session performs the interpreter's actions as AGI
commands and turns replies into events. It leaves the AGI session (so Asterisk
continues in ``vaxel-route``) by saving the run in the call store first and then
setting ``VAXEL_ACTION`` and, last, ``IVR_DONE=1``: when anything fails before
that, ``IVR_DONE`` stays unset and Asterisk's fallback rings the operators.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from ivr import actions as a
from ivr.agi import AgiReply
from ivr.flow import Flow
from ivr.interpreter import CallState, FlowRun, Group
from ivr.registry import DIRECT_VARIABLE

log = structlog.get_logger("vaxel.ivr")


class AgiChannelPort(Protocol):
    """What the session needs from a FastAGI connection (``ivr.fastagi.AgiChannel``)."""

    async def command(self, name: str, *args: str, sensitive: bool = False) -> AgiReply: ...


class CallStorePort(Protocol):
    async def save(self, state: CallState) -> None: ...
    async def load(self, call_id: str) -> CallState | None: ...
    async def save_flow(self, flow: Flow) -> None: ...
    async def load_flow_source(self, version: str) -> str | None: ...


class DirectoryPort(Protocol):
    async def lookup_extension(self, extension: str, now: datetime) -> a.LookupCompleted: ...
    async def lookup_by_name_keys(self, keys: str, now: datetime,
                                  limit: int = 6) -> a.NamesFound: ...


class RoutingPort(Protocol):
    """The ACD's hand-over (``routing.service.RoutingService``): the call is in the queue
    (Redis) before the session leaves the AGI for the holding context."""

    def queue_for_group(self, group: str) -> str | None: ...
    async def enqueue(self, call_id: str, channel: str, queue: str, requirements: str,
                      priority: int, caller: str, last_agent: str | None = None) -> None: ...


class FlowSource(Protocol):
    """The active flows and every version a call in progress may still run on."""

    def for_entry(self, number: str) -> Flow | None: ...
    def direct_flow(self) -> Flow | None: ...
    def by_version(self, version: str) -> Flow | None: ...
    def by_name(self, name: str) -> Flow | None: ...
    def add_version(self, source_text: str, source: str) -> Flow: ...
    def announcement(self, name: str, now: datetime, language: str) -> str | None: ...


class SpeechPort(Protocol):
    """Turns a text made up during a call into a sound file Asterisk can play."""

    async def speak(self, text: str, language: str) -> str:
        """The file to play, as Asterisk sees it, without extension."""
        ...


@dataclass(frozen=True)
class SessionDeps:
    flows: FlowSource
    groups: Mapping[str, Group]
    store: CallStorePort
    directory: DirectoryPort
    prompts_dir: str
    clock: Callable[[], datetime]
    speech: SpeechPort | None = None
    """Synthesises ``Say`` texts; None skips them (logged), the flow goes on."""
    messages_dir: str = ""
    """Where ``voicemail`` records, as Asterisk sees it (default ``<prompts_dir>/../messages``)."""
    routing: RoutingPort | None = None
    """The ACD; None leaves ``enqueue`` to the dialplan alone (no queue side configured)."""


class SessionAborted(Exception):
    """The AGI session cannot go on (caller gone, or a command was refused)."""


async def run_session(channel: AgiChannelPort, script: str, args: tuple[str, ...], call_id: str,
                      deps: SessionDeps) -> FlowRun | None:
    """Run one AGI connection to its end; return the run (None when there was nothing to run)."""
    now = deps.clock()
    if script == "inbound":
        entry = args[0] if args else ""
        flow = deps.flows.for_entry(entry)
        variables: dict[str, str] = {}
        if flow is None:
            flow = await _direct_flow(entry, deps, now)
            variables = {DIRECT_VARIABLE: entry}
        if flow is None:
            log.warning("ivr.no_flow_for_entry", entry=entry)
            return None  # IVR_DONE stays unset: Asterisk's fallback rings the operators
        await deps.store.save_flow(flow)
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
                event = await _perform(channel, run, action, deps)
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


def _prompt_path(deps: SessionDeps, prompt: str, language: str) -> str:
    return f"{deps.prompts_dir.rstrip('/')}/{language}/{prompt}"


async def _perform(channel: AgiChannelPort, run: FlowRun, action: a.Action,
                   deps: SessionDeps) -> a.Event | None:
    if isinstance(action, a.Play):
        path = _prompt_path(deps, action.prompt, action.language)
        reply = await channel.command("STREAM FILE", path, "")
        return a.CallerHungUp() if reply.failed and await _gone(channel) else a.PlaybackFinished()
    if isinstance(action, a.Collect):
        path = _prompt_path(deps, action.prompt, action.language)
        reply = await channel.command("GET DATA", path, str(int(action.timeout_s * 1000)),
                                      str(action.max_digits), sensitive=True)
        if reply.failed:
            # -1 is a hang-up, or a missing prompt file (then the flow counts it as no input).
            return a.CallerHungUp() if await _gone(channel) else a.NoInput()
        digits = reply.digits
        return a.DigitsReceived(digits) if digits else a.NoInput()
    if isinstance(action, a.LookupExtension):
        started = time.perf_counter()
        result = await deps.directory.lookup_extension(action.extension, deps.clock())
        log.info("directory.lookup", found=result.callee is not None,
                 ms=round((time.perf_counter() - started) * 1000, 2))
        return result
    if isinstance(action, a.Dial):
        queue = _queue_for(deps, action)
        if queue is not None:
            await hand_over(channel, run, deps, queue, action.requirements_text())
            return None
        await _leave(channel, run, deps, {"VAXEL_ACTION": "dial", "VAXEL_DIAL": action.dial,
                                          "VAXEL_DIAL_TIMEOUT": str(action.timeout_s)})
        log.info("ivr.dial", label=action.label, dial=action.dial, timeout_s=action.timeout_s)
        return None
    if isinstance(action, a.Hangup):
        await _leave(channel, run, deps, {"VAXEL_ACTION": "hangup"})
        log.info("ivr.hangup", node=run.state.node)
        return None
    performer = _MORE.get(type(action))
    if performer is None:
        raise TypeError(f"unknown action {action!r}")
    return await performer(channel, run, action, deps)


async def _say(channel: AgiChannelPort, run: FlowRun, action: a.Say,
               deps: SessionDeps) -> a.Event | None:
    if deps.speech is None:
        log.warning("ivr.say_skipped", reason="no speech synthesis configured")
        return a.PlaybackFinished()
    path = await deps.speech.speak(action.text, action.language)
    reply = await channel.command("STREAM FILE", path, "")
    return a.CallerHungUp() if reply.failed and await _gone(channel) else a.PlaybackFinished()


async def _names(channel: AgiChannelPort, run: FlowRun, action: a.LookupByName,
                 deps: SessionDeps) -> a.Event | None:
    started = time.perf_counter()
    result = await deps.directory.lookup_by_name_keys(action.keys, deps.clock(), action.limit)
    log.info("directory.lookup_by_name", found=len(result.candidates),
             ms=round((time.perf_counter() - started) * 1000, 2))
    return result


async def _announcement(channel: AgiChannelPort, run: FlowRun, action: a.CheckAnnouncement,
                        deps: SessionDeps) -> a.Event | None:
    return a.AnnouncementResolved(deps.flows.announcement(action.name, deps.clock(),
                                                          action.language))


async def _enqueue(channel: AgiChannelPort, run: FlowRun, action: a.Enqueue | a.RequestCallback,
                   deps: SessionDeps) -> a.Event | None:
    if deps.routing is not None:
        # The ACD takes the call (a callback request waits in the queue too: the holding
        # context offers the callback again and keeps the caller's place).
        await hand_over(channel, run, deps, action.queue, action.requirements_text(),
                        action.priority)
        return None
    kind = "queue" if isinstance(action, a.Enqueue) else "callback"
    await _leave(channel, run, deps, {"VAXEL_ACTION": kind, "VAXEL_QUEUE": action.queue,
                                      "VAXEL_REQUIREMENTS": action.requirements_text(),
                                      "VAXEL_PRIORITY": str(action.priority)})
    log.info(f"ivr.{kind}", queue=action.queue, requirements=action.requirements_text(),
             priority=action.priority)
    return None


async def _record(channel: AgiChannelPort, run: FlowRun, action: a.Record,
                  deps: SessionDeps) -> a.Event | None:
    folder = deps.messages_dir or f"{deps.prompts_dir.rstrip('/')}/../messages"
    # RECORD FILE <file> <format> <escape digits> <timeout ms> [offset] [BEEP] [s=silence]
    reply = await channel.command("RECORD FILE", f"{folder.rstrip('/')}/{action.name}", "wav",
                                  "#", str(action.max_s * 1000), "0", "BEEP", "s=5")
    if reply.failed:
        if await _gone(channel):
            return a.CallerHungUp()
        log.error("ivr.record_failed", name=action.name, folder=folder)
        return a.RecordingFinished(0.0)
    log.info("ivr.message_recorded", name=action.name)
    return a.RecordingFinished()


async def _switch_flow(channel: AgiChannelPort, run: FlowRun, action: a.SwitchFlow,
                       deps: SessionDeps) -> a.Event | None:
    flow = deps.flows.by_name(action.flow)
    if flow is not None:
        await deps.store.save_flow(flow)
    return a.FlowFound(flow)


_MORE: dict[type, Callable[..., Awaitable[a.Event | None]]] = {
    a.Say: _say,
    a.LookupByName: _names,
    a.CheckAnnouncement: _announcement,
    a.Enqueue: _enqueue,
    a.RequestCallback: _enqueue,
    a.Record: _record,
    a.SwitchFlow: _switch_flow,
}


def _queue_for(deps: SessionDeps, action: a.Dial) -> str | None:
    """A ring group configured as an ACD queue (``[queues.<group>]``) is queued, not dialled."""
    if deps.routing is None or not action.label.startswith("group "):
        return None
    return deps.routing.queue_for_group(action.label.removeprefix("group "))


async def hand_over(channel: AgiChannelPort, run: FlowRun, deps: SessionDeps, queue: str,
                    requirements: str = "", priority: int = 0) -> None:
    """Put the call in the ACD queue (Redis), then leave the AGI for ``vaxel-route,queue``.

    ``requirements`` is ``kind=value;kind=value``. If the enqueue fails, IVR_DONE stays
    unset and Asterisk's fallback rings the operators."""
    assert deps.routing is not None
    name = (await channel.command("GET VARIABLE", "CHANNEL")).data or ""
    caller = (await channel.command("GET FULL VARIABLE", "${CALLERID(num)}")).data or ""
    await deps.routing.enqueue(run.state.call_id, name, queue, requirements, priority, caller)
    await _leave(channel, run, deps, {"VAXEL_ACTION": "queue", "VAXEL_QUEUE": queue,
                                      "VAXEL_REQUIREMENTS": requirements,
                                      "VAXEL_PRIORITY": str(priority),
                                      "VAXEL_LANG": run.state.language})
    log.info("ivr.queued", queue=queue, requirements=requirements, priority=priority)


async def _gone(channel: AgiChannelPort) -> bool:
    """After a failed playback: is the caller gone, or was the sound file missing?"""
    from ivr.fastagi import ChannelHungUp

    try:
        reply = await channel.command("CHANNEL STATUS")
    except ChannelHungUp:
        return True
    if reply.ok and reply.result.lstrip("-").isdigit() and int(reply.result) >= 0:
        log.error("ivr.prompt_missing")
        return False
    return True


async def _leave(channel: AgiChannelPort, run: FlowRun, deps: SessionDeps,
                 variables: Mapping[str, str]) -> None:
    """Save the run, then tell the dialplan where to go; IVR_DONE=1 is always the last write."""
    await deps.store.save(run.state)
    for name, value in variables.items():
        await channel.command("SET VARIABLE", name, value)
    await channel.command("SET VARIABLE", "IVR_DONE", "1")


def describe(state: CallState) -> str:
    """A one-line trace of a call's path, for logs and the demo."""
    return f"{state.call_id} -> {state.flow}: " + " -> ".join(state.path)
