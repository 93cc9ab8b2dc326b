"""Alembic migrations and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from directory import schema
from directory.api import Directory
from directory.models import Base
from directory.store_base import make_engine


def test_given_empty_database_when_every_migration_runs_then_schema_matches_models(
    directory_url: str,
) -> None:
    engine = make_engine(directory_url)
    schema.upgrade(engine)
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diffs == []


def test_given_new_database_when_opened_then_it_is_stamped_at_the_head_revision(
    directory_url: str,
) -> None:
    Directory.open(directory_url).close()
    engine = create_engine(directory_url.replace("postgresql://", "postgresql+psycopg://"))
    assert schema.current_revision(engine) == schema.head_revision() is not None
    engine.dispose()


def test_given_migrated_database_when_opened_again_then_data_is_kept(directory_url: str) -> None:
    d = Directory.open(directory_url)
    d.add_employee("E1", "Anna", "Ek", extension="4711")
    d.close()
    again = Directory.open(directory_url)
    assert again.employee_by_extension("4711") is not None
    again.close()


def test_given_tables_without_migration_version_when_opened_then_clear_error(
    directory_url: str,
) -> None:
    import pytest

    from directory.api import StoreUnavailable

    engine = make_engine(directory_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    with pytest.raises(StoreUnavailable, match="no migration version"):
        Directory.open(directory_url)


def test_given_people_at_revision_0001_when_upgraded_then_name_search_finds_them(
    directory_url: str,
) -> None:
    """0002 fills the new name_tokens column of existing token rows."""
    from sqlalchemy import text

    engine = make_engine(directory_url)
    schema.upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO employees (id, given_name, family_name, title, languages, listed,"
                " active, sort_key, family_keys) VALUES"
                " ('E1', 'Anna', 'Ek', '', 'sv', :yes, :yes, 'ek\x1fanna\x1fE1', '35')"
            ),
            {"yes": True},
        )
        connection.execute(
            text(
                "INSERT INTO employee_tokens (token, employee_id, listed, sort_key) VALUES"
                " ('anna', 'E1', :yes, 'ek\x1fanna\x1fE1'), ('ek', 'E1', :yes, 'ek\x1fanna\x1fE1')"
            ),
            {"yes": True},
        )
        connection.execute(
            text(
                "INSERT INTO vocabulary (token, employees, units, districts) VALUES"
                " ('anna', :yes, :no, :no), ('ek', :yes, :no, :no)"
            ),
            {"yes": True, "no": False},
        )
    engine.dispose()
    d = Directory.open(directory_url)
    try:
        assert [(h.rank.name, h.employee and h.employee.id) for h in d.search("ek anna")] == [
            ("EXACT_NAME", "E1")
        ]
    finally:
        d.close()


def test_given_free_text_absence_notes_when_upgraded_then_reasons_and_no_text_remain(
    directory_url: str,
) -> None:
    """0005: a reason named in the message is kept, else the category's; a health text is
    gone (from the note and from the history)."""
    import json
    from datetime import UTC, datetime

    from sqlalchemy import text as sql

    engine = make_engine(directory_url)
    schema.upgrade(engine, "0004")
    at = datetime(2026, 3, 2, 9, 0)
    with engine.begin() as c:
        c.execute(sql("INSERT INTO employees (id, given_name, family_name, title, languages, "
                      "listed, active, sort_key, family_keys) VALUES ('E1', 'Anna', 'Ek', '', "
                      "'sv', :t, :t, 'ek', 'ek')"), {"t": True})
        for category, message in (("leave", "Semester till v. 32"), ("leave", "Sjuk"),
                                  ("meeting", ""), ("out_of_office", "Kurs i Umeå"),
                                  ("leave", "Föräldraledig / On parental leave")):
            c.execute(sql("INSERT INTO absence_notes (employee_id, category, starts_at, "
                          "message, forward_kind) VALUES ('E1', :c, :at, :m, 'none')"),
                      {"c": category, "at": at, "m": message})
        c.execute(sql("INSERT INTO history (at, actor, entity, entity_id, action, changes) "
                      "VALUES (:at, 'x', 'absence', 'E1', 'set', :ch)"),
                  {"at": at, "ch": json.dumps({"message": [None, "Sjuk"]})})
    schema.upgrade(engine)
    with engine.connect() as c:
        reasons = [r[0] for r in c.execute(sql("SELECT reason FROM absence_notes ORDER BY id"))]
        history = c.execute(sql("SELECT changes FROM history")).scalar_one()
    engine.dispose()
    assert reasons == ["semester", "ledig", "möte", "utbildning", "föräldraledig"]
    assert "Sjuk" not in history
    d = Directory.open(directory_url)
    note = d.current_absence("E1", datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    d.close()
    assert note is not None and note.message in reasons
