"""Coding audit and information sharing (issue 15).

New tables: coding_audit_run (one import of the clinical system's coded events: counts,
never the events), coding_finding (each mismatch with the one-key action taken on it),
sharing_record (each disclosure or request: recipient, categories shared, lawful basis,
consent decision, confidentiality flags), process_update and process_update_recipient
(a process change sent to the safeguarding administrators, each acknowledgement an
action in the tracker). No existing table changes.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
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


def upgrade() -> None:
    # --- coding audit and sharing (issue 15) ---
    op.create_table(
        "coding_audit_run",
        *_base(),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=60), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("code_lists_version", sa.String(length=120), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("coded_rows", sa.Integer(), nullable=False),
        sa.Column("people_coded", sa.Integer(), nullable=False),
        sa.Column("unknown_people", sa.Integer(), nullable=False),
        sa.Column("practice_ids", sa.String(length=200), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("not_audited", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_coding_audit_run_imported_at", "coding_audit_run", ["imported_at"], unique=False
    )
    op.create_table(
        "coding_finding",
        *_base(),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("list_id", sa.String(length=30), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("entry_version", sa.Integer(), nullable=True),
        sa.Column("our_start", sa.Date(), nullable=True),
        sa.Column("coded_since", sa.Date(), nullable=True),
        sa.Column("coded_off_on", sa.Date(), nullable=True),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["register_entry.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["practice_id"], ["practice.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["coding_audit_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_coding_finding_run_order",
        "coding_finding",
        ["run_id", "practice_id", "kind"],
        unique=False,
    )
    op.create_index("ix_coding_finding_person_id", "coding_finding", ["person_id"], unique=False)
    op.create_index("ix_coding_finding_status", "coding_finding", ["status"], unique=False)
    op.create_table(
        "sharing_record",
        *_base(),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=12), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("context", sa.String(length=12), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("organisation", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("what", sa.String(length=300), nullable=False),
        sa.Column("why", sa.String(), nullable=False),
        sa.Column("article6", sa.String(length=12), nullable=False),
        sa.Column("article9", sa.String(length=12), nullable=False),
        sa.Column("dpa_condition", sa.String(length=30), nullable=False),
        sa.Column("consent", sa.String(length=12), nullable=False),
        sa.Column("consent_reason", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("decision_reason", sa.String(), nullable=False),
        sa.Column("hide_from_online_access", sa.Boolean(), nullable=False),
        sa.Column("safeguarding_team_only", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sharing_record_on", "sharing_record", ["occurred_on", "person_id"])
    op.create_index("ix_sharing_record_person_id", "sharing_record", ["person_id"])
    op.create_index("ix_sharing_record_organisation", "sharing_record", ["organisation"])
    op.create_index("ix_sharing_record_consent", "sharing_record", ["consent"])
    op.create_table(
        "process_update",
        *_base(),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("what_changed", sa.String(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("guidance", sa.String(length=300), nullable=False),
        sa.Column("practice_ids", sa.String(length=200), nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=False),
        sa.Column("briefing_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_process_update_effective_from", "process_update", ["effective_from"], unique=False
    )
    op.create_table(
        "process_update_recipient",
        *_base(),
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_on", sa.Date(), nullable=True),
        sa.Column("attended_briefing", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["update_id"], ["process_update.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("update_id", "staff_id"),
    )
    op.create_index(
        "ix_process_update_recipient_update_id", "process_update_recipient", ["update_id"]
    )
    op.create_index(
        "ix_process_update_recipient_staff_id", "process_update_recipient", ["staff_id"]
    )


def downgrade() -> None:
    # --- coding audit and sharing (issue 15) ---
    for name in ("ix_process_update_recipient_staff_id", "ix_process_update_recipient_update_id"):
        op.drop_index(name, table_name="process_update_recipient")
    op.drop_table("process_update_recipient")
    op.drop_index("ix_process_update_effective_from", table_name="process_update")
    op.drop_table("process_update")
    for name in (
        "ix_sharing_record_consent",
        "ix_sharing_record_organisation",
        "ix_sharing_record_person_id",
        "ix_sharing_record_on",
    ):
        op.drop_index(name, table_name="sharing_record")
    op.drop_table("sharing_record")
    for name in (
        "ix_coding_finding_status",
        "ix_coding_finding_person_id",
        "ix_coding_finding_run_order",
    ):
        op.drop_index(name, table_name="coding_finding")
    op.drop_table("coding_finding")
    op.drop_index("ix_coding_audit_run_imported_at", table_name="coding_audit_run")
    op.drop_table("coding_audit_run")
