"""The reports' tables as SQLAlchemy Core (kept equal to the migrations in
``reports/migrations``; a test compares them), and the conversion of a row to and from
`reports.records.CallRecord`."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import sqlalchemy as sa

from reports.records import CallRecord

metadata = sa.MetaData()

call_records = sa.Table(
    "call_records", metadata,
    sa.Column("call_id", sa.String(64), primary_key=True),
    sa.Column("arrived_at", sa.Double(), nullable=True, index=True),
    sa.Column("caller", sa.String(80), nullable=False, server_default="", index=True),
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
    # r0002: the ring time of direct calls (added at the end, as the migration does)
    sa.Column("dialed_at", sa.Double(), nullable=True),
    sa.Column("dial_answered_at", sa.Double(), nullable=True),
    sa.Column("ring_s", sa.Double(), nullable=True),
)

record_cursors = sa.Table(
    "record_cursors", metadata,
    sa.Column("stream", sa.String(64), primary_key=True),
    sa.Column("last_id", sa.String(32), nullable=False),
)

_FIELDS = [f.name for f in fields(CallRecord)]


def to_row(r: CallRecord) -> dict[str, Any]:
    """The row of a record, with the derived columns (outcome, wait, talk, ring time)."""
    row = {name: getattr(r, name) for name in _FIELDS}
    row["ivr_path"] = json.dumps(list(r.ivr_path), ensure_ascii=False)
    row["outcome"] = r.outcome.value
    row["wait_s"] = r.wait_s
    row["talk_s"] = r.talk_s
    row["ring_s"] = r.ring_s
    return row


def from_row(row: Any) -> CallRecord:
    """A record from a row mapping (``Row._mapping``)."""
    values = {name: row[name] for name in _FIELDS}
    values["ivr_path"] = tuple(json.loads(row["ivr_path"] or "[]"))
    values["caller_hashed"] = bool(row["caller_hashed"])
    values["callback_requested"] = bool(row["callback_requested"])
    values["ivr_done"] = bool(row["ivr_done"])
    return CallRecord(**values)
