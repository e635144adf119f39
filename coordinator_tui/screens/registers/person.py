"""The person record: demographics, case summary, family and household, registrations,
and the chronology merged from every source (concerns, referrals, meetings, actions,
manual entries).

Opened with ``enter`` from lists or from the command palette. ``n`` adds a manual
chronology entry, ``m`` edits the case summary, ``E`` exports the chronology to Markdown
and CSV.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.services.people import PersonSummary
from coordinator_tui.services.registers import review_overdue
from coordinator_tui.widgets.footer import Footer
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.render_once import RenderOnce

FIRST_FRAME_WAIT_S = 0.05
"""How long the record's first frame waits for the person's data.

The data is a handful of indexed queries (about 5 ms on the large demo). Laying the
screen out and drawing it first with "Loading…", then again with the data, costs more
than that, and the second frame also waits for the screen's first update tick (1/60 s).
Data that takes longer (a slow shared database) gets the loading frame, then the data."""


TABLE_BOXES = (
    "#person-demographics",
    "#person-registrations",
    "#person-relatives",
    "#person-chronology",
)
"""The Statics that hold the record's tables (``PersonScreen._tables``), in order."""


def demographics(summary: PersonSummary, today) -> Table:
    from coordinator_tui.services.dates import format_date
    from coordinator_tui.services.people import age_on, format_nhs_number

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row("NHS number", format_nhs_number(summary.nhs_number))
    table.add_row(
        "Born",
        f"{format_date(summary.date_of_birth)} (age {age_on(summary.date_of_birth, today)})",
    )
    table.add_row("Sex / gender", " / ".join(x for x in (summary.sex, summary.gender) if x) or "—")
    table.add_row("Address", f"{summary.address}  {summary.postcode}".strip() or "—")
    table.add_row("Practice", summary.practice or "—")
    updated = (
        f" (updated {uk_date(summary.case_summary_updated_at)})"
        if summary.case_summary_updated_at
        else ""
    )
    table.add_row("Case summary", (summary.case_summary or "— (m to write one)") + updated)
    return table


def registrations_table(summary: PersonSummary, today: date) -> Table | Text:
    """Every registration; an active one whose review date has passed says OVERDUE in
    words (not by colour alone), as the review queue does."""
    from coordinator_tui.services.dates import format_date_short

    if not summary.registrations:
        return Text("Not on any safeguarding register.", style="dim")
    table = Table(expand=True, show_edge=False, pad_edge=False)
    # At 80 columns a long "next review" line (a health assessment due as well) took the
    # whole width and cut the register, status and risk to "AC…": the short columns keep
    # their words whole, the register and the dates wrap within their share instead.
    table.add_column("Register", ratio=2, min_width=12)
    table.add_column("Status", no_wrap=True, min_width=6)
    table.add_column("Risk", no_wrap=True, min_width=6)
    table.add_column("From", no_wrap=True, min_width=8)
    table.add_column("To / next review", ratio=3, min_width=17)
    for reg in summary.registrations:
        ended = reg.status == "ended"
        until = (
            f"ended {format_date_short(reg.end_date)} ({reg.end_reason})"
            if ended and reg.end_date
            else f"review {format_date_short(reg.next_review_due)}"
            + (" OVERDUE" if review_overdue(reg.next_review_due, today) else "")
            if reg.next_review_due
            else ""
        )
        if reg.due_text and not ended:  # a health assessment or conference (services.rules)
            until = f"{until}\n{reg.due_text}" if until else reg.due_text
        table.add_row(
            reg.category,
            "ENDED" if ended else "ACTIVE",
            reg.risk_level.upper(),
            format_date_short(reg.start_date),
            until,
            style="dim" if ended else ("bold red" if "OVERDUE" in until else ""),
        )
    return table


def relatives_table(summary: PersonSummary) -> Table | Text:
    from coordinator_tui.services.dates import format_date_short

    if not summary.relatives:
        return Text("No household members or family links recorded.", style="dim")
    table = Table(expand=True, show_edge=False, pad_edge=False)
    for column in ("Name", "Relationship", "Born", "Registers now"):
        table.add_column(column)
    for rel in summary.relatives:
        table.add_row(
            rel.name,
            rel.relationship,
            format_date_short(rel.date_of_birth),
            ", ".join(rel.registers) or "—",
        )
    return table


def chronology_table(items: list) -> Table | Text:
    if not items:
        return Text("Nothing recorded yet. Press n to add an entry.", style="dim")
    table = Table(expand=True, show_edge=False, pad_edge=False)
    table.add_column("Date", no_wrap=True)
    table.add_column("Source", no_wrap=True)
    table.add_column("What happened", ratio=1)
    for item in items:
        table.add_row(uk_date(item.on), item.source, item.text)
    return table


class PersonScreen(BackgroundWrites, CoordinatorScreen):
    """One person's record. ``esc`` goes back to where it was opened from."""

    CSS_PATH = "person.tcss"
    HELP = (
        "The person record: demographics (NHS number shown 3 3 4), household and family "
        "with their own register status, and every registration past and present."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="person.back"),
        Binding("n", "new_entry", "Chronology entry", id="person.new_entry"),
        Binding("m", "summary", "Case summary", id="person.summary"),
        Binding("E", "export", "Export chronology", id="person.export"),
        Binding("i", "log_concern", "Log a concern", id="person.concern"),
        Binding("a", "add_registration", "Add registration", id="person.register"),
        Binding("s", "share", "Shared", id="person.share"),
        Binding("r", "request", "Request", id="person.request"),
    ]

    def __init__(self, person_id: int) -> None:
        super().__init__()
        self.person_id = person_id
        self.summary: PersonSummary | None = None
        self.items: list = []
        self.loaded = False
        self.break_glass: str | None = None
        """The reason typed to open this record by break-glass (kept for its reloads)."""
        self._shown = asyncio.Event()
        self._mounted = threading.Event()
        """Set once the record's widgets are there to show what is read (``on_mount``)."""
        self._prepared: tuple | None = None
        """What ``prepare`` laid out for ``show``: (summary, items, day, tables)."""
        self._ui_loop: asyncio.AbstractEventLoop | None = None
        """The app's event loop, where the worker has ``prepare`` run (not through a
        message: the app's queue waits while this screen's mount waits for the data)."""

    def compose(self) -> ComposeResult:
        # The read starts now, while the screen is built and mounted: on a shared
        # PostgreSQL most of it is waiting on the network (issue 23 §5). What it read is
        # shown once the widgets are mounted (``load`` waits for ``_mounted``).
        self._ui_loop = asyncio.get_running_loop()
        self.load()
        yield Header()
        with VerticalScroll(id="person-body"):
            yield Static("Loading…", id="person-title")
            yield Static("", id="person-demographics")
            yield Static(Text("Registers", style="bold underline"), classes="person-heading")
            yield Static("", id="person-registrations")
            yield Static(
                Text("Household and family", style="bold underline"), classes="person-heading"
            )
            yield Static("", id="person-relatives")
            yield Static(Text("Chronology", style="bold underline"), classes="person-heading")
            yield Static("", id="person-chronology")
        yield Footer()

    async def on_mount(self) -> None:
        self._mounted.set()
        # The screen is laid out (its first frame) once this returns: hold it a moment for
        # the data, so that the first frame is the record rather than "Loading…".
        with suppress(TimeoutError):
            await asyncio.wait_for(self._shown.wait(), FIRST_FRAME_WAIT_S)

    def _wait_for_mount(self) -> None:
        """In the worker: until the record's widgets are there to show what it read
        (moments after the read started), or the worker is cancelled (the screen is
        going) or the app has stopped; what it read is then shown, or dropped if the
        screen went (``call_from_worker``)."""
        worker = get_current_worker()
        while not self._mounted.wait(0.02):
            if worker.is_cancelled or not self.app.is_running:
                return

    @work(thread=True, exclusive=True, group="person")
    def load(self) -> None:
        from coordinator_tui.services.access import BreakGlassRequired
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.people import person_record

        try:
            with self.coordinator.session() as session:
                summary, items = person_record(
                    session, self.person_id, self.today, reason=self.break_glass
                )
                loop = self._ui_loop
                if summary is not None and loop is not None:  # laid out while it commits
                    with suppress(RuntimeError):  # the app's loop closed meanwhile
                        loop.call_soon_threadsafe(self.prepare, summary, items)
        except BreakGlassRequired as exc:
            self._wait_for_mount()
            call_from_worker(self, self.ask_reason, exc)
            return
        except CoordinatorError as exc:  # refused (role, scope) or the database said no
            self._wait_for_mount()
            call_from_worker(self, self.refused, str(exc))
            return
        self._wait_for_mount()
        call_from_worker(self, self.show, summary, items)

    def refused(self, message: str) -> None:
        """Nothing of the person is shown: the refusal, on the screen (issue 17 §2)."""
        self._shown.set()
        self.query_one("#person-title", Static).update(Text(message, style="bold red"))

    def ask_reason(self, exc) -> None:
        """Break-glass: a typed reason, or nothing of the record is shown (issue 17 §2)."""
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.access import BREAK_GLASS_MIN_REASON

        self.refused(str(exc) + " Press esc to go back.")

        def check(values: dict[str, Any]) -> str | None:
            text = " ".join(str(values.get("reason") or "").split())
            if len(text) < BREAK_GLASS_MIN_REASON:
                return f"Give a reason of at least {BREAK_GLASS_MIN_REASON} characters."
            return None

        def given(values: dict[str, Any] | None) -> None:
            if values is None:
                return  # nothing shown: the refusal stays
            self.break_glass = " ".join(str(values["reason"]).split())
            self.query_one("#person-title", Static).update("Loading…")
            self.load()

        dialog = FormDialog(
            "Break-glass: why open this record?",
            [Field("reason", "Reason", required=True, placeholder="e.g. urgent MASH enquiry")],
            self.today,
            context=str(exc),
            save=check,
        )
        self.app.push_screen(dialog, given)

    def show(self, summary: PersonSummary | None, items: list) -> None:
        self.summary = summary
        self.items = items
        today = self.today
        self._shown.set()
        if summary is None:
            self.query_one("#person-title", Static).update("This person no longer exists.")
            return
        self.sub_title = summary.display_name
        self.query_one("#person-title", Static).update(Text(summary.display_name, style="bold"))
        prepared = self._prepared
        self._prepared = None
        if (
            prepared is not None
            and prepared[0] is summary
            and prepared[1] is items
            and prepared[2] == today
        ):
            tables = prepared[3]
        else:
            tables = self._tables(summary, items, today)
        for box, table in zip(TABLE_BOXES, tables, strict=True):
            self.query_one(box, Static).update(table)
        self.loaded = True

    @staticmethod
    def _tables(summary: PersonSummary, items: list, today: date) -> tuple[RenderOnce, ...]:
        """The record's tables (``TABLE_BOXES``' content). Rich tables in Statics are
        rendered once per width (measured and drawn from the same lines), not once to
        measure and again to draw."""
        return (
            RenderOnce(demographics(summary, today)),
            RenderOnce(registrations_table(summary, today)),
            RenderOnce(relatives_table(summary)),
            RenderOnce(chronology_table(items)),
        )

    def prepare(self, summary: PersonSummary, items: list) -> None:
        """On the app's thread while the worker commits the unit of work that read the
        record (its audit row: on a shared PostgreSQL four round trips of waiting), the
        record's tables built and rendered at the width they will be drawn at: laying
        them out was a third of the work between the data and the frame. Nothing is shown
        before ``show`` (the read is in the audit trail first); a width guessed wrong
        only renders them again."""
        if self.summary is summary:  # shown already (a quick commit): nothing to gain
            return
        today = self.today
        tables = self._tables(summary, items, today)
        try:
            width = self.app.size.width - self.query_one("#person-body").styles.gutter.width
        except NoMatches:  # not mounted yet, or already gone
            return
        for table in tables:
            table.prerender(self.app, width)
        self._prepared = (summary, items, today, tables)

    # -- actions ----------------------------------------------------------------------

    def action_new_entry(self) -> None:
        from coordinator_tui.screens.dialog_base import BackgroundSave
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.services.chronology import add_manual_entry
        from coordinator_tui.services.dates import PAST

        def write(values: dict[str, Any]) -> None:
            # In the dialog's worker thread: a refusal (a bad entry, a busy database)
            # stays in the form with what was typed.
            with self.coordinator.session() as session:
                add_manual_entry(
                    session,
                    self.person_id,
                    on=values["on"],
                    source=values["source"],
                    text=values["text"],
                    by=self.coordinator.settings.user,
                    today=self.today,
                )

        def then(_values: dict[str, Any], _result: Any) -> None:
            self.notify("Chronology entry saved")
            self.load()

        fields = [
            Field("on", "Date", "date", value=self.today, required=True, expects=PAST),
            Field("source", "Source", required=True, placeholder="e.g. school nurse"),
            Field("text", "What happened", required=True),
        ]
        save = BackgroundSave(write, then)
        self.app.push_screen(FormDialog("New chronology entry", fields, self.today, save=save))

    def action_summary(self) -> None:
        """``m``: edit the case summary. The save carries the summary the editor started
        from: what someone else added meanwhile is merged, and any other change of theirs
        shows both versions side by side to choose from. A refused or failed save keeps
        the form open with what was typed."""
        from textual.widgets import Input

        from coordinator_tui.screens.dialog_base import BackgroundSave
        from coordinator_tui.screens.form_dialog import Field, FormDialog
        from coordinator_tui.screens.text_conflict import TextChoice, TextConflictScreen
        from coordinator_tui.services.chronology import update_case_summary
        from coordinator_tui.services.text_merge import TextConflict, TextConflictError

        def write(values: dict[str, Any]) -> bool:
            """In the dialog's worker thread: save the text over what the editor started
            from; True if someone else's addition was merged in. A clash opens the two
            versions over the form (on the UI thread) and is refused: the form keeps
            what was typed and says why."""
            text = values["summary"]
            try:
                with self.coordinator.session() as session:
                    kept = update_case_summary(session, self.person_id, text, base=started_from[0])
                    return kept.case_summary != text.strip()
            except TextConflictError as exc:
                conflict = exc.conflict
                self.app.call_from_thread(
                    self.app.push_screen,
                    TextConflictScreen(conflict),
                    lambda choice: chosen(conflict, choice),
                )
                raise

        def then(_values: dict[str, Any], merged: bool) -> None:
            self.notify(
                "Case summary saved, with what someone else added meanwhile"
                if merged
                else "Case summary saved"
            )
            self.load()

        save = BackgroundSave(write, then)

        def chosen(conflict: TextConflict, choice: TextChoice | None) -> None:
            if choice is None:
                return
            text = choice.text + choice.typed
            started_from[0] = conflict.theirs  # what the form now stands on
            form.query_one("#f-summary", Input).value = text  # kept if this save fails too
            form.save_in_background(save, {"summary": text})

        current = self.summary.case_summary if self.summary else ""
        started_from = [current]
        form = FormDialog(
            "Case summary",
            [Field("summary", "Case summary", value=current)],
            self.today,
            save=save,
        )
        self.app.push_screen(form)

    def _picked(self):
        """This person, as a form's person picker holds them (already picked)."""
        from coordinator_tui.services.person_hit import PersonHit

        s = self.summary
        if s is None:
            return None
        return PersonHit(
            s.id, s.nhs_number, s.given_name, s.family_name, s.date_of_birth, s.postcode
        )

    def incident_prefill(self) -> dict[str, int | None]:
        """What ``f4`` fills in on a customer's person record (issue 14 §1): the customer."""
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.governance.visit_calls import customer_of_person

        try:
            with self.coordinator.session() as session:
                customer_id = customer_of_person(session, self.person_id)
        except CoordinatorError:
            return {}
        return {"customer_id": customer_id} if customer_id else {}

    def action_log_concern(self) -> None:
        """``i``: the concern intake with this person picked (focus on the category)."""
        from coordinator_tui.screens.registers.concern_intake import open_concern_intake

        if self.summary is not None:
            open_concern_intake(self.app, person=self._picked(), on_saved=self.load)

    def action_add_registration(self) -> None:
        """``a``: add a registration for this person (focus on the register)."""
        from coordinator_tui.screens.registers.add_registration import open_add_registration

        if self.summary is None:
            return

        def saved(_token, message: str) -> None:
            self.notify(message, timeout=4)
            self.load()

        open_add_registration(self.app, person=self._picked(), on_saved=saved)

    def action_export(self) -> None:
        """``E``: the chronology as Markdown and CSV in the exports folder, audited in the
        same unit of work (who exported whose chronology, when), written in a worker
        thread (``BackgroundWrites``: the record stays live while the database waits; a
        "Saving…" notification says so). The password is asked again first when it was
        not given lately (the service refuses before anything is written, and the app
        brings up the prompt); any refusal is one line and nothing is written."""
        from coordinator_tui.services.chronology import export_chronology
        from coordinator_tui.services.errors import CoordinatorError

        if not self.summary:
            return
        folder = self.coordinator.settings.export_dir
        title, person_id, items = self.summary.display_name, self.person_id, list(self.items)

        def write() -> list[Path]:
            try:
                with self.coordinator.session() as session:
                    return export_chronology(folder, title, person_id, items, session=session)
            except OSError as exc:  # nothing recorded: the unit of work was rolled back
                raise CoordinatorError(
                    f"The chronology could not be written: {exc.strerror or exc}"
                ) from exc

        def then(paths: list[Path]) -> None:
            self.notify(
                f"Chronology exported to {paths[0].parent}: " + ", ".join(p.name for p in paths)
            )

        self.write_in_background(write, then)

    def action_share(self) -> None:
        """``s``: record information shared about this person (to whom, what, why, how,
        the lawful basis and consent); it shows in the chronology."""
        self._sharing("disclosure")

    def action_request(self) -> None:
        """``r``: record a request to us for this person's information and its decision."""
        self._sharing("request")

    def _sharing(self, direction: str) -> None:
        from coordinator_tui.screens.reports.sharing import open_sharing_form

        if self.summary is not None:
            name = self.summary.display_name
            open_sharing_form(self.app, self.person_id, name, direction, self.load)
