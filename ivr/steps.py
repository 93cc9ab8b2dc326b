"""Entering and answering the node kinds beyond the first IVR's (pure, part of the interpreter).

``ivr.interpreter`` owns the state machine; this module adds the entries of its
tables for announcements, time switches, dial by name, absence notes, queues,
call backs, messages and goto. Every function takes the run, the node, (the
event) and ``now``, changes only ``run.state`` and returns actions; none reads a
clock, a file or a socket.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime

from ivr import actions as a
from ivr import nodes as n
from ivr.answering import (
    DEFAULT_MEMBER_RING_S,
    UNIT_STRATEGY,
    Strategy,
    parse_strategy,
    plan_ring,
)
from ivr.errors import FlowRuntimeError
from ivr.phrases import absence_text, candidates_text
from ivr.run import Actions, Group, Run

#: Where an external number is dialled (the provisioning defines this context).
EXTERNAL_DIAL = "Local/{number}@vaxel-outbound"
#: The queue a ``transfer`` to a unit enters; the requirement ``unit=<id>`` picks the agents.
UNIT_QUEUE = "unit"
_VAR = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")
#: Variables that hold the absence note of the person looked up.
ABSENCE_KEYS = ("category", "until", "message", "forward_kind", "forward_target")
#: Variables that hold the unit of the person looked up (``Callee`` attribute -> variable):
#: a flow derives the contact center's requirements and the answering group from them.
CALLEE_UNIT_VARIABLES = {"unit_id": "unit_id", "unit_topic": "unit_topic",
                         "unit_district": "unit_district", "unit_group": "unit_group",
                         "unit_strategy": "unit_strategy",
                         "unit_member_ring_s": "unit_member_ring_s"}
#: Variables naming whom the current Dial() rings (for the call's context if it fails).
RINGING, RINGING_NAME = "ringing", "ringing_name"


def interpolate(text: str, variables: Mapping[str, str], language: str) -> str:
    """Replace ``${language}`` and ``${name}`` of collected variables; unknown names become ''."""
    values = {**variables, "language": language}
    return _VAR.sub(lambda m: values.get(m.group(1), ""), text)


def remember_callee(run: Run, callee: a.Callee, absence: a.Absence | None) -> None:
    """The person looked up becomes the callee; their unit and absence note become variables
    (empty when they have none, so an earlier callee's unit never leaks into this call)."""
    unit = {var: str(getattr(callee, attr) or "") for attr, var in CALLEE_UNIT_VARIABLES.items()}
    run._set(callee=callee, variables={**run.state.variables, **unit})
    remember_absence(run, absence)


def remember_absence(run: Run, absence: a.Absence | None) -> None:
    variables = {k: v for k, v in run.state.variables.items() if not k.startswith("absence_")}
    if absence is not None:
        for key in ABSENCE_KEYS:
            value = getattr(absence, key)
            if value is not None:
                variables[f"absence_{key}"] = str(value)
    run._set(variables=variables)


# ---- attempts for the call's context, answering groups ------------------------------------

def ringing(run: Run, target: str, name: str) -> None:
    """Remember whom the Dial() about to start rings, for ``failed_attempt``."""
    run._set(variables={**run.state.variables, RINGING: target, RINGING_NAME: name})


def failed_attempt(run: Run, status: str) -> Actions:
    """The attempt to note when the Dial() that ``ringing`` named came back unanswered."""
    v = run.state.variables
    if not v.get(RINGING):
        return []
    return [a.NoteAttempt(v[RINGING], v.get(RINGING_NAME, ""), status)]


def absence_attempt(target: str, callee: a.Callee, absence: a.Absence) -> a.NoteAttempt:
    """The attempt to note when the person the caller wants has an absence note now."""
    detail = " ".join(x for x in (absence.category, absence.until and f"-> {absence.until}",
                                  absence.message) if x)
    return a.NoteAttempt(target, callee.name, "ABSENT", detail)


def group_rule(run: Run, node: n.DialGroupNode) -> tuple[Strategy, int]:
    """The strategy and member ring time: the node's own, or (``unit``) the callee's unit's."""
    if node.strategy != UNIT_STRATEGY:
        return parse_strategy(node.strategy), node.member_timeout_s
    v = run.state.variables
    try:
        strategy = parse_strategy(v.get("unit_strategy", ""))
        member_s = int(v.get("unit_member_ring_s") or DEFAULT_MEMBER_RING_S)
    except ValueError as exc:
        raise FlowRuntimeError(run.state.node, "dial_group", str(exc)) from exc
    return strategy, member_s


def dial_group_now(run: Run, node: n.DialGroupNode, group: Group, now: datetime) -> Actions:
    """Ring ``group`` by the node's strategy: all at once, or the first of a sequence
    (``longest_idle`` first asks when each member last ended a call)."""
    strategy, _ = group_rule(run, node)
    run._trace(f"group:{group.name}")
    if strategy is Strategy.RING_ALL:
        run._set(waiting="dial", ring_steps=())
        ringing(run, group.name, f"svarsgrupp (answering group) {group.name}")
        return [a.Dial(group.dial, group.timeout_s, f"group {group.name}",
                       fill_requirements(run, node.requirements))]
    if strategy is Strategy.LONGEST_IDLE:
        run._set(waiting="idle")
        return [a.ReadIdleTimes(group.members)]
    return _start_sequence(run, node, group, {}, now)


def idle_times_read(run: Run, node: n.DialGroupNode, ev: a.IdleTimesRead,
                    now: datetime) -> Actions:
    name = interpolate(node.group, run.state.variables, run.state.language)
    return _start_sequence(run, node, run.groups[name], dict(ev.idle_since), now)


def _start_sequence(run: Run, node: n.DialGroupNode, group: Group,
                    idle_since: Mapping[str, float], now: datetime) -> Actions:
    strategy, member_s = group_rule(run, node)
    plan = plan_ring(strategy, group.members, member_s, group.timeout_s, idle_since)
    run._set(ring_steps=tuple((s.dial, s.timeout_s) for s in plan))
    run._trace(f"strategy:{strategy.value}")
    return ring_next(run, node, now)


def ring_next(run: Run, node: n.DialGroupNode, now: datetime) -> Actions:
    """Ring the next member of the sequence (``on_no_answer`` when there is none)."""
    if not run.state.ring_steps:
        if node.on_no_answer is None:
            raise FlowRuntimeError(run.state.node, "dial_group", "a group without members")
        return run._enter(node.on_no_answer, now)
    (dial, timeout_s), *rest = run.state.ring_steps
    name = interpolate(node.group, run.state.variables, run.state.language)
    run._set(waiting="dial", ring_steps=tuple(rest))
    ringing(run, dial, f"svarsgrupp (answering group) {name}")
    run._trace(f"ring:{dial}")
    return [a.Dial(dial, timeout_s, f"member of group {name}")]


# ---- announcement, time switch, goto ---------------------------------------------------

def enter_announcement(run: Run, node: n.AnnouncementNode, now: datetime, hops: int) -> Actions:
    run._set(waiting="announcement")
    return [a.CheckAnnouncement(node.announcement, run.state.language)]


def announcement_resolved(run: Run, node: n.AnnouncementNode, ev: a.AnnouncementResolved,
                          now: datetime) -> Actions:
    if ev.text:
        run._trace(f"announcement:{node.announcement}")
        return run._say_then(ev.text, node.next)
    run._trace("announcement:off")
    return run._enter(node.next, now)


def enter_time_switch(run: Run, node: n.TimeSwitchNode, now: datetime, hops: int) -> Actions:
    from ivr.timeconditions import is_open

    for name, window in node.windows.items():
        if is_open(window.schedule, now):
            run._trace(f"window:{name}")
            return run._enter(window.next, now, hops + 1)
    run._trace("window:none")
    return run._enter(node.otherwise, now, hops + 1)


def enter_goto(run: Run, node: n.GotoNode, now: datetime, hops: int) -> Actions:
    if node.node is not None:
        return run._enter(node.node, now, hops + 1)
    assert node.flow is not None
    run._set(waiting="flow")
    return [a.SwitchFlow(node.flow)]


def flow_found(run: Run, node: n.GotoNode, ev: a.FlowFound, now: datetime) -> Actions:
    if ev.flow is None:
        raise FlowRuntimeError(run.state.node, "goto", f"flow {node.flow!r} is not loaded")
    run.flow = ev.flow
    run._set(flow=ev.flow.name, version=ev.flow.version, failures={})
    run._trace(f"flow:{ev.flow.name}")
    return run._enter(ev.flow.start, now)


# ---- dial by name -------------------------------------------------------------------------

def enter_dial_by_name(run: Run, node: n.DialByNameNode, now: datetime, hops: int) -> Actions:
    run._set(waiting="digits", candidates=(), candidate_absences=())
    return [a.Collect(node.prompt, run.state.language, node.max_keys, node.timeout_s,
                      run.state.node)]


def name_digits(run: Run, node: n.DialByNameNode, ev: a.DigitsReceived,
                now: datetime) -> Actions:
    if run.state.candidates:
        return _choose(run, node, ev.digits[:1], now)
    keys = ev.digits
    if node.min_keys <= len(keys) <= node.max_keys and keys.isdigit():
        run._trace(f"name-keys:{len(keys)}")
        run._set(waiting="names")
        return [a.LookupByName(keys, node.max_candidates + 1)]
    run._trace("invalid-name-keys")
    return run._fail(run.state.node, node.not_found_prompt, now)


def name_no_input(run: Run, node: n.DialByNameNode, ev: a.NoInput, now: datetime) -> Actions:
    run._trace("no-input")
    return run._fail(run.state.node, None, now)


def names_found(run: Run, node: n.DialByNameNode, ev: a.NamesFound, now: datetime) -> Actions:
    count = len(ev.candidates)
    if count == 0 or count > node.max_candidates:
        run._trace("names:none" if count == 0 else "names:too-many")
        prompt = node.not_found_prompt if count == 0 else node.too_many_prompt
        return run._fail(run.state.node, prompt or node.not_found_prompt, now)
    absences = tuple(ev.absences) + (None,) * (count - len(ev.absences))
    run._set(candidates=tuple(ev.candidates), candidate_absences=absences)
    run._trace(f"names:{count}")
    if count == 1:
        return _pick(run, node, 0, now)
    text = candidates_text([c.name for c in ev.candidates], run.state.language)
    return run._say_then(text, "@stage")


def name_choose_stage(run: Run, node: n.DialByNameNode, now: datetime) -> Actions:
    run._set(waiting="digits")
    return [a.Collect(node.choose_prompt, run.state.language, 1, node.timeout_s, run.state.node)]


def _choose(run: Run, node: n.DialByNameNode, key: str, now: datetime) -> Actions:
    if key.isdigit() and 1 <= int(key) <= len(run.state.candidates):
        run._trace(f"key:{key}")
        return _pick(run, node, int(key) - 1, now)
    run._trace(f"invalid:{key or '#'}")
    run._set(candidates=(), candidate_absences=())
    return run._fail(run.state.node, None, now)


def _pick(run: Run, node: n.DialByNameNode, index: int, now: datetime) -> Actions:
    callee = run.state.candidates[index]
    absence = run.state.candidate_absences[index]
    run._set(candidates=(), candidate_absences=())
    remember_callee(run, callee, absence)
    run._trace(f"person:{callee.employee_id}")
    if absence is not None and node.absent is not None:
        run._trace(f"absent:{absence.category}")
        return [absence_attempt(callee.name, callee, absence), *run._enter(node.absent, now)]
    return run._enter(node.found, now)


# ---- absence note -------------------------------------------------------------------------

def enter_absence_note(run: Run, node: n.AbsenceNoteNode, now: datetime, hops: int) -> Actions:
    v = run.state.variables
    absence = {k: v[f"absence_{k}"] for k in ABSENCE_KEYS if f"absence_{k}" in v}
    callee = run.state.callee
    if not absence or callee is None:
        run._trace("absence:none")
        return run._enter(node.otherwise, now, hops + 1)
    kind, target = absence.get("forward_kind", "none"), absence.get("forward_target", "")
    then = {"colleague": node.to_colleague, "unit": node.to_unit,
            "contact_center": node.to_contact_center}.get(kind)
    if then is None or (kind in ("colleague", "unit") and not target):
        then, kind = node.otherwise, "none"
        absence = {**absence, "forward_kind": "none"}
    if kind == "colleague":
        run._set(variables={**v, "extension": target})
    elif kind == "unit":
        run._set(variables={**v, "unit": target})
    run._trace(f"forward:{kind}")
    return run._say_then(absence_text(callee.name, absence, run.state.language), then)


# ---- queue, call back, message ------------------------------------------------------------

def fill_requirements(run: Run, reqs: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The node's requirements filled in; a pair whose value came out empty (the callee's
    unit has no district) is left out: it could match no agent and asks for nothing."""
    filled = ((k, interpolate(val, run.state.variables, run.state.language))
              for k, val in reqs.items())
    return tuple((k, v) for k, v in filled if v)


def enter_enqueue(run: Run, node: n.EnqueueNode, now: datetime, hops: int) -> Actions:
    if node.prompt:
        return run._play_then(node.prompt, "@stage")
    return enqueue_stage(run, node, now)


def enqueue_stage(run: Run, node: n.EnqueueNode, now: datetime) -> Actions:
    run._trace(f"queue:{node.queue}")
    run._set(done=True, waiting="none")
    return [a.Enqueue(node.queue, fill_requirements(run, node.requirements), node.priority)]


def enqueue_unit(run: Run, unit: str) -> Actions:
    """A transfer to a unit: the queue side rings the unit's people (requirement ``unit``)."""
    unit_id = interpolate(unit, run.state.variables, run.state.language)
    run._trace(f"queue:{UNIT_QUEUE}:{unit_id}")
    run._set(done=True, waiting="none")
    return [a.Enqueue(UNIT_QUEUE, (("unit", unit_id), ("lang", run.state.language)), 0)]


def enter_callback_offer(run: Run, node: n.CallbackOfferNode, now: datetime,
                         hops: int) -> Actions:
    run._set(waiting="digits")
    return [a.Collect(node.prompt, run.state.language, 1, node.timeout_s, run.state.node)]


def callback_digits(run: Run, node: n.CallbackOfferNode, ev: a.DigitsReceived,
                    now: datetime) -> Actions:
    if ev.digits[:1] == node.accept_key:
        run._trace("callback:accepted")
        return run._play_then(node.confirm_prompt, "@stage")
    run._trace("callback:declined")
    return run._enter(node.decline, now)


def callback_no_input(run: Run, node: n.CallbackOfferNode, ev: a.NoInput,
                      now: datetime) -> Actions:
    run._trace("callback:declined")
    return run._enter(node.decline, now)


def callback_stage(run: Run, node: n.CallbackOfferNode, now: datetime) -> Actions:
    run._trace(f"callback:{node.queue}")
    run._set(done=True, waiting="none")
    return [a.RequestCallback(node.queue, fill_requirements(run, node.requirements), node.priority)]


def enter_voicemail(run: Run, node: n.VoicemailNode, now: datetime, hops: int) -> Actions:
    return run._play_then(node.prompt, "@stage")


def voicemail_stage(run: Run, node: n.VoicemailNode, now: datetime) -> Actions:
    run._set(waiting="recording")
    return [a.Record(f"{node.folder}/{run.state.call_id}", node.max_s)]


def recording_finished(run: Run, node: n.VoicemailNode, ev: a.RecordingFinished,
                       now: datetime) -> Actions:
    run._trace("message:recorded")
    return run._enter(node.next, now)


Enter = Callable[..., Actions]
ENTER: dict[type, Enter] = {
    n.AnnouncementNode: enter_announcement,
    n.TimeSwitchNode: enter_time_switch,
    n.GotoNode: enter_goto,
    n.DialByNameNode: enter_dial_by_name,
    n.AbsenceNoteNode: enter_absence_note,
    n.EnqueueNode: enter_enqueue,
    n.CallbackOfferNode: enter_callback_offer,
    n.VoicemailNode: enter_voicemail,
}
#: What a node does after its own prompt (``after_playback == "@stage"``).
STAGE: dict[type, Callable[..., Actions]] = {
    n.DialByNameNode: name_choose_stage,
    n.EnqueueNode: enqueue_stage,
    n.CallbackOfferNode: callback_stage,
    n.VoicemailNode: voicemail_stage,
}
HANDLERS: dict[tuple[type, type], Callable[..., Actions]] = {
    (n.AnnouncementNode, a.AnnouncementResolved): announcement_resolved,
    (n.GotoNode, a.FlowFound): flow_found,
    (n.DialByNameNode, a.DigitsReceived): name_digits,
    (n.DialByNameNode, a.NoInput): name_no_input,
    (n.DialByNameNode, a.NamesFound): names_found,
    (n.CallbackOfferNode, a.DigitsReceived): callback_digits,
    (n.CallbackOfferNode, a.NoInput): callback_no_input,
    (n.VoicemailNode, a.RecordingFinished): recording_finished,
    (n.DialGroupNode, a.IdleTimesRead): idle_times_read,
}
WAITS_FOR: dict[type, str] = {
    a.NamesFound: "names",
    a.AnnouncementResolved: "announcement",
    a.RecordingFinished: "recording",
    a.FlowFound: "flow",
    a.IdleTimesRead: "idle",
}
