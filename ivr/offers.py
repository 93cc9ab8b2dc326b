"""What a caller is offered when nobody can take the call: queue load and messages (pure).

Part of the interpreter, like ``ivr.steps``: the ``queue_status`` node asks how loaded
a queue is and branches on ``queue_verdict``; the ``message`` node records a message
(or books a callback) and asks the controller to store and mail it for the person the
caller tried to reach (``message_recipient``). Invariants: the verdict depends only on
the load reported and the node's limits; a queue whose load is unknown is never
called overloaded (the caller goes on to the queue, as before this node existed); a
message is handed to the controller once per node visit, after the recording ended
(also when the caller hung up during it: what they said is not lost).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ivr import actions as a
from ivr import nodes as n
from ivr.run import Actions, Run
from ivr.steps import interpolate

#: ``${queue_status}`` values: the queue can take the call, or why it cannot.
OPEN, NOBODY, WAIT, LENGTH, UNKNOWN = "open", "nobody", "wait", "length", "unknown"


def queue_verdict(load: a.QueueLoadKnown, max_wait_s: int, max_waiting: int) -> str:
    """``open``, or why the queue cannot take one more caller now: ``nobody`` staffed
    (logged in and not paused), more than ``max_waiting`` callers waiting with this one
    (``length``), or an estimated wait above ``max_wait_s`` (``wait``). ``unknown``
    when no queue side reported the load."""
    if not load.known:
        return UNKNOWN
    if load.staffed <= 0:
        return NOBODY
    if load.waiting + 1 > max_waiting:
        return LENGTH
    if load.estimated_wait_s is None or load.estimated_wait_s > max_wait_s:
        return WAIT
    return OPEN


def message_recipient(recipient: str, callee: a.Callee | None, variables: dict[str, str],
                      language: str) -> tuple[str | None, str | None]:
    """(employee id, unit id) a message node's ``recipient`` names for this call:
    ``${callee}`` is the person looked up (with their unit as the fallback mailbox),
    ``unit:<id>`` a unit (variables filled in). (None, None): nobody known, the
    controller sends it to the switchboard's own mailbox."""
    if recipient == n.CALLEE_RECIPIENT:
        if callee is None:
            return None, None
        return callee.employee_id, callee.unit_id or None
    unit = interpolate(recipient.removeprefix(n.UNIT_RECIPIENT_PREFIX), variables, language)
    return None, unit.strip() or None


# ---- queue_status -------------------------------------------------------------------------

def enter_queue_status(run: Run, node: n.QueueStatusNode, now: datetime,
                       hops: int) -> Actions:
    run._set(waiting="queue")
    return [a.CheckQueue(node.queue)]


def queue_load_known(run: Run, node: n.QueueStatusNode, ev: a.QueueLoadKnown,
                     now: datetime) -> Actions:
    verdict = queue_verdict(ev, node.max_wait_s, node.max_waiting)
    run._set(variables={**run.state.variables, "queue_status": verdict})
    run._trace(f"queue-status:{verdict}")
    return run._enter(node.open if verdict in (OPEN, UNKNOWN) else node.overloaded, now)


# ---- message ------------------------------------------------------------------------------

def _recording_name(run: Run, node: n.MessageNode) -> str:
    return f"{node.folder}/{run.state.call_id}"


def _take(run: Run, node: n.MessageNode, recording: str, seconds: float) -> Actions:
    employee, unit = message_recipient(node.recipient, run.state.callee,
                                       dict(run.state.variables), run.state.language)
    run._set(waiting="message")
    return [a.TakeMessage(node.request, run.state.variables.get("caller", ""), employee, unit,
                          recording, seconds)]


def enter_message(run: Run, node: n.MessageNode, now: datetime, hops: int) -> Actions:
    if node.request == "callback":
        if not run.state.variables.get("caller", "").strip():
            run._trace("callback:no-number")
            assert node.no_number is not None  # the loader requires it for callbacks
            return run._enter(node.no_number, now, hops + 1)
        return _take(run, node, "", 0.0)
    assert node.prompt is not None  # the loader requires it for messages
    return run._play_then(node.prompt, "@stage")


def message_stage(run: Run, node: n.MessageNode, now: datetime) -> Actions:
    run._set(waiting="recording")
    return [a.Record(_recording_name(run, node), node.max_s)]


def message_recorded(run: Run, node: n.MessageNode, ev: a.RecordingFinished,
                     now: datetime) -> Actions:
    run._trace("message:recorded")
    return _take(run, node, _recording_name(run, node), ev.seconds)


def message_taken(run: Run, node: n.MessageNode, ev: a.MessageTaken,
                  now: datetime) -> Actions:
    run._trace(f"{node.request}:{'taken' if ev.message_id else 'not-taken'}")
    if node.request == "callback" and node.prompt is not None:
        return run._play_then(node.prompt, node.next)
    return run._enter(node.next, now)


ENTER: dict[type, Callable[..., Actions]] = {
    n.QueueStatusNode: enter_queue_status,
    n.MessageNode: enter_message,
}
STAGE: dict[type, Callable[..., Actions]] = {
    n.MessageNode: message_stage,
}
HANDLERS: dict[tuple[type, type], Callable[..., Actions]] = {
    (n.QueueStatusNode, a.QueueLoadKnown): queue_load_known,
    (n.MessageNode, a.RecordingFinished): message_recorded,
    (n.MessageNode, a.MessageTaken): message_taken,
}
WAITS_FOR: dict[type, str] = {
    a.QueueLoadKnown: "queue",
    a.MessageTaken: "message",
}
