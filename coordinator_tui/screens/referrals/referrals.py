"""Referrals (key 3): every referral chased to an outcome, sorted by chase-by date.

Views on keys (``O`` open, ``M`` awaiting MASH decision, ``W`` awaiting outcome, ``K``
case conference due, ``E`` escalation pending, ``D`` overdue, ``X`` closed; ``[``/``]``
cycle). On the highlighted referral: ``s`` step it on to its next state, ``o`` record the
outcome (and take up its follow-on), ``f`` its follow-on again, ``c`` record a chase (the
note first; how and the next chase-by date are filled in), ``d`` set the chase-by date,
``w`` withdraw, ``h`` its next case conference held, ``enter`` open its history (where the
same keys act on it), ``n`` new referral. ``/`` filters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from coordinator_tui.formatting import person_label, short_date, uk_date
from coordinator_tui.screens.base import SectionScreen
from coordinator_tui.services.dates import PAST
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.referral_terms import (
    ALL_PRACTICES,
    CONFERENCE_KIND,
    OUTCOMES,
    STATE_LABEL,
    STATE_SHORT,
    VIEWS,
    ReferralFigures,
    ReferralRow,
)
from coordinator_tui.widgets.from_worker import call_from_worker
from coordinator_tui.widgets.lazy_table import Column, KeysetSource, LazyTable, ListSource, Row
from coordinator_tui.widgets.render_once import RenderOnce

if TYPE_CHECKING:
    from coordinator_tui.app import CoordinatorApp
    from coordinator_tui.screens.form_dialog import Field
    from coordinator_tui.services.referrals import ReferralCounts, ReferralPage

PAGE_ROWS = 100
"""Referrals read per page (``services.referrals.REFERRAL_PAGE``): a screen and a margin."""
FOLLOWING = 200
"""Referrals after the one acted on that the reload looks for, to move the cursor on to."""
FIGURES_AFTER_S = 0.1
"""The figures are counted this long after the rows are shown: counting them on every
referral is a second query and a loop in Python that would otherwise share the
interpreter with the rows' first frame (which a mode switch holds back for 50 ms)."""

# Short names for the view bar (it must fit 80 columns).
VIEW_SHORT = {
    "open": "Open",
    "mash": "MASH",
    "outcome": "Outcome",
    "conference": "Conference",
    "escalation": "Escalation",
    "overdue": "Overdue",
    "closed": "Closed",
}
VIEW_KEYS = {
    "O": "open",
    "M": "mash",
    "W": "outcome",
    "K": "conference",
    "E": "escalation",
    "D": "overdue",
    "X": "closed",
}
COLUMNS = [
    Column("Status", 7),
    Column("Chase by", 8),
    Column("Chased", 6),
    Column("Name"),
    Column("NHS number", 12),
    Column("Type", 10),
    Column("State", 12),
    Column("Practice", 10, show_from=100),
]


def chased_ago(last: date | None, today: date) -> str:
    """When it was last chased, as a coordinator scans it: today, 3d, 2w, 4m."""
    if last is None:
        return ""
    days = (today - last).days
    if days <= 0:
        return "today"
    if days < 14:
        return f"{days}d"
    if days < 63:
        return f"{days // 7}w"
    return f"{days // 30}m"


def referral_row(row: ReferralRow, today: date) -> Row:
    from coordinator_tui.services.people import format_nhs_number

    overdue = row.is_overdue(today)
    if overdue:
        status = Text("OVERDUE", style="bold red")
    elif row.chase_by == today and row.state in ("sent", "acknowledged", "awaiting_outcome"):
        status = Text("due", style="bold")
    else:
        status = Text("")
    chase = short_date(row.chase_by) if row.chase_by else ""
    return Row(
        row.id,
        (
            status,
            Text(chase, style="red") if overdue else chase,
            chased_ago(row.last_chased_on, today),
            person_label(row),
            format_nhs_number(row.nhs_number),
            row.referral_type.replace("_", " "),
            STATE_SHORT.get(row.state, row.state),
            row.practice,
        ),
    )


def plural(count: int, noun: str) -> str:
    """ "1 referral", "2 referrals", "1,204 referrals"."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def figures_table(figures: list[ReferralFigures], wide: bool = True) -> Table:
    """Types down, practices across (only the PCN total when narrow); each cell: made this
    month, median working days from sent to outcome, and overdue of open now."""
    practices = sorted({f.practice for f in figures if f.practice != ALL_PRACTICES})
    practices = [*practices, ALL_PRACTICES] if wide else [ALL_PRACTICES]
    cells = {(f.referral_type, f.practice): f for f in figures}
    table = Table(
        expand=True,
        show_edge=False,
        pad_edge=False,
        box=None,
        caption="made this month · median working days sent to outcome · overdue/open now",
        caption_justify="left",
        caption_style="dim",
    )
    table.add_column("Type", no_wrap=True)
    for practice in practices:
        table.add_column(
            "PCN" if practice == ALL_PRACTICES else practice, justify="right", no_wrap=True
        )
    for kind in sorted({f.referral_type for f in figures}):
        line: list[Text | str] = [kind.replace("_", " ")]
        for practice in practices:
            f = cells.get((kind, practice))
            if f is None:
                line.append("")
                continue
            median = (
                f"{f.median_days_to_outcome:.1f}" if f.median_days_to_outcome is not None else "–"
            )
            overdue = Text(f"{f.overdue_now}/{f.open_now}", style="red" if f.overdue_now else "")
            line.append(Text.assemble(f"{f.made_this_month} · {median} · ", overdue))
        table.add_row(*line)
    return table


class ReferralActions:
    """The one-key actions on one referral, for the list and for the referral's own screen:
    ``s`` step on, ``o`` outcome (then its follow-on), ``f`` follow-on, ``c`` chase, ``d``
    chase-by date, ``w`` withdraw, ``h`` next conference held, ``I`` information shared.

    The screen says which referral (``referral_target``) and what to do once a save is
    made (``referral_saved``: the list reloads and moves on, the referral's screen reads
    it again). Every save catches ``CoordinatorError``: a refusal, a colleague's change
    or a busy database keeps the dialog open with what was typed and says why."""

    app: Any
    coordinator: CoordinatorApp
    today: date
    notify: Callable[..., None]
    call_after_refresh: Callable[..., bool]

    def referral_target(self) -> ReferralRow | None:
        raise NotImplementedError

    def referral_saved(self, row: ReferralRow, move_on: bool = True) -> Callable[[], None]:
        """Called as a dialog opens on ``row``: what to run once its save is made
        (``move_on``: on to the next referral, where the list does that)."""
        raise NotImplementedError

    def _form(
        self,
        title: str,
        fields: list[Field],
        apply: Callable[[Any, ReferralRow, dict], Any],
        after: Callable[[ReferralRow, dict, Any], None] | None = None,
        row: ReferralRow | None = None,
        dialog: type | None = None,
        context: str | None = None,
        move_on: bool = True,
        **dialog_args: Any,
    ) -> None:
        row = row or self.referral_target()
        if row is None:
            self.notify("Nothing highlighted", severity="warning")
            return
        saved = self.referral_saved(row, move_on)

        def write(values: dict[str, Any]) -> Any:
            # In the dialog's worker thread: the screen stays live while the database
            # waits; a refusal (CoordinatorError) is shown in the form, text kept.
            with self.coordinator.session() as session:
                return apply(session, row, values)

        def then(values: dict[str, Any], result: Any) -> None:
            self.notify(f"Saved: {title.lower()}", timeout=3)
            saved()
            if after is not None:
                self.call_after_refresh(after, row, values, result)

        from coordinator_tui.screens.dialog_base import BackgroundSave
        from coordinator_tui.screens.form_dialog import FormDialog

        save = BackgroundSave(write, then)

        if context is None:
            context = f"{person_label(row)} · {row.referral_type} · " + (
                STATE_LABEL.get(row.state, row.state)
            )
        self.app.push_screen(
            (dialog or FormDialog)(title, fields, self.today, context, save=save, **dialog_args)
        )

    def _read(self, read: Callable[[Any], Any]) -> Any:
        """A small read before a dialog opens; None (and a warning) if it fails."""
        try:
            with self.coordinator.session() as session:
                return read(session)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="warning")
            return None

    def action_share(self) -> None:
        """``I``: record information shared with the referral's agency, the person, the
        agency and the link to this referral filled in (the sharing record, issue 15)."""
        from coordinator_tui.screens.reports.sharing import share_from

        row = self.referral_target()
        if row is not None:
            share_from(self.coordinator, row.person_id, referral_id=row.id)

    def action_step(self) -> None:
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.services.referrals import advance, next_state

        row = self.referral_target()
        if row is None:
            return
        target = next_state(row.state)
        if target is None:
            self.notify("This referral is closed or withdrawn", severity="warning")
            return
        if target == "outcome_received":
            self.action_outcome()
            return
        user = self.coordinator.settings.user
        self._form(
            f"Mark {STATE_LABEL[target].lower()}",
            [
                Field("on", "Date", "date", value=self.today, required=True, expects=PAST),
                Field("note", "Note"),
            ],
            lambda s, r, v: advance(
                s,
                r.id,
                r.version,
                to_state=target,
                on=v["on"],
                by=user,
                today=self.today,
                note=v["note"],
            ),
            row=row,
        )

    def action_withdraw(self) -> None:
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.services.referrals import advance

        user = self.coordinator.settings.user
        self._form(
            "Withdraw the referral",
            [
                Field("note", "Why", required=True),
                Field("on", "Date", "date", value=self.today, required=True, expects=PAST),
            ],
            lambda s, r, v: advance(
                s,
                r.id,
                r.version,
                to_state="withdrawn",
                on=v["on"],
                by=user,
                today=self.today,
                note=v["note"],
            ),
        )

    def action_outcome(self) -> None:
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.services.referrals import record_outcome

        user = self.coordinator.settings.user
        self._form(
            "Record the outcome",
            [
                Field(
                    "outcome",
                    "Outcome",
                    "select",
                    required=True,
                    options=tuple((label, code) for code, label in OUTCOMES.items()),
                ),
                Field("notes", "Notes"),
                Field("on", "Received on", "date", value=self.today, required=True, expects=PAST),
            ],
            lambda s, r, v: record_outcome(
                s,
                r.id,
                r.version,
                outcome_type=v["outcome"],
                notes=v["notes"],
                received_on=v["on"],
                by=user,
                today=self.today,
            ),
            after=lambda row, values, referral: self.offer_follow_on(
                row._replace(
                    version=referral.version,
                    state=referral.state,
                    outcome_type=referral.outcome_type,
                    chase_by=referral.chase_by,
                )
            ),
        )

    def action_follow_on(self) -> None:
        """The outcome's follow-on again (say the strategy discussion was dated later)."""
        row = self.referral_target()
        if row is None:
            return
        if not row.outcome_type:
            self.notify("Record the outcome first (o)", severity="warning")
            return
        self.offer_follow_on(row)

    def offer_follow_on(self, row: ReferralRow) -> None:
        """After an outcome: the register entry or conference it implies (the initial
        conference counted from the strategy discussion, asked for, the outcome's date
        by default), and any action for the practice, in one dialog; each part optional.
        What to do is decided by the service (``apply_follow_on``)."""
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.screens.referrals.new_referral import FollowOnDialog
        from coordinator_tui.services.referrals import (
            apply_follow_on,
            follow_on,
            follow_on_dates,
        )

        dates = self._read(lambda session: follow_on_dates(session, row.id))
        if dates is None:
            return
        outcome_on, strategy_on = dates
        user = self.coordinator.settings.user
        today = self.today

        def plan_for(strategy: date | None) -> Any:
            return follow_on(row.outcome_type, outcome_on, strategy or strategy_on)

        plan = plan_for(None)
        fields = []
        if plan.asks_strategy_date:
            fields.append(
                Field(
                    "strategy",
                    "Strategy discussion held on",
                    "date",
                    value=strategy_on or outcome_on,
                    required=True,
                    expects=PAST,
                )
            )
        if plan.text:
            fields.append(
                Field(
                    "do",
                    plan.question,
                    "select",
                    value="yes",
                    required=True,
                    options=(("Yes, do it now", "yes"), ("Not now", "no")),
                )
            )
        # The owner is read as a meeting's action line reads it (services/owners.py).
        fields += [
            Field("action", "Action for the practice (optional)", placeholder="e.g. flag record"),
            Field("owner", "Owner", placeholder="name, initials or role (HV, PM, DSL...)"),
            Field("due", "Due", "date"),
        ]
        heading = f"{person_label(row)} · " + OUTCOMES.get(row.outcome_type, row.outcome_type)

        def apply(session: Any, r: ReferralRow, choice: dict[str, Any]) -> list[str]:
            return apply_follow_on(
                session,
                r.id,
                r.version,
                take=choice.get("do") == "yes",
                strategy_discussion_on=choice.get("strategy"),
                action=choice.get("action") or "",
                owner=choice.get("owner") or "",
                due=choice.get("due"),
                by=user,
                today=today,
            )

        def done(_row: ReferralRow, _values: dict, what: list[str]) -> None:
            if what:
                self.notify("Done: " + "; ".join(what))

        self._form(
            "Follow-on",
            fields,
            apply,
            after=done,
            row=row,
            dialog=FollowOnDialog,
            move_on=False,  # the outcome's save has moved on already
            context=f"{heading}\n{plan.text}" if plan.text else heading,
            heading=heading,
            plan_for=plan_for,
        )

    def action_chase(self) -> None:
        """A chase is ``c``, the note, ``ctrl+s``: the note has the focus, how keeps the
        method used last, to whom the last one chased, and the next chase-by date is
        proposed from the type's timescale."""
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.services.referrals import CHASE_METHODS, chase_defaults, record_chase

        row = self.referral_target()
        if row is None:
            self.notify("Nothing highlighted", severity="warning")
            return
        user = self.coordinator.settings.user
        today = self.today
        defaults = self._read(lambda s: chase_defaults(s, row.id, by=user, today=today))
        if defaults is None:
            return
        self._form(
            "Record a chase",
            [
                Field("note", "What was said"),
                Field(
                    "method",
                    "How",
                    "select",
                    value=defaults.method,
                    required=True,
                    options=tuple((m.capitalize(), m) for m in CHASE_METHODS),
                ),
                Field(
                    "to_whom",
                    "To whom",
                    value=defaults.to_whom,
                    placeholder="e.g. duty social worker",
                ),
                Field(
                    "next",
                    "Next chase by (proposed from the type's response time)",
                    "date",
                    value=defaults.next_chase_by,
                ),
            ],
            lambda s, r, v: record_chase(
                s,
                r.id,
                r.version,
                by=user,
                method=v["method"],
                to_whom=v["to_whom"],
                note=v["note"],
                next_chase_by=v["next"],
                today=today,
            ),
            row=row,
        )

    def action_chase_date(self) -> None:
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.services.referrals import set_chase_by

        self._form(
            "Set the chase-by date",
            [Field("date", "Chase by", "date", required=True)],
            lambda s, r, v: set_chase_by(s, r.id, r.version, chase_by=v["date"], today=self.today),
        )

    def action_conference_held(self) -> None:
        """The referral's next case conference held: the date and what it decided about
        the plan; a plan made or kept diarises the next review from the date held."""
        from coordinator_tui.screens.form_dialog import Field
        from coordinator_tui.services.referrals import (
            next_conference,
            plan_choices,
            record_conference_held,
        )

        row = self.referral_target()
        if row is None:
            self.notify("Nothing highlighted", severity="warning")
            return

        def read(session: Any) -> tuple[int, int, str, date] | None:
            conference = next_conference(session, row.id)
            if conference is None:
                return None
            return conference.id, conference.version, conference.kind, conference.due_date

        found = self._read(read)
        if found is None:
            self.notify("No case conference is diarised for this referral", severity="warning")
            return
        conference_id, version, kind, due = found
        choices = plan_choices(kind)
        fields = [Field("on", "Held on", "date", value=self.today, required=True, expects=PAST)]
        if choices:
            fields.append(
                Field(
                    "plan",
                    "Decided",
                    "select",
                    value=choices[0][0],
                    required=True,
                    options=tuple((label, code) for code, label in choices),
                )
            )
        fields.append(Field("notes", "Notes"))
        label = CONFERENCE_KIND.get(kind, kind)

        def said(_row: ReferralRow, _values: dict, following: Any) -> None:
            if following is not None:
                self.notify(
                    f"Next: {CONFERENCE_KIND['review_cp']} due by {uk_date(following.due_date)}"
                )

        self._form(
            f"{label} held",
            fields,
            lambda s, r, v: record_conference_held(
                s,
                conference_id,
                version,
                held_on=v["on"],
                plan=v.get("plan") or "",
                notes=v["notes"],
                today=self.today,
            ),
            after=said,
            row=row,
            context=f"{person_label(row)} · {label} due by {uk_date(due)}",
        )


REFERRAL_BINDINGS = [
    Binding("s", "step", "Step on", id="referrals.step"),
    Binding("o", "outcome", "Outcome", id="referrals.outcome"),
    Binding("c", "chase", "Chase", id="referrals.chase"),
    Binding("d", "chase_date", "Chase-by", id="referrals.chase_date"),
    Binding("w", "withdraw", "Withdraw", id="referrals.withdraw"),
    Binding("f", "follow_on", "Follow-on", show=False, id="referrals.follow_on"),
    Binding("h", "conference_held", "Conf. held", show=False, id="referrals.conference_held"),
    Binding("I", "share", "Info shared", show=False, id="referrals.share"),
]
"""The keys of ``ReferralActions``, the same on the list and on a referral's screen."""


class ReferralsScreen(ReferralActions, SectionScreen):
    MODE = "referrals"
    CSS_PATH = "referrals.tcss"
    # The list, not the hidden filter box before it: Textual's auto-focus takes the
    # first focusable widget even with ``display: none``, and keys typed before the
    # screen was ready went into the hidden box.
    AUTO_FOCUS = "#referrals"
    HELP = __doc__ or ""
    BINDINGS = [
        *REFERRAL_BINDINGS,
        Binding("n", "new", "New", id="referrals.new"),
        # At the screen, before the list: the referral's screen is on top before the keys
        # typed after enter are read ("enter c note ctrl+s" in one go chases it).
        Binding("enter", "open", "Open", show=False, priority=True, id="referrals.open"),
        Binding("slash", "filter", "Filter", id="referrals.filter", priority=True),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="referrals.clear"),
        Binding("F", "toggle_figures", "Figures", show=False, id="referrals.figures"),
        Binding("left_square_bracket", "cycle(-1)", "Prev view", show=False, id="referrals.prev"),
        Binding("right_square_bracket", "cycle(1)", "Next view", show=False, id="referrals.next"),
        Binding("f5", "reload", "Reload", show=False, id="referrals.reload"),
        *[
            Binding(key, f"view('{view}')", VIEWS[view], show=False, id=f"referrals.view_{view}")
            for key, view in VIEW_KEYS.items()
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "open"
        self.source: KeysetSource | None = None
        self.counts: ReferralCounts | None = None
        self._generation = 0  # of the latest read asked for: an older one is not shown
        self.loaded = False
        self.figures: list[ReferralFigures] = []
        self._loading_started = False
        self._filter_box: Input | None = None  # mounted on the first "/"
        self._figures_drawn: tuple[list[ReferralFigures], bool] | None = None  # and wide

    def compose_body(self) -> ComposeResult:
        with Vertical(id="referrals-body"):
            yield Static("Loading referrals…", id="referrals-summary")
            yield Static("", id="referrals-views")
            # The filter box (``#referrals-filter``) comes on the first ``/``: composed
            # hidden with the screen, it cost a cold open a tenth of its interpreter time.
            yield LazyTable(COLUMNS, empty_text="No referrals in this view.", id="referrals")
            yield Static("", id="referrals-figures")

    async def on_mount(self) -> None:
        # Figures start hidden on a short terminal, where the list needs the rows (F shows).
        if self.app.size.height < 32:
            self.query_one("#referrals-figures").add_class("-hidden")
        if self.coordinator.engine is not None:
            self._start_loading()
            # One turn of the event loop lets the worker start its thread now, so the
            # query runs while the screen is laid out and drawn; without it the thread
            # starts only once the screen has handled everything queued (its layout and
            # first frame: about 20 ms later on the large demo).
            await asyncio.sleep(0)

    def on_database_ready(self) -> None:
        self._start_loading()

    def _start_loading(self) -> None:
        """The first load, from whichever comes first: the mount (database open) or the
        database opening."""
        if not self._loading_started:
            self._loading_started = True
            self.query_one(LazyTable).focus()
            self.load()

    @property
    def shown_rows(self) -> Sequence[ReferralRow]:
        """The view as filtered: a sequence over the pages read (indexing one not read
        yet reads it). Only the page on screen and a margin are read (issue 23)."""
        return self.source.items if self.source is not None else []

    @property
    def rows(self) -> Sequence[ReferralRow]:
        """The view (the typed filter is applied in the query: the same as shown)."""
        return self.shown_rows

    def load(self, land_on: Sequence[int] = (), index: int | None = None) -> None:
        """Read the view's first page and counts again, off the UI thread; ``land_on``:
        referral ids to put the cursor on (the first still listed), else row ``index``."""
        text = self._typed()
        self._generation += 1
        self._read_view(self.view, text, tuple(land_on), index, self._generation)

    @work(thread=True, exclusive=True, group="referrals")
    def _read_view(
        self,
        view: str,
        text: str,
        land_on: tuple[int, ...],
        index: int | None,
        generation: int,
    ) -> None:
        """In a thread: the first page (or the page at the referral to land on) and the
        counts. A read overtaken by a newer one (a key typed meanwhile) is dropped."""
        from coordinator_tui.services.referrals import referral_locate, referral_page

        today = self.today
        try:
            with self.coordinator.session() as session:
                found = referral_locate(session, view, today, land_on, text=text)
                start, key = found if found else (0, None)
                page = referral_page(
                    session,
                    view,
                    today,
                    text=text,
                    key=key,
                    inclusive=True,
                    with_counts=True,
                    limit=PAGE_ROWS,
                )
        except CoordinatorError as exc:
            # Refused (a role that may not see referrals) or the database is busy: the
            # one line on the screen, not an empty list.
            call_from_worker(self, self.show_refusal, str(exc))
            return
        source = self._source(view, text, page, start)
        target = start if found else index
        call_from_worker(self, self.show, source, page.counts, target, generation, text)

    def _source(self, view: str, text: str, page: ReferralPage, start: int) -> KeysetSource:
        """The rows as the table reads them: this page, then the next ones by key."""
        from coordinator_tui.services.referrals import referral_page

        app, today = self.coordinator, self.today

        def read_page(key: Any, backward: bool, limit: int) -> ReferralPage:
            with app.session() as session:
                return referral_page(
                    session, view, today, text=text, key=key, backward=backward, limit=limit
                )

        assert page.counts is not None
        return KeysetSource.of_pages(
            page,
            read_page,
            lambda r: referral_row(r, today),
            total=page.counts.shown,
            start=start,
            page_size=PAGE_ROWS,
            id_of=lambda r: r.id,
        )

    def show(
        self,
        source: KeysetSource,
        counts: ReferralCounts | None,
        index: int | None = None,
        generation: int | None = None,
        text: str | None = None,
    ) -> None:
        """Show a read (``text``: the filter it was read with)."""
        if generation is not None and generation != self._generation:
            return  # a newer read is on its way (the filter or the view changed meanwhile)
        self.source = source
        self.counts = counts
        table = self.query_one(LazyTable)
        table.empty_text = "No referrals in this view."
        table.set_source(source)
        if index is not None:
            table.cursor_row = min(index, max(len(source) - 1, 0))
        self.update_summary()
        self.loaded = True
        self.set_timer(FIGURES_AFTER_S, self.load_figures)
        self.coordinator.screen_loaded(self)
        if text is not None and text != self._typed():
            # Typed while the first read was under way ("3/smi" in one burst): the filter
            # reads again only once the list is loaded (``apply_filter``), so read the
            # list as typed now; the rows shown matched the box only by chance before.
            self.load()

    def show_refusal(self, message: str) -> None:
        """Nothing of the referrals is shown: the refusal, in one line (issue 17)."""
        self.source = None
        self.counts = None
        table = self.query_one(LazyTable)
        table.empty_text = ""
        table.set_source(ListSource([]))
        self.query_one("#referrals-summary", Static).update(Text(message, style="bold red"))
        self.loaded = True
        self.coordinator.screen_loaded(self)

    @work(thread=True, exclusive=True, group="referral-figures")
    def load_figures(self) -> None:
        from coordinator_tui.services.referrals import referral_figures

        with self.coordinator.session() as session:
            figures = referral_figures(session, self.today)
        call_from_worker(self, self.show_figures, figures)

    def show_figures(self, figures: list[ReferralFigures] | None = None) -> None:
        """Draw the figures table (all practices across when the screen is wide enough).

        Built again only when the figures or the choice of columns change: a table is
        costly to lay out, and screens are resized on every switch to them."""
        if figures is not None:
            self.figures = figures
        wide = self.size.width >= 100
        drawn = self._figures_drawn
        if drawn is not None and drawn[0] is self.figures and drawn[1] == wide:
            return
        self._figures_drawn = (self.figures, wide)
        box = self.query_one("#referrals-figures", Static)
        table = RenderOnce(figures_table(self.figures, wide=wide))
        if box.size.width:
            # Render it now, at the width it will be measured at: the figures come in the
            # background (on a section prepared before it is shown, long before), and the
            # layout that measures them otherwise does it on the way to the first frame.
            table.prerender(self.app, box.size.width)
        box.update(table)

    def on_resize(self) -> None:
        if self.figures:
            self.show_figures()

    def apply_filter(self) -> None:
        """Typed text narrows the query (``services.referrals.referral_text_condition``)."""
        if self.loaded:
            self.load()

    def update_summary(self) -> None:
        counts = self.counts
        if counts is None:
            return
        overdue = counts.overdue
        needle = self._typed().strip()
        self.query_one("#referrals-summary", Static).update(
            Text.assemble(
                (VIEWS[self.view], "bold"),
                f" · {plural(counts.shown, 'referral')} · ",
                (f"{overdue:,} overdue", "bold red" if overdue else ""),
                (f" · filter: {needle}" if needle else "", "italic"),
                ("   F figures", "dim"),
            )
        )
        bar = Text()
        for key, view in VIEW_KEYS.items():
            style = "reverse bold" if view == self.view else ""
            bar.append(f" {key} ", style=style or "bold")
            bar.append(f"{VIEW_SHORT[view]} ", style=style or "dim")
        self.query_one("#referrals-views", Static).update(bar)

    # -- views and filter ---------------------------------------------------------------

    def action_view(self, view: str) -> None:
        self.view = view
        self.load()

    def action_cycle(self, step: int) -> None:
        views = list(VIEWS)
        self.action_view(views[(views.index(self.view) + step) % len(views)])

    def action_reload(self) -> None:
        self.load()

    def action_toggle_figures(self) -> None:
        self.query_one("#referrals-figures").toggle_class("-hidden")

    def _typed(self) -> str:
        """The filter's text ("" before the box is first asked for)."""
        return self._filter_box.value if self._filter_box is not None else ""

    def action_filter(self) -> None:
        box = self._filter_box
        if box is None:
            box = self._filter_box = Input(
                placeholder="Filter: name or NHS number",
                id="referrals-filter",
                compact=True,
                classes="-shown",
            )
            self.query_one("#referrals-body").mount(box, before=self.query_one(LazyTable))
        else:
            box.add_class("-shown")
        # At once, not after the next refresh as ``focus()`` does: "/smi" typed in one go
        # must put "smi" in the filter, not send "s" to the list (snooze). The keys typed
        # after wait in the box's queue while it is mounted.
        self.set_focus(box)

    def action_clear_filter(self) -> None:
        box = self._filter_box
        if box is not None:
            box.value = ""
            box.remove_class("-shown")
        self.query_one(LazyTable).focus()

    @on(Input.Changed, "#referrals-filter")
    def filter_changed(self) -> None:
        self.apply_filter()

    @on(Input.Submitted, "#referrals-filter")
    def filter_done(self) -> None:
        self.query_one(LazyTable).focus()

    # -- actions ------------------------------------------------------------------------

    def current(self) -> ReferralRow | None:
        index = self.query_one(LazyTable).cursor_row
        if self.source is None or index >= len(self.source):
            return None
        try:
            return self.source.item(index)
        except IndexError:
            return None

    def referral_target(self) -> ReferralRow | None:
        return self.current()

    def referral_saved(self, row: ReferralRow, move_on: bool = True) -> Callable[[], None]:
        """Reload, then on to the entry that followed the one acted on (it may have left
        the view or moved in the sort order); without ``move_on``, just reload."""
        if not move_on:
            return self.load
        index = self.query_one(LazyTable).cursor_row
        source = self.source
        following = (
            [r.id for _i, r in source.loaded(index + 1)][:FOLLOWING] if source is not None else []
        )

        def saved() -> None:
            self.load(land_on=following, index=index)

        return saved

    def action_new(self) -> None:
        from coordinator_tui.screens.referrals.new_referral import NewReferralDialog
        from coordinator_tui.services.referrals import (
            create_referral,
            next_panel_date,
            referral_types,
        )

        user = self.coordinator.settings.user
        today = self.today

        def write(values: dict[str, Any]) -> None:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            with self.coordinator.session() as session:
                create_referral(session, by=user, today=today, **values)

        def then(_values: dict[str, Any], _result: Any) -> None:
            self.notify("Referral drafted")
            self.load()

        from coordinator_tui.screens.dialog_base import BackgroundSave

        save = BackgroundSave(write, then)
        self.app.push_screen(
            NewReferralDialog(referral_types(), save, today, next_panel_date("MARAC", today))
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":  # enter in the filter box finishes the filter instead
            return isinstance(self.focused, LazyTable)
        return super().check_action(action, parameters)

    def action_open(self) -> None:
        row = self.current()
        if row is not None:
            self._open(row)

    @on(LazyTable.RowSelected, "#referrals")
    def open_referral(self, event: LazyTable.RowSelected) -> None:
        """A double click on a row."""
        row = self.current()
        if row is not None:
            self._open(row)

    def _open(self, row: ReferralRow) -> None:
        from coordinator_tui.screens.referrals.detail import ReferralDetailScreen

        self.app.push_screen(ReferralDetailScreen(row.id, row))
