"""Direct numbers of employees, unit numbers, and how a unit's answering group rings.

``employees.direct_number`` and ``units.number`` hold international digits without
"+" (``46850812345``), each unique (NULL for none). ``units.answer_strategy``
(``ring_all``, ``in_order``, ``longest_idle``) and ``units.member_ring_s`` say how the
unit's answering group rings; existing units get ``ring_all`` and 15 s, which is how
every group rang before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("direct_number", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_employees_direct_number", ["direct_number"], unique=True)
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("answer_strategy", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("member_ring_s", sa.Integer(), nullable=True))
        batch_op.create_index("ix_units_number", ["number"], unique=True)
    op.execute("UPDATE units SET answer_strategy = 'ring_all', member_ring_s = 15")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.alter_column("answer_strategy", existing_type=sa.String(length=20),
                              nullable=False)
        batch_op.alter_column("member_ring_s", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index("ix_units_number")
        batch_op.drop_column("member_ring_s")
        batch_op.drop_column("answer_strategy")
        batch_op.drop_column("number")
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_index("ix_employees_direct_number")
        batch_op.drop_column("direct_number")
