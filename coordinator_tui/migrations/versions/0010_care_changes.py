"""Care changes (issue 18): medication changes, care plan reviews, consent, change requests,
training, contacts, shadowing.

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
    # --- medication, reviews, consent (issue 18 §1-3) ---
    _upgrade_care_changes()
    # --- end medication, reviews, consent ---


def downgrade() -> None:
    """Nothing yet."""
    # --- medication, reviews, consent (issue 18 §1-3) ---
    _downgrade_care_changes()
    # --- end medication, reviews, consent ---
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


# --- medication, reviews, consent (issue 18 §1-3) ---
def _care_changes_base() -> list[sa.Column]:
    """The columns of every editable table (``models.base.Editable``)."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _care_changes_text(name: str, length: int | None = None) -> sa.Column:
    """A text column existing rows fill with ''."""
    kind = sa.String(length=length) if length else sa.String()
    return sa.Column(name, kind, nullable=False, server_default="")


def _upgrade_care_changes() -> None:
    """Medication and clinical changes (verification, acknowledgements), care plan
    reviews, mental capacity assessments, consent, the agency's review interval."""
    with op.batch_alter_table("medication_change", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="medication")
        )
        batch_op.add_column(_care_changes_text("from_whom", 120))
        batch_op.add_column(_care_changes_text("document_ref", 120))
        batch_op.add_column(_care_changes_text("logged_by", 60))
        batch_op.add_column(_care_changes_text("verification", 20))
        batch_op.add_column(_care_changes_text("verification_recorded_by", 60))
        batch_op.add_column(_care_changes_text("care_plan_updated_by", 60))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "care_change_ack",
        *_care_changes_base(),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("carer_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["carer_id"], ["carer.id"]),
        sa.ForeignKeyConstraint(["change_id"], ["medication_change.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("change_id", "carer_id"),
    )
    with op.batch_alter_table("care_change_ack", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_change_ack_carer_id"), ["carer_id"])
        batch_op.create_index(batch_op.f("ix_care_change_ack_change_id"), ["change_id"])
    op.create_table(
        "care_plan_review",
        *_care_changes_base(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("event_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("care_plan_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_plan_review_customer_id"), ["customer_id"])
        batch_op.create_index(batch_op.f("ix_care_plan_review_status"), ["status"])
    op.create_table(
        "capacity_assessment",
        *_care_changes_base(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=300), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by", sa.String(length=120), nullable=False),
        sa.Column("presumption", sa.String(), nullable=False),
        sa.Column("support_given", sa.String(), nullable=False),
        sa.Column("impairment", sa.String(), nullable=False),
        sa.Column("understand", sa.String(length=10), nullable=False),
        sa.Column("understand_note", sa.String(), nullable=False),
        sa.Column("retain", sa.String(length=10), nullable=False),
        sa.Column("retain_note", sa.String(), nullable=False),
        sa.Column("use_weigh", sa.String(length=10), nullable=False),
        sa.Column("use_weigh_note", sa.String(), nullable=False),
        sa.Column("communicate", sa.String(length=10), nullable=False),
        sa.Column("communicate_note", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("consulted", sa.String(), nullable=False),
        sa.Column("wishes", sa.String(), nullable=False),
        sa.Column("least_restrictive", sa.String(), nullable=False),
        sa.Column("attorney", sa.String(length=30), nullable=False),
        sa.Column("attorney_detail", sa.String(length=200), nullable=False),
        sa.Column("best_interests_decision", sa.String(), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("capacity_assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capacity_assessment_customer_id"), ["customer_id"])
    op.create_table(
        "care_consent",
        *_care_changes_base(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("given", sa.String(length=20), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["capacity_assessment.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "kind"),
    )
    with op.batch_alter_table("care_consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_consent_customer_id"), ["customer_id"])
    op.create_table(
        "care_settings",
        *_care_changes_base(),
        sa.Column("review_interval_months", sa.Integer(), nullable=False),
        sa.Column("early_review_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _downgrade_care_changes() -> None:
    """Drop what ``_upgrade_care_changes`` created."""
    op.drop_table("care_settings")
    op.drop_table("care_consent")
    op.drop_table("capacity_assessment")
    op.drop_table("care_plan_review")
    op.drop_table("care_change_ack")
    with op.batch_alter_table("medication_change", schema=None) as batch_op:
        for name in (
            "closed_at",
            "care_plan_updated_by",
            "verification_recorded_by",
            "verification",
            "logged_by",
            "document_ref",
            "from_whom",
            "kind",
        ):
            batch_op.drop_column(name)


# --- end medication, reviews, consent ---
