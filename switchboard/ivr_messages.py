"""Messages and callback requests a caller leaves in the IVR: the adapter behind ``TakeMessage``.

The IVR session hands over what the flow decided (``ivr.actions.TakeMessage``: the
request, the caller's number, the employee and unit the caller tried to reach, the
recording's name). This adapter looks the recipient up in the directory (in a thread;
``switchboard.messages.choose_recipient`` decides), looks the caller's number up
(reverse lookup), lets the ``MessageDesk`` store the message in Redis *before* it
tries to mail it, and records the outcome on the call's context, so whoever sees the
call later sees that a message was left. Invariant: once ``take`` returns a message
id, the message is in Redis; a failed mail only leaves it pending for the delivery
loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

import structlog

from directory.entities import Employee, Unit
from ivr import actions as a
from switchboard import messages as m
from switchboard.context import Attempt, Outcome
from switchboard.context_store import CallContextStore, CallerLookup
from switchboard.errors import SwitchboardError
from switchboard.message_store import MessageDesk

log = structlog.get_logger("vaxel.messages")

#: Who took a message the caller left themselves (``Message.taken_by``).
TAKEN_BY_IVR = "ivr"


class DirectoryPort(Protocol):
    """What the adapter needs of ``directory.api.Directory`` (synchronous; run in a thread)."""

    def employee(self, employee_id: str) -> Employee | None: ...
    def unit(self, unit_id: str) -> Unit | None: ...


def message_text(request: str, seconds: float) -> str:
    """The e-mail's text for what the caller left (Swedish, with English)."""
    if request == "callback":
        return "Uppringaren bad om att bli uppringd. (The caller asked to be called back.)"
    return (f"Uppringaren lämnade ett röstmeddelande, {seconds:.0f} s. "
            "(The caller left a voice message.)")


class IvrMessages:
    """``ivr.session_ports.MessagePort``: takes what a caller left, for the right recipient."""

    def __init__(self, desk: MessageDesk, directory: DirectoryPort, contexts: CallContextStore,
                 lookup: CallerLookup, *, mail_domain: str, switchboard_address: str,
                 recordings_dir: Path, clock: Callable[[], datetime]) -> None:
        self.desk, self.directory, self.contexts, self.lookup = desk, directory, contexts, lookup
        self.mail_domain, self.switchboard_address = mail_domain, switchboard_address
        self.recordings_dir, self.clock = recordings_dir, clock

    def __repr__(self) -> str:
        return f"<IvrMessages for @{self.mail_domain} via {self.desk!r}>"

    async def take(self, request: a.TakeMessage, call_id: str) -> a.MessageTaken:
        kind = m.Kind.CALLBACK if request.request == "callback" else m.Kind.MESSAGE
        recording = (str(self.recordings_dir / f"{request.recording}.wav")
                     if request.recording else "")
        now = self.clock()
        try:
            recipient = await asyncio.to_thread(self._recipient, request)
        except m.MessageError as exc:
            # A directory entry that makes no address: the switchboard gets it instead.
            log.error("message.recipient_unusable", error=str(exc))
            recipient = m.switchboard_recipient(self.switchboard_address)
        names: Sequence[str] = ()
        if request.caller:
            names = await asyncio.to_thread(self.lookup.names_for_number, request.caller)
        try:
            message = await self.desk.take(
                recipient, kind, request.caller, message_text(request.request, request.seconds),
                now, taken_by=TAKEN_BY_IVR, call_id=call_id, recording=recording,
                recording_s=request.seconds, caller_names=names)
        except SwitchboardError as exc:
            # Not even stored (Redis down, or a bad message): the flow goes on and the
            # recording stays on disk; the log names it for a person to follow up.
            log.error("message.not_taken", error=str(exc), recording=recording,
                      recipient=recipient.address, caller=request.caller)
            return a.MessageTaken("", recipient.address, mailed=False)
        await self._record(call_id, request, recipient, message, now)
        return a.MessageTaken(message.id, recipient.address, mailed=message.sent_at is not None)

    def _recipient(self, request: a.TakeMessage) -> m.Recipient:
        employee = self.directory.employee(request.employee_id) if request.employee_id else None
        unit = None
        if employee is None and request.unit_id:
            unit = self.directory.unit(request.unit_id)
        return m.choose_recipient(employee, unit, self.mail_domain, self.switchboard_address)

    async def _record(self, call_id: str, request: a.TakeMessage, recipient: m.Recipient,
                      message: m.Message, now: datetime) -> None:
        outcome = Outcome.CALLBACK_ORDERED if request.request == "callback" else Outcome.MESSAGE
        state = "skickat (mailed)" if message.sent_at else f"väntar (pending): {message.last_error}"
        attempt = Attempt(recipient.employee_id, now, outcome, recipient.name,
                          f"{message.id} till (to) {recipient.address}, {state}", TAKEN_BY_IVR)
        try:
            await self.contexts.record_attempt(call_id, attempt, request.caller)
        except SwitchboardError as exc:
            log.warning("message.context_not_recorded", message_id=message.id, error=str(exc))
