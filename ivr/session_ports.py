"""The FastAGI session's ports: what a session needs from the world, and its wiring.

Each I/O dependency of ``ivr.session`` is a small ``Protocol`` here (the AGI
channel, the call store, the directory, the ACD, the message desk, the flows,
idle times, call contexts, speech), implemented by adapters in other modules and
by fakes in the tests; ``SessionDeps`` bundles one of each. Invariant: nothing
here runs; the optional ports default to None, and a session without one skips
or falls back, as each field says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ivr import actions as a
from ivr.agi import AgiReply
from ivr.flow import Flow
from ivr.run import CallState, Group


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
                      priority: int, caller: str, last_agent: str | None = None,
                      node: str = "") -> None: ...
    async def queue_load(self, queue: str) -> QueueLoadPort | None:
        """The queue's load now; None when this queue side has no such queue."""
        ...


class QueueLoadPort(Protocol):
    """A queue's load as the ACD reports it (``routing.control.QueueLoad``)."""

    @property
    def waiting(self) -> int: ...
    @property
    def logged_in(self) -> int: ...
    @property
    def staffed(self) -> int: ...
    @property
    def estimated_wait_s(self) -> float | None: ...


class MessagePort(Protocol):
    """Stores (first) and mails (second) what a caller left (``switchboard.ivr_messages``)."""

    async def take(self, request: a.TakeMessage, call_id: str) -> a.MessageTaken: ...


class FlowSource(Protocol):
    """The active flows and every version a call in progress may still run on."""

    def for_entry(self, number: str) -> Flow | None: ...
    def direct_flow(self) -> Flow | None: ...
    def main_flow(self) -> Flow | None: ...
    def by_version(self, version: str) -> Flow | None: ...
    def by_name(self, name: str) -> Flow | None: ...
    def add_version(self, source_text: str, source: str) -> Flow: ...
    def announcement(self, name: str, now: datetime, language: str) -> str | None: ...


class IdlePort(Protocol):
    """When phones last ended a call (``ivr.idle_store.IdleStore``)."""

    async def idle_since(self, members: Sequence[str]) -> dict[str, float]: ...


class ContextPort(Protocol):
    """The call's context (``switchboard.context_store.CallContextStore``): whoever answers
    later reads whom the caller tried and why that failed."""

    async def open_call(self, call_id: str, caller_number: str, now: datetime) -> object: ...
    async def note_attempt(self, call_id: str, target: str, target_name: str, status: str,
                           detail: str, at: datetime) -> None: ...


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
    idle: IdlePort | None = None
    """Idle times for ``longest_idle`` groups; None rings them in the group's order."""
    contexts: ContextPort | None = None
    """Call contexts; None keeps failed attempts out of any context (logged only)."""
    messages: MessagePort | None = None
    """Takes messages and callback requests; None: ``message`` nodes only record (logged)."""
