"""The organisation half of the repository: org tree, districts with postcodes and streets, units.

Invariants: a unit's parent and districts exist before it is written (NotFound
names the missing one); every write records history in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select, update

from directory import rows, text
from directory.changes import diff
from directory.entities import AnswerStrategy, District, OrgKind, OrgNode, Unit
from directory.errors import InvalidEntity, NotFound
from directory.models import DistrictRow, OrgNodeRow, PostcodeRow, StreetRow, UnitRow
from directory.store_base import Store


class OrganisationStore(Store):
    def add_org_node(
        self,
        id: str,
        kind: OrgKind,
        name: str,
        parent_id: str | None = None,
        *,
        actor: str = "system",
    ) -> OrgNode:
        """Add a city, administration or department below ``parent_id``."""
        node = OrgNode(id=id, kind=kind, name=name, parent_id=parent_id)
        with self.transaction() as s:
            if parent_id is not None and s.get(OrgNodeRow, parent_id) is None:
                raise NotFound("org node", parent_id)
            s.add(OrgNodeRow(id=id, kind=kind.value, name=name, parent_id=parent_id))
            self.record(s, actor, "org", [(id, "created", diff(None, node))])
        return node

    def org_node(self, node_id: str) -> OrgNode | None:
        with self.transaction() as s:
            row = s.get(OrgNodeRow, node_id)
            return None if row is None else rows.org_from_row(row)

    def org_children(self, parent_id: str | None) -> list[OrgNode]:
        """The nodes directly below ``parent_id`` (None: the roots), by name."""
        where = (
            OrgNodeRow.parent_id.is_(None)
            if parent_id is None
            else OrgNodeRow.parent_id == parent_id
        )
        with self.transaction() as s:
            found = s.scalars(select(OrgNodeRow).where(where).order_by(OrgNodeRow.name))
            return [rows.org_from_row(r) for r in found]

    def units_below(self, node_id: str) -> list[Unit]:
        """The units directly attached to an org node, by name."""
        with self.transaction() as s:
            ids = s.scalars(
                select(UnitRow.id).where(UnitRow.parent_id == node_id).order_by(UnitRow.sort_key)
            )
            return rows.load_units(s, list(ids))

    def add_district(
        self,
        id: str,
        name: str,
        *,
        postcodes: Iterable[str] = (),
        streets: Iterable[str] = (),
        actor: str = "system",
    ) -> District:
        """Add a district with the postcodes and streets that map to it."""
        district = District(id=id, name=name, postcodes=tuple(postcodes), streets=tuple(streets))
        with self.transaction() as s:
            s.add(DistrictRow(id=id, name=name, name_fold=" ".join(text.tokens(name))))
            s.flush()
            rows.add_vocabulary(s, set(text.tokens(name)), "districts")
            for code in district.postcodes:
                s.add(PostcodeRow(postcode=rows.postcode_key(code), district_id=id))
            for street in district.streets:
                s.add(StreetRow(street_fold=rows.street_key(street), street=street, district_id=id))
            self.record(s, actor, "district", [(id, "created", diff(None, district))])
        return district

    def district(self, district_id: str) -> District | None:
        with self.transaction() as s:
            row = s.get(DistrictRow, district_id)
            return None if row is None else rows.district_from_row(s, row)

    def districts(self) -> list[District]:
        with self.transaction() as s:
            found = list(s.scalars(select(DistrictRow).order_by(DistrictRow.name)))
            return [rows.district_from_row(s, r) for r in found]

    def district_for(
        self, *, postcode: str | None = None, street: str | None = None
    ) -> District | None:
        """The district a postcode or a street (house number ignored) belongs to."""
        with self.transaction() as s:
            district_id = rows.district_id_for(s, postcode=postcode, street=street)
            row = None if district_id is None else s.get(DistrictRow, district_id)
            return None if row is None else rows.district_from_row(s, row)

    def add_unit(self, id: str, name: str, *, actor: str = "system", **details: Any) -> Unit:
        """Create a unit; ``details`` are the other ``Unit`` fields (topics, district_ids, ...)."""
        unit = Unit(id=id, name=name, **details)
        self.put_units([unit], actor=actor)
        return unit

    def put_units(self, units: Sequence[Unit], *, actor: str = "system") -> None:
        """Create units in one transaction; NotFound names a missing parent or district."""
        with self.transaction() as s:
            parents = {u.parent_id for u in units if u.parent_id is not None}
            known_parents = set(s.scalars(select(OrgNodeRow.id)))
            for missing in sorted(parents - known_parents)[:1]:
                raise NotFound("org node", missing)
            districts = {d for u in units for d in u.district_ids}
            known_districts = set(s.scalars(select(DistrictRow.id)))
            for missing in sorted(districts - known_districts)[:1]:
                raise NotFound("district", missing)
            rows.write_units(s, units)
            self.record(s, actor, "unit", [(u.id, "created", diff(None, u)) for u in units])

    def set_unit_email(self, unit_id: str, email: str | None, *, actor: str = "system") -> Unit:
        """Set (or, with None or blank, clear) a unit's mailbox; InvalidEntity names a bad
        address, NotFound an unknown unit; the change is recorded in the history."""
        return self._update_unit(unit_id, actor, email=email)

    def set_unit_answer_strategy(self, unit_id: str, strategy: AnswerStrategy | str, *,
                                 actor: str = "system") -> Unit:
        """How the unit's answering group rings: ``ring_all``, ``in_order`` or
        ``longest_idle``. InvalidEntity names an unknown strategy, NotFound an unknown
        unit; the change is recorded in the history."""
        try:
            chosen = AnswerStrategy(strategy)
        except ValueError:
            known = ", ".join(s.value for s in AnswerStrategy)
            raise InvalidEntity("Unit", "answer_strategy",
                                f"unknown strategy {strategy!r}; one of {known}") from None
        return self._update_unit(unit_id, actor, answer_strategy=chosen)

    def _update_unit(self, unit_id: str, actor: str, **fields: Any) -> Unit:
        with self.transaction() as s:
            found = rows.load_units(s, [unit_id])
            if not found:
                raise NotFound("unit", unit_id)
            old = found[0]
            new = replace(old, **fields)
            values = {name: getattr(new, name) for name in fields}
            if "answer_strategy" in values:
                values["answer_strategy"] = new.answer_strategy.value
            s.execute(update(UnitRow).where(UnitRow.id == unit_id).values(**values))
            changes = diff(old, new)
            if changes:
                self.record(s, actor, "unit", [(unit_id, "updated", changes)])
            return new

    def unit(self, unit_id: str) -> Unit | None:
        with self.transaction() as s:
            found = rows.load_units(s, [unit_id])
            return found[0] if found else None

    def unit_by_number(self, number: str) -> Unit | None:
        """The unit whose own number is ``number`` (any written form), or None."""
        digits = text.number_key(number)
        if digits is None:
            return None
        with self.transaction() as s:
            found = list(s.scalars(select(UnitRow.id).where(UnitRow.number == digits)))
            units = rows.load_units(s, found)
            return units[0] if units else None

    def unit_ids(self) -> set[str]:
        with self.transaction() as s:
            return set(s.scalars(select(UnitRow.id)))

    def units(self) -> list[Unit]:
        with self.transaction() as s:
            ids = list(s.scalars(select(UnitRow.id).order_by(UnitRow.sort_key)))
            return rows.load_units(s, ids)
