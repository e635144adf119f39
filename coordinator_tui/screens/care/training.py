"""The training matrix and supervision (issue 18 §5): ``W`` on Governance (6).

Views ``m`` the matrix (carers down, courses across: ``✓ 03/27`` valid to March 2027,
``◐ 12/12`` due, running out on 12 December, ``✖ EXP`` expired, ``· none`` missing, ``—``
not needed for the role; the supervision and spot-check due dates), ``b`` the carers whose
missing or expired competencies block the most visits in the next 14 days, ``s``
supervisions and spot checks due in 30 days. On the matrix ``left``/``right`` (or
``h``/``l``) choose the course (named under the matrix with its state in words), ``c``
records a completion with its date (today filled in: ``enter`` saves; ``C`` completed
today, no form), ``i`` the agency's intervals (supervision, spot check, due soon), ``o`` records a
supervision, spot check, observation or sign-off by a supervisor, ``r`` the carer's role
and start date. ``f5`` reloads, ``esc`` goes back.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding

from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.care.staff_base import StaffListScreen, View, plural
from coordinator_tui.screens.form_dialog import Field
from coordinator_tui.widgets.lazy_table import Column, LazyTable, Row

CELL_STYLES = {"valid": "", "due": "yellow", "expired": "bold red", "missing": "red", "n/a": "dim"}
WIDE_COURSES = 7
"""Below 100 columns the matrix shows the first seven courses (the rest from 100)."""


class TrainingScreen(StaffListScreen):
    TITLE_TEXT = "Training matrix and supervision"
    PREFILL_FROM = "the training matrix"
    HELP = __doc__ or ""
    VIEWS = (
        View("m", "matrix", "Matrix"),
        View("b", "blocking", "Gaps blocking visits"),
        View("s", "supervision", "Supervision due"),
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="training.back"),
        Binding("c", "complete", "Completed", id="training.complete"),
        Binding("C", "complete_today", "Done today", show=False, id="training.complete_today"),
        Binding("o", "supervise", "Supervision", id="training.supervise"),
        Binding("r", "role", "Role", id="training.role"),
        Binding("i", "intervals", "Intervals", show=False, id="training.intervals"),
        Binding("left,h", "course(-1)", "Course", show=False, id="training.left"),
        Binding("right,l", "course(1)", "Course", show=False, id="training.right"),
        Binding("m", "view('matrix')", "Matrix", show=False, id="training.view_matrix"),
        Binding("b", "view('blocking')", "Blocking", show=False, id="training.view_blocking"),
        Binding("s", "view('supervision')", "Due", show=False, id="training.view_supervision"),
        Binding("f5", "reload", "Reload", show=False, id="training.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.course_index = 0

    # -- reading --------------------------------------------------------------------------

    def read(self, session: Any) -> tuple[list[Any], Any]:
        from coordinator_tui.services.care import training

        training.ensure_courses(session)
        matrix = training.training_matrix(session, self.today)
        if self.view.code == "blocking":
            return training.blocking_gaps(session, self.today), matrix
        if self.view.code == "supervision":
            return training.supervision_due(session, self.today), matrix
        return list(matrix.rows), matrix

    def columns(self) -> list[Column]:
        if self.view.code == "blocking":
            return [Column("Carer", 22), Column("Visits", 7), Column("Gaps")]
        if self.view.code == "supervision":
            return [Column("Due", 12), Column("Carer", 24), Column("What")]
        courses = self.extra.courses if self.extra else ()
        columns = [Column("Carer", 18), Column("Role", 9, show_from=110)]
        for index, course in enumerate(courses):
            columns.append(Column(course.code, 7, show_from=0 if index < WIDE_COURSES else 100))
        columns.append(Column("Superv.", 8, show_from=110))
        return columns

    def show(self, view: View, items: list[Any], extra: Any) -> None:
        self.extra = extra  # the columns depend on the courses
        super().show(view, items, extra)

    def to_row(self, index: int, item: Any) -> Row:
        from coordinator_tui.services.care.training import ROLES, SUPERVISION_KINDS

        today = self.today
        if self.view.code == "blocking":
            gaps = ", ".join(f"{code} {state}" for code, state in sorted(item.skills.items()))
            return Row(index, (item.name, str(item.visits), gaps))
        if self.view.code == "supervision":
            due: Text | str = uk_date(item.due)
            if item.overdue(today):
                due = Text(f"OVERDUE {item.due:%d/%m}", style="bold red")
            return Row(index, (due, item.name, SUPERVISION_KINDS.get(item.kind, item.kind)))
        cells: list[Text | str] = [item.name, ROLES.get(item.role, item.role).split()[0]]
        for position, cell in enumerate(item.cells):
            style = CELL_STYLES.get(cell.state, "")
            if position == self.course_index:
                style = f"{style} underline".strip()
            cells.append(Text(cell.text(), style=style))
        supervision = item.supervision_due
        if supervision is not None and item.supervision_overdue(today):
            cells.append(Text(f"! {supervision:%d/%m}", style="bold red"))
        else:
            cells.append(f"{supervision:%d/%m}" if supervision else "")
        return Row(index, tuple(cells))

    def summary(self) -> Text:
        matrix = self.extra
        text = Text(f"{self.view.title}: ", style="bold")
        if matrix is None:
            return text
        if self.view.code == "blocking":
            visits = sum(item.visits for item in self.items)
            text.append(f"{plural(len(self.items), 'carer')}, {plural(visits, 'visit')} blocked")
            return text
        if self.view.code == "supervision":
            late = sum(1 for item in self.items if item.overdue(self.today))
            text.append(f"{len(self.items)} due in 30 days")
            text.append(f" · {late} OVERDUE" if late else "", style="bold red")
            return text
        counts = matrix.counts()
        text.append(f"{plural(len(matrix.rows), 'carer')} · ")
        text.append(
            f"✖ {counts.get('expired', 0)} expired ",
            style="bold red" if counts.get("expired") else "",
        )
        text.append(f"· {counts.get('missing', 0)} missing ")
        text.append(f"◐ {counts.get('due', 0)} due in {matrix.due_soon_days} days")
        return text

    def detail(self, item: Any) -> Text | str:
        if self.view.code != "matrix" or self.extra is None:
            if self.view.code == "blocking":
                return Text(
                    "Visits in the next 14 days needing a skill the carer lacks or holds "
                    "expired by then, at their own customers: book these first.",
                    style="dim",
                )
            return ""
        courses = self.extra.courses
        if not courses:
            return ""
        course = courses[self.course_index]
        cell = item.cells[self.course_index]
        text = Text()
        text.append(f"{item.name} · {course.code} {course.name}: ", style="bold")
        text.append(cell.words(), style=CELL_STYLES.get(cell.state, ""))
        interval = f"every {course.interval_months} months" if course.interval_months else "once"
        text.append(f" ({interval}) · ←/→ course · c done")
        text.append(
            f"\nSupervision due {_d(item.supervision_due)}, spot check {_d(item.spot_check_due)}"
        )
        text.append(
            "\n✓ valid  ◐ due within 30 days  ✖ expired  · missing  — not needed", style="dim"
        )
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("complete", "complete_today", "supervise", "role", "course"):
            return self.view.code == "matrix" and self.loaded
        return super().check_action(action, parameters)

    # -- actions ------------------------------------------------------------------------------

    def action_course(self, step: int) -> None:
        if self.extra is None or not self.extra.courses:
            return
        self.course_index = (self.course_index + step) % len(self.extra.courses)
        table = self.query_one(LazyTable)
        current = table.current_row
        from coordinator_tui.widgets.lazy_table import ListSource

        table.set_source(
            ListSource([self.to_row(i, item) for i, item in enumerate(self.items)]),
            keep_key=current.key if current else None,
        )
        self._draw_detail()

    def action_complete(self) -> None:
        from coordinator_tui.services.care.training import record_completion

        item = self.current()
        if item is None or self.extra is None:
            return
        course = self.extra.courses[self.course_index]
        cell = item.cells[self.course_index]
        user = self.coordinator.settings.user
        fields = [Field("on", f"{course.code} completed on", "date", self.today, required=True)]

        def write(session: Any, values: dict[str, Any]) -> str:
            record = record_completion(
                session,
                item.carer_id,
                course.id,
                completed_on=values["on"],
                expected_latest=cell.record_id,
                today=self.today,
                by=user,
            )
            until = f", valid until {uk_date(record.expires_on)}" if record.expires_on else ""
            return f"{item.name}: {course.code} completed{until}"

        self.form(f"{course.name}", fields, write, item.name)

    def action_complete_today(self) -> None:
        """One key: the highlighted course completed today."""
        from coordinator_tui.services.care.training import record_completion

        item = self.current()
        if item is None or self.extra is None:
            return
        course = self.extra.courses[self.course_index]
        cell = item.cells[self.course_index]
        user = self.coordinator.settings.user
        self.act(
            lambda s: (
                record_completion(
                    s,
                    item.carer_id,
                    course.id,
                    completed_on=self.today,
                    expected_latest=cell.record_id,
                    today=self.today,
                    by=user,
                ),
                f"{item.name}: {course.code} completed today",
            )[1]
        )

    def action_supervise(self) -> None:
        from coordinator_tui.services.care.staff_lookups import course_choices
        from coordinator_tui.services.care.training import (
            OUTCOMES,
            SUPERVISION_KINDS,
            record_supervision,
        )

        item = self.current()
        if item is None:
            return
        with self.coordinator.session() as session:
            courses = course_choices(session)
        user = self.coordinator.settings.user
        fields = [
            Field(
                "kind",
                "Kind",
                "select",
                "supervision",
                tuple((v, k) for k, v in SUPERVISION_KINDS.items()),
                True,
            ),
            Field("on", "Held on", "date", self.today, required=True),
            Field("supervisor", "Supervisor", "text", user, required=True),
            Field("outcome", "Outcome", "select", None, tuple((v, k) for k, v in OUTCOMES.items())),
            Field("course", "Course (a sign-off)", "select", None, courses),
            Field("note", "Note", "text", ""),
        ]

        def write(session: Any, values: dict[str, Any]) -> str:
            record_supervision(
                session,
                item.carer_id,
                kind=values["kind"],
                held_on=values["on"],
                supervisor=values["supervisor"],
                outcome=values["outcome"] or "",
                course_id=values["course"],
                note=values["note"] or "",
                today=self.today,
                by=user,
            )
            return f"{item.name}: {SUPERVISION_KINDS[values['kind']].lower()} recorded"

        self.form("Supervision or observation", fields, write, item.name)

    def action_intervals(self) -> None:
        """``i``: the agency's supervision and spot-check intervals, the warning period."""
        from coordinator_tui.services.care.training import (
            intervals,
            intervals_version,
            save_intervals,
        )

        with self.coordinator.session() as session:
            current, version = intervals(session), intervals_version(session)
        fields = [
            Field(
                "supervision",
                "Supervision every (days)",
                "text",
                str(current.supervision_days),
                required=True,
            ),
            Field(
                "spot",
                "Spot check every (days)",
                "text",
                str(current.spot_check_days),
                required=True,
            ),
            Field(
                "soon", "Due soon within (days)", "text", str(current.due_soon_days), required=True
            ),
        ]

        def write(session: Any, values: dict[str, Any]) -> str:
            from coordinator_tui.screens.care.requests import _int

            save_intervals(
                session,
                supervision_days=_int(values["supervision"], "Supervision"),
                spot_check_days=_int(values["spot"], "Spot check"),
                due_soon_days=_int(values["soon"], "Due soon"),
                expected_version=version,
            )
            return "Intervals saved"

        self.form("Supervision intervals", fields, write, "Shared by every coordinator")

    def action_role(self) -> None:
        from coordinator_tui.services.care.training import ROLES, set_profile

        item = self.current()
        if item is None:
            return
        fields = [
            Field(
                "role", "Role", "select", item.role, tuple((v, k) for k, v in ROLES.items()), True
            ),
            Field("started", "Started on", "date", item.started_on),
        ]

        def write(session: Any, values: dict[str, Any]) -> str:
            set_profile(
                session,
                item.carer_id,
                role=values["role"],
                started_on=values["started"],
                expected_version=item.profile_version,
                today=self.today,
            )
            return f"{item.name}: {ROLES[values['role']].lower()}"

        self.form("Role and start", fields, write, item.name)


def _d(value: Any) -> str:
    return uk_date(value) if value else "—"
