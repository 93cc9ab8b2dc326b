"""The IVR's view of the directory: a number becomes someone to ring, a unit, or nobody.

A number is looked up as an extension, then as an employee's direct number, then as a
unit's own number (a unit becomes a ``Callee`` of kind ``unit``: its answering group and
contact-center requirements, nobody's phone).

Adapts ``directory.api.Directory`` (synchronous SQLAlchemy) to the IVR's async
``DirectoryPort`` by running each lookup in a worker thread, so the event loop
(and with it every other call and the AMI connection) never waits on SQL.
Unlisted people (for example protected identity) are not reachable through the
public IVR: they look like an unknown extension, and the caller is asked again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from directory.entities import AbsenceNote, note_in_force
from infra.dialplan_safe import is_safe_dial
from ivr import actions as a


def _absence(note: Any) -> a.Absence:
    until = note.ends_at.isoformat(timespec="minutes") if note.ends_at else None
    target = note.forward_target
    return a.Absence(
        category=note.category.value if hasattr(note.category, "value") else str(note.category),
        until=until,
        message=note.message or "",
        forward_kind=note.forward_kind.value if hasattr(note.forward_kind, "value")
        else str(note.forward_kind),
        forward_target=str(target) if target is not None else None,
    )


def _unit_fields(unit: Any) -> dict[str, Any]:
    """What the flow needs of a unit: topic and district (contact center), answering group."""
    if unit is None:
        return {}
    strategy = unit.answer_strategy
    return {
        "unit_topic": unit.topics[0] if unit.topics else None,
        "unit_district": unit.district_ids[0] if unit.district_ids else None,
        "unit_group": unit.phone_group,
        "unit_strategy": strategy.value if hasattr(strategy, "value") else str(strategy),
        "unit_member_ring_s": unit.member_ring_s,
    }


@dataclass(frozen=True)
class Found:
    """What a number leads to, and every absence note of that person: the part of a lookup
    that does not depend on the time (``ivr.lookup_memo`` keeps it in memory)."""

    callee: a.Callee | None
    notes: tuple[AbsenceNote, ...] = ()

    def at(self, now: datetime) -> a.LookupCompleted:
        """The lookup's answer at ``now``: the absence note in force then, if any."""
        note = note_in_force(self.notes, now)
        return a.LookupCompleted(self.callee, _absence(note) if note is not None else None)


class DirectoryLookup:
    def __init__(self, directory: Any) -> None:
        self.directory = directory

    def _callee(self, employee: Any) -> a.Callee:
        """Someone to ring: every SIP device at once (else the first device), and what the
        contact center needs to know about their unit if nobody answers."""
        # Rows written before dial strings were checked: an unsafe one is never dialled.
        devices = [d for d in employee.devices if is_safe_dial(d.dial)]
        sip = [d.dial for d in devices if d.kind == "sip"]
        dial = "&".join(sip) or (str(devices[0].dial) if devices else "")
        unit = self.directory.unit(employee.unit_id) if employee.unit_id else None
        return a.Callee(employee.id, f"{employee.given_name} {employee.family_name}", dial,
                        employee.unit_id, **_unit_fields(unit))

    def find(self, extension: str) -> Found:
        """Who or what ``extension`` leads to, with their absence notes (blocking)."""
        employee = self.directory.employee_by_extension(extension)
        if employee is None:
            employee = self.directory.employee_by_direct_number(extension)
        if employee is None:
            unit = self.directory.unit_by_number(extension)
            if unit is not None:
                return Found(a.Callee("", unit.name, "", unit.id, kind="unit",
                                      **_unit_fields(unit)))
        if employee is None or not employee.listed or not employee.devices:
            return Found(None)
        return Found(self._callee(employee), tuple(self.directory.absences(employee.id)))

    def _lookup(self, extension: str, now: datetime) -> a.LookupCompleted:
        return self.find(extension).at(now)

    async def lookup_extension(self, extension: str, now: datetime) -> a.LookupCompleted:
        return await asyncio.to_thread(self._lookup, extension, now)

    def lookup_extension_sync(self, extension: str, now: datetime) -> a.LookupCompleted:
        """The same lookup, blocking (for the simulator)."""
        return self._lookup(extension, now)

    def lookup_by_name_keys_sync(self, keys: str, now: datetime, limit: int = 6) -> a.NamesFound:
        from directory.text import keypad_digits

        people = [e for e in self.directory.active_employees().values()
                  if e.listed and e.devices and keypad_digits(e.family_name).startswith(keys)]
        people.sort(key=lambda e: (e.family_name, e.given_name, e.id))
        callees, absences = [], []
        for e in people[:limit]:
            callees.append(self._callee(e))
            note = self.directory.current_absence(e.id, now)
            absences.append(_absence(note) if note is not None else None)
        return a.NamesFound(tuple(callees), tuple(absences))

    async def lookup_by_name_keys(self, keys: str, now: datetime, limit: int = 6) -> a.NamesFound:
        """Listed people whose family name starts with ``keys`` on the keypad."""
        return await asyncio.to_thread(self.lookup_by_name_keys_sync, keys, now, limit)
