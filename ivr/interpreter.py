"""The flow interpreter: a pure state machine that runs one call through one flow.

``FlowRun.start(now)`` and ``FlowRun.handle(event, now)`` return the actions to
perform; the run never touches a socket, a clock or a file. Its whole state is
``FlowRun.state`` (a frozen ``CallState``) so that a call can leave the AGI
session (to ring a phone), live in Redis, and be resumed by any controller with
``FlowRun.restore``. Invariants: every returned action list ends with at most one
waiting action; a caller's wrong digit is an event handled by the flow, never an
exception; a run that reached ``Hangup`` or a ``Dial`` that was answered is done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ivr import actions as a
from ivr import flow as f
from ivr import offers, steps
from ivr.errors import FlowRuntimeError
from ivr.hours_text import hours_sentences
from ivr.run import Actions, CallState, Group
from ivr.validation import entry_valid

#: Nodes entered in a row without waiting for the caller before the run is declared looping.
MAX_HOPS = 50
#: Times a group is rung again when nobody answers, unless the flow says where to go.
MAX_GROUP_ATTEMPTS = 10




class FlowRun:
    """One call's run through a flow. Not thread-safe; one per call."""

    def __init__(self, flow: f.Flow, groups: Mapping[str, Group], state: CallState) -> None:
        self.flow = flow
        self.groups = groups
        self.state = state

    @classmethod
    def new(cls, flow: f.Flow, groups: Mapping[str, Group], call_id: str,
            variables: Mapping[str, str] | None = None) -> FlowRun:
        """A run at the flow's start; ``variables`` are known before it starts (the number
        dialled, for the direct-call flow)."""
        return cls(flow, groups, CallState(call_id, flow.name, flow.version, flow.start,
                                           variables=dict(variables or {})))

    @classmethod
    def restore(cls, flow: f.Flow, groups: Mapping[str, Group], state: CallState) -> FlowRun:
        """Continue a run from its saved state; the flow must be the version it started on."""
        if state.version != flow.version:
            raise FlowRuntimeError(state.node, "restore", f"version {state.version[:8]}")
        return cls(flow, groups, state)

    def __repr__(self) -> str:
        s = self.state
        return f"<FlowRun {s.call_id} {s.flow}@{s.node} lang={s.language} waiting={s.waiting}>"

    # ---- entry points ------------------------------------------------------------------

    def start(self, now: datetime) -> Actions:
        return self._enter(self.flow.start, now)

    def handle(self, event: a.Event, now: datetime) -> Actions:
        if self.state.done:
            return []
        if isinstance(event, a.CallerHungUp):
            self._set(done=True, waiting="none", path=(*self.state.path, "hangup:caller"))
            return []
        node = self.flow.nodes[self.state.node]
        if isinstance(event, a.PlaybackFinished) and self.state.waiting == "playback":
            return self._after_playback(node, now)
        handler = _HANDLERS.get((type(node), type(event)))
        if handler is None or self.state.waiting != _WAITS_FOR[type(event)]:
            raise FlowRuntimeError(self.state.node, type(node).__name__, event)
        return handler(self, node, event, now)

    # ---- helpers -----------------------------------------------------------------------

    def _set(self, **changes: Any) -> None:
        self.state = self.state.replaced(changes)

    def _trace(self, step: str) -> None:
        self._set(path=(*self.state.path, step))

    def _enter(self, name: str, now: datetime, hops: int = 0) -> Actions:
        if hops > MAX_HOPS:
            raise FlowRuntimeError(name, "loop", f"{MAX_HOPS} nodes without waiting for the caller")
        node = self.flow.nodes[name]
        self._set(node=name, waiting="none", after_playback=None)
        self._trace(name)
        return _ENTER[type(node)](self, node, now, hops)

    def _play_then(self, prompt: str, then: str) -> Actions:
        self._set(waiting="playback", after_playback=then)
        return [a.Play(prompt, self.state.language)]

    def _say_then(self, text: str, then: str) -> Actions:
        self._set(waiting="playback", after_playback=then)
        return [a.Say(text, self.state.language)]

    def _after_playback(self, node: f.Node, now: datetime) -> Actions:
        then = self.state.after_playback
        if then == "@stage":
            return _STAGE[type(node)](self, node, now)
        if then == "@hangup":
            self._set(done=True, waiting="none")
            return [a.Hangup()]
        if then == "@dial":
            return self._dial_now(node, now)
        if then == "@hours" and isinstance(node, f.PlayNode):
            return _say_hours(self, node, now)
        if then == "@reenter":
            return self._enter(self.state.node, now)
        if then is None:
            raise FlowRuntimeError(self.state.node, "playback", "nothing to do after the prompt")
        return self._enter(then, now)

    def _fail(
        self, counter_node: str, retry_prompt: str | None, now: datetime, retry: str | None = None
    ) -> Actions:
        """Count a failed attempt at ``counter_node``; retry (``retry``, default the counted node,
        after ``retry_prompt``), or leave by the counted node's ``on_failure`` at its limit."""
        counts = dict(self.state.failures)
        counts[counter_node] = counts.get(counter_node, 0) + 1
        self._set(failures=counts)
        target = self.flow.nodes[counter_node]
        limit = getattr(target, "max_attempts", 3)
        if counts[counter_node] >= limit:
            self._trace(f"failed:{counter_node}")
            on_failure = getattr(target, "on_failure", None)
            if on_failure is None:
                self._set(done=True)
                return [a.Hangup()]
            return self._enter(on_failure, now)
        target_name = retry or counter_node
        if retry_prompt:
            return self._play_then(retry_prompt, target_name)
        return self._enter(target_name, now)

    def _dial_now(self, node: f.Node, now: datetime) -> Actions:
        if isinstance(node, f.TransferNode) and node.number is not None:
            self._set(waiting="dial")
            steps.ringing(self, node.number, "")
            self._trace(f"number:{node.number}")
            return [a.Dial(steps.EXTERNAL_DIAL.format(number=node.number), node.timeout_s,
                           f"number {node.number}")]
        if isinstance(node, f.TransferNode) and node.unit is not None:
            return steps.enqueue_unit(self, node.unit)
        if isinstance(node, f.TransferNode):
            callee = self.state.callee
            if callee is None:
                raise FlowRuntimeError(self.state.node, "transfer", "no callee looked up")
            self._set(waiting="dial")
            steps.ringing(self, self.state.variables.get("extension") or callee.dial, callee.name)
            self._trace(f"dial:{callee.dial}")
            label = f"extension {self.state.variables.get('extension', '')}".strip()
            return [a.Dial(callee.dial, node.timeout_s, label)]
        assert isinstance(node, f.DialGroupNode)
        name = steps.interpolate(node.group, self.state.variables, self.state.language)
        if not name or name not in self.groups:
            # Only a group named by a variable can be missing (the controller checks the
            # fixed ones at start-up): the callee's unit has no answering group here.
            self._trace(f"group:none:{name or '-'}")
            if node.on_no_answer is None:
                raise FlowRuntimeError(self.state.node, "dial_group", f"no group {name!r}")
            return self._enter(node.on_no_answer, now)
        return steps.dial_group_now(self, node, self.groups[name], now)


# ---- entering nodes -----------------------------------------------------------------------

def _enter_play(run: FlowRun, node: f.PlayNode, now: datetime, hops: int) -> Actions:
    return run._play_then(node.prompt, "@hours" if node.say_hours else node.next)


def _say_hours(run: FlowRun, node: f.PlayNode, now: datetime) -> Actions:
    """After a play node's prompt: the hours of its ``say_hours`` time condition, then on."""
    condition = run.flow.nodes[node.say_hours or ""]
    assert isinstance(condition, f.TimeConditionNode)  # the loader checked it
    return run._say_then(hours_sentences(condition.schedule, now, run.state.language), node.next)


def _enter_collect(run: FlowRun, node: f.MenuNode | f.CollectNode, now: datetime,
                   hops: int) -> Actions:
    run._set(waiting="digits")
    max_digits = 1 if isinstance(node, f.MenuNode) else node.max_digits
    return [a.Collect(node.prompt, run.state.language, max_digits, node.timeout_s, run.state.node)]


def _enter_set_language(run: FlowRun, node: f.SetLanguageNode, now: datetime, hops: int) -> Actions:
    run._set(language=node.language)
    return run._enter(node.next, now, hops + 1)


def _enter_set_variables(run: FlowRun, node: f.SetVariablesNode, now: datetime,
                         hops: int) -> Actions:
    values = {k: steps.interpolate(v, run.state.variables, run.state.language)
              for k, v in node.variables.items()}
    run._set(variables={**run.state.variables, **values})
    run._trace("set:" + ",".join(f"{k}={v}" for k, v in values.items()))
    return run._enter(node.next, now, hops + 1)


def _enter_time_condition(run: FlowRun, node: f.TimeConditionNode, now: datetime,
                          hops: int) -> Actions:
    from ivr.timeconditions import is_open

    opened = is_open(node.schedule, now)
    run._trace("open" if opened else "closed")
    return run._enter(node.open if opened else node.closed, now, hops + 1)


def _enter_lookup(run: FlowRun, node: f.LookupExtensionNode, now: datetime, hops: int) -> Actions:
    run._set(waiting="lookup")
    return [a.LookupExtension(run.state.variables.get(node.variable, ""))]


def _enter_dial(run: FlowRun, node: f.TransferNode | f.DialGroupNode, now: datetime,
                hops: int) -> Actions:
    if node.prompt:
        return run._play_then(node.prompt, "@dial")
    return run._dial_now(node, now)


def _enter_hangup(run: FlowRun, node: f.HangupNode, now: datetime, hops: int) -> Actions:
    if node.prompt:
        return run._play_then(node.prompt, "@hangup")
    run._set(done=True)
    return [a.Hangup()]


_ENTER: dict[type, Callable[..., Actions]] = {
    f.PlayNode: _enter_play,
    f.MenuNode: _enter_collect,
    f.CollectNode: _enter_collect,
    f.SetLanguageNode: _enter_set_language,
    f.SetVariablesNode: _enter_set_variables,
    f.TimeConditionNode: _enter_time_condition,
    f.LookupExtensionNode: _enter_lookup,
    f.TransferNode: _enter_dial,
    f.DialGroupNode: _enter_dial,
    f.HangupNode: _enter_hangup,
    **steps.ENTER,
    **offers.ENTER,
}
_STAGE: dict[type, Callable[..., Actions]] = {**steps.STAGE, **offers.STAGE}

# ---- handling events ----------------------------------------------------------------------


def _menu_digits(run: FlowRun, node: f.MenuNode, ev: a.DigitsReceived, now: datetime) -> Actions:
    key = ev.digits[:1]
    if key in node.choices:
        run._trace(f"key:{key}")
        return run._enter(node.choices[key], now)
    run._trace(f"invalid:{key or '#'}")
    return run._fail(run.state.node, node.invalid_prompt, now)


def _menu_no_input(run: FlowRun, node: f.MenuNode, ev: a.NoInput, now: datetime) -> Actions:
    run._trace("no-input")
    if node.no_input_next is not None:
        return run._enter(node.no_input_next, now)
    return run._fail(run.state.node, None, now)


def _collect_digits(run: FlowRun, node: f.CollectNode, ev: a.DigitsReceived,
                    now: datetime) -> Actions:
    digits = ev.digits
    if node.min_digits <= len(digits) <= node.max_digits and entry_valid(digits, node.validate):
        run._set(variables={**run.state.variables, node.variable: digits})
        run._trace(f"digits:{len(digits)}")
        return run._enter(node.next, now)
    run._trace("invalid-digits")
    return run._fail(run.state.node, node.invalid_prompt, now)


def _collect_no_input(run: FlowRun, node: f.CollectNode, ev: a.NoInput, now: datetime) -> Actions:
    run._trace("no-input")
    return run._fail(run.state.node, None, now)


def _lookup_done(run: FlowRun, node: f.LookupExtensionNode, ev: a.LookupCompleted,
                 now: datetime) -> Actions:
    if ev.callee is not None and ev.callee.kind == "unit" and node.unit_found is not None:
        steps.remember_callee(run, ev.callee, None)
        run._trace(f"unit:{ev.callee.unit_id}")
        return run._enter(node.unit_found, now)
    if ev.callee is None or ev.callee.kind == "unit":
        run._trace("unknown-extension")
        counter = node.counts_against or run.state.node
        return run._fail(counter, node.not_found_prompt, now, retry=node.not_found)
    extension = run.state.variables.get(node.variable, "")
    run._set(variables={**run.state.variables, "extension": extension})
    steps.remember_callee(run, ev.callee, ev.absence)
    run._trace(f"extension:{extension}")
    if ev.absence is not None and node.absent is not None:
        run._trace(f"absent:{ev.absence.category}")
        return [steps.absence_attempt(extension, ev.callee, ev.absence),
                *run._enter(node.absent, now)]
    return run._enter(node.found, now)


def _dial_done(run: FlowRun, node: f.TransferNode | f.DialGroupNode, ev: a.DialCompleted,
               now: datetime) -> Actions:
    status = ev.status.upper()
    run._trace(f"dialstatus:{status}")
    run._set(variables={**run.state.variables, "dial_status": status})
    if status == "ANSWER":
        run._set(done=True, waiting="none")
        return []
    notes = steps.failed_attempt(run, status)
    if isinstance(node, f.DialGroupNode) and run.state.ring_steps:
        return [*notes, *steps.ring_next(run, node, now)]
    if isinstance(node, f.TransferNode):
        return [*notes, *run._enter(node.on_no_answer, now)]
    if node.on_no_answer is not None:
        return [*notes, *run._enter(node.on_no_answer, now)]
    counts = {**run.state.failures, run.state.node: run.state.failures.get(run.state.node, 0) + 1}
    run._set(failures=counts)
    if counts[run.state.node] >= MAX_GROUP_ATTEMPTS:
        run._set(done=True)
        return [*notes, a.Hangup()]
    return [*notes, *run._dial_now(node, now)]


_HANDLERS: dict[tuple[type, type], Callable[..., Actions]] = {
    (f.MenuNode, a.DigitsReceived): _menu_digits,
    (f.MenuNode, a.NoInput): _menu_no_input,
    (f.CollectNode, a.DigitsReceived): _collect_digits,
    (f.CollectNode, a.NoInput): _collect_no_input,
    (f.LookupExtensionNode, a.LookupCompleted): _lookup_done,
    (f.TransferNode, a.DialCompleted): _dial_done,
    (f.DialGroupNode, a.DialCompleted): _dial_done,
    **steps.HANDLERS,
    **offers.HANDLERS,
}

#: Which wait each event answers.
_WAITS_FOR: dict[type, str] = {
    a.PlaybackFinished: "playback",
    a.DigitsReceived: "digits",
    a.NoInput: "digits",
    a.LookupCompleted: "lookup",
    a.DialCompleted: "dial",
    **steps.WAITS_FOR,
    **offers.WAITS_FOR,
}
