"""The directory's entities: frozen values that callers receive and pass in.

ORM rows never leave the package; the repository converts them to these. Each
entity checks its own invariants on construction and raises ``InvalidEntity``
naming the field, so an invalid value cannot exist (aware datetimes only, an
absence that ends after it starts, a forward target where the kind needs one).
Absence categories never carry a health reason: the set is closed on purpose.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal

from directory.errors import InvalidEntity
from directory.text import number_key
from infra.dialplan_safe import is_safe_dial

DeviceKind = Literal["sip", "mobile"]

_EXTENSION = re.compile(r"[0-9]{2,8}")
#: A direct or unit number as stored: international digits without "+" (``46850812345``).
_NUMBER = re.compile(r"[1-9][0-9]{6,14}")

#: Longest e-mail address stored (RFC 5321: 256 octets of path, 254 between the brackets).
MAX_EMAIL = 254
#: Longest local part of an e-mail address (RFC 5321, 4.5.3.1.1).
MAX_EMAIL_LOCAL = 64
#: The local part: RFC 5322 dot-atoms (no quoted strings, no leading, trailing or double dot).
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
#: The domain: host name labels; a name without a dot (a relay's own) is allowed, as in config.
_EMAIL_DOMAIN = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)

#: Seconds each member of an answering group rings under ``in_order`` and ``longest_idle``.
DEFAULT_MEMBER_RING_S = 15


class AbsenceCategory(enum.Enum):
    """Why someone is away; deliberately never a health reason."""

    MEETING = "meeting"
    LUNCH = "lunch"
    OUT_OF_OFFICE = "out_of_office"
    LEAVE = "leave"


class AbsenceReason(enum.Enum):
    """Why someone is away, from a fixed list: what callers and operators are told. There is
    deliberately no free text (a note must never carry a health reason) and no "sick"."""

    SEMESTER = "semester"
    MEETING = "möte"
    TRAINING = "utbildning"
    LEAVE_OF_ABSENCE = "tjänstledig"
    PARENTAL_LEAVE = "föräldraledig"
    OFF = "ledig"
    LUNCH = "lunch"
    BUSINESS_TRIP = "tjänsteresa"
    OUT_OF_OFFICE = "ute"
    """Out of the office (a visit, working elsewhere)."""

    @classmethod
    def parse(cls, text: str) -> AbsenceReason:
        """A reason by its Swedish word, with or without å, ä, ö (``mote`` is ``möte``)."""
        folded = text.strip().casefold()
        for reason in cls:
            if folded in (reason.value, _fold_swedish(reason.value), reason.name.casefold()):
                return reason
        raise ValueError(f"unknown absence reason {text!r}; choose one of "
                         f"{', '.join(r.value for r in cls)}")


def _fold_swedish(text: str) -> str:
    return text.translate(str.maketrans("åäö", "aao"))


#: The category (what the IVR's prompts say) of each reason.
REASON_CATEGORY: dict[AbsenceReason, AbsenceCategory] = {
    AbsenceReason.MEETING: AbsenceCategory.MEETING,
    AbsenceReason.LUNCH: AbsenceCategory.LUNCH,
    AbsenceReason.TRAINING: AbsenceCategory.OUT_OF_OFFICE,
    AbsenceReason.BUSINESS_TRIP: AbsenceCategory.OUT_OF_OFFICE,
    AbsenceReason.OUT_OF_OFFICE: AbsenceCategory.OUT_OF_OFFICE,
    AbsenceReason.SEMESTER: AbsenceCategory.LEAVE,
    AbsenceReason.LEAVE_OF_ABSENCE: AbsenceCategory.LEAVE,
    AbsenceReason.PARENTAL_LEAVE: AbsenceCategory.LEAVE,
    AbsenceReason.OFF: AbsenceCategory.LEAVE,
}
#: The reason a note of a category gets when none is given.
CATEGORY_REASON: dict[AbsenceCategory, AbsenceReason] = {
    AbsenceCategory.MEETING: AbsenceReason.MEETING,
    AbsenceCategory.LUNCH: AbsenceReason.LUNCH,
    AbsenceCategory.OUT_OF_OFFICE: AbsenceReason.OUT_OF_OFFICE,
    AbsenceCategory.LEAVE: AbsenceReason.OFF,
}


class ForwardKind(enum.Enum):
    """Where calls go while an absence note is in force."""

    NONE = "none"
    COLLEAGUE = "colleague"
    UNIT = "unit"
    VOICEMAIL = "voicemail"
    CONTACT_CENTER = "contact_center"


#: Forward kinds that need a target (an extension or a unit id).
FORWARD_NEEDS_TARGET = frozenset({ForwardKind.COLLEAGUE, ForwardKind.UNIT})


class AnswerStrategy(enum.Enum):
    """How a unit's answering group ("svarsgrupp") rings its members."""

    RING_ALL = "ring_all"
    """Every member at once, for the group's timeout."""
    IN_ORDER = "in_order"
    """One member after another, in the group's order, each for the unit's member ring time."""
    LONGEST_IDLE = "longest_idle"
    """One after another, the member whose last call ended longest ago first."""


class OrgKind(enum.Enum):
    """Levels of the organisation tree above units."""

    CITY = "city"
    ADMINISTRATION = "administration"
    DEPARTMENT = "department"


def _require(ok: bool, entity: str, field_name: str, reason: str) -> None:
    if not ok:
        raise InvalidEntity(entity, field_name, reason)


def normalise_number(value: str | None, entity: str, field_name: str) -> str | None:
    """A phone number as stored (``08-508 12 345`` -> ``46850812345``); None stays None.

    Accepts national (``08-...``), ``+46``/``0046`` and already-stored digit forms;
    anything else raises ``InvalidEntity`` naming the field."""
    if value is None or not value.strip():
        return None
    digits = number_key(value)
    _require(
        digits is not None and _NUMBER.fullmatch(digits) is not None,
        entity,
        field_name,
        f"not a phone number: {value!r}",
    )
    return digits


def normalise_email(value: str | None, entity: str, field_name: str) -> str | None:
    """An e-mail address as stored: trimmed, its domain in lower case; blank is None.

    ASCII addresses only (``local@domain``): an address with å, ä or ö is refused rather
    than mailed to a relay that may not accept it. Anything else that is no address
    raises ``InvalidEntity`` naming the field."""
    if value is None or not value.strip():
        return None
    address = value.strip()
    local, at, domain = address.rpartition("@")

    def check(ok: bool, reason: str) -> None:
        _require(ok, entity, field_name, f"{reason}: {value!r}")

    check(bool(at) and bool(local) and bool(domain), "not an e-mail address (local@domain)")
    check(address.isascii(), "only ASCII letters in an e-mail address (å, ä, ö as a, a, o)")
    check(len(address) <= MAX_EMAIL, f"e-mail address longer than {MAX_EMAIL} characters")
    check(len(local) <= MAX_EMAIL_LOCAL and _EMAIL_LOCAL.fullmatch(local) is not None,
          "not an e-mail address (bad part before @)")
    check(_EMAIL_DOMAIN.fullmatch(domain) is not None, "not an e-mail address (bad domain)")
    return f"{local}@{domain.lower()}"


def _require_aware(value: datetime | None, entity: str, field_name: str) -> None:
    if value is not None:
        _require(value.utcoffset() is not None, entity, field_name, "must be timezone-aware")


@dataclass(frozen=True)
class Device:
    """A phone an employee can be rung on.

    ``dial`` is an Asterisk dial string (``PJSIP/4711``); ``number`` is the
    public number of the device, used to recognise a caller (reverse lookup).
    """

    kind: DeviceKind
    dial: str
    number: str | None = None

    def __post_init__(self) -> None:
        _require(self.kind in ("sip", "mobile"), "Device", "kind", f"unknown kind {self.kind!r}")
        _require(bool(self.dial.strip()), "Device", "dial", "must not be empty")
        _require("/" in self.dial, "Device", "dial", f"not an Asterisk dial string: {self.dial!r}")
        # It becomes Dial()'s first argument: no , | ; quotes $ { } or line breaks.
        _require(is_safe_dial(self.dial), "Device", "dial",
                 f"not a plain dial string (tech/resource[@context]): {self.dial!r}")


@dataclass(frozen=True)
class AbsenceNote:
    """A "hänvisning": why someone is away (a reason from a fixed list, never free text),
    until when, and where calls go instead. Without a reason, the category's is taken."""

    category: AbsenceCategory
    starts_at: datetime
    ends_at: datetime | None
    reason: AbsenceReason | None = None
    forward_kind: ForwardKind = ForwardKind.NONE
    forward_target: str | None = None

    @property
    def message(self) -> str:
        """What callers and operators are told: the reason's word (``semester``)."""
        return (self.reason or CATEGORY_REASON[self.category]).value

    def __post_init__(self) -> None:
        if self.reason is None:
            object.__setattr__(self, "reason", CATEGORY_REASON[self.category])
        _require_aware(self.starts_at, "AbsenceNote", "starts_at")
        _require_aware(self.ends_at, "AbsenceNote", "ends_at")
        if self.ends_at is not None:
            _require(
                self.ends_at > self.starts_at, "AbsenceNote", "ends_at", "must be after starts_at"
            )
        _require(isinstance(self.reason, AbsenceReason), "AbsenceNote", "reason",
                 f"not one of the fixed reasons: {self.reason!r}")
        needs = self.forward_kind in FORWARD_NEEDS_TARGET
        _require(
            not needs or bool(self.forward_target),
            "AbsenceNote",
            "forward_target",
            f"required when forwarding to {self.forward_kind.value}",
        )

    def in_force(self, now: datetime) -> bool:
        """True when ``now`` lies in [starts_at, ends_at)."""
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


def note_in_force(notes: Iterable[AbsenceNote], now: datetime) -> AbsenceNote | None:
    """The note in force at ``now`` (the latest started), or None."""
    found = [n for n in notes if n.in_force(now)]
    return max(found, key=lambda n: n.starts_at) if found else None


@dataclass(frozen=True)
class Employee:
    """A person in the directory as callers and operators see them."""

    id: str
    given_name: str
    family_name: str
    title: str
    unit_id: str | None
    extension: str | None
    devices: tuple[Device, ...] = ()
    languages: tuple[str, ...] = ("sv",)
    listed: bool = True
    direct_number: str | None = None
    """The employee's own number from outside, normalised (``46850812345``); unique."""
    email: str | None = None
    """The employee's e-mail address when the directory knows it (messages go there; else
    to the city's rule ``given.family@<mail domain>``). Not unique: mailboxes may be shared."""

    def __post_init__(self) -> None:
        _require(bool(self.id.strip()), "Employee", "id", "must not be empty")
        number = normalise_number(self.direct_number, "Employee", "direct_number")
        object.__setattr__(self, "direct_number", number)
        object.__setattr__(self, "email", normalise_email(self.email, "Employee", "email"))
        _require(bool(self.given_name.strip()), "Employee", "given_name", "must not be empty")
        _require(bool(self.family_name.strip()), "Employee", "family_name", "must not be empty")
        if self.extension is not None:
            _require(
                _EXTENSION.fullmatch(self.extension) is not None,
                "Employee",
                "extension",
                f"must be 2 to 8 digits, got {self.extension!r}",
            )

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class OpeningHours:
    """One opening interval on a weekday (0 = Monday), local Stockholm time."""

    weekday: int
    opens: time
    closes: time

    def __post_init__(self) -> None:
        _require(0 <= self.weekday <= 6, "OpeningHours", "weekday", "must be 0 (Mon) to 6 (Sun)")
        _require(self.opens < self.closes, "OpeningHours", "closes", "must be after opens")


@dataclass(frozen=True)
class Unit:
    """A unit of the city: what it handles, where, when and how to reach it."""

    id: str
    name: str
    parent_id: str | None = None
    description: str = ""
    topics: tuple[str, ...] = ()
    district_ids: tuple[str, ...] = ()
    opening_hours: tuple[OpeningHours, ...] = ()
    phone_group: str | None = None
    visiting_address: str = ""
    cost_centre: str | None = None
    number: str | None = None
    """The unit's own number from outside, normalised like ``Employee.direct_number``."""
    answer_strategy: AnswerStrategy = AnswerStrategy.RING_ALL
    """How the unit's answering group (``phone_group``) rings its members."""
    member_ring_s: int = DEFAULT_MEMBER_RING_S
    """Seconds each member rings under ``in_order`` and ``longest_idle``."""
    email: str | None = None
    """The unit's mailbox when the directory knows it (messages for the unit go there; else
    to ``<unit id>@<mail domain>``)."""

    def __post_init__(self) -> None:
        _require(bool(self.id.strip()), "Unit", "id", "must not be empty")
        _require(bool(self.name.strip()), "Unit", "name", "must not be empty")
        object.__setattr__(self, "number", normalise_number(self.number, "Unit", "number"))
        object.__setattr__(self, "email", normalise_email(self.email, "Unit", "email"))
        _require(
            isinstance(self.answer_strategy, AnswerStrategy),
            "Unit",
            "answer_strategy",
            f"not a strategy: {self.answer_strategy!r}",
        )
        _require(
            1 <= self.member_ring_s <= 300,
            "Unit",
            "member_ring_s",
            f"must be 1 to 300 seconds, got {self.member_ring_s}",
        )

    def is_open(self, local_now: datetime) -> bool:
        """Open at ``local_now``, a Stockholm local time (the caller converts; no clock here)."""
        moment = local_now.time()
        return any(
            h.weekday == local_now.weekday() and h.opens <= moment < h.closes
            for h in self.opening_hours
        )


@dataclass(frozen=True)
class District:
    """A city district, with the postcodes and streets that belong to it."""

    id: str
    name: str
    postcodes: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrgNode:
    """A node of the organisation tree above units (city, administration, department)."""

    id: str
    kind: OrgKind
    name: str
    parent_id: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change: who changed what, when, with old and new values."""

    at: datetime
    actor: str
    entity: str
    entity_id: str
    action: str
    changes: dict[str, list[object]] = field(default_factory=dict)
