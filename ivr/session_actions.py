"""Performing the flow interpreter's actions in one AGI session, as AGI commands.

Each action becomes AGI commands (STREAM FILE, GET DATA, RECORD FILE, SET
VARIABLE) or a call to a port (directory, ACD, message desk, speech, call
context), and its outcome becomes the interpreter's next event, or None when
the run has left the AGI session. Invariants: the session leaves by saving the
run first and writing ``IVR_DONE=1`` last (``_leave``), so a failure on the way
leaves ``IVR_DONE`` unset and Asterisk's fallback rings the operators; a failed
playback counts as the caller gone only when ``CHANNEL STATUS`` says so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Mapping

import structlog

from infra.dialplan_safe import check_dial
from ivr import actions as a
from ivr.interpreter import FlowRun
from ivr.nodes import TransferNode
from ivr.session_ports import AgiChannelPort, SessionDeps

log = structlog.get_logger("vaxel.ivr")


def _prompt_path(deps: SessionDeps, prompt: str, language: str) -> str:
    return f"{deps.prompts_dir.rstrip('/')}/{language}/{prompt}"


async def perform(channel: AgiChannelPort, run: FlowRun, action: a.Action,
                  deps: SessionDeps) -> a.Event | None:
    if isinstance(action, a.Play):
        path = _prompt_path(deps, action.prompt, action.language)
        if announces_transfer(run, path):
            return await _announce_and_dial(channel, run, deps, path)
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
        log.debug("directory.lookup", found=result.callee is not None,
                 ms=round((time.perf_counter() - started) * 1000, 2))
        return result
    if isinstance(action, a.Dial):
        queue = _queue_for(deps, action)
        if queue is not None:
            await hand_over(channel, run, deps, queue, action.requirements_text())
            return None
        await _dial(channel, run, deps, action)
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
    """Record; a caller who hangs up while speaking still leaves the message: Asterisk keeps
    the file (res_agi's handle_recordfile closes the stream on hang-up), so the run goes on
    to take it, and the next command finds the caller gone."""
    from ivr.fastagi import ChannelHungUp

    folder = deps.messages_dir or f"{deps.prompts_dir.rstrip('/')}/../messages"
    # RECORD FILE <file> <format> <escape digits> <timeout ms> [offset] [BEEP] [s=silence]
    try:
        reply = await channel.command("RECORD FILE", f"{folder.rstrip('/')}/{action.name}",
                                      "wav", "#", str(action.max_s * 1000), "0", "BEEP", "s=5")
    except ChannelHungUp as exc:
        log.info("ivr.message_recorded", name=action.name, caller_gone=True)
        return a.RecordingFinished(_seconds(exc.reply.endpos if exc.reply else None))
    seconds = _seconds(reply.endpos)
    if reply.failed and not await _gone_quietly(channel):
        log.error("ivr.record_failed", name=action.name, folder=folder)
        return a.RecordingFinished(0.0)
    log.info("ivr.message_recorded", name=action.name, seconds=seconds)
    return a.RecordingFinished(seconds)


#: Samples per second of Asterisk's ``wav`` format (8 kHz, 16-bit): RECORD FILE's ``endpos``.
WAV_RATE = 8000


def _seconds(endpos: int | None) -> float:
    return round((endpos or 0) / WAV_RATE, 2)


async def _gone_quietly(channel: AgiChannelPort) -> bool:
    """``_gone`` that answers True instead of raising when the check finds the caller gone."""
    from ivr.fastagi import ChannelHungUp

    try:
        return await _gone(channel)
    except ChannelHungUp:
        return True


async def _check_queue(channel: AgiChannelPort, run: FlowRun, action: a.CheckQueue,
                       deps: SessionDeps) -> a.Event | None:
    load = await deps.routing.queue_load(action.queue) if deps.routing is not None else None
    if load is None:
        log.info("ivr.queue_load_unknown", queue=action.queue)
        return a.QueueLoadKnown(action.queue, known=False)
    log.info("ivr.queue_load", queue=action.queue, waiting=load.waiting, staffed=load.staffed,
             logged_in=load.logged_in, estimated_wait_s=load.estimated_wait_s)
    return a.QueueLoadKnown(action.queue, load.waiting, load.logged_in, load.staffed,
                            load.estimated_wait_s)


async def _take_message(channel: AgiChannelPort, run: FlowRun, action: a.TakeMessage,
                        deps: SessionDeps) -> a.Event | None:
    if deps.messages is None:
        log.error("ivr.message_not_taken", reason="no message desk configured",
                  recording=action.recording)
        return a.MessageTaken("")
    taken = await deps.messages.take(action, run.state.call_id)
    log.info("ivr.message_taken", request=action.request, message_id=taken.message_id,
             recipient=taken.recipient, mailed=taken.mailed)
    return taken


async def _switch_flow(channel: AgiChannelPort, run: FlowRun, action: a.SwitchFlow,
                       deps: SessionDeps) -> a.Event | None:
    flow = deps.flows.by_name(action.flow)
    if flow is not None:
        await deps.store.save_flow(flow)
    return a.FlowFound(flow)


async def _idle_times(channel: AgiChannelPort, run: FlowRun, action: a.ReadIdleTimes,
                      deps: SessionDeps) -> a.Event | None:
    found = await deps.idle.idle_since(action.members) if deps.idle is not None else {}
    return a.IdleTimesRead(tuple(found.items()))


async def _note_attempt(channel: AgiChannelPort, run: FlowRun, action: a.NoteAttempt,
                        deps: SessionDeps) -> a.Event | None:
    log.info("ivr.attempt_failed", target=action.target, status=action.status)
    if deps.contexts is None:
        return None
    try:
        await deps.contexts.note_attempt(run.state.call_id, action.target, action.target_name,
                                         action.status, action.detail, deps.clock())
    except Exception as exc:  # noqa: BLE001 - a lost history line must not drop the call
        log.warning("ivr.context_failed", error=str(exc))
    return None


_MORE: dict[type, Callable[..., Awaitable[a.Event | None]]] = {
    a.Say: _say,
    a.LookupByName: _names,
    a.CheckAnnouncement: _announcement,
    a.Enqueue: _enqueue,
    a.RequestCallback: _enqueue,
    a.Record: _record,
    a.SwitchFlow: _switch_flow,
    a.ReadIdleTimes: _idle_times,
    a.NoteAttempt: _note_attempt,
    a.CheckQueue: _check_queue,
    a.TakeMessage: _take_message,
}


async def _dial(channel: AgiChannelPort, run: FlowRun, deps: SessionDeps, action: a.Dial,
                announce: str = "") -> None:
    check_dial(action.dial, f"dial of node {run.state.node!r}")  # else: the fallback
    variables = {"VAXEL_ACTION": "dial", "VAXEL_DIAL": action.dial,
                 "VAXEL_DIAL_TIMEOUT": str(action.timeout_s)}
    if announce:
        variables["VAXEL_ANNOUNCE"] = announce
    await _leave(channel, run, deps, variables)
    log.debug("ivr.dial", label=action.label, dial=action.dial, timeout_s=action.timeout_s)


#: A prompt path the dialplan's Playback() takes as one file (no "&", "," or options).
_PLAYBACK_SAFE = re.compile(r"[A-Za-z0-9_./-]+")


def announces_transfer(run: FlowRun, path: str) -> bool:
    """Is this prompt the announcement of a transfer to a person or a number ("connecting"),
    after which the run leaves the IVR by one Dial? Then the dialplan plays it just before
    its Dial (``VAXEL_ANNOUNCE``): one AGI round trip fewer, and the controller's part of
    the call ends a prompt earlier."""
    node = run.flow.nodes.get(run.state.node)
    return (run.state.after_playback == "@dial" and isinstance(node, TransferNode)
            and node.unit is None and _PLAYBACK_SAFE.fullmatch(path) is not None)


async def _announce_and_dial(channel: AgiChannelPort, run: FlowRun, deps: SessionDeps,
                             path: str) -> a.Event | None:
    pending = run.handle(a.PlaybackFinished(), deps.clock())
    if len(pending) != 1 or not isinstance(pending[0], a.Dial):   # announces_transfer's node
        raise TypeError(f"a transfer announcement led to {pending!r}")
    await _dial(channel, run, deps, pending[0], announce=path)
    return None


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
    # The Asterisk instance the call is on (its systemname; empty with one instance).
    node = (await channel.command("GET FULL VARIABLE", "${SYSTEMNAME}")).data or ""
    await deps.routing.enqueue(run.state.call_id, name, queue, requirements, priority, caller,
                               node=node)
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
    """Save the run, then tell the dialplan where to go; IVR_DONE=1 is always the last write.

    One AGI command (``EXEC MSet``, which sets left to right) instead of one SET VARIABLE
    each when every value passes MSet's argument parsing unchanged. (Sending several
    commands in one write does not work: res_agi reads its socket through stdio and waits
    for new bytes before it looks at a second buffered line.)"""
    await deps.store.save(run.state)
    pairs = [*variables.items(), ("IVR_DONE", "1")]
    if all(_MSET_PLAIN.fullmatch(value) for _, value in pairs):
        await channel.command("EXEC", "MSet", ",".join(f"{k}={v}" for k, v in pairs))
        return
    for name, value in pairs:
        await channel.command("SET VARIABLE", name, value)


#: Values MSet's two passes of argument parsing (pairs on ",", then name and value on "=")
#: leave as they are: no quotes, backslashes, commas or brackets, no space at either end.
_MSET_PLAIN = re.compile(r"[A-Za-z0-9_.:;/@&+*#=-]+(?: +[A-Za-z0-9_.:;/@&+*#=-]+)*|")
