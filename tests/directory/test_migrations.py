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
