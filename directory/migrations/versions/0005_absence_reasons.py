"""Absence notes carry a reason from a fixed list; the free-text message is gone.

A note's free text could carry a health reason ("sjuk", "läkarbesök"), which a switchboard
must neither keep nor tell callers. ``absence_notes.reason`` holds one of the fixed
reasons (`directory.entities.AbsenceReason`: semester, möte, utbildning, tjänstledig,
föräldraledig, ledig, lunch, tjänsteresa, ute). Existing notes are migrated: a reason named
in the message is kept (the first keyword found, below); otherwise the note's category
gives it (meeting -> möte, lunch -> lunch, out_of_office -> ute, leave -> ledig), so a
health text becomes plain "ledig" or the category's reason. Then ``message`` is dropped
with everything it held. The history keeps old values of the message too: those are blanked.
The downgrade brings back an empty message column.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: Words in a message (folded to lower case) and the reason they name, first match wins.
#: Frozen here: the migration must give the same result whatever the code says later.
KEYWORDS = (
    ("föräldraledig", "föräldraledig"), ("foraldraledig", "föräldraledig"),
    ("parental", "föräldraledig"), ("tjänstledig", "tjänstledig"),
    ("tjanstledig", "tjänstledig"), ("tjänsteresa", "tjänsteresa"),
    ("tjansteresa", "tjänsteresa"), ("business trip", "tjänsteresa"),
    ("semester", "semester"), ("vacation", "semester"), ("holiday", "semester"),
    ("utbildning", "utbildning"), ("kurs", "utbildning"), ("training", "utbildning"),
    ("möte", "möte"), ("mote", "möte"), ("meeting", "möte"), ("lunch", "lunch"),
)
BY_CATEGORY = {"meeting": "möte", "lunch": "lunch", "out_of_office": "ute", "leave": "ledig"}


def reason_for(category: str, message: str) -> str:
    text = (message or "").casefold()
    for word, reason in KEYWORDS:
        if word in text:
            return reason
    return BY_CATEGORY.get(category, "ledig")


def upgrade() -> None:
    with op.batch_alter_table("absence_notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=20), nullable=False,
                                      server_default="ledig"))
    bind = op.get_bind()
    notes = sa.table("absence_notes", sa.column("id", sa.Integer),
                     sa.column("category", sa.String), sa.column("message", sa.String),
                     sa.column("reason", sa.String))
    for row in bind.execute(sa.select(notes.c.id, notes.c.category, notes.c.message)).all():
        bind.execute(sa.update(notes).where(notes.c.id == row.id)
                     .values(reason=reason_for(row.category, row.message)))
    with op.batch_alter_table("absence_notes", schema=None) as batch_op:
        batch_op.drop_column("message")
        batch_op.alter_column("reason", server_default=None)
    _blank_history(bind)


def _blank_history(bind: sa.Connection) -> None:
    """Old messages in the change history (``changes`` JSON, key ``message``) are blanked."""
    history = sa.table("history", sa.column("id", sa.Integer), sa.column("entity", sa.String),
                       sa.column("changes", sa.Text))
    rows = bind.execute(sa.select(history.c.id, history.c.changes)
                        .where(history.c.changes.like('%"message"%'))).all()
    for row in rows:
        try:
            changes = json.loads(row.changes or "{}")
        except json.JSONDecodeError:
            continue
        if isinstance(changes, dict) and "message" in changes:
            changes["message"] = ["", ""]
            bind.execute(sa.update(history).where(history.c.id == row.id)
                         .values(changes=json.dumps(changes, ensure_ascii=False)))


def downgrade() -> None:
    with op.batch_alter_table("absence_notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message", sa.String(length=200), nullable=False,
                                      server_default=""))
        batch_op.drop_column("reason")
