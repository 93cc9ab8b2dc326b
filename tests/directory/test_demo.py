"""The small demo city holds what the IVR demo relies on, the same every time."""

from __future__ import annotations

from datetime import UTC, datetime

from directory import demo
from directory.api import Directory, ForwardKind


def test_given_small_demo_then_4711_and_4712_ring_their_sip_devices(directory: Directory) -> None:
    demo.seed(directory, size="small")
    for ext in ("4711", "4712"):
        found = directory.employee_by_extension(ext)
        assert found is not None and found.devices[0].dial == f"PJSIP/{ext}"


def test_given_small_demo_then_one_person_is_on_leave_until_a_future_date(
    directory: Directory,
) -> None:
    demo.seed(directory, size="small")
    absent = directory.employee_by_extension(demo.ABSENT_EXTENSION)
    assert absent is not None
    note = directory.current_absence(absent.id, datetime(2026, 11, 26, tzinfo=UTC))
    assert note is not None and note.ends_at == demo.ABSENT_UNTIL
    assert note.forward_kind is ForwardKind.COLLEAGUE and note.forward_target == "4712"


def test_given_small_demo_then_there_is_an_unlisted_person_and_units_in_named_districts(
    directory: Directory,
) -> None:
    demo.seed(directory, size="small")
    unlisted = directory.employee_by_extension(demo.UNLISTED_EXTENSION)
    assert unlisted is not None and not unlisted.listed
    names = {d.name for d in directory.districts()}
    assert {"Östermalm", "Kungsholmen", "Norrmalm", "Bromma"} <= names
    served = {d for u in directory.units() for d in u.district_ids}
    assert {"ostermalm", "kungsholmen", "norrmalm", "bromma"} <= served


def test_given_same_seed_twice_then_same_people(tmp_path: object) -> None:
    a, b = Directory.open("sqlite://"), Directory.open("sqlite://")
    demo.seed(a, seed=7)
    demo.seed(b, seed=7)
    assert a.active_employees() == b.active_employees()
    assert a.units() == b.units()
