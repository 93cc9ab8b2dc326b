"""Directory schema: organisation, districts, units, people, absence notes, history, search.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 15:40:51.750657
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "name_fold",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_fold"),
    )
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.create_index("ix_history_entity", ["entity", "entity_id", "id"], unique=False)

    op.create_table(
        "name_variants",
        sa.Column(
            "variant",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "token",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("variant", "token"),
    )
    op.create_table(
        "org_nodes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["org_nodes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("org_nodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_nodes_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "vocabulary",
        sa.Column(
            "token",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("employees", sa.Boolean(), nullable=False),
        sa.Column("units", sa.Boolean(), nullable=False),
        sa.Column("districts", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_table(
        "district_postcodes",
        sa.Column("postcode", sa.String(length=5), nullable=False),
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
        ),
        sa.PrimaryKeyConstraint("postcode"),
    )
    with op.batch_alter_table("district_postcodes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_district_postcodes_district_id"), ["district_id"], unique=False
        )

    op.create_table(
        "district_streets",
        sa.Column(
            "street_fold",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
        ),
        sa.PrimaryKeyConstraint("street_fold"),
    )
    with op.batch_alter_table("district_streets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_district_streets_district_id"), ["district_id"], unique=False
        )

    op.create_table(
        "units",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "sort_key",
            sa.String(length=300).with_variant(sa.String(length=300, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("opening_hours", sa.Text(), nullable=False),
        sa.Column("phone_group", sa.String(length=100), nullable=True),
        sa.Column("visiting_address", sa.String(length=300), nullable=False),
        sa.Column("cost_centre", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["org_nodes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "employees",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=True),
        sa.Column("extension", sa.String(length=8), nullable=True),
        sa.Column("languages", sa.String(length=100), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "sort_key",
            sa.String(length=300).with_variant(sa.String(length=300, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "family_keys",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("extension"),
    )
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.create_index("ix_employees_keys", ["family_keys", "sort_key"], unique=False)
        batch_op.create_index("ix_employees_order", ["sort_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_employees_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "unit_districts",
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("district_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
        ),
        sa.PrimaryKeyConstraint("unit_id", "district_id"),
    )
    with op.batch_alter_table("unit_districts", schema=None) as batch_op:
        batch_op.create_index("ix_unit_districts_district", ["district_id"], unique=False)

    op.create_table(
        "unit_tokens",
        sa.Column(
            "token",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column(
            "sort_key",
            sa.String(length=300).with_variant(sa.String(length=300, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
        ),
        sa.PrimaryKeyConstraint("token", "unit_id"),
    )
    with op.batch_alter_table("unit_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_unit_tokens_search", ["token", "sort_key", "unit_id"], unique=False
        )
        batch_op.create_index("ix_unit_tokens_unit", ["unit_id"], unique=False)

    op.create_table(
        "absence_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("employee_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("forward_kind", sa.String(length=20), nullable=False),
        sa.Column("forward_target", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("absence_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_absence_notes_employee_id"), ["employee_id"], unique=False
        )

    op.create_table(
        "devices",
        sa.Column("employee_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("dial", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("raw_number", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
        ),
        sa.PrimaryKeyConstraint("employee_id", "position"),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_number"), ["number"], unique=False)

    op.create_table(
        "employee_tokens",
        sa.Column(
            "token",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("employee_id", sa.String(length=64), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column(
            "sort_key",
            sa.String(length=300).with_variant(sa.String(length=300, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
        ),
        sa.PrimaryKeyConstraint("token", "employee_id"),
    )
    with op.batch_alter_table("employee_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_employee_tokens_all", ["token", "sort_key", "employee_id"], unique=False
        )
        batch_op.create_index("ix_employee_tokens_employee", ["employee_id"], unique=False)
        batch_op.create_index(
            "ix_employee_tokens_public",
            ["listed", "token", "sort_key", "employee_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("employee_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_employee_tokens_public")
        batch_op.drop_index("ix_employee_tokens_employee")
        batch_op.drop_index("ix_employee_tokens_all")

    op.drop_table("employee_tokens")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_number"))

    op.drop_table("devices")
    with op.batch_alter_table("absence_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_absence_notes_employee_id"))

    op.drop_table("absence_notes")
    with op.batch_alter_table("unit_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_tokens_unit")
        batch_op.drop_index("ix_unit_tokens_search")

    op.drop_table("unit_tokens")
    with op.batch_alter_table("unit_districts", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_districts_district")

    op.drop_table("unit_districts")
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employees_unit_id"))
        batch_op.drop_index("ix_employees_order")
        batch_op.drop_index("ix_employees_keys")

    op.drop_table("employees")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_parent_id"))

    op.drop_table("units")
    with op.batch_alter_table("district_streets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_district_streets_district_id"))

    op.drop_table("district_streets")
    with op.batch_alter_table("district_postcodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_district_postcodes_district_id"))

    op.drop_table("district_postcodes")
    op.drop_table("vocabulary")
    with op.batch_alter_table("org_nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_nodes_parent_id"))

    op.drop_table("org_nodes")
    op.drop_table("name_variants")
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index("ix_history_entity")

    op.drop_table("history")
    op.drop_table("districts")
