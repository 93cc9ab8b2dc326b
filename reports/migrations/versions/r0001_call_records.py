"""Call records: one row per call, and the recorder's stream positions.

``call_records`` holds `reports.records.CallRecord` (times in epoch seconds; the outcome,
wait and talk time are stored as derived so that SQL can filter on them);
``record_cursors`` holds, per Redis stream, the id of the last entry the recorder wrote.

Revision ID: r0001
Revises:
Create Date: 2026-12-06 20:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_records",
        sa.Column("call_id", sa.String(64), primary_key=True),
        sa.Column("arrived_at", sa.Double(), nullable=True),
        sa.Column("caller", sa.String(80), nullable=False, server_default=""),
        sa.Column("caller_hashed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("language", sa.String(8), nullable=False, server_default=""),
        sa.Column("flow", sa.String(64), nullable=False, server_default=""),
        sa.Column("ivr_path", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("target", sa.String(120), nullable=False, server_default=""),
        sa.Column("target_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("unit", sa.String(64), nullable=False, server_default=""),
        sa.Column("district", sa.String(64), nullable=False, server_default=""),
        sa.Column("administration", sa.String(64), nullable=False, server_default=""),
        sa.Column("queue", sa.String(64), nullable=False, server_default=""),
        sa.Column("agent_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("enqueued_at", sa.Double(), nullable=True),
        sa.Column("answered_at", sa.Double(), nullable=True),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("acd_end", sa.String(32), nullable=False, server_default=""),
        sa.Column("offers", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("transfers", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("callback_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("ivr_done", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("case_outcome", sa.String(32), nullable=False, server_default=""),
        sa.Column("case_topic", sa.String(64), nullable=False, server_default=""),
        sa.Column("case_unit", sa.String(64), nullable=False, server_default=""),
        sa.Column("ivr_pos", sa.String(32), nullable=False, server_default=""),
        sa.Column("acd_pos", sa.String(32), nullable=False, server_default=""),
        sa.Column("case_pos", sa.String(32), nullable=False, server_default=""),
        sa.Column("outcome", sa.String(16), nullable=False, server_default="open"),
        sa.Column("wait_s", sa.Double(), nullable=True),
        sa.Column("talk_s", sa.Double(), nullable=True),
    )
    op.create_index("ix_call_records_arrived_at", "call_records", ["arrived_at"])
    op.create_index("ix_call_records_caller", "call_records", ["caller"])
    op.create_table(
        "record_cursors",
        sa.Column("stream", sa.String(64), primary_key=True),
        sa.Column("last_id", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("record_cursors")
    op.drop_index("ix_call_records_caller", "call_records")
    op.drop_index("ix_call_records_arrived_at", "call_records")
    op.drop_table("call_records")
