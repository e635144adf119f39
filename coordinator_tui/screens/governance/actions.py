"""The one-key steps on an incident and on a complaint, the same on the list and on the
record's own screen.

Incidents: ``t`` triage, ``c`` its Duty of Candour record, ``i`` investigation (cause,
learning, the reason for no action), ``a`` an action (owner, due date: the meetings'
tracker), ``x`` close (refused, naming what is missing), ``l`` the candour letter.
Complaints: ``a`` acknowledge, ``s`` a step on the timeline, ``e`` extend the response
period, ``r`` response sent, ``o`` resolved orally, ``x`` close, ``l`` the response letter.

The screen says which record (``incident_target``, ``complaint_target``) and what to do
after a save (``governance_saved``). Every save catches ``CoordinatorError``: a refusal,
a colleague's change or a busy database keeps the dialog and what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.services.dates import PAST
from coordinator_tui.services.errors import CoordinatorError

if TYPE_CHECKING:
    from coordinator_tui.app import CoordinatorApp
    from coordinator_tui.services.governance.complaints import ComplaintRow
    from coordinator_tui.services.governance.incidents import IncidentRow

INCIDENT_ACTIONS = ("triage", "candour", "investigate", "add_action", "close", "letter")
COMPLAINT_ACTIONS = ("acknowledge", "step", "extend", "respond", "oral", "close", "letter")

GOVERNANCE_BINDINGS = [
    Binding("t", "triage", "Triage", id="governance.triage"),
    Binding("c", "candour", "Candour", id="governance.candour"),
    Binding("i", "investigate", "Investigate", id="governance.investigate"),
    Binding("a", "add_action", "Action", id="governance.action"),
    Binding("a", "acknowledge", "Acknowledge", id="governance.acknowledge"),
    Binding("s", "step", "Step", id="governance.step"),
    Binding("e", "extend", "Extend", id="governance.extend"),
    Binding("r", "respond", "Response", id="governance.respond"),
    Binding("o", "oral", "Oral", show=False, id="governance.oral"),
    Binding("x", "close", "Close", id="governance.close"),
    Binding("l", "letter", "Letter", id="governance.letter"),
]
"""The keys of ``GovernanceActions`` (shown for incidents or complaints as fits)."""


def incident_context(row: IncidentRow) -> str:
    from coordinator_tui.services.governance.terms import HARM_LEVELS, INCIDENT_KINDS, label

    who = " / ".join(part for part in (row.customer, row.carer) if part)
    return (
        f"INC-{row.id} · {label(INCIDENT_KINDS, row.kind)} · "
        f"{label(HARM_LEVELS, row.severity).lower()} · {uk_date(row.occurred_on)}"
        + (f" · {who}" if who else "")
    )


def complaint_context(row: ComplaintRow) -> str:
    return (
        f"CMP-{row.id} · {row.complainant} · received {uk_date(row.received_on)}"
        + (f" · about {row.customer}" if row.customer else "")
        + f" · {row.stage()}"
    )


def draft_letter(screen: Any, kind: str, row_id: int) -> None:
    """Write the letter ``kind`` (``candour`` for an incident, ``complaint``) of record
    ``row_id``, Word and text, owner-only, in ``screen``'s worker (``BackgroundWrites``);
    the paths are kept in ``screen.last_letters``. The one letter flow of the list, the
    record screens and the candour record. The export is audited in the same unit of
    work; when the password was not given lately the service refuses before anything is
    written and the app asks for it (the step-up), then ``l`` again."""
    from coordinator_tui.screens.meetings.dialogs import output_folder
    from coordinator_tui.services.governance.letters import letters_folder, write_letter_pair

    folder = letters_folder(output_folder(screen.app))
    coordinator, today = screen.coordinator, screen.today

    def write() -> list[Path]:
        with coordinator.session() as session:
            return write_letter_pair(session, kind, row_id, folder, today)

    def then(paths: list[Path]) -> None:
        from coordinator_tui.services.exporting import where_written

        screen.last_letters = paths
        screen.notify(  # the names written: an encrypted database's text letter is a .zip
            f"Letter drafted (Word and text, readable by you only) in {where_written(paths)}",
            timeout=8,
        )

    screen.write_in_background(write, then)


class GovernanceActions(BackgroundWrites):
    """The one-key steps on the highlighted (or shown) incident or complaint. The steps
    with no dialog (close, the letter) write in a worker thread (``BackgroundWrites``)."""

    app: Any
    coordinator: CoordinatorApp
    today: date
    notify: Callable[..., None]

    def incident_target(self) -> IncidentRow | None:
        return None

    def complaint_target(self) -> ComplaintRow | None:
        return None

    def governance_saved(self, select_id: int | None = None) -> None:
        """Reload what is shown after a save (``select_id``: a record just logged)."""

    # -- helpers ------------------------------------------------------------------------

    def _form(
        self,
        title: str,
        fields: list[Field],
        apply: Callable[[Any, dict[str, Any]], Any],
        context: str,
        *,
        said: Callable[[Any], str] | None = None,
    ) -> None:
        def write(values: dict[str, Any]) -> str:
            # In the dialog's worker thread (the screen live while the database waits);
            # a refusal (CoordinatorError) is shown in the form, text kept.
            with self.coordinator.session() as session:
                result = apply(session, values)
                return said(result) if said else f"Saved: {title.lower()}"

        def then(_values: dict[str, Any], message: str) -> None:
            self.notify(message, timeout=4)
            self.governance_saved()

        save = BackgroundSave(write, then)
        self.app.push_screen(FormDialog(title, fields, self.today, context, save=save))

    def _read(self, read: Callable[[Any], Any]) -> Any:
        try:
            with self.coordinator.session() as session:
                return read(session)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error")
            return None

    def _incident(self) -> IncidentRow | None:
        row = self.incident_target()
        if row is None:
            self.notify("No incident highlighted", severity="warning")
        return row

    def _complaint(self) -> ComplaintRow | None:
        row = self.complaint_target()
        if row is None:
            self.notify("No complaint highlighted", severity="warning")
        return row

    # -- incidents ------------------------------------------------------------------------

    def action_triage(self) -> None:
        from coordinator_tui.services.concerns import category_labels
        from coordinator_tui.services.governance.incidents import latest_decisions, triage_incident
        from coordinator_tui.services.governance.terms import (
            CQC_NOTIFICATIONS,
            NOTIFIABLE_THRESHOLDS,
        )

        row = self._incident()
        if row is None:
            return
        if row.status == "closed":
            self.notify("This incident is closed", severity="warning")
            return
        previous = self._read(
            lambda s: {q: (d.answer, d.detail) for q, d in latest_decisions(s, row.id).items()}
        )
        if previous is None:
            return

        def before(question: str, default: str | None) -> str | None:
            answer, detail = previous.get(question, (None, ""))
            if answer is None:
                return default
            return detail if answer == "yes" and detail else answer

        user, today = self.coordinator.settings.user, self.today
        fields = [
            Field(
                "notifiable",
                "Notifiable safety incident? (reg 20: the harm, or no)",
                "select",
                value=before("notifiable", None),
                required=True,
                options=(("No", "no"), *((v, k) for k, v in NOTIFIABLE_THRESHOLDS.items())),
            ),
            Field(
                "cqc",
                "CQC notification? (2009 Regs reg 16, 18)",
                "select",
                value=before("cqc", None),
                required=True,
                options=(("No", "no"), *((v, k) for k, v in CQC_NOTIFICATIONS.items())),
            ),
            Field(
                "safeguarding",
                "Safeguarding concern? (raised for the customer's person record)",
                "select",
                value=previous.get("safeguarding", (None, ""))[0] or "no",
                required=True,
                options=(("No", "no"), ("Yes: raise a concern", "yes")),
            ),
            Field(
                "category",
                "Concern category",
                "select",
                value=previous.get("safeguarding", ("", ""))[1] or "neglect",
                options=tuple((v, k) for k, v in category_labels().items()),
            ),
            Field(
                "commissioner",
                "Local authority or commissioner told? (no, or to whom)",
                value=before("commissioner", "no"),
            ),
        ]

        def apply(session: Any, v: dict[str, Any]) -> Any:
            return triage_incident(
                session,
                row.id,
                row.version,
                notifiable=v["notifiable"],
                cqc=v["cqc"],
                safeguarding=v["safeguarding"],
                safeguarding_category=v["category"] or "neglect",
                commissioner=v["commissioner"],
                by=user,
                today=today,
            )

        def said(result: Any) -> str:
            parts = ["Triage recorded"]
            if result.candour_opened is not None and result.incident.notifiable:
                parts.append(
                    "Duty of Candour record open: notify in person by "
                    f"{uk_date(result.candour_opened.due_on)} (c)"
                )
            if result.concern_id is not None:
                parts.append("safeguarding concern raised on the person's record")
            return "; ".join(parts)

        self._form("Triage", fields, apply, incident_context(row), said=said)

    def action_investigate(self) -> None:
        from coordinator_tui.services.governance.incidents import (
            incident_detail,
            record_investigation,
        )

        row = self._incident()
        if row is None:
            return
        detail = self._read(lambda s: incident_detail(s, row.id))
        if detail is None:
            return
        incident = detail.incident
        fields = [
            Field("cause", "Cause (what the investigation found)", "lines", value=incident.cause),
            Field("learning", "Learning note", "lines", value=incident.learning),
            Field(
                "no_action",
                "Reason no action is needed (only if none)",
                value=incident.no_action_reason,
            ),
        ]
        self._form(
            "Investigation",
            fields,
            lambda s, v: record_investigation(
                s,
                row.id,
                incident.version,
                cause=v["cause"],
                learning=v["learning"],
                no_action_reason=v["no_action"],
                outcome=incident.outcome,
            ),
            incident_context(row),
        )

    def action_add_action(self) -> None:
        from coordinator_tui.services.governance.incidents import (
            add_incident_action,
            default_action_due,
        )

        row = self._incident()
        if row is None:
            return
        today = self.today
        self._form(
            "Action for the incident",
            [
                Field("what", "What is to be done", required=True),
                Field(
                    "owner",
                    "Owner",
                    required=True,
                    placeholder="name, initials, a role (PM...) or a carer's full name",
                ),
                Field("due", "Due", "date", value=default_action_due(today), required=True),
            ],
            lambda s, v: add_incident_action(
                s,
                row.id,
                row.version,
                description=v["what"],
                owner=v["owner"],
                due=v["due"],
                today=today,
            ),
            incident_context(row) + "\nChased in the action tracker (Meetings, A) with the rest",
            said=lambda action: (
                f"Action added for {action.owner_label}, due {uk_date(action.due_date)}"
            ),
        )

    def action_candour(self) -> None:
        from coordinator_tui.screens.governance.candour import CandourScreen

        row = self._incident()
        if row is None:
            return
        if not row.notifiable:
            self.notify(
                "No Duty of Candour record: triage the incident as notifiable (t)",
                severity="warning",
            )
            return
        if not row.candour_status:  # found notifiable before records were kept
            # Its record is opened now (a write): in a worker, as the other one-key writes.
            from coordinator_tui.services.governance.candour import candour_for_notifiable

            coordinator, today = self.coordinator, self.today

            def write() -> None:
                with coordinator.session() as session:
                    candour_for_notifiable(session, row.id, today)

            self.write_in_background(write, lambda _r: self.app.push_screen(CandourScreen(row.id)))
            return
        self.app.push_screen(CandourScreen(row.id))

    # -- both ---------------------------------------------------------------------------

    def action_close(self) -> None:
        if self.complaint_target() is not None:
            self._close_complaint()
        else:
            self._close_incident()

    def _close_incident(self) -> None:
        """``x``: close the incident, in a worker thread (``BackgroundWrites``: the
        screen stays live while the database waits, keys typed meanwhile are held). A
        refusal (what closing still needs, a colleague's change, a busy database) is one
        notification and nothing changes."""
        from coordinator_tui.services.governance.incidents import close_incident

        row = self._incident()
        if row is None:
            return
        user, coordinator = self.coordinator.settings.user, self.coordinator

        def write() -> None:
            with coordinator.session() as session:
                close_incident(session, row.id, row.version, by=user)

        def then(_result: None) -> None:
            self.notify(f"INC-{row.id} closed")
            self.governance_saved()

        self.write_in_background(write, then, refused=self._refused_long)

    def _refused_long(self, error: CoordinatorError) -> None:
        """A refusal that names what is missing: left up long enough to read."""
        self.notify(str(error), severity="error", timeout=10)

    def action_letter(self) -> None:
        """``l``: the candour letter (an incident) or the response letter (a complaint),
        Word and text, owner-only, in a worker thread (``draft_letter``)."""
        complaint = self.complaint_target()
        if complaint is not None:
            draft_letter(self, "complaint", complaint.id)
            return
        row = self._incident()
        if row is not None:
            draft_letter(self, "candour", row.id)

    # -- complaints -----------------------------------------------------------------------

    def action_acknowledge(self) -> None:
        from coordinator_tui.services.governance.complaints import acknowledge

        row = self._complaint()
        if row is None:
            return
        user, today = self.coordinator.settings.user, self.today
        self._form(
            "Acknowledge the complaint",
            [
                Field("on", "Acknowledged on", "date", value=today, required=True, expects=PAST),
                Field(
                    "offered",
                    "Offered to discuss how it will be handled and the response period?",
                    "select",
                    value="yes",
                    required=True,
                    options=(("Yes", "yes"), ("No", "no")),
                ),
                Field("note", "Note"),
            ],
            lambda s, v: acknowledge(
                s,
                row.id,
                row.version,
                on=v["on"],
                discussion_offered=v["offered"] == "yes",
                note=v["note"],
                by=user,
                today=today,
            ),
            complaint_context(row)
            + (
                f"\nDue by {uk_date(row.acknowledge_due)} (3 working days)"
                if row.acknowledge_due
                else ""
            ),
        )

    def action_step(self) -> None:
        from coordinator_tui.services.governance.complaints import add_step

        row = self._complaint()
        if row is None:
            return
        user, today = self.coordinator.settings.user, self.today
        self._form(
            "A step on the timeline",
            [
                Field("note", "What happened", "lines", required=True),
                Field(
                    "kind",
                    "Kind",
                    "select",
                    value="investigation",
                    required=True,
                    options=(
                        ("Discussion with the complainant", "discussion"),
                        ("Investigation", "investigation"),
                        ("Note", "note"),
                    ),
                ),
                Field("on", "On", "date", value=today, required=True, expects=PAST),
            ],
            lambda s, v: add_step(
                s,
                row.id,
                row.version,
                kind=v["kind"],
                on=v["on"],
                note=v["note"],
                by=user,
                today=today,
            ),
            complaint_context(row),
        )

    def action_extend(self) -> None:
        from coordinator_tui.services.governance.complaints import extend

        row = self._complaint()
        if row is None:
            return
        user, today = self.coordinator.settings.user, self.today
        due = uk_date(row.response_due) if row.response_due else "not set"
        self._form(
            "Extend the response period",
            [
                Field("new_due", "New response date", "date", required=True),
                Field("reason", "Why it needs longer", required=True),
                Field(
                    "told_on",
                    "Complainant told on",
                    "date",
                    value=today,
                    required=True,
                    expects=PAST,
                ),
            ],
            lambda s, v: extend(
                s,
                row.id,
                row.version,
                new_due=v["new_due"],
                reason=v["reason"],
                told_on=v["told_on"],
                by=user,
                today=today,
            ),
            complaint_context(row) + f"\nResponse due now: {due}",
        )

    def action_respond(self) -> None:
        from coordinator_tui.services.governance.complaints import send_response
        from coordinator_tui.services.governance.terms import COMPLAINT_OUTCOMES

        row = self._complaint()
        if row is None:
            return
        user, today = self.coordinator.settings.user, self.today
        ombudsman = "the PHSO (NHS-funded)" if row.nhs_funded else "the LGSCO"
        self._form(
            "Response sent",
            [
                Field(
                    "outcome",
                    "Conclusion",
                    "select",
                    required=True,
                    options=tuple((v, k) for k, v in COMPLAINT_OUTCOMES.items()),
                ),
                Field("on", "Sent on", "date", value=today, required=True, expects=PAST),
                Field("note", "Note"),
            ],
            lambda s, v: send_response(
                s,
                row.id,
                row.version,
                on=v["on"],
                outcome=v["outcome"],
                note=v["note"],
                by=user,
                today=today,
            ),
            complaint_context(row) + f"\nThe letter (l) names {ombudsman}",
        )

    def action_oral(self) -> None:
        from coordinator_tui.services.governance.complaints import resolve_orally

        row = self._complaint()
        if row is None:
            return
        user, today = self.coordinator.settings.user, self.today
        self._form(
            "Resolved orally by the next working day",
            [
                Field("how", "How it was resolved", required=True),
                Field("on", "Resolved on", "date", value=today, required=True, expects=PAST),
            ],
            lambda s, v: resolve_orally(
                s, row.id, row.version, on=v["on"], note=v["how"], by=user, today=today
            ),
            complaint_context(row) + "\nOutside the formal process (SI 2009/309 reg 8(1)(b))",
        )

    def _close_complaint(self) -> None:
        from coordinator_tui.services.governance.complaints import close_complaint

        row = self._complaint()
        if row is None:
            return
        user, today = self.coordinator.settings.user, self.today
        self._form(
            "Close the complaint",
            [
                Field("learning", "Learning", "lines", required=True),
                Field("on", "Closed on", "date", value=today, required=True, expects=PAST),
            ],
            lambda s, v: close_complaint(
                s, row.id, row.version, on=v["on"], learning=v["learning"], by=user, today=today
            ),
            complaint_context(row),
        )
