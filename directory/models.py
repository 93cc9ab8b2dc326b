"""SQLAlchemy 2 tables of the directory; private to the package.

Invariants: datetimes are stored as naive UTC and come back aware (``UtcDateTime``);
search columns (``*_fold``, ``family_keys``, the token and variant tables) are
derived from the names by ``directory.text`` on every write and never edited by
hand; token columns use byte order ("C" collation on PostgreSQL) so that prefix
ranges use the index on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: A search token: byte-ordered on PostgreSQL so ``token >= 'ab' AND token < 'ab\x7f'`` is a prefix.
Token = String(64).with_variant(String(64, collation="C"), "postgresql")

#: The order of results: folded name parts and the id, joined by a separator that sorts first.
SortKey = String(300).with_variant(String(300, collation="C"), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive input is a programming error."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} given to the directory; use aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class OrgNodeRow(Base):
    __tablename__ = "org_nodes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("org_nodes.id"), index=True)


class DistrictRow(Base):
    __tablename__ = "districts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_fold: Mapped[str] = mapped_column(Token, unique=True)


class PostcodeRow(Base):
    __tablename__ = "district_postcodes"
    postcode: Mapped[str] = mapped_column(String(5), primary_key=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)


class StreetRow(Base):
    __tablename__ = "district_streets"
    street_fold: Mapped[str] = mapped_column(Token, primary_key=True)
    street: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), index=True)


class UnitRow(Base):
    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sort_key: Mapped[str] = mapped_column(SortKey)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[str] = mapped_column(Text, default="")  # JSON list, order kept
    opening_hours: Mapped[str] = mapped_column(Text, default="")  # JSON list of [weekday, o, c]
    phone_group: Mapped[str | None] = mapped_column(String(100))
    visiting_address: Mapped[str] = mapped_column(String(300), default="")
    cost_centre: Mapped[str | None] = mapped_column(String(32))
    number: Mapped[str | None] = mapped_column(String(20))  # international digits, unique
    answer_strategy: Mapped[str] = mapped_column(String(20), default="ring_all")
    member_ring_s: Mapped[int] = mapped_column(Integer, default=15)
    email: Mapped[str | None] = mapped_column(String(254))  # the unit's mailbox, if not the rule
    __table_args__ = (Index("ix_units_number", "number", unique=True),)


class UnitDistrictRow(Base):
    __tablename__ = "unit_districts"
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("districts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_unit_districts_district", "district_id"),)


class UnitTokenRow(Base):
    """One search token of a unit, with the unit's sort key so that an index gives the order."""

    __tablename__ = "unit_tokens"
    token: Mapped[str] = mapped_column(Token, primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True)
    sort_key: Mapped[str] = mapped_column(SortKey)
    __table_args__ = (
        Index("ix_unit_tokens_unit", "unit_id"),
        Index("ix_unit_tokens_search", "token", "sort_key", "unit_id"),
    )


class EmployeeRow(Base):
    __tablename__ = "employees"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    extension: Mapped[str | None] = mapped_column(String(8), unique=True)
    languages: Mapped[str] = mapped_column(String(100), default="sv")
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_key: Mapped[str] = mapped_column(SortKey)
    family_keys: Mapped[str] = mapped_column(Token)
    direct_number: Mapped[str | None] = mapped_column(String(20))  # international digits
    email: Mapped[str | None] = mapped_column(String(254))  # not unique: mailboxes are shared
    __table_args__ = (
        Index("ix_employees_order", "sort_key"),
        Index("ix_employees_keys", "family_keys", "sort_key"),
        Index("ix_employees_direct_number", "direct_number", unique=True),
    )


class DeviceRow(Base):
    __tablename__ = "devices"
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    dial: Mapped[str] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(20), index=True)  # international digits
    raw_number: Mapped[str | None] = mapped_column(String(40))  # as written


class EmployeeTokenRow(Base):
    """One search token of an active employee, with ``listed``, the sort key and all the
    employee's tokens (``name_tokens``: " anna ek ", space-delimited) copied in, so that a
    search reads one covering index in result order, checks the other words of the query
    in the row itself, and stops after a page."""

    __tablename__ = "employee_tokens"
    token: Mapped[str] = mapped_column(Token, primary_key=True)
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    listed: Mapped[bool] = mapped_column(Boolean)
    sort_key: Mapped[str] = mapped_column(SortKey)
    name_tokens: Mapped[str] = mapped_column(String(500))
    __table_args__ = (
        Index("ix_employee_tokens_employee", "employee_id"),
        Index(
            "ix_employee_tokens_public",
            "listed",
            "token",
            "sort_key",
            "employee_id",
            "name_tokens",
        ),
        Index("ix_employee_tokens_all", "token", "sort_key", "employee_id", "name_tokens"),
    )


class VocabularyRow(Base):
    """Every search token ever written, and which kinds of entity use it.

    A search first looks its words up here (exact and prefix), so that it only queries
    the people or unit tables that can match, with ``token IN (...)`` instead of ranges.
    Tokens are never removed: a stale entry only costs an empty query.
    """

    __tablename__ = "vocabulary"
    token: Mapped[str] = mapped_column(Token, primary_key=True)
    employees: Mapped[bool] = mapped_column(Boolean, default=False)
    units: Mapped[bool] = mapped_column(Boolean, default=False)
    districts: Mapped[bool] = mapped_column(Boolean, default=False)


class NameVariantRow(Base):
    """Symmetric-delete index of every name and unit token ever written (see text.py)."""

    __tablename__ = "name_variants"
    variant: Mapped[str] = mapped_column(Token, primary_key=True)
    token: Mapped[str] = mapped_column(Token, primary_key=True)


class AbsenceRow(Base):
    __tablename__ = "absence_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(20))
    forward_kind: Mapped[str] = mapped_column(String(20))
    forward_target: Mapped[str | None] = mapped_column(String(64))


class HistoryRow(Base):
    __tablename__ = "history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[str] = mapped_column(Text, default="{}")  # JSON {field: [old, new]}
    __table_args__ = (Index("ix_history_entity", "entity", "entity_id", "id"),)
