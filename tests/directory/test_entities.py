"""Entities refuse invalid values, naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from directory.api import (
    AbsenceCategory,
    AbsenceNote,
    Device,
    Employee,
    ForwardKind,
    InvalidEntity,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_given_naive_start_when_building_absence_note_then_starts_at_is_named() -> None:
    with pytest.raises(InvalidEntity) as info:
        AbsenceNote(AbsenceCategory.LUNCH, datetime(2026, 3, 2, 12), None)
    assert info.value.field == "starts_at"


def test_given_end_before_start_when_building_absence_note_then_ends_at_is_named() -> None:
    with pytest.raises(InvalidEntity, match="absence note end time"):
        AbsenceNote(AbsenceCategory.MEETING, T0, T0 - timedelta(minutes=1))


def test_given_colleague_forward_without_target_then_forward_target_is_named() -> None:
    with pytest.raises(InvalidEntity, match="absence note forward target"):
        AbsenceNote(AbsenceCategory.MEETING, T0, None, forward_kind=ForwardKind.COLLEAGUE)


def test_absence_note_is_in_force_from_start_until_just_before_end() -> None:
    note = AbsenceNote(AbsenceCategory.LUNCH, T0, T0 + timedelta(hours=1))
    assert not note.in_force(T0 - timedelta(seconds=1))
    assert note.in_force(T0)
    assert note.in_force(T0 + timedelta(minutes=59))
    assert not note.in_force(T0 + timedelta(hours=1))


def test_absence_categories_are_the_closed_set_without_health_reasons() -> None:
    assert {c.name for c in AbsenceCategory} == {"MEETING", "LUNCH", "OUT_OF_OFFICE", "LEAVE"}


@pytest.mark.parametrize("extension", ["", "4", "47a1", "123456789"])
def test_given_bad_extension_when_building_employee_then_extension_is_named(extension: str) -> None:
    with pytest.raises(InvalidEntity, match="extension"):
        Employee("E1", "Anna", "Ek", "", None, extension)


def test_given_device_without_technology_when_building_then_dial_is_named() -> None:
    with pytest.raises(InvalidEntity, match="phone dial string"):
        Device("sip", "4711")


def test_unit_is_open_inside_its_hours_on_its_weekdays_only() -> None:
    from datetime import time

    from directory.api import OpeningHours, Unit

    unit = Unit("u", "Bygglov", opening_hours=(OpeningHours(0, time(8), time(16, 30)),))
    monday = datetime(2026, 3, 2, 8, 0)
    assert unit.is_open(monday)
    assert not unit.is_open(monday.replace(hour=16, minute=30))
    assert not unit.is_open(monday + timedelta(days=1))
