"""Information sharing: the form that records a disclosure or a request (``s`` and ``r`` on
the person record), and the report for the Caldicott guardian (Reports, 7, then s).

The form asks for to whom, what (categories), why, how, the lawful basis (article 6,
article 9, the DPA 2018 condition) and the consent decision; the service refuses a
record without a lawful basis, or an override without its reason, and the form shows
why and keeps what was typed. The report lists a period's disclosures and requests
(``p`` the period, ``w`` only decisions taken without consent, ``E`` export to CSV with
the confidentiality flags, ``D`` decide a pending request, ``enter`` the person).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.services.dates import PAST
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.reports.sharing import (
    ARTICLE6,
    ARTICLE9,
    CONSENT,
    DECISIONS,
    DPA_CONDITIONS,
    METHODS,
    SharingPrefill,
    SharingRow,
    SharingSummary,
)
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row

YES_NO = (("no", False), ("yes", True))


def _options(table: dict[str, str], label_key: bool = True) -> tuple[tuple[str, str], ...]:
    """(what the Select shows, the code): the words first, so typing "pub" finds public
    task, then the article or paragraph it is."""
    return tuple((f"{label} [{key}]" if label_key else label, key) for key, label in table.items())


def basis_fields(decided_by: str, method: str = "") -> list[Field]:
    """The lawful basis and consent fields (a disclosure, a request answered by sharing)."""
    return [
        Field(
            "method",
            "How it was sent",
            "select",
            value=method or None,
            options=_options(METHODS, False),
        ),
        Field("article6", "UK GDPR article 6 basis", "select", options=_options(ARTICLE6)),
        Field(
            "article9", "Article 9 condition (health data)", "select", options=_options(ARTICLE9)
        ),
        Field(
            "dpa",
            "DPA 2018 condition (9(2)(g) needs one)",
            "select",
            options=_options(DPA_CONDITIONS),
        ),
        Field("consent", "Consent", "select", options=_options(CONSENT, False)),
        Field(
            "consent_reason",
            "Why not sought, or why overridden",
            placeholder="e.g. it would place the child at risk of harm",
        ),
        Field("decided_by", "Who decided", value=decided_by),
    ]


def flag_fields() -> list[Field]:
    return [
        Field(
            "hide",
            "Not for online record access (MARAC, third party)",
            "select",
            value=False,
            options=YES_NO,
        ),
        Field("team_only", "Safeguarding team only", "select", value=False, options=YES_NO),
    ]


class SharingDialog(FormDialog):
    """The sharing form: a FormDialog whose box scrolls (it has many fields); a refusal
    is scrolled into view under the last field."""

    CSS_PATH = "reports.tcss"

    def show_error(self, message: str) -> None:
        super().show_error(message)
        self.query_one("#form-error").scroll_visible(animate=False)


def open_sharing_form(
    app: Any,
    person_id: int,
    name: str,
    direction: str,
    on_saved: Callable[[], None],
    prefill: SharingPrefill | None = None,
) -> None:
    """Record a disclosure (``direction="disclosure"``) or a request to us about the
    person. The save goes through ``services.reports.sharing``; a refusal stays in the
    form with what was typed. ``prefill`` (from a referral or a meeting) starts the form
    with to whom, how and why, and links the record to the referral or meeting."""
    from coordinator_tui.services.reports import sharing as sh

    today = app.settings.current_date()
    user = app.settings.user
    what = "health, safeguarding, contacts, risk, third_party, demographics"
    start = prefill or SharingPrefill(person_id, name)
    if direction == "disclosure":
        title = "Record information shared"
        fields = [
            Field("on", "Shared on", "date", value=today, required=True, expects=PAST),
            Field(
                "organisation",
                "To (organisation)",
                value=start.organisation,
                required=True,
                placeholder="e.g. MASH",
            ),
            Field("role", "Their role", placeholder="e.g. social worker"),
            Field("recipient", "Their name"),
            Field("what", "What was shared (categories)", required=True, placeholder=what),
            Field(
                "why", "Why", value=start.why, required=True, placeholder="e.g. strategy discussion"
            ),
            *basis_fields(user, start.method),
            *flag_fields(),
        ]
    else:
        title = "Record a request for information"
        fields = [
            Field("on", "Received on", "date", value=today, required=True, expects=PAST),
            Field("organisation", "From (organisation)", required=True, placeholder="e.g. police"),
            Field("role", "Their role"),
            Field("recipient", "Who asked"),
            Field("what", "What they asked for (categories)", required=True, placeholder=what),
            Field("why", "What for"),
            Field(
                "decision",
                "Decision",
                "select",
                value="pending",
                options=tuple((label, key) for key, label in DECISIONS.items()),
            ),
            Field("decision_reason", "Reason (required to refuse)"),
            *basis_fields(user),
            *flag_fields(),
        ]

    def write(values: dict[str, Any]) -> None:
        # In the dialog's worker thread; a refusal is shown in the form, text kept.
        basis = sh.Basis(
            values.get("article6") or "",
            values.get("article9") or "",
            values.get("dpa") or "",
            values.get("consent") or "",
            values.get("consent_reason") or "",
            values.get("decided_by") or "",
        )
        common = {
            "today": today,
            "by": user,
            "occurred_on": values["on"],
            "organisation": values["organisation"],
            "role": values["role"],
            "recipient": values["recipient"],
            "what": values["what"],
            "hide_from_online_access": bool(values.get("hide")),
            "safeguarding_team_only": bool(values.get("team_only")),
            "referral_id": start.referral_id,
            "meeting_id": start.meeting_id,
        }
        with app.session() as session:
            if direction == "disclosure":
                sh.record_disclosure(
                    session,
                    person_id,
                    why=values["why"],
                    method=values.get("method") or "",
                    basis=basis,
                    **common,
                )
            else:
                sh.record_request(
                    session,
                    person_id,
                    why=values["why"],
                    decision=values.get("decision") or "pending",
                    decision_reason=values.get("decision_reason") or "",
                    decided_by=values.get("decided_by") or "",
                    method=values.get("method") or "",
                    basis=basis,
                    **common,
                )

    def then(_values: dict[str, Any], _result: Any) -> None:
        app.notify(
            "Sharing recorded: it is in the chronology"
            if direction == "disclosure"
            else "Request recorded: it is in the chronology"
        )
        on_saved()

    save = BackgroundSave(write, then)

    app.push_screen(SharingDialog(title, fields, today, name, save=save))


def share_from(
    app: Any,
    person_id: int,
    *,
    referral_id: int | None = None,
    meeting_id: int | None = None,
    on_saved: Callable[[], None] | None = None,
) -> None:
    """The sharing form for a disclosure about ``person_id`` from a referral or a meeting
    (``I`` on the referral screens and the record entries, ``f6`` while minuting): the
    person, the agency and the link filled in, the lawful basis and consent asked as on
    the person record."""
    from coordinator_tui.services.reports.sharing import sharing_prefill

    try:
        with app.session() as session:
            prefill = sharing_prefill(
                session, person_id, referral_id=referral_id, meeting_id=meeting_id
            )
    except CoordinatorError as exc:
        app.notify(str(exc), severity="error")
        return
    open_sharing_form(
        app, person_id, prefill.person, "disclosure", on_saved or (lambda: None), prefill
    )


# -- the report ---------------------------------------------------------------------------

COLUMNS = [
    Column("Date", 10),
    Column("Person", 22),
    Column("", 3),
    Column("To / from"),
    Column("What", 22, show_from=150),
    Column("Basis", 33, show_from=110),
    Column("Consent", 12),
    Column("Flags", 6),
]


def sharing_row(row: SharingRow) -> Row:
    consent = {"given": "given", "not_sought": "NOT SOUGHT", "overridden": "OVERRIDDEN"}
    if row.direction == "request":
        consent_cell = Text(row.decision.upper() if row.decision != "shared" else "shared")
    else:
        word = consent.get(row.consent, row.consent)
        consent_cell = Text(word, style="bold" if row.without_consent else "")
    flags = ("H" if row.hide_from_online_access else "") + (
        "T" if row.safeguarding_team_only else ""
    )
    return Row(
        row,
        (
            uk_date(row.occurred_on),
            row.person,
            "→" if row.direction == "disclosure" else "←",
            row.to_whom,
            row.what,
            row.basis.replace(", ", " · ").replace(" + DPA 2018 ", " · "),
            consent_cell,
            flags,
        ),
    )


def recipients_table(summary: SharingSummary) -> Table:
    table = Table(expand=False, show_edge=False, pad_edge=False, box=None, padding=(0, 1))
    for label, justify in (
        ("Recipient", "left"),
        ("shared", "right"),
        ("requests", "right"),
        ("refused", "right"),
        ("without consent", "right"),
    ):
        table.add_column(label, justify=justify)  # type: ignore[arg-type]
    for item in summary.recipients[:6]:
        table.add_row(
            item.organisation,
            str(item.disclosures),
            str(item.requests),
            str(item.refused),
            str(item.without_consent),
        )
    return table


class SharingReportScreen(BackgroundWrites, CoordinatorScreen):
    """Sharing per period and recipient, and decisions taken without consent."""

    CSS_PATH = "reports.tcss"
    SAVING_LINE = "#sharing-detail"  # "Saving…" while an export waits on the database
    HELP = __doc__
    BINDINGS = [
        Binding("p", "period", "Period", id="sharing.period"),
        Binding("w", "without", "Without consent", id="sharing.without"),
        Binding("D", "decide", "Decide request", id="sharing.decide"),
        Binding("E", "export", "Export CSV", id="sharing.export"),
        Binding("escape", "back", "Back", id="sharing.back"),
        Binding("f5", "reload", "Reload", show=False, id="sharing.reload"),
    ]

    def __init__(self, date_from: date | None = None, date_to: date | None = None) -> None:
        """The period: the last 12 months to the coordinator's today, unless given (the
        PCN report opens it on its own period)."""
        super().__init__()
        self.period = (date_from, date_to) if date_from and date_to else None
        # Set on mount from the coordinator's pinned today (never the machine's date).
        self.date_to: date
        self.date_from: date
        self.without_consent = False
        self.rows: list[SharingRow] = []
        self.loaded = False
        self.last_export: Path | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="sharing-body"):
            yield Static("Loading…", id="sharing-summary")
            yield Static("", id="sharing-recipients")
            yield LazyTable(COLUMNS, empty_text="Nothing shared in this period.", id="sharing-list")
            yield Static("", id="sharing-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Information sharing"
        self.date_to = self.today
        self.date_from = self.today - timedelta(days=365)
        if self.period is not None:
            self.date_from, self.date_to = self.period
        self.query_one(LazyTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="sharing")
    def load(self) -> None:
        from coordinator_tui.services.reports.sharing import sharing_rows

        with self.coordinator.session() as session:
            rows = sharing_rows(
                session,
                date_from=self.date_from,
                date_to=self.date_to,
                without_consent=self.without_consent,
            )
        call_from_worker(self, self.show, rows)

    def show(self, rows: list[SharingRow]) -> None:
        from coordinator_tui.services.reports.sharing import sharing_summary

        self.rows = rows
        summary = sharing_summary(rows, self.date_from, self.date_to)
        table = self.query_one(LazyTable)
        table.set_source(MappedSource(rows, sharing_row))
        only = " (decisions without consent only)" if self.without_consent else ""
        self.query_one("#sharing-summary", Static).update(
            Text.assemble(
                (f"{uk_date(self.date_from)} to {uk_date(self.date_to)}{only}: ", "bold"),
                f"{summary.disclosures} shared, {summary.requests} requests "
                f"({summary.refused} refused, {summary.pending} pending), ",
                (f"{summary.without_consent} without consent", "bold"),
                (
                    "\n→ shared, ← a request to us · H not for online access, T safeguarding "
                    "team only",
                    "dim",
                ),
            )
        )
        self.query_one("#sharing-recipients", Static).update(
            recipients_table(summary) if summary.recipients else ""
        )
        self.show_detail()
        self.loaded = True

    def highlighted(self) -> SharingRow | None:
        row = self.query_one(LazyTable).current_row
        return row.key if row is not None else None

    @on(LazyTable.RowHighlighted, "#sharing-list")
    def show_detail(self) -> None:
        row = self.highlighted()
        detail = self.query_one("#sharing-detail", Static)
        if row is None:
            detail.update("")
            return
        text = Text.assemble((f"{row.person}: ", "bold"), f"{row.what}.")
        if row.why:
            text.append(f" Why: {row.why}.")
        if row.consent_text:
            text.append(f" {row.consent_text[:1].upper()}{row.consent_text[1:]}.")
        if row.decision_reason:
            text.append(f" Decision: {row.decision} ({row.decision_reason}).")
        if row.flags:
            text.append(f" [{row.flags}]", style="bold")
        detail.update(text)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            row = self.highlighted()
            return row is not None and row.direction == "request" and row.decision == "pending"
        return True

    def action_period(self) -> None:
        def chosen(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            self.date_from, self.date_to = values["from"], values["to"]
            self.load()

        def check(values: dict[str, Any]) -> str | None:
            return "The period ends before it starts" if values["to"] < values["from"] else None

        fields = [
            Field("from", "From", "date", value=self.date_from, required=True),
            Field("to", "To", "date", value=self.date_to, required=True),
        ]
        self.app.push_screen(FormDialog("Period", fields, self.today, save=check), chosen)

    def action_without(self) -> None:
        self.without_consent = not self.without_consent
        self.load()

    def action_decide(self) -> None:
        from coordinator_tui.services.reports import sharing as sh

        row = self.highlighted()
        if row is None or row.direction != "request" or row.decision != "pending":
            return
        user = self.coordinator.settings.user
        fields = [
            Field(
                "decision",
                "Decision",
                "select",
                value="shared",
                required=True,
                options=(("shared", "shared"), ("refused", "refused")),
            ),
            Field("decision_reason", "Reason (required to refuse)"),
            *basis_fields(user),
        ]

        def write(values: dict[str, Any]) -> None:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            basis = sh.Basis(
                values.get("article6") or "",
                values.get("article9") or "",
                values.get("dpa") or "",
                values.get("consent") or "",
                values.get("consent_reason") or "",
                values.get("decided_by") or "",
            )
            with self.coordinator.session() as session:
                sh.decide_request(
                    session,
                    row.id,
                    row.version,
                    decision=values["decision"],
                    decided_by=values.get("decided_by") or "",
                    reason=values.get("decision_reason") or "",
                    method=values.get("method") or "",
                    basis=basis,
                )

        def then(values: dict[str, Any], _result: Any) -> None:
            self.notify(f"Request from {row.organisation}: {values['decision']}")
            self.load()

        save = BackgroundSave(write, then)

        self.app.push_screen(
            SharingDialog("Decide the request", fields, self.today, row.line(), save=save)
        )

    def action_export(self) -> None:
        """``E``: the period's rows as CSV (owner-only, in the exports folder), with the
        confidentiality flags in their own columns; the export is in the audit trail.
        Written in a worker thread (``BackgroundWrites``: the report stays live while the
        database waits). The password is asked again first when not given lately (the
        service refuses before anything is written); a refusal is one line, nothing
        written."""
        from coordinator_tui.services.reports.sharing import export_sharing

        folder, rows = self.coordinator.settings.export_dir, list(self.rows)
        date_from, date_to = self.date_from, self.date_to

        def write() -> Path:
            try:
                with self.coordinator.session() as session:
                    return export_sharing(session, folder, rows, date_from, date_to)
            except OSError as exc:  # nothing recorded: the unit of work was rolled back
                raise CoordinatorError(
                    f"The sharing report could not be written: {exc.strerror or exc}"
                ) from exc

        def then(path: Path) -> None:
            self.last_export = path
            self.notify(f"Sharing report exported to {path}")

        self.write_in_background(write, then)

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    @on(LazyTable.RowSelected, "#sharing-list")
    def open_person(self, event: LazyTable.RowSelected) -> None:
        self.coordinator.open_person(event.row.key.person_id)
