"""The fake and the real directory answer the IVR's lookups alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from directory import demo
from directory.api import (
    AbsenceCategory,
    AbsenceNote,
    Directory,
    DirectoryLookup,
    FakeDirectory,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _answers(d: DirectoryLookup) -> tuple[object, ...]:
    e = d.employee_by_extension("4711")
    assert e is not None
    return (
        e,
        d.current_absence(e.id, NOW),
        d.unit(e.unit_id or ""),
        d.employee_by_extension("0000"),
    )


def test_given_same_people_and_note_then_fake_and_real_directory_agree(
    directory: Directory,
) -> None:
    demo.seed(directory, size="small")
    note = AbsenceNote(AbsenceCategory.LUNCH, NOW - timedelta(minutes=5), NOW + timedelta(hours=1))
    directory.set_absence("E4711", note)
    people = directory.active_employees().values()
    fake = FakeDirectory.of(people, directory.units())
    fake.set_absence("E4711", note)
    assert _answers(fake) == _answers(directory)
    assert repr(fake) == "<FakeDirectory: 45 employees, 30 units>"
