"""One carer's day (``enter`` on a rota cell): a timeline bar from 06:00 to 23:00 (on to the
next morning for a night visit that runs past midnight), then each visit with its worst
problem and the gap and travel before the next one, then the day's problems. ``x`` takes
the carer off the highlighted visit; ``w`` marks it for a swap (then ``w`` on a visit of
another carer's day swaps the two); ``r`` accepts a soft problem with a reason; ``b`` marks
the carer absent (on a day off: that absence's Plan B and call list); ``e`` corrects the
absence on this day and ``d`` removes it (offering to put the carer back on the visits Plan
B gave to others); ``u`` undoes the last change; ``h`` puts a carer on the highlighted visit
as a shadow (never staffing: the With column names them ``◌``; the title lists the visits
this carer shadows), ``O`` records what this carer observed of the visit's shadow (an
observation, a sign-off with its course, or not yet competent: to the training matrix),
``H`` says the visit's customer needs a shadow visit before a carer goes alone (the
checker's ``SHADOW_REQUIRED``); ``esc`` goes back to the grid."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from coordinator_tui.screens.rota.presentation import STYLES, SYMBOLS, help_text, problem_text
from coordinator_tui.screens.type_ahead import PassesStrayKeys
from coordinator_tui.widgets.footer import Footer

if TYPE_CHECKING:
    from coordinator_tui.screens.rota.grid import RotaScreen
    from coordinator_tui.services.rota.grid import CarerDay, DayStop

DAY_START, DAY_END = 6 * 60, 23 * 60
MIDNIGHT = 24 * 60


def timeline_window(day: CarerDay) -> tuple[int, int]:
    """The minutes the bar spans, from the day's midnight: 06:00 to 23:00, stretched to
    whole hours to take in a visit before 06:00 or one running on past 23:00, through
    midnight into the next morning (a night visit 22:00-07:00 is drawn whole)."""
    first, last = DAY_START, DAY_END
    for stop in day.stops:
        start = stop.start.hour * 60 + stop.start.minute
        first = min(first, start - start % 60)
        end = start + stop.minutes
        last = max(last, end + (-end) % 60)
    return first, last


def timeline_bar(day: CarerDay, width: int) -> Text:
    """Visits as blocks on a line scaled from 06:00 to 23:00 (wider when a visit is
    earlier, or runs on past midnight: the end hour then says "next day"); overlaps as
    ``▓`` in red. ``width`` is the whole line, the hours included."""
    first, last = timeline_window(day)
    left = f"{first // 60 % 24:02d} "
    right = f" {last // 60 % 24:02d}" + (" next day" if last > MIDNIGHT else "")
    cells_wide = max(width - len(left) - len(right), 10)
    cells = [0] * cells_wide
    span = last - first
    for stop in day.stops:  # whole-number arithmetic: the last minute is the last cell
        start = stop.start.hour * 60 + stop.start.minute
        end = start + stop.minutes
        begin = min(max((start - first) * cells_wide // span, 0), cells_wide - 1)
        stop_at = min(max((end - first) * cells_wide // span, begin + 1), cells_wide)
        for i in range(begin, stop_at):
            cells[i] += 1
    bar = Text(left)
    for count in cells:
        if count == 0:
            bar.append("·", style="dim")
        else:
            bar.append("▓" if count > 1 else "█", style="bold red" if count > 1 else "cyan")
    bar.append(right)
    return bar


def gap_note(stop: DayStop) -> Text:
    """What lies between this visit and the next: overlap, too little travel time, or free."""
    gap, travel = stop.gap_after, stop.travel_after
    if gap is None or travel is None:
        return Text("")
    if gap < 0:
        return Text(f"✖ overlaps next by {-gap} min", style="bold red")
    if gap < travel:
        return Text(f"✖ {gap} min gap, travel {travel}", style="bold red")
    return Text(f"↓ {gap} min, {travel} travel", style="dim")


class CarerDayScreen(PassesStrayKeys, Screen):
    """A carer's day over the Rota screen's checked week."""

    CSS_PATH = "rota.tcss"
    HELP = help_text(__doc__)
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="carer_day.back"),
        Binding("x", "unassign", "Unassign", id="carer_day.unassign"),
        Binding("w", "swap", "Swap", id="carer_day.swap"),
        Binding("r", "accept", "Accept", id="carer_day.accept"),
        Binding("b", "absent", "Absent/Plan B", id="carer_day.absent"),
        Binding("e", "edit_absence", "Edit absence", id="carer_day.edit_absence"),
        Binding("d", "remove_absence", "Remove absence", id="carer_day.remove_absence"),
        Binding("u", "undo", "Undo", id="carer_day.undo"),
        Binding("h", "shadow", "Add shadow", show=False, id="carer_day.shadow"),
        Binding("O", "observe", "Observe shadow", show=False, id="carer_day.observe"),
        Binding("H", "require_shadow", "Shadow needed", show=False, id="carer_day.require"),
    ]

    def __init__(self, rota_screen: RotaScreen, carer_id: int, day: date) -> None:
        super().__init__()
        self.rota_screen = rota_screen
        self.carer_id = carer_id
        self.day = day
        self.detail: CarerDay | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="carer-day"):
            yield Static("", id="carer-day-title")
            yield Static("", id="carer-day-bar")
            yield DataTable(id="carer-day-stops", cursor_type="row", zebra_stripes=True)
            yield Static("", id="carer-day-problems")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Carer's day"
        table = self.query_one("#carer-day-stops", DataTable)
        table.add_column("", key="mark", width=1)
        table.add_column("Time", key="time", width=11)
        table.add_column("Customer", key="customer", width=18)
        with_width = 12 if self.size.width < 100 else 20  # co-carers' names whole if room
        table.add_column("With", key="with", width=with_width)
        table.add_column("Next", key="next", width=24)
        spare = self.size.width - 68 - with_width  # skills and tasks only where there is room
        if spare >= 12:
            table.add_column("Skills / tasks", key="skills", width=spare)
        table.focus()
        self.refresh_day()

    def on_resize(self) -> None:
        if self.detail is not None:
            self._draw_bar()

    def refresh_day(self) -> None:
        """Rebuild the day from the Rota screen's week (in memory: no database read)."""
        from coordinator_tui.services.rota.grid import level

        rota = self.rota_screen.rota
        if rota is None:
            return
        self.detail = detail = rota.carer_day(self.carer_id, self.day)
        summary = Text.assemble(
            (detail.carer.name, "bold"),
            f" · {self.day:%A %d %B %Y} · {len(detail.stops)} visits · ",
            f"{detail.visit_minutes / 60:.1f}h of visits",
            f" over a {detail.span_minutes / 60:.1f}h day" if detail.stops else "",
            (" · ABSENT" if detail.absent else "", "bold red"),
            (" (b Plan B, e correct, d remove)" if detail.absent else "", "dim"),
        )
        from coordinator_tui.screens.care.shadow_actions import shadow_line

        summary.append_text(shadow_line(self))  # shadow visits (issue 18 §7)
        self.query_one("#carer-day-title", Static).update(summary)
        self._draw_bar()
        table = self.query_one("#carer-day-stops", DataTable)
        row = table.cursor_row
        table.clear()
        mark = self.rota_screen.swap_mark
        for stop in detail.stops:
            kind = level(stop.worst)
            marked = mark is not None and mark[0] == stop.visit_id
            skills = " ".join(part for part in (stop.skills, stop.tasks) if part)
            cells_for_skills = [skills] if "skills" in table.columns else []
            table.add_row(
                Text("⇄" if marked else SYMBOLS[kind], style=STYLES[kind] or "bold"),
                f"{stop.start:%H:%M}-{stop.end:%H:%M}",
                stop.customer,
                ", ".join(stop.co_carers),
                gap_note(stop),
                *cells_for_skills,
                key=str(stop.visit_id),
            )
        if detail.stops:
            table.move_cursor(row=min(row, len(detail.stops) - 1))
        problems = Text("\n").join(
            problem_text(p, max(self.size.width - 4, 30)) for p in detail.problems[:8]
        )
        if not detail.problems:
            problems = Text("✓ No problems this day.", style="green")
        elif len(detail.problems) > 8:
            problems.append(f"\n… and {len(detail.problems) - 8} more", style="dim")
        self.query_one("#carer-day-problems", Static).update(problems)

    def _draw_bar(self) -> None:
        assert self.detail is not None
        width = max(self.size.width - 4, 26)
        if not self.detail.stops:
            self.query_one("#carer-day-bar", Static).update(Text("No visits this day.", "dim"))
            return
        self.query_one("#carer-day-bar", Static).update(timeline_bar(self.detail, width))

    def current_visit(self) -> int | None:
        table = self.query_one("#carer-day-stops", DataTable)
        if self.detail is None or not self.detail.stops:
            self.notify("No visit here", severity="warning")
            return None
        return self.detail.stops[table.cursor_row].visit_id

    def incident_prefill(self) -> dict[str, int | None]:
        """What ``f4`` fills in on the carer's day (issue 14 §1): this carer, and the
        highlighted visit with its customer."""
        table = self.query_one("#carer-day-stops", DataTable)
        if self.detail is None or not self.detail.stops:
            return {"carer_id": self.carer_id}
        visit_id = self.detail.stops[table.cursor_row].visit_id
        rota = self.rota_screen.rota
        visit = rota.state.snap.visits.get(visit_id) if rota is not None else None
        return {
            "carer_id": self.carer_id,
            "visit_id": visit_id,
            "customer_id": visit.customer_id if visit is not None else None,
        }

    def action_unassign(self) -> None:
        visit_id = self.current_visit()
        if visit_id is not None:
            self.rota_screen.unassign_visit(visit_id, self.carer_id, after=self.refresh_day)

    def action_swap(self) -> None:
        visit_id = self.current_visit()
        if visit_id is not None:
            self.rota_screen.swap_visit(visit_id, self.carer_id, after=self.refresh_day)

    def action_accept(self) -> None:
        self.rota_screen.accept_problem(self.carer_id, self.day, after=self.refresh_day)

    def action_undo(self) -> None:
        self.rota_screen.action_undo()
        self.refresh_day()

    def action_absent(self) -> None:
        """``b``: mark the carer absent from this day (on a day off: its Plan B)."""
        rota = self.rota_screen.rota
        if rota is None:
            return
        if self.day in rota.carer(self.carer_id).absent_days:
            absence = self.rota_screen.absence_here(self.carer_id, self.day)
            if absence is not None:
                self.rota_screen.open_plan_b(absence, rota.carer_name(self.carer_id))
                return
        self.rota_screen.mark_absent(self.carer_id, self.day)

    def action_edit_absence(self) -> None:
        self.rota_screen.edit_absence(self.carer_id, self.day)

    def action_remove_absence(self) -> None:
        self.rota_screen.remove_absence(self.carer_id, self.day)

    def action_shadow(self) -> None:
        from coordinator_tui.screens.care.shadow_actions import add_shadow_from_day

        add_shadow_from_day(self)

    def action_observe(self) -> None:
        from coordinator_tui.screens.care.shadow_actions import observe_from_day

        observe_from_day(self)

    def action_require_shadow(self) -> None:
        from coordinator_tui.screens.care.shadow_actions import require_from_day

        require_from_day(self)
