"""E-mail addresses of employees and units.

``employees.email`` and ``units.email`` hold the address a message for the employee or
the unit is mailed to; NULL means none is known and the city's rule applies
(``given.family@<mail domain>``, ``<unit id>@<mail domain>``), which is how every
message was addressed before. Not unique: several people may share a mailbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_column("email")
