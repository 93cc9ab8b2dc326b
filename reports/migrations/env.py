"""Alembic environment of the reports' tables (call records), in the directory's database.

The reports keep their own version table (``reports_alembic_version``), so their
migrations and the directory's never meet in one history.
"""

from __future__ import annotations

from alembic import context

from reports.record_table import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table="reports_alembic_version",
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
