"""Simulate a call through a flow without Asterisk: scripted keys, a chosen time, a directory.

``simulate`` drives the same pure ``FlowRun`` the FastAGI session drives, and
answers its actions the way the session would: prompts are "played" (their text
is written down), ``Collect`` takes the next scripted keys (none left, ``#`` or
``-``: the caller stays silent), lookups go to a synchronous directory,
announcements to the flow set's ``announcements.yaml``, and a ``Dial`` is
answered unless a scripted dial status says otherwise. The result is the path,
what the caller heard, and where the call ended up. Pure except for the directory
it is given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ivr import actions as a
from ivr.announcements import text_now
from ivr.flow import Flow
from ivr.flowset import FlowSet
from ivr.interpreter import FlowRun
from ivr.run import CallState, Group

#: Actions performed before a simulation is declared runaway.
MAX_STEPS = 300
#: Scripted keys that mean "the caller pressed nothing".
SILENCE = frozenset({"", "#", "-"})


class SyncDirectory(Protocol):
    def lookup_extension_sync(self, extension: str, now: datetime) -> a.LookupCompleted: ...
    def lookup_by_name_keys_sync(self, keys: str, now: datetime,
                                 limit: int = 6) -> a.NamesFound: ...


class AnyGroup(Mapping[str, Group]):
    """Every group name rings a placeholder, so flows simulate without the controller config."""

    def __getitem__(self, name: str) -> Group:
        return Group(name, f"<group {name}>", 30)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass
class Simulation:
    """What happened: the lines of the transcript, the destination and the final call state."""

    lines: list[str] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    destination: str = "(still in the IVR)"
    state: CallState | None = None

    def __str__(self) -> str:
        path = " -> ".join(self.state.path) if self.state else ""
        return "\n".join([*self.lines, f"path: {path}", f"destination: {self.destination}"])


def find_flow(flow_set: FlowSet, name_or_number: str) -> Flow | None:
    """A flow by its name or by one of its entry numbers."""
    if name_or_number in flow_set.flows:
        return flow_set.flows[name_or_number]
    return next((f for f in flow_set.flows.values() if name_or_number in f.entry_numbers), None)


class _Sim:
    def __init__(self, flow_set: FlowSet, run: FlowRun, keys: Sequence[str],
                 dial_statuses: Sequence[str], directory: SyncDirectory | None,
                 now: datetime, queue_load: Mapping[str, a.QueueLoadKnown],
                 idle_since: Mapping[str, float] | None = None) -> None:
        self.set, self.run, self.now, self.directory = flow_set, run, now, directory
        self.queue_load = queue_load
        self.idle_since = dict(idle_since or {})
        self.keys, self.statuses = list(keys), list(dial_statuses)
        self.out = Simulation()

    def say(self, line: str) -> None:
        self.out.lines.append(f"  [{self.run.state.node}] {line}")

    def prompt(self, key: str, language: str) -> str:
        text = (self.run.flow.prompts.get(key, {}).get(language)
                or self.set.translations.get(language, {}).get(key, ""))
        self.out.heard.append(text)
        return f"{key}: «{text}»"

    def perform(self, action: a.Action) -> a.Event | None:
        if isinstance(action, a.Play):
            self.say(f"plays {self.prompt(action.prompt, action.language)}")
            return a.PlaybackFinished()
        if isinstance(action, a.Say):
            self.out.heard.append(action.text)
            self.say(f"says «{action.text}»")
            return a.PlaybackFinished()
        if isinstance(action, a.Collect):
            self.say(f"asks {self.prompt(action.prompt, action.language)}")
            keys = self.keys.pop(0) if self.keys else ""
            if keys in SILENCE:
                self.say("caller presses nothing")
                return a.NoInput()
            self.say(f"caller presses {keys}")
            return a.DigitsReceived(keys.rstrip("#"))
        return self.perform_outside(action)

    def perform_outside(self, action: a.Action) -> a.Event | None:
        if isinstance(action, a.LookupExtension | a.LookupByName) and self.directory is None:
            raise ValueError("this path looks people up: give a directory")
        if isinstance(action, a.LookupExtension):
            assert self.directory is not None
            found = self.directory.lookup_extension_sync(action.extension, self.now)
            self.say(f"directory: {action.extension} -> "
                     f"{found.callee.name if found.callee else 'nobody'}"
                     f"{' (absent: ' + found.absence.category + ')' if found.absence else ''}")
            return found
        if isinstance(action, a.LookupByName):
            assert self.directory is not None
            names = self.directory.lookup_by_name_keys_sync(action.keys, self.now, action.limit)
            self.say(f"directory: name keys {action.keys} -> "
                     f"{', '.join(c.name for c in names.candidates) or 'nobody'}")
            return names
        if isinstance(action, a.CheckAnnouncement):
            text = text_now(self.set.announcements, action.name, self.now, action.language)
            self.say(f"announcement {action.name}: {'on' if text else 'off'}")
            return a.AnnouncementResolved(text)
        if isinstance(action, a.Record):
            self.say(f"records a message as {action.name} (max {action.max_s} s)")
            return a.RecordingFinished(10.0)
        if isinstance(action, a.SwitchFlow):
            self.say(f"goes to flow {action.flow}")
            return a.FlowFound(self.set.flows.get(action.flow))
        if isinstance(action, a.ReadIdleTimes):
            known = {m: self.idle_since[m] for m in action.members if m in self.idle_since}
            self.say(f"idle times of {len(action.members)} members: {len(known)} known")
            return a.IdleTimesRead(tuple(known.items()))
        if isinstance(action, a.NoteAttempt):
            self.say(f"notes in the call's context: {action.target} {action.status}")
            return None
        if isinstance(action, a.CheckQueue):
            load = self.queue_load.get(action.queue, a.QueueLoadKnown(action.queue, known=False))
            self.say(f"queue {action.queue}: " + (
                f"{load.waiting} waiting, {load.staffed} staffed, estimated wait "
                f"{load.estimated_wait_s if load.estimated_wait_s is not None else '?'} s"
                if load.known else "load unknown"))
            return load
        if isinstance(action, a.TakeMessage):
            whom = (f"employee {action.employee_id}" if action.employee_id
                    else f"unit {action.unit_id}" if action.unit_id else "the switchboard")
            self.say(f"takes a {action.request} for {whom} from {action.caller or 'hidden number'}"
                     + (f" (recording {action.recording})" if action.recording else ""))
            return a.MessageTaken("simulated", whom, mailed=False)
        return self.leave(action)

    def leave(self, action: a.Action) -> a.Event | None:
        if isinstance(action, a.Dial):
            status = self.statuses.pop(0).upper() if self.statuses else "ANSWER"
            reqs = f" [{action.requirements_text()}]" if action.requirements else ""
            self.say(f"rings {action.label} ({action.dial}){reqs}: {status}")
            self.out.destination = f"{action.label} ({action.dial}){reqs}"
            return None if status == "ANSWER" else a.DialCompleted(status)
        if isinstance(action, a.Enqueue | a.RequestCallback):
            what = "queue" if isinstance(action, a.Enqueue) else "callback in queue"
            self.out.destination = (f"{what} {action.queue} [{action.requirements_text()}] "
                                    f"priority {action.priority}")
        elif isinstance(action, a.Hangup):
            self.out.destination = "hang up"
        self.say(f"-> {self.out.destination}")
        return None

    def drive(self) -> Simulation:
        pending = self.run.start(self.now)
        for _ in range(MAX_STEPS):
            event = None
            for action in pending:
                event = self.perform(action)
            if event is None:
                break
            pending = self.run.handle(event, self.now)
        else:
            self.out.destination = f"(stopped after {MAX_STEPS} steps: a loop?)"
        self.out.state = self.run.state
        return self.out


def simulate(flow_set: FlowSet, flow: str, keys: Sequence[str], now: datetime, *,
             caller: str = "", language: str | None = None,
             dial_statuses: Sequence[str] = (), directory: SyncDirectory | None = None,
             groups: Mapping[str, Group] | None = None, dialled: str = "",
             queue_load: Mapping[str, a.QueueLoadKnown] | None = None,
             idle_since: Mapping[str, float] | None = None) -> Simulation:
    """Run one simulated call through ``flow`` (name or entry number) at ``now``;
    ``dialled`` is the number the caller dialled (``${dialled}``, the direct-call flow);
    ``queue_load`` what a ``queue_status`` node learns per queue (default: unknown);
    ``idle_since`` the members' last call ends (epoch seconds), for ``longest_idle``."""
    from ivr.registry import DIRECT_VARIABLE

    found = find_flow(flow_set, flow)
    if found is None:
        raise KeyError(flow)
    run = FlowRun.new(found, groups if groups is not None else AnyGroup(), "simulated")
    variables = {"caller": caller} if caller else {}
    if dialled:
        variables[DIRECT_VARIABLE] = dialled
    run.state = CallState(run.state.call_id, found.name, found.version, found.start,
                          language=language or run.state.language, variables=variables)
    return _Sim(flow_set, run, keys, dial_statuses, directory, now, queue_load or {},
                idle_since).drive()


def parse_queue_load(text: str) -> dict[str, a.QueueLoadKnown]:
    """``kontaktcenter:waiting=3,staffed=0,wait=600`` (queues separated by ``;``) -> loads.

    Raises ``ValueError`` naming the part that is wrong."""
    loads: dict[str, a.QueueLoadKnown] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        queue, _, rest = part.partition(":")
        values: dict[str, str] = {}
        for item in filter(None, rest.split(",")):
            key, eq, value = item.partition("=")
            if not eq or key.strip() not in ("waiting", "staffed", "wait"):
                raise ValueError(f"queue load {part!r}: {item!r} is not waiting=N, staffed=N "
                                 "or wait=SECONDS")
            values[key.strip()] = value.strip()
        try:
            staffed = int(values.get("staffed", "1"))
            wait = float(values["wait"]) if values.get("wait") else None
            loads[queue.strip()] = a.QueueLoadKnown(queue.strip(), int(values.get("waiting", "0")),
                                                    staffed, staffed, wait)
        except ValueError as exc:
            raise ValueError(f"queue load {part!r}: {exc}") from None
    return loads
