"""The repository: lookups by extension, absence notes, history, conflicts, threads."""

from __future__ import annotations

import concurrent.futures
from datetime import UTC, datetime, timedelta

import pytest

from directory.api import (
    AbsenceCategory,
    AbsenceNote,
    AbsenceReason,
    Conflict,
    Device,
    Directory,
    ForwardKind,
    NotFound,
)

from .conftest import FIXED_NOW

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def staffed(directory: Directory) -> Directory:
    directory.add_district("bromma", "Bromma", postcodes=["16820"], streets=["Bromma kyrkväg"])
    directory.add_unit(
        "hemtjanst-bromma", "Hemtjänst Bromma", topics=("hemtjänst",), district_ids=("bromma",)
    )
    directory.add_employee(
        "E1",
        "Anna",
        "Ekström",
        unit_id="hemtjanst-bromma",
        extension="4711",
        devices=(Device("sip", "PJSIP/4711"),),
    )
    directory.add_employee("E2", "Sara", "Lind", extension="4714", listed=False)
    return directory


def test_given_known_extension_when_looked_up_then_employee_with_devices_is_returned(
    staffed: Directory,
) -> None:
    found = staffed.employee_by_extension("4711")
    assert found is not None
    assert (found.id, found.full_name, found.unit_id) == ("E1", "Anna Ekström", "hemtjanst-bromma")
    assert found.devices == (Device("sip", "PJSIP/4711"),)


def test_given_unknown_extension_when_looked_up_then_none(staffed: Directory) -> None:
    assert staffed.employee_by_extension("9999") is None


def test_given_unlisted_employee_when_looked_up_by_extension_then_returned_marked_unlisted(
    staffed: Directory,
) -> None:
    found = staffed.employee_by_extension("4714")
    assert found is not None and found.listed is False


def test_given_taken_extension_when_adding_employee_then_conflict_and_nothing_written(
    staffed: Directory,
) -> None:
    with pytest.raises(Conflict):
        staffed.add_employee("E3", "Per", "Holm", extension="4711")
    assert staffed.employee("E3") is None


def test_given_missing_unit_when_adding_employee_then_not_found_names_unit(
    staffed: Directory,
) -> None:
    with pytest.raises(NotFound, match="nope"):
        staffed.add_employee("E3", "Per", "Holm", unit_id="nope")


def test_given_absence_window_when_asked_then_note_only_in_force_inside_it(
    staffed: Directory,
) -> None:
    note = AbsenceNote(
        AbsenceCategory.MEETING, T0, T0 + timedelta(hours=2), AbsenceReason.TRAINING,
        ForwardKind.COLLEAGUE, "4714",
    )
    staffed.set_absence("E1", note)
    assert staffed.current_absence("E1", T0 - timedelta(minutes=1)) is None
    assert staffed.current_absence("E1", T0 + timedelta(hours=1)) == note
    assert staffed.current_absence("E1", T0 + timedelta(hours=2)) is None


def test_given_note_in_other_timezone_when_read_back_then_same_instant_in_utc(
    staffed: Directory,
) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
    staffed.set_absence("E1", AbsenceNote(AbsenceCategory.LUNCH, local, None))
    got = staffed.current_absence("E1", local)
    assert got is not None and got.starts_at == local and got.starts_at.tzinfo == UTC


def test_given_overlapping_note_when_set_then_earlier_note_is_cut_at_new_start(
    staffed: Directory,
) -> None:
    day = AbsenceNote(AbsenceCategory.OUT_OF_OFFICE, T0, T0 + timedelta(hours=9))
    lunch = AbsenceNote(AbsenceCategory.LUNCH, T0 + timedelta(hours=4), T0 + timedelta(hours=5))
    staffed.set_absence("E1", day)
    staffed.set_absence("E1", lunch)
    assert staffed.current_absence("E1", T0 + timedelta(hours=1)) == AbsenceNote(
        AbsenceCategory.OUT_OF_OFFICE, T0, T0 + timedelta(hours=4)
    )
    assert staffed.current_absence("E1", T0 + timedelta(hours=4, minutes=30)) == lunch
    assert staffed.current_absence("E1", T0 + timedelta(hours=6)) is None


def test_given_current_and_future_notes_when_cleared_then_none_remains_in_force(
    staffed: Directory,
) -> None:
    staffed.set_absence("E1", AbsenceNote(AbsenceCategory.MEETING, T0, T0 + timedelta(hours=1)))
    staffed.set_absence("E1", AbsenceNote(AbsenceCategory.LEAVE, T0 + timedelta(days=3), None))
    now = T0 + timedelta(minutes=10)
    assert staffed.clear_absence("E1", now) == 2
    assert staffed.current_absence("E1", now) is None
    assert staffed.current_absence("E1", T0 + timedelta(days=4)) is None
    assert staffed.absences("E1")[0].ends_at == now


def test_given_unknown_employee_when_setting_absence_then_not_found(staffed: Directory) -> None:
    with pytest.raises(NotFound, match="E404"):
        staffed.set_absence("E404", AbsenceNote(AbsenceCategory.LUNCH, T0, None))


def test_given_changed_title_when_updated_then_history_names_actor_field_old_and_new(
    staffed: Directory,
) -> None:
    old = staffed.employee("E1")
    assert old is not None
    staffed.update_employee(old.__class__(**{**old.__dict__, "title": "Chef"}), actor="operator7")
    entry = staffed.history("E1")[0]
    assert (entry.actor, entry.action, entry.at) == ("operator7", "updated", FIXED_NOW)
    assert entry.changes == {"title": ["", "Chef"]}


def test_given_leaver_when_deactivated_then_not_found_and_extension_free(
    staffed: Directory,
) -> None:
    staffed.deactivate_employee("E1")
    assert staffed.employee_by_extension("4711") is None
    staffed.add_employee("E9", "Ny", "Person", extension="4711")
    assert staffed.history("E1")[0].action == "deactivated"


def test_given_many_threads_when_looking_up_concurrently_then_every_answer_is_right(
    staffed: Directory,
) -> None:
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        got = list(
            pool.map(lambda i: staffed.employee_by_extension(("4711", "4714")[i % 2]), range(200))
        )
    assert [e.id if e else None for e in got] == [("E1", "E2")[i % 2] for i in range(200)]


def test_given_unit_with_district_when_read_then_topics_and_districts_come_back(
    staffed: Directory,
) -> None:
    unit = staffed.unit("hemtjanst-bromma")
    assert unit is not None
    assert (unit.name, unit.topics, unit.district_ids) == (
        "Hemtjänst Bromma",
        ("hemtjänst",),
        ("bromma",),
    )
    assert staffed.unit("nope") is None


def test_given_street_with_house_number_when_mapped_then_district_found(
    staffed: Directory,
) -> None:
    found = staffed.district_for(street="Bromma Kyrkväg 12B")
    assert found is not None and found.id == "bromma"
    found = staffed.district_for(postcode="168 20")
    assert found is not None and found.id == "bromma"
    assert staffed.district_for(street="Okänd gata 1") is None
