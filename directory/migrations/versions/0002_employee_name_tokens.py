"""Employee tokens carry the person's name tokens, in the covering search indexes.

A name search checks the other words of the query in the same index row instead of
probing the token table once per candidate. Existing rows are filled from the token
rows of the same person (the order of the tokens does not matter for the check).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 16:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_OLD_INDEXES = {
    "ix_employee_tokens_public": ["listed", "token", "sort_key", "employee_id"],
    "ix_employee_tokens_all": ["token", "sort_key", "employee_id"],
}


def upgrade() -> None:
    with op.batch_alter_table("employee_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_tokens", sa.String(length=500), nullable=True))
    _fill_name_tokens()
    with op.batch_alter_table("employee_tokens", schema=None) as batch_op:
        batch_op.alter_column("name_tokens", existing_type=sa.String(length=500), nullable=False)
        for name in _OLD_INDEXES:
            batch_op.drop_index(name)
        for name, columns in _OLD_INDEXES.items():
            batch_op.create_index(name, [*columns, "name_tokens"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("employee_tokens", schema=None) as batch_op:
        for name in _OLD_INDEXES:
            batch_op.drop_index(name)
        for name, columns in _OLD_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
        batch_op.drop_column("name_tokens")


def _fill_name_tokens() -> None:
    """Set name_tokens (" anna ek ") of every token row of Anna Ek from her token rows."""
    bind = op.get_bind()
    names: dict[str, list[str]] = {}
    for employee_id, token in bind.execute(
        sa.text("SELECT employee_id, token FROM employee_tokens ORDER BY employee_id, token")
    ):
        names.setdefault(employee_id, []).append(token)
    if names:
        bind.execute(
            sa.text("UPDATE employee_tokens SET name_tokens = :names WHERE employee_id = :id"),
            [{"names": f" {' '.join(tokens)} ", "id": i} for i, tokens in names.items()],
        )
