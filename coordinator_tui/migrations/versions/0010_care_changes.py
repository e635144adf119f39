"""Care changes: medication changes, care plan reviews, consent, change requests, training, contacts, shadowing (issue 18).

Each section below belongs to one piece of work; fill in only your own.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: each section adds its own tables and columns."""
    # --- requests, training, contacts, shadowing (issue 18 §4-7) ---
    _upgrade_care_staff()
    # --- end requests, training, contacts, shadowing ---


def downgrade() -> None:
    """Nothing yet."""
    # --- requests, training, contacts, shadowing (issue 18 §4-7) ---
    _downgrade_care_staff()
    # --- end requests, training, contacts, shadowing ---


# --- requests, training, contacts, shadowing (issue 18 §4-7) ---
def _care_staff_base() -> list[sa.Column]:
    """The columns of every editable table (``models.base.Editable``)."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _upgrade_care_staff() -> None:
    """Change requests, training matrix, supervision, contact log, shadow visits."""
    op.create_table(
        "change_request",
        *_care_staff_base(),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("decline_reason", sa.String(length=300), nullable=False),
        sa.Column("capacity_note", sa.String(length=300), nullable=False),
        sa.Column("first_visit_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("visit_times", sa.String(length=200), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("carers_required", sa.Integer(), nullable=False),
        sa.Column("required_skills", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["package_id"], ["care_package.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("change_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_request_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_change_request_kind"), ["kind"], unique=False)
    op.create_table(
        "training_course",
        *_care_staff_base(),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("interval_months", sa.Integer(), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("care_certificate", sa.Boolean(), nullable=False),
        sa.Column("skill_code", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("training_course", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_course_code"), ["code"], unique=True)
    op.create_table(
        "training_record",
        *_care_staff_base(),
        sa.Column("carer_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["carer_id"], ["carer.id"]),
        sa.ForeignKeyConstraint(["course_id"], ["training_course.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("training_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_record_carer_id"), ["carer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_training_record_course_id"), ["course_id"], unique=False
        )
    op.create_table(
        "carer_profile",
        *_care_staff_base(),
        sa.Column("carer_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["carer_id"], ["carer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("carer_id"),
    )
    with op.batch_alter_table("carer_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_carer_profile_carer_id"), ["carer_id"], unique=False)
    op.create_table(
        "visit_shadow",
        *_care_staff_base(),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("carer_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=120), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.ForeignKeyConstraint(["carer_id"], ["carer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("visit_id", "carer_id"),
    )
    with op.batch_alter_table("visit_shadow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_shadow_carer_id"), ["carer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_shadow_visit_id"), ["visit_id"], unique=False)
    op.create_table(
        "supervision_record",
        *_care_staff_base(),
        sa.Column("carer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("supervisor", sa.String(length=120), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("shadow_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["carer_id"], ["carer.id"]),
        sa.ForeignKeyConstraint(["course_id"], ["training_course.id"]),
        sa.ForeignKeyConstraint(["shadow_id"], ["visit_shadow.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supervision_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_record_carer_id"), ["carer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_supervision_record_kind"), ["kind"], unique=False)
    op.create_table(
        "staff_settings",
        *_care_staff_base(),
        sa.Column("supervision_days", sa.Integer(), nullable=False),
        sa.Column("spot_check_days", sa.Integer(), nullable=False),
        sa.Column("due_soon_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "contact_log",
        *_care_staff_base(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("who", sa.String(length=120), nullable=False),
        sa.Column("said", sa.String(length=1000), nullable=False),
        sa.Column("outcome", sa.String(length=300), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("follow_up_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follow_up_note", sa.String(length=300), nullable=False),
        sa.Column("topic", sa.String(length=20), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("cover_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.ForeignKeyConstraint(["cover_id"], ["absence_cover.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_log_cover_id"), ["cover_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contact_log_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_log_follow_up_on"), ["follow_up_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contact_log_topic"), ["topic"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_log_visit_id"), ["visit_id"], unique=False)
    op.create_table(
        "shadow_requirement",
        *_care_staff_base(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(length=120), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("shadow_requirement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shadow_requirement_customer_id"), ["customer_id"], unique=False
        )


def _downgrade_care_staff() -> None:
    """Drop what ``_upgrade_care_staff`` created."""
    # Indexes go with their tables.
    for table in (
        "shadow_requirement",
        "contact_log",
        "staff_settings",
        "supervision_record",
        "visit_shadow",
        "carer_profile",
        "training_record",
        "training_course",
        "change_request",
    ):
        op.drop_table(table)


# --- end requests, training, contacts, shadowing ---
