"""Ring time of direct calls: when the IVR dialled the person, when they answered, and the
difference (derived, like wait and talk time, so that SQL can filter on it).

Revision ID: r0002
Revises: r0001
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None

COLUMNS = ("dialed_at", "dial_answered_at", "ring_s")


def upgrade() -> None:
    with op.batch_alter_table("call_records") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_records") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
