"""Registers (key 2): the review queue across the practices, reviewed by keyboard alone.

Each action key opens a short form, saves through ``services.registers`` (audited), and
moves the cursor on to the next entry, so a whole list can be reviewed without a mouse.
The queue is read once as narrow tuples and drawn by ``LazyTable`` (only visible rows),
and ``/`` filters the loaded rows in memory as you type.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from coordinator_tui.formatting import person_label, short_date, uk_date
from coordinator_tui.screens.base import SectionScreen
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.registers import (
    FilterOptions,
    QueueFilter,
    QueueRow,
    Undo,
)
from coordinator_tui.widgets.filter_input import FilterInput
from coordinator_tui.widgets.lazy_table import Column, LazyTable, MappedSource, Row

RISK_LABEL = {"high": "HIGH", "medium": "MED", "low": "LOW"}
STATUS_VIEWS = ("due", "overdue", "escalated")
STATUS_LABEL = {"due": "all due", "overdue": "overdue only", "escalated": "escalated"}

COLUMNS = [
    Column("Status", 8),
    Column("Due", 11),
    Column("Name"),
    Column("NHS number", 12),
    Column("Born", 10),
    Column("Reg", 5),
    Column("Risk", 4),
    Column("Lead", 16, show_from=100),
    Column("Practice", 10, show_from=112),
]


def person_name(row: QueueRow) -> str:
    """The person as lists and toasts name them: FAMILY, Given."""
    return person_label(row)


def format_day(day: date) -> str:
    return uk_date(day)


def health_assessment_first(row: QueueRow) -> bool:
    """Whether a looked-after child's next health assessment comes before (or with) the
    review: the Due column then shows it, as ``HA dd/mm/yy``."""
    ha = row.health_assessment_due
    if ha is None:
        return False
    return row.next_review_due is None or ha <= row.next_review_due


def health_assessment_overdue(row: QueueRow, today: date) -> bool:
    return row.health_assessment_due is not None and row.health_assessment_due < today


def due_cell(row: QueueRow, today: date) -> Text | str:
    """The Due column: the review date, or the looked-after child's health assessment
    (``HA 12/01/27``) when that falls due first (statutory guidance 2015, paras 29-31);
    red when it has passed."""
    if health_assessment_first(row):
        ha = row.health_assessment_due
        assert ha is not None
        return Text(f"HA {short_date(ha)}", style="red" if ha < today else "")
    due = short_date(row.next_review_due) if row.next_review_due else ""
    return Text(due, style="red") if row.is_overdue(today) else due


def queue_row(row: QueueRow, today: date) -> Row:
    """A queue entry as a table row: status as a word, colour only reinforcing it."""
    from coordinator_tui.services.people import format_nhs_number

    overdue = row.is_overdue(today)
    if row.escalated:
        status = Text("⚑ ESC", style="bold magenta")
    elif overdue:
        status = Text("OVERDUE", style="bold red")
    elif health_assessment_overdue(row, today):
        status = Text("HA LATE", style="bold red")
    else:
        status = Text("due")
    risk = Text(
        RISK_LABEL.get(row.risk_level, row.risk_level),
        style="bold" if row.risk_level == "high" else "",
    )
    return Row(
        key=row.entry_id,
        cells=(
            status,
            due_cell(row, today),
            person_name(row),
            format_nhs_number(row.nhs_number),
            uk_date(row.date_of_birth),
            row.category_code,
            risk,
            row.lead,
            row.practice,
        ),
    )


class RegistersScreen(SectionScreen):
    """The review queue."""

    MODE = "registers"
    CSS_PATH = "registers.tcss"
    HELP = (
        "The review queue: every active register entry due for review within the horizon "
        "(overdue first, then by risk, then by due date), across the practices. Act on the "
        "highlighted entry with one key; the cursor moves on to the next. Filters: P "
        "practice, T register, L lead, R risk, S status (all due / overdue / escalated: "
        "every escalated entry, whatever its due date, until the lead resolves it with E); "
        "/ filters by name, NHS number or date of birth as you type, esc clears it. "
        "A looked-after child's next health assessment shows in Due as HA and a date when "
        "it comes before the review (HA LATE once passed): h records one done, with its "
        "date, and the next falls due from it."
    )
    BINDINGS = [
        Binding("r", "review", "Reviewed", id="registers.review"),
        Binding("s", "snooze", "Snooze", id="registers.snooze"),
        Binding("e", "escalate", "Escalate", id="registers.escalate"),
        Binding("E", "resolve", "Resolve escalation", id="registers.resolve"),
        Binding("h", "health_assessment", "Health assessment", id="registers.health"),
        Binding("c", "change", "Change", id="registers.change"),
        Binding("x", "end", "End", id="registers.end"),
        Binding("a", "add", "Add", id="registers.add"),
        Binding("u", "undo", "Undo", id="registers.undo"),
        Binding("i", "intake", "New concern", id="registers.intake"),
        Binding("C", "concerns", "Concerns", id="registers.concerns"),
        Binding("V", "compliance", "Compliance", id="registers.compliance"),
        Binding("B", "people", "All people", show=False, id="registers.people"),
        Binding("slash", "filter", "Filter", id="registers.filter", priority=True),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="registers.clear"),
        Binding("P", "cycle('practice')", "Practice", show=False, id="registers.practice"),
        Binding("T", "cycle('category')", "Register", show=False, id="registers.category"),
        Binding("L", "cycle('lead')", "Lead", show=False, id="registers.lead"),
        Binding("R", "cycle('risk')", "Risk", show=False, id="registers.risk"),
        Binding("S", "cycle('status')", "Status", show=False, id="registers.status"),
        Binding("f5", "reload", "Reload", show=False, id="registers.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[QueueRow] = []
        self.shown_rows: list[QueueRow] = []
        self.options: FilterOptions | None = None
        self.choice: dict[str, Any] = {
            "practice": None,
            "category": None,
            "lead": None,
            "risk": None,
            "status": "due",
        }
        self.undo_stack: list[Undo] = []
        self.loaded = False
        self._after_load: Callable[[], None] | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="registers-body"):
            yield Static("Loading the review queue…", id="queue-summary")
            yield Static("", id="queue-compliance")
            yield FilterInput(
                lambda _: self.apply_text_filter(),
                placeholder="Filter: name, NHS number or date of birth",
                id="queue-filter",
            )
            yield LazyTable(COLUMNS, empty_text="Nothing due for review.", id="queue")

    def on_database_ready(self) -> None:
        self.query_one(LazyTable).focus()
        self.load_queue()

    def show_status(self, status: str) -> None:
        """Show the queue's ``status`` view (Home's counts open "overdue", "due" or
        "escalated"), with the other filters cleared so the count and the list agree."""
        for key in ("practice", "category", "lead", "risk"):
            self.choice[key] = None
        self.choice["status"] = status
        if not self.is_mounted or self.coordinator.engine is None:
            return  # its first load (``on_database_ready``) shows this view
        box = self.query_one("#queue-filter", Input)
        if box.value:
            box.value = ""
        self.load_queue()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resolve":  # shown, and acting, on an escalated entry only
            row = self.highlighted()
            return row is not None and row.escalated
        if action == "health_assessment":  # a looked-after child's entry only
            row = self.highlighted()
            return row is not None and row.health_assessment_due is not None
        return super().check_action(action, parameters)

    @on(LazyTable.RowHighlighted, "#queue")
    def _highlight_moved(self) -> None:
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="registers-compliance")
    def load_compliance(self) -> None:
        from coordinator_tui.services.registers import review_compliance

        with self.coordinator.session() as session:
            rows = review_compliance(session, self.today)
        active = sum(r.active for r in rows)
        within = sum(r.in_interval for r in rows)
        untriaged = self._untriaged_count()
        self.app.call_from_thread(self.show_compliance, active, within, untriaged)

    def _untriaged_count(self) -> int:
        from coordinator_tui.services.concerns import untriaged

        with self.coordinator.session() as session:
            return len(untriaged(session))

    def show_compliance(self, active: int, within: int, untriaged: int) -> None:
        share = f"{100 * within / active:.0f}%" if active else "—"
        self.query_one("#queue-compliance", Static).update(
            Text.assemble(
                ("Reviewed within interval: ", "dim"),
                (share, "bold"),
                (f" of {active:,} active (V for detail)   ", "dim"),
                ("Concerns awaiting triage: ", "dim"),
                (f"{untriaged:,}", "bold red" if untriaged else "bold"),
                (" (C)", "dim"),
            )
        )

    # -- loading ----------------------------------------------------------------------

    def current_filter(self) -> QueueFilter:
        status = self.choice["status"]
        return QueueFilter(
            practice_id=self.choice["practice"][0] if self.choice["practice"] else None,
            category_id=self.choice["category"][0] if self.choice["category"] else None,
            lead_staff_id=self.choice["lead"][0] if self.choice["lead"] else None,
            risk_level=self.choice["risk"],
            escalated_only=status == "escalated",
            horizon_days=-1
            if status == "overdue"
            else self.coordinator.settings.review_horizon_days,
        )

    @work(thread=True, exclusive=True, group="registers-queue")
    def load_queue(self) -> None:
        from coordinator_tui.services.registers import filter_options, review_queue

        app = self.coordinator
        with app.session() as session:
            rows = review_queue(session, self.today, self.current_filter())
            options = self.options or filter_options(session)
        app.call_from_thread(self.show_queue, rows, options)

    def show_queue(self, rows: list[QueueRow], options: FilterOptions) -> None:
        first_load = not self.loaded
        self.rows = rows
        self.options = options
        self.apply_text_filter()
        self.loaded = True
        self.refresh_bindings()
        if first_load:
            self.load_compliance()  # after the queue is on screen: it is not on the hot path
        if self._after_load is not None:
            callback, self._after_load = self._after_load, None
            callback()
        self.keys_loaded()
        self.coordinator.screen_loaded(self)

    def apply_text_filter(self) -> None:
        from coordinator_tui.services.registers import filter_by_text

        needle = self.query_one("#queue-filter", Input).value
        self.shown_rows = filter_by_text(self.rows, needle) if needle else self.rows
        today = self.today
        table = self.query_one(LazyTable)
        table.set_source(MappedSource(self.shown_rows, lambda r: queue_row(r, today)))
        self.update_summary()

    def update_summary(self) -> None:
        today = self.today
        overdue = sum(1 for r in self.shown_rows if r.is_overdue(today))
        noun = "escalated" if self.choice["status"] == "escalated" else "due"
        parts = [
            f"{len(self.shown_rows):,} {noun}"
            + (f" of {len(self.rows):,}" if len(self.shown_rows) != len(self.rows) else ""),
            f"{overdue:,} overdue",
        ]
        late = sum(1 for r in self.shown_rows if health_assessment_overdue(r, today))
        if late:
            parts.append(f"{late:,} health assessment{'s' if late != 1 else ''} late")
        filters = []
        for key, label in (("practice", "practice"), ("category", "register"), ("lead", "lead")):
            if self.choice[key]:
                filters.append(f"{label} {self.choice[key][1]}")
        if self.choice["risk"]:
            filters.append(f"risk {self.choice['risk']}")
        filters.append(STATUS_LABEL[self.choice["status"]])
        self.query_one("#queue-summary", Static).update(
            Text.assemble(
                ("Review queue  ", "bold"),
                " · ".join(parts),
                ("   [" + ", ".join(filters) + "]", "dim"),
            )
        )

    def action_reload(self) -> None:
        self.load_queue()

    # -- filters ----------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        box.add_class("-shown")
        # At once, not after the next refresh as ``focus()`` does: "/smi" typed in one go
        # must put "smi" in the filter, not send "s" to the list (snooze).
        self.set_focus(box)

    def action_clear_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        if box.value:
            box.value = ""
        box.remove_class("-shown")
        self.query_one(LazyTable).focus()

    @on(Input.Submitted, "#queue-filter")
    def filter_done(self, event: Input.Submitted) -> None:
        self.query_one(LazyTable).focus()

    def action_cycle(self, what: str) -> None:
        if self.options is None:
            return
        choices: list[Any]
        if what == "status":
            choices = list(STATUS_VIEWS)
        elif what == "risk":
            choices = [None, "high", "medium", "low"]
        else:
            source = {
                "practice": self.options.practices,
                "category": self.options.categories,
                "lead": self.options.leads,
            }[what]
            choices = [None, *source]
        current = self.choice[what]
        index = choices.index(current) if current in choices else 0
        self.choice[what] = choices[(index + 1) % len(choices)]
        self.load_queue()

    # -- actions ----------------------------------------------------------------------

    def highlighted(self) -> QueueRow | None:
        table = self.query_one(LazyTable)
        if not self.shown_rows or table.cursor_row >= len(self.shown_rows):
            return None
        return self.shown_rows[table.cursor_row]

    def _form(
        self,
        title: str,
        fields: list[Field],
        apply: Callable[[Any, QueueRow, dict[str, Any]], Undo],
        done: Callable[[QueueRow, dict[str, Any]], str],
        escalation: str = "",
        note: str = "",
    ) -> None:
        """A form for the highlighted entry: ``apply`` saves through the service, ``done``
        says what happened, naming the person (the toast); ``escalation``, the reason
        given when it was escalated, if the form is about that."""
        row = self.highlighted()
        if row is None:
            self.notify("Nothing highlighted", severity="warning")
            return
        context = f"{person_name(row)} · {row.category_name}"
        if note:
            context += f"\n{note}"
        if escalation:
            context += f"\n⚑ Escalated: {escalation}"
        elif row.escalated:
            context += (
                "\n⚑ Escalated to the safeguarding lead: it stays in the escalated view "
                "until the lead resolves it (E)"
            )
        form = FormDialog(
            title,
            fields,
            self.today,
            context,
            save=BackgroundSave(
                write=lambda values: self.write(lambda session: apply(session, row, values)),
                then=lambda values, token: self.saved(row, token, lambda: done(row, values)),
            ),
        )
        self.app.push_screen(form)

    def write(self, action: Callable[[Any], Undo]) -> Undo:
        """One unit of work through the service, run in the dialog's worker thread (the
        screen stays live while the database waits on a lock); a refusal (a refused
        action, a conflict, a locked database) is a ``CoordinatorError`` that the form
        shows, keeping what was typed, with nothing written."""
        with self.coordinator.session() as session:
            return action(session)

    def saved(self, row: QueueRow, token: Undo, done: Callable[[], str]) -> None:
        """After a save: say what was done to whom and move on to the entry that was next
        in the list (whatever the action did to this one's place)."""
        index = self.query_one(LazyTable).cursor_row
        position = next(
            (i for i, r in enumerate(self.shown_rows) if r.entry_id == row.entry_id), index
        )
        following = [r.entry_id for r in self.shown_rows[position + 1 :]]
        self.undo_stack.append(token)
        self.notify(f"{done()} — u to undo", timeout=4)
        self._after_load = lambda: self._move_on(following, index)
        self.hold_keys_until_loaded()  # the next key acts on the reloaded list
        self.load_queue()
        self.load_compliance()

    def _move_on(self, following: list[int], index: int) -> None:
        """The cursor to the first entry still listed of those that followed the one
        acted on (a snoozed entry re-sorted further down is not followed); else to the
        same line."""
        table = self.query_one(LazyTable)
        keys = {r.entry_id: i for i, r in enumerate(self.shown_rows)}
        for entry_id in following:
            if entry_id in keys:
                table.cursor_row = keys[entry_id]
                return
        table.cursor_row = min(index, max(len(self.shown_rows) - 1, 0))

    def action_review(self) -> None:
        from coordinator_tui.services.registers import mark_reviewed, proposed_next_review

        row = self.highlighted()
        if row is None:
            return
        try:
            with self.coordinator.session() as session:
                proposed = proposed_next_review(session, row.entry_id, self.today)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        user = self.coordinator.settings.user

        def done(r: QueueRow, v: dict[str, Any]) -> str:
            text = f"Reviewed {person_name(r)}: next review {format_day(v['next'])}"
            return text + ("; still escalated to the lead (E resolves)" if r.escalated else "")

        self._form(
            "Reviewed",
            [
                Field("note", "Note (optional, one line)"),
                Field("next", "Next review", "date", value=proposed, required=True),
            ],
            lambda s, r, v: mark_reviewed(
                s,
                r.entry_id,
                r.version,
                today=self.today,
                by=user,
                note=v["note"],
                next_review=v["next"],
            ),
            done,
        )

    def action_snooze(self) -> None:
        from coordinator_tui.services.registers import snooze

        user = self.coordinator.settings.user
        self._form(
            "Snooze the review",
            [
                Field("until", "Snooze until", "date", required=True, placeholder="+1w"),
                Field("note", "Why (optional)"),
            ],
            lambda s, r, v: snooze(
                s,
                r.entry_id,
                r.version,
                today=self.today,
                by=user,
                until=v["until"],
                note=v["note"],
            ),
            lambda r, v: f"Snoozed {person_name(r)}'s review to {format_day(v['until'])}",
        )

    def action_escalate(self) -> None:
        from coordinator_tui.services.registers import escalate

        user = self.coordinator.settings.user
        self._form(
            "Escalate to the safeguarding lead",
            [Field("reason", "Reason", required=True)],
            lambda s, r, v: escalate(
                s, r.entry_id, r.version, today=self.today, by=user, reason=v["reason"]
            ),
            lambda r, v: f"Escalated {person_name(r)} to the safeguarding lead",
        )

    def action_resolve(self) -> None:
        """The lead's answer to an escalation (``E`` on an escalated entry): the outcome
        is recorded beside the escalation and the entry leaves the escalated view."""
        from coordinator_tui.services.registers import entry_for_form, resolve_escalation

        row = self.highlighted()
        if row is None or not row.escalated:
            return
        with self.coordinator.session() as session:
            entry = entry_for_form(session, row.entry_id)
            reason = entry.escalation_reason if entry else ""
        user = self.coordinator.settings.user
        self._form(
            "Resolve the escalation",
            [
                Field(
                    "outcome",
                    "What the lead decided",
                    required=True,
                    placeholder="e.g. strategy discussion held, plan agreed",
                )
            ],
            lambda s, r, v: resolve_escalation(
                s, r.entry_id, r.version, today=self.today, by=user, outcome=v["outcome"]
            ),
            lambda r, v: f"Resolved the escalation of {person_name(r)}",
            escalation=reason or "(no reason recorded)",
        )

    def action_health_assessment(self) -> None:
        """``h`` on a looked-after child's entry: record a health assessment done (the
        date, today unless typed, and an optional note); the next falls due from it."""
        from coordinator_tui.services.dates import PAST
        from coordinator_tui.services.registers import (
            next_health_assessment,
            record_health_assessment,
        )

        row = self.highlighted()
        if row is None or row.health_assessment_due is None:
            return
        try:
            with self.coordinator.session() as session:
                due = next_health_assessment(session, row.entry_id, self.today)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        user = self.coordinator.settings.user
        due_text = f"{due.label} due {format_day(due.due)}" if due else "no assessment due"

        def done(r: QueueRow, v: dict[str, Any]) -> str:
            return f"Health assessment of {person_name(r)} recorded ({format_day(v['on'])})"

        self._form(
            "Health assessment done",
            [
                Field("on", "Done on", "date", value=self.today, required=True, expects=PAST),
                Field("note", "Note (optional, one line)"),
            ],
            lambda s, r, v: record_health_assessment(
                s,
                r.entry_id,
                r.version,
                today=self.today,
                by=user,
                done_on=v["on"],
                note=v["note"],
            ),
            done,
            note=f"Next: {due_text}",
        )

    def action_change(self) -> None:
        from coordinator_tui.services.registers import (
            all_staff,
            change_entry,
            entry_for_form,
            register_choices,
        )

        row = self.highlighted()
        if row is None or self.options is None:
            return
        with self.coordinator.session() as session:
            entry = entry_for_form(session, row.entry_id)
            staff = all_staff(session)
            registers = register_choices(session)
        if entry is None:
            self.notify("That entry no longer exists", severity="error")
            return
        user = self.coordinator.settings.user
        self._form(
            "Change register, risk or lead",
            [
                Field(
                    "category",
                    "Register (type a few letters, enter takes it)",
                    "choice",
                    value=entry.category_id,
                    options=tuple((c.label, c.id, c.search_text) for c in registers),
                ),
                Field(
                    "risk",
                    "Risk",
                    "select",
                    value=entry.risk_level,
                    options=(("High", "high"), ("Medium", "medium"), ("Low", "low")),
                ),
                Field(
                    "lead",
                    "Lead",
                    "select",
                    value=entry.lead_staff_id,
                    options=tuple((name, sid) for sid, name in staff),
                ),
            ],
            lambda s, r, v: change_entry(
                s,
                r.entry_id,
                r.version,
                today=self.today,
                by=user,
                category_id=v["category"],
                risk_level=v["risk"],
                lead_staff_id=v["lead"],
            ),
            lambda r, v: f"Changed {person_name(r)}'s {r.category_code} registration",
        )

    def action_end(self) -> None:
        from coordinator_tui.services.dates import PAST
        from coordinator_tui.services.registers import end_registration

        user = self.coordinator.settings.user
        self._form(
            "End the registration",
            [
                Field(
                    "reason",
                    "Reason",
                    required=True,
                    placeholder="e.g. plan ended at review conference",
                ),
                Field("date", "End date", "date", value=self.today, required=True, expects=PAST),
            ],
            lambda s, r, v: end_registration(
                s,
                r.entry_id,
                r.version,
                today=self.today,
                by=user,
                end_date=v["date"],
                reason=v["reason"],
            ),
            lambda r, v: (
                f"Ended {person_name(r)}'s {r.category_code} registration "
                f"on {format_day(v['date'])}"
            ),
        )

    def action_add(self) -> None:
        from coordinator_tui.screens.registers.add_registration import open_add_registration

        def saved(token: Undo, message: str) -> None:
            self.undo_stack.append(token)
            self.notify(f"{message} — u to undo", timeout=4)
            self.load_queue()

        open_add_registration(self.app, on_saved=saved)

    def action_undo(self) -> None:
        from coordinator_tui.services.registers import undo_last

        if not self.undo_stack:
            self.notify("Nothing to undo in this session", severity="warning")
            return
        entry_id = self.undo_stack[-1].entry_id
        who = next((person_name(r) for r in self.rows if r.entry_id == entry_id), "")
        try:
            with self.coordinator.session() as session:
                message = undo_last(session, self.undo_stack)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        self.notify(f"{message} ({who})" if who else message, timeout=3)
        self._after_load = lambda: self._cursor_to(entry_id)
        self.load_queue()

    def _cursor_to(self, entry_id: int) -> None:
        keys = [r.entry_id for r in self.shown_rows]
        if entry_id in keys:
            self.query_one(LazyTable).cursor_row = keys.index(entry_id)

    def action_intake(self) -> None:
        self.coordinator.open_concern_intake(on_saved=self.load_compliance)

    def action_concerns(self) -> None:
        from coordinator_tui.screens.registers.concerns import ConcernsScreen

        self.app.push_screen(ConcernsScreen(), lambda _: self.load_compliance())

    def action_people(self) -> None:
        self.coordinator.open_people()

    def action_compliance(self) -> None:
        from coordinator_tui.screens.registers.compliance import ComplianceScreen

        self.app.push_screen(ComplianceScreen())

    @on(LazyTable.RowSelected, "#queue")
    def open_person(self, event: LazyTable.RowSelected) -> None:
        row = self.shown_rows[event.index]
        self.coordinator.open_person(row.person_id)
