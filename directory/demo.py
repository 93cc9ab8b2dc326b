"""A deterministic demo city for the switchboard demo, the tests and the benchmark.

``seed(d, size="small")`` writes a few districts, their units and some forty
people; ``size="city"`` writes a dozen districts, 3,000 units and 50,000 people.
The same ``seed`` number gives the same city. Both sizes contain the fixed
people below (the IVR demo and its tests rely on them); absence dates are fixed
calendar dates, not relative to the clock, so lookups stay reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import Literal

from directory import demo_data as data
from directory import text
from directory.changes import plan_sync
from directory.csv_rows import MOBILE_DIAL
from directory.entities import (
    AbsenceCategory,
    AbsenceNote,
    AbsenceReason,
    AnswerStrategy,
    Device,
    Employee,
    ForwardKind,
    OpeningHours,
    OrgKind,
    Unit,
)
from directory.store import Directory

Size = Literal["small", "city"]

#: Districts in the small city (the city size has all of ``demo_data.DISTRICTS``).
SMALL_DISTRICTS = 5
#: Units and employees of the city size, as the issue asks.
CITY_UNITS = 3000
CITY_EMPLOYEES = 50_000
#: Generated people in the small city, besides the fixed ones.
SMALL_EXTRA_EMPLOYEES = 40

#: The fixed people: (extension, given, family, title, unit id, listed).
FIXED_PEOPLE: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("4711", "Anna", "Lindqvist", "Bygglovshandläggare", "bygglov", True),
    ("4712", "Mikael", "Öberg", "Samordnare", "hemtjanst-ostermalm", True),
    ("4713", "Karin", "Ekström", "Enhetschef", "hemtjanst-ostermalm", True),
    ("4714", "Sara", "Lind", "Socialsekreterare", "socialtjanst-kungsholmen", False),
    ("4715", "Björn", "Åström", "Handläggare", "forskoleantagning-norrmalm", True),
)
#: Extension of the person on leave (absence note until ``ABSENT_UNTIL``, forwarded to 4712).
ABSENT_EXTENSION = "4713"
ABSENT_FROM = datetime(2025, 1, 1, 7, 0, tzinfo=UTC)
ABSENT_UNTIL = datetime(2030, 6, 30, 14, 0, tzinfo=UTC)
#: Direct numbers: the fixed people's and every fourth generated person's is
#: 08-508 <extension>; the city-wide units' are 08-508 000 <10 + position>.
DIRECT_NUMBER = "08-508 {extension}"
UNIT_NUMBER = "08-508 000 {n:02d}"
#: Answering-group strategies of some city-wide units (the others ring all members).
UNIT_STRATEGIES = {"bygglov": AnswerStrategy.IN_ORDER, "parkering": AnswerStrategy.LONGEST_IDLE}
#: Mail domain of the demo people's addresses (given.family@, numbered from the second
#: person of the same name on: anna.ekstrom2@...).
DEMO_MAIL_DOMAIN = "stad.example"
#: A city-wide unit with a shared mailbox whose name is not its id (the others have none:
#: messages for them go by the rule, <unit id>@<mail domain>).
UNIT_MAILBOXES = {"bygglov": f"bygglovsenheten@{DEMO_MAIL_DOMAIN}"}
#: Extension of the unlisted person (protected identity).
UNLISTED_EXTENSION = "4714"

WEEKDAYS_8_TO_1630 = tuple(OpeningHours(d, time(8, 0), time(16, 30)) for d in range(5))


@dataclass(frozen=True)
class SeedSummary:
    districts: int
    units: int
    employees: int


def seed(d: Directory, *, size: Size = "small", seed: int = 1, people: bool = True) -> SeedSummary:
    """Write the demo city into an empty directory ``d``; returns what was written.

    ``people=False`` writes only districts and the organisation (the benchmark imports the
    people from CSV into such a directory)."""
    rng = random.Random(seed)
    districts = data.DISTRICTS[:SMALL_DISTRICTS] if size == "small" else data.DISTRICTS
    _seed_districts(d, districts)
    units = _seed_organisation(d, districts, rng, size)
    if not people:
        return SeedSummary(len(districts), len(units), 0)
    staff = list(_fixed_people())
    extra = SMALL_EXTRA_EMPLOYEES if size == "small" else CITY_EMPLOYEES - len(staff)
    first_extension = 4720 if size == "small" else 10000
    staff += _generated_people(rng, units, extra, first_extension)
    staff = with_addresses(staff, DEMO_MAIL_DOMAIN)
    d.apply_plan(plan_sync({}, staff, deactivate_missing=False), actor="demo")
    d.set_absence(
        f"E{ABSENT_EXTENSION}",
        AbsenceNote(
            category=AbsenceCategory.LEAVE,
            starts_at=ABSENT_FROM,
            ends_at=ABSENT_UNTIL,
            reason=AbsenceReason.PARENTAL_LEAVE,
            forward_kind=ForwardKind.COLLEAGUE,
            forward_target="4712",
        ),
        actor="demo",
    )
    return SeedSummary(len(districts), len(units), len(staff))


def _seed_districts(
    d: Directory, districts: tuple[tuple[str, str, str, tuple[str, ...]], ...]
) -> None:
    for district_id, name, prefix, streets in districts:
        codes = [f"{prefix}{n:02d}" for n in range(20, 60, 10)]
        d.add_district(district_id, name, postcodes=codes, streets=streets, actor="demo")


def _seed_organisation(
    d: Directory,
    districts: tuple[tuple[str, str, str, tuple[str, ...]], ...],
    rng: random.Random,
    size: Size,
) -> list[Unit]:
    d.add_org_node("stockholm", OrgKind.CITY, "Stockholms stad", actor="demo")
    units: list[Unit] = []
    for admin in data.CITY_ADMINISTRATIONS:
        d.add_org_node(_slug(admin), OrgKind.ADMINISTRATION, admin, "stockholm", actor="demo")
    all_districts = tuple(x[0] for x in districts)
    for unit_id, name, admin, topics in data.CITY_SERVICES:
        unit = _unit(unit_id, name, _slug(admin), topics, all_districts, len(units))
        strategy = UNIT_STRATEGIES.get(unit_id, AnswerStrategy.RING_ALL)
        number = UNIT_NUMBER.format(n=10 + len(units))
        units.append(replace(unit, number=number, answer_strategy=strategy,
                             email=UNIT_MAILBOXES.get(unit_id)))
    for district_id, name, _, _ in districts:
        admin_id = f"sdf-{district_id}"
        d.add_org_node(
            admin_id,
            OrgKind.ADMINISTRATION,
            f"{name} stadsdelsförvaltning",
            "stockholm",
            actor="demo",
        )
        departments: set[str] = set()
        for pattern, department, topics in data.DISTRICT_SERVICES:
            dept_id = f"{admin_id}-{_slug(department)}"
            if department not in departments:
                d.add_org_node(dept_id, OrgKind.DEPARTMENT, department, admin_id, actor="demo")
                departments.add(department)
            unit_name = pattern.format(d=name)
            units.append(
                _unit(_slug(unit_name), unit_name, dept_id, topics, (district_id,), len(units))
            )
    if size == "city":
        units += _generated_units(rng, districts, CITY_UNITS - len(units), len(units))
    d.put_units(units, actor="demo")
    return units


def _generated_units(
    rng: random.Random,
    districts: tuple[tuple[str, str, str, tuple[str, ...]], ...],
    count: int,
    first: int,
) -> list[Unit]:
    units = []
    for i in range(count):
        district_id, district_name, _, streets = rng.choice(districts)
        pattern, topics = rng.choice(data.UNIT_KINDS)
        word = rng.choice(data.UNIT_NAME_WORDS)
        name = f"{pattern.format(n=word)} {district_name} {i + 1}"
        dept_id = f"sdf-{district_id}-{_slug('Individ- och familjeomsorg')}"
        unit = _unit(f"u{first + i:05d}", name, dept_id, topics, (district_id,), first + i)
        units.append(
            Unit(
                **{
                    **unit.__dict__,
                    "visiting_address": f"{rng.choice(streets)} {rng.randint(1, 99)}",
                }
            )
        )
    return units


def _unit(
    unit_id: str,
    name: str,
    parent_id: str,
    topics: tuple[str, ...],
    district_ids: tuple[str, ...],
    number: int,
) -> Unit:
    return Unit(
        id=unit_id,
        name=name,
        parent_id=parent_id,
        description=f"{name}: {', '.join(topics)}",
        topics=topics,
        district_ids=district_ids,
        opening_hours=WEEKDAYS_8_TO_1630,
        phone_group=f"grp-{unit_id}",
        cost_centre=f"{100000 + number}",
    )


def _fixed_people() -> list[Employee]:
    return [
        Employee(
            id=f"E{ext}",
            given_name=given,
            family_name=family,
            title=title,
            unit_id=unit_id,
            extension=ext,
            devices=(Device("sip", f"PJSIP/{ext}"),),
            languages=("sv", "en"),
            listed=listed,
            direct_number=DIRECT_NUMBER.format(extension=ext),
        )
        for ext, given, family, title, unit_id, listed in FIXED_PEOPLE
    ]


def _generated_people(
    rng: random.Random, units: list[Unit], count: int, first_extension: int
) -> list[Employee]:
    people = []
    for i in range(count):
        ext = str(first_extension + i)
        mobile = f"070-{rng.randint(0, 9999999):07d}"
        devices = [Device("sip", f"PJSIP/{ext}")]
        if rng.random() < 0.5:
            dial = MOBILE_DIAL.format(digits=text.phone_digits(mobile))
            devices.append(Device("mobile", dial, mobile))
        languages = ("sv", *sorted(set(rng.sample(data.LANGUAGES[1:], rng.randint(0, 2)))))
        people.append(
            Employee(
                id=f"E{100000 + i}",
                given_name=rng.choice(data.GIVEN_NAMES),
                family_name=_family_name(rng),
                title=rng.choice(data.TITLES),
                unit_id=rng.choice(units).id,
                extension=ext,
                devices=tuple(devices),
                languages=languages,
                listed=rng.random() > 0.01,
                direct_number=DIRECT_NUMBER.format(extension=ext) if i % 4 == 0 else None,
            )
        )
    return people


def with_addresses(people: list[Employee], domain: str) -> list[Employee]:
    """Each person with an address by the city's rule at ``domain``; the second person of
    a name gets ``anna.ekstrom2@``, the third ``anna.ekstrom3@``, in the list's order."""
    seen: dict[str, int] = {}
    result = []
    for e in people:
        local = text.rule_mail_local_part(e.given_name, e.family_name)
        seen[local] = count = seen.get(local, 0) + 1
        result.append(replace(e, email=f"{local}{count if count > 1 else ''}@{domain}"))
    return result


def _family_name(rng: random.Random) -> str:
    name = rng.choice(data.FAMILY_NAMES)
    if rng.random() < 0.08:
        name = f"{name} {rng.choice(data.FAMILY_NAMES)}"
    return name


def _slug(name: str) -> str:
    return "-".join(text.tokens(name))
