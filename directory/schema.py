"""Schema management with Alembic: create a new database, or migrate an existing one.

Invariant: a directory database is always at the newest migration after
``ensure_schema``. A new (empty) database gets the tables from the models and is
stamped with the head revision (fast, and the same result as running every
migration, which a test checks); a database with tables is upgraded in place.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from directory.errors import StoreUnavailable
from directory.models import Base


class SchemaUnknown(StoreUnavailable):
    """The database holds tables this code cannot place in its migration history."""


MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_schema(engine: Engine) -> None:
    """Bring the database at ``engine`` to the newest schema."""
    with engine.begin() as connection:
        tables = set(inspect(connection).get_table_names())
        config = alembic_config(connection)
        if not tables & set(Base.metadata.tables):
            Base.metadata.create_all(connection)
            command.stamp(config, "head")
        elif "alembic_version" not in tables:
            raise SchemaUnknown(
                "the database has directory tables but no migration version (made before "
                "migrations existed); seed a new database"
            )
        else:
            command.upgrade(config, "head")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` (tests run every migration from empty)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
