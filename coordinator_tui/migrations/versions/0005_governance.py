"""Governance (issue 14): incident triage and closure, Duty of Candour, complaints.

New tables: incident_decision (each triage decision, who and when), incident_action (an
incident's actions in the shared action tracker), candour_record (reg 20 elements),
complaint_step (a complaint's timeline), compliment, governance_settings, visit_record (a
missed visit's reason), safeguarding_proposal (decisions on concerns the visits proposed).
New columns on incident and complaint (every one nullable or with a default, so existing
rows stay valid).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _base() -> list[sa.Column]:
    """The columns of every editable table (``models.base.Editable``)."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _text(name: str, length: int | None = None) -> sa.Column:
    """A text column existing rows fill with ''."""
    kind = sa.String(length=length) if length else sa.String()
    return sa.Column(name, kind, nullable=False, server_default="")


def upgrade() -> None:
    # --- governance ---
    op.create_table(
        "governance_settings",
        *_base(),
        sa.Column("agency_name", sa.String(length=120), nullable=False),
        sa.Column("candour_limit_days", sa.Integer(), nullable=False),
        sa.Column("response_months", sa.Integer(), nullable=False),
        sa.Column("late_minutes", sa.Integer(), nullable=False),
        sa.Column("short_percent", sa.Integer(), nullable=False),
        sa.Column("missed_after", sa.Time(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "visit_record",
        *_base(),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("missed_reason", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("visit_id"),
    )
    op.create_table(
        "safeguarding_proposal",
        *_base(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("visit_ids", sa.String(length=400), nullable=False),
        sa.Column("evidence", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=60), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["concern_id"], ["concern.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safeguarding_proposal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safeguarding_proposal_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_safeguarding_proposal_status"), ["status"], unique=False
        )
    op.create_table(
        "compliment",
        *_base(),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("from_whom", sa.String(length=120), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("carer_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("logged_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["carer_id"], ["carer.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("compliment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compliment_received_on"), ["received_on"], unique=False
        )
    op.create_table(
        "candour_record",
        *_base(),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("relevant_person", sa.String(length=120), nullable=False),
        sa.Column("relation", sa.String(length=60), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=True),
        sa.Column("notified_by", sa.String(length=120), nullable=False),
        sa.Column("support_offered", sa.String(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("enquiries", sa.String(), nullable=False),
        sa.Column("apology_on", sa.Date(), nullable=True),
        sa.Column("apology_by", sa.String(length=120), nullable=False),
        sa.Column("record_kept_on", sa.Date(), nullable=True),
        sa.Column("record_location", sa.String(length=200), nullable=False),
        sa.Column("written_sent_on", sa.Date(), nullable=True),
        sa.Column("written_method", sa.String(length=40), nullable=False),
        sa.Column("results_shared_on", sa.Date(), nullable=True),
        sa.Column("results", sa.String(), nullable=False),
        sa.Column("unable", sa.String(length=20), nullable=False),
        sa.Column("contact_attempts", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("completed_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id"),
    )
    with op.batch_alter_table("candour_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candour_record_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_candour_record_status"), ["status"], unique=False)
    op.create_table(
        "complaint_step",
        *_base(),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("step_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=True),
        sa.Column("told_on", sa.Date(), nullable=True),
        sa.Column("by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("complaint_step", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_step_complaint_id"), ["complaint_id"], unique=False
        )
    op.create_table(
        "incident_action",
        *_base(),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("action_id"),
    )
    with op.batch_alter_table("incident_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_action_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "incident_decision",
        *_base(),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=60), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["concern_id"], ["concern.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("incident_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_decision_incident_id"), ["incident_id"], unique=False
        )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(_text("complainant_relation", 60))
        batch_op.add_column(sa.Column("carer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("visit_id", sa.Integer(), nullable=True))
        batch_op.add_column(_text("outcome_wanted"))
        batch_op.add_column(
            sa.Column("nhs_funded", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("response_sent_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.add_column(_text("logged_by", 60))
        batch_op.create_foreign_key("fk_complaint_carer_id_carer", "carer", ["carer_id"], ["id"])
        batch_op.create_foreign_key("fk_complaint_visit_id_visit", "visit", ["visit_id"], ["id"])
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(_text("immediate_action"))
        batch_op.add_column(_text("logged_by", 60))
        batch_op.add_column(sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(_text("triaged_by", 60))
        batch_op.add_column(_text("notifiable_reason", 40))
        batch_op.add_column(_text("cqc_notification", 40))
        batch_op.add_column(
            sa.Column(
                "commissioner_notification",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch_op.add_column(_text("cause"))
        batch_op.add_column(_text("no_action_reason", 300))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(_text("closed_by", 60))
        batch_op.create_index(batch_op.f("ix_incident_triaged_at"), ["triaged_at"], unique=False)


def downgrade() -> None:
    # --- governance ---
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_triaged_at"))
        for name in (
            "closed_by",
            "closed_at",
            "no_action_reason",
            "cause",
            "commissioner_notification",
            "cqc_notification",
            "notifiable_reason",
            "triaged_by",
            "triaged_at",
            "logged_by",
            "immediate_action",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_constraint("fk_complaint_visit_id_visit", type_="foreignkey")
        batch_op.drop_constraint("fk_complaint_carer_id_carer", type_="foreignkey")
        for name in (
            "logged_by",
            "closed_on",
            "response_sent_on",
            "nhs_funded",
            "outcome_wanted",
            "visit_id",
            "carer_id",
            "complainant_relation",
        ):
            batch_op.drop_column(name)
    for table, indexes in (
        (
            "safeguarding_proposal",
            ("ix_safeguarding_proposal_status", "ix_safeguarding_proposal_customer_id"),
        ),
        ("visit_record", ()),
        ("incident_decision", ("ix_incident_decision_incident_id",)),
        ("incident_action", ("ix_incident_action_incident_id",)),
        ("complaint_step", ("ix_complaint_step_complaint_id",)),
        ("candour_record", ("ix_candour_record_status", "ix_candour_record_due_on")),
        ("compliment", ("ix_compliment_received_on",)),
    ):
        if indexes:
            with op.batch_alter_table(table, schema=None) as batch_op:
                for index in indexes:
                    batch_op.drop_index(index)
        op.drop_table(table)
    op.drop_table("governance_settings")
