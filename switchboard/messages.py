"""Messages and callback requests for employees (pure core): what is kept, what is mailed.

When nobody can take a call (the contact center is closed or overloaded, or the operator
writes one), a ``Message`` for an employee is recorded first and e-mailed second; the
e-mail is composed here (Swedish, with English) and the retry schedule is decided here.
Invariants: a message is never dropped, only moved from pending to sent; a failed
delivery keeps the message pending with its error and a later ``next_try_at``
(``RETRY_DELAYS_S``, the last value repeating); nothing here reads the clock, talks
SMTP or Redis (``switchboard.message_store`` and ``switchboard.mailer`` do).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from directory.entities import Employee, Unit
from directory.text import mail_words, rule_mail_local_part
from switchboard.context import CITY_ZONE
from switchboard.errors import SwitchboardError

#: Seconds between delivery attempts of a message whose e-mail failed (last repeats).
RETRY_DELAYS_S = (10, 30, 60, 300, 900)
#: Longest message text accepted (characters).
MAX_TEXT = 2000
#: Largest recording attached to the e-mail; a larger one is named by its path instead.
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
#: The ``employee_id`` of a unit's mailbox as a recipient: ``unit:<unit id>``.
UNIT_PREFIX = "unit:"
#: The recipient id of the switchboard's own mailbox (nobody else could be found).
SWITCHBOARD_ID = "switchboard"
#: local@host; a host without a dot (``localhost``, a relay's own name) is allowed.
_ADDRESS = re.compile(r"[^@\s]+@[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?")


class MessageError(SwitchboardError, ValueError):
    """A message is invalid or stored data is malformed; names the field."""


class Kind(enum.Enum):
    MESSAGE = "message"
    CALLBACK = "callback"


KIND_LABELS = {Kind.MESSAGE: "Meddelande (message)",
               Kind.CALLBACK: "Ring tillbaka (callback request)"}


@dataclass(frozen=True)
class Recipient:
    """An employee, a unit's mailbox (``employee_id`` ``unit:<id>``) or the switchboard's
    own mailbox (``switchboard``), as a message reaches them."""

    employee_id: str
    name: str
    address: str

    def __post_init__(self) -> None:
        if not _ADDRESS.fullmatch(self.address):
            raise MessageError(f"recipient {self.employee_id}: address: not an e-mail "
                               f"address: {self.address!r}")


@dataclass(frozen=True)
class Message:
    id: str
    recipient: Recipient
    kind: Kind
    caller_number: str
    text: str
    created_at: datetime
    taken_by: str = ""
    """Who took it: an operator id, or ``ivr`` when the caller left it themselves."""
    call_id: str = ""
    attempts: int = 0
    """Delivery attempts so far."""
    next_try_at: datetime | None = None
    last_error: str = ""
    sent_at: datetime | None = None
    recording: str = ""
    """The caller's recorded message, a path as the controller sees it ("" for none)."""
    recording_s: float = 0.0
    caller_names: tuple[str, ...] = ()
    """Who the caller's number belongs to in the directory (reverse lookup)."""

    def __post_init__(self) -> None:
        if len(self.text) > MAX_TEXT:
            raise MessageError(f"message {self.id}: text: longer than {MAX_TEXT} characters")
        if self.kind is Kind.CALLBACK and not self.caller_number.strip():
            raise MessageError(f"message {self.id}: caller_number: a callback needs a number")
        if self.created_at.tzinfo is None:
            raise MessageError(f"message {self.id}: created_at: needs a time zone")

    def __repr__(self) -> str:
        state = "sent" if self.sent_at else f"pending after {self.attempts} attempts"
        return f"<Message {self.id} {self.kind.value} for {self.recipient.employee_id}: {state}>"

    def to_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None
        return {"id": self.id, "employee_id": self.recipient.employee_id,
                "name": self.recipient.name, "address": self.recipient.address,
                "kind": self.kind.value, "caller_number": self.caller_number,
                "text": self.text, "created_at": iso(self.created_at),
                "taken_by": self.taken_by, "call_id": self.call_id, "attempts": self.attempts,
                "next_try_at": iso(self.next_try_at), "last_error": self.last_error,
                "sent_at": iso(self.sent_at), "recording": self.recording,
                "recording_s": self.recording_s, "caller_names": list(self.caller_names)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Message:
        def when(key: str) -> datetime | None:
            return datetime.fromisoformat(d[key]) if d.get(key) else None
        try:
            created = when("created_at")
            if created is None:
                raise KeyError("created_at")
            return cls(
                id=str(d["id"]), recipient=Recipient(d["employee_id"], d["name"], d["address"]),
                kind=Kind(d["kind"]), caller_number=str(d["caller_number"]),
                text=str(d["text"]), created_at=created, taken_by=str(d.get("taken_by", "")),
                call_id=str(d.get("call_id", "")), attempts=int(d.get("attempts", 0)),
                next_try_at=when("next_try_at"), last_error=str(d.get("last_error", "")),
                sent_at=when("sent_at"), recording=str(d.get("recording", "")),
                recording_s=float(d.get("recording_s", 0.0)),
                caller_names=tuple(str(n) for n in d.get("caller_names", ())))
        except (KeyError, ValueError, TypeError) as exc:
            raise MessageError(f"stored message {d.get('id', '?')}: bad field: {exc}") from exc


def address_for(given_name: str, family_name: str, domain: str) -> str:
    """The city's address rule: "Anna Ekström" -> anna.ekstrom@<domain> (used when the
    directory has no address of the employee's own)."""
    return f"{rule_mail_local_part(given_name, family_name)}@{domain}"


def employee_recipient(employee_id: str, given_name: str, family_name: str, domain: str,
                       own_address: str | None = None) -> Recipient:
    """An employee: their own address when the directory has one, else the city's rule."""
    address = own_address or address_for(given_name, family_name, domain)
    return Recipient(employee_id, f"{given_name} {family_name}", address)


def unit_recipient(unit_id: str, name: str, domain: str,
                   own_address: str | None = None) -> Recipient:
    """A unit's mailbox: its own address when the directory has one, else the rule
    ``<unit id>@<domain>`` (the id, not the name: ids are stable when units are renamed)."""
    address = own_address or f"{mail_words(unit_id)}@{domain}"
    return Recipient(f"{UNIT_PREFIX}{unit_id}", name, address)


def switchboard_recipient(address: str) -> Recipient:
    """The switchboard's own mailbox, for a message whose recipient cannot be found."""
    return Recipient(SWITCHBOARD_ID, "Växeln (the switchboard)", address)


def choose_recipient(employee: Employee | None, unit: Unit | None, domain: str,
                     switchboard_address: str) -> Recipient:
    """Who gets a message the IVR took: the employee the caller tried to reach when the
    directory knows them; else the unit's mailbox (theirs, or the unit the flow named);
    else the switchboard's own mailbox, so that no message is without a recipient.
    Each goes to the address the directory holds for it, else to the city's rule."""
    if employee is not None:
        return employee_recipient(employee.id, employee.given_name, employee.family_name, domain,
                                  employee.email)
    if unit is not None:
        return unit_recipient(unit.id, unit.name, domain, unit.email)
    return switchboard_recipient(switchboard_address)


def delivered(message: Message, now: datetime) -> Message:
    return replace(message, attempts=message.attempts + 1, sent_at=now, next_try_at=None,
                   last_error="")


def failed(message: Message, error: str, now: datetime) -> Message:
    """The message stays pending; the next try is scheduled by ``RETRY_DELAYS_S``."""
    delay = RETRY_DELAYS_S[min(message.attempts, len(RETRY_DELAYS_S) - 1)]
    return replace(message, attempts=message.attempts + 1, last_error=error[:500],
                   next_try_at=now + timedelta(seconds=delay))


def compose(message: Message, sender: str, recording: bytes | None = None) -> EmailMessage:
    """The e-mail to the employee (Swedish first, English after); ``recording`` is the
    recorded message's WAV data to attach (None: too large or missing, its path is named)."""
    local = message.created_at.astimezone(CITY_ZONE)
    number = message.caller_number or "dolt nummer (hidden number)"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = f"{message.recipient.name} <{message.recipient.address}>"
    mail["Subject"] = f"{KIND_LABELS[message.kind]}: {number}"
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = f"<vaxel-{message.id}@{sender.rpartition('@')[2] or 'vaxel'}>"
    mail["X-Vaxel-Message"] = message.id
    ask = ("Uppringaren vill bli uppringd. (The caller asks to be called back.)"
           if message.kind is Kind.CALLBACK else "")
    body = [f"Hej {message.recipient.name},", "",
            f"{KIND_LABELS[message.kind]} från (from) {number}, "
            f"{local:%Y-%m-%d %H:%M}.", ask, "", message.text or "(inget meddelande / no text)",
            "", f"Mottaget av (taken by): {message.taken_by or 'växeln (the switchboard)'}"]
    if message.caller_names:
        body.insert(3, f"Numret tillhör (the number belongs to): {', '.join(message.caller_names)}")
    if message.recording and recording is None:
        body.append(f"Inspelningen (the recording, {message.recording_s:.0f} s): "
                    f"{message.recording}")
    mail.set_content("\n".join(line for line in body if line is not None))
    if message.recording and recording is not None:
        mail.add_attachment(recording, maintype="audio", subtype="wav",
                            filename=f"meddelande-{message.id}.wav")
    return mail
