"""Hospital discharges and change requests (issue 18 §4): ``Q`` on Governance (6).

Views ``o`` open, ``d`` decided, ``a`` all. ``n`` logs a request as received (kind,
customer, when received, the start, the visit times, how long, carers, skills, from whom).
On the highlighted request: ``t`` triaged; ``c`` "Can we take it?": the requested visits
of the 7 days from the start placed on the rota as it stands and the carers who could
cover each, from the rota's own ranking (answered in under a second on the large demo),
recorded as the capacity answer; ``y`` accept (creates the care package, a visit template
per time and the visits of those 7 days, unstaffed, for the Rota's "short of carers"
list); ``x`` decline with the reason. The summary shows each step's median and 90th
percentile turnaround in hours. ``f5`` reloads, ``esc`` goes back.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from rich.text import Text
from textual import work
from textual.binding import Binding

from coordinator_tui.formatting import short_date
from coordinator_tui.screens.care.staff_base import StaffListScreen, View, local_time, plural
from coordinator_tui.screens.form_dialog import Field
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.lazy_table import Column, Row

COLUMNS = [
    Column("Stage", 9),
    Column("Kind", 18),
    Column("Customer"),
    Column("Received", 11),
    Column("Starts", 8),
    Column("Visits", 23, show_from=100),
    Column("From", 14, show_from=110),
]


class RequestsScreen(StaffListScreen):
    TITLE_TEXT = "Discharges and change requests"
    PREFILL_FROM = "the discharges and change requests"
    HELP = __doc__ or ""
    VIEWS = (
        View("o", "open", "Open"),
        View("d", "decided", "Decided"),
        View("a", "all", "All"),
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="requests.back"),
        Binding("n", "new", "New", id="requests.new"),
        Binding("t", "triage", "Triaged", id="requests.triage"),
        Binding("c", "capacity", "Can we take it?", id="requests.capacity"),
        Binding("y", "accept", "Accept", id="requests.accept"),
        Binding("x", "decline", "Decline", id="requests.decline"),
        Binding("o", "view('open')", "Open", show=False, id="requests.view_open"),
        Binding("d", "view('decided')", "Decided", show=False, id="requests.view_decided"),
        Binding("a", "view('all')", "All", show=False, id="requests.view_all"),
        Binding("f5", "reload", "Reload", show=False, id="requests.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.capacity: dict[int, Any] = {}  # request id -> its "Can we take it?" answer

    def columns(self) -> list[Column]:
        return COLUMNS

    def empty_text(self) -> str:
        return "No requests in this view. n logs one."

    def read(self, session: Any) -> tuple[list[Any], Any]:
        from coordinator_tui.services.care.requests import request_list, turnaround

        return request_list(session, self.view.code), turnaround(session)

    def to_row(self, index: int, item: Any) -> Row:
        from coordinator_tui.services.care.requests import KINDS

        stage: Text | str = item.stage()
        if stage == "NEW":
            stage = Text("NEW", style="bold yellow")
        elif stage == "declined":
            stage = Text("declined", style="dim")
        visits = f"{item.visit_times.replace(',', ' ')} {item.duration_minutes}m"
        if item.carers_required == 2:
            visits += " ×2"
        return Row(
            index,
            (
                stage,
                KINDS.get(item.kind, item.kind),
                item.customer,
                local_time(item.received_at),
                short_date(item.start_date),
                visits,
                item.source,
            ),
        )

    def summary(self) -> Text:
        text = Text()
        open_count = sum(1 for item in self.items if item.open)
        text.append(f"{self.view.title}: {plural(len(self.items), 'request')}", style="bold")
        if self.view.code != "open" and open_count:
            text.append(f" ({open_count} open)")
        figures = [f for f in (self.extra or []) if f.count]
        if figures:
            text.append(" · turnaround h (median/90th): ")
            text.append(" ".join(f"{f.step} {f.median_hours:g}/{f.p90_hours:g}" for f in figures))
        return text

    def detail(self, item: Any) -> Text | str:
        text = Text()
        steps = [
            ("received", item.received_at),
            ("triaged", item.triaged_at),
            ("answered", item.answered_at),
            (item.decision or "decided", item.decided_at),
            ("first visit", item.first_visit_at),
        ]
        text.append(
            " → ".join(f"{name} {local_time(at)}" if at else f"{name} —" for name, at in steps)
        )
        if item.decline_reason:
            text.append(f"\nDeclined: {item.decline_reason}")
        answer = self.capacity.get(item.id)
        if answer is not None:
            text.append("\n")
            text.append_text(capacity_text(answer))
        elif item.capacity_note:
            text.append(f"\nCapacity: {item.capacity_note}")
        elif item.open:
            text.append("\nc: Can we take it?", style="dim")
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("triage", "capacity", "accept", "decline"):
            item = self.current() if self.loaded else None
            return item is not None and item.open
        return super().check_action(action, parameters)

    # -- actions ------------------------------------------------------------------------------

    def action_new(self) -> None:
        from coordinator_tui.services.care.requests import KINDS, log_request
        from coordinator_tui.services.care.staff_lookups import customer_choices

        with self.coordinator.session() as session:
            customers = customer_choices(session)
        now = self.now()
        fields = [
            Field(
                "kind", "Kind", "select", "discharge", tuple((v, k) for k, v in KINDS.items()), True
            ),
            Field("customer", "Customer", "choice", None, customers, True),
            Field("received_on", "Received on", "date", self.today, required=True),
            Field("received_time", "Received at (HH:MM)", "text", f"{now:%H:%M}", required=True),
            Field("start_date", "Care starts", "date", self.today, required=True),
            Field("times", "Visit times", "text", "", placeholder="08:00 12:30 17:00 21:00"),
            Field("duration", "Minutes per visit", "text", "30", required=True),
            Field("carers", "Carers per visit", "select", 1, (("1", 1), ("2", 2)), True),
            Field("skills", "Skills needed", "text", "", placeholder="MED, HOIST"),
            Field("source", "From (ward, social worker...)", "text", ""),
        ]
        user = self.coordinator.settings.user

        def write(session: Any, values: dict[str, Any]) -> str:
            received = _moment(values["received_on"], values["received_time"])
            row = log_request(
                session,
                kind=values["kind"],
                customer_id=values["customer"],
                received_at=received,
                start_date=values["start_date"],
                visit_times=values["times"] or "",
                duration_minutes=_int(values["duration"], "Minutes per visit"),
                carers_required=int(values["carers"]),
                required_skills=values["skills"] or "",
                source=values["source"] or "",
                by=user,
                now=self.now(),
            )
            return f"Request logged: {KINDS[row.kind].lower()}"

        self.form("New request", fields, write, "Received: the time stamps every step after it")

    def action_triage(self) -> None:
        from coordinator_tui.services.care.requests import triage

        item = self.current()
        if item is None:
            return
        self.act(lambda s: (triage(s, item.id, item.version, now=self.now()), "Triaged")[1])

    def action_capacity(self) -> None:
        item = self.current()
        if item is None:
            return
        self.query_one("#staff-detail").update(Text("Placing the visits on the rota…"))
        self.run_capacity(item)

    @work(thread=True, exclusive=True, group="care-capacity")
    def run_capacity(self, item: Any) -> None:
        from coordinator_tui.services.care.requests import ask_and_answer

        try:
            with self.coordinator.session() as session:
                answer = ask_and_answer(session, item.id, item.version, now=self.now())
        except CoordinatorError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", timeout=8)
            return
        self.app.call_from_thread(self._capacity_done, item.id, answer)

    def _capacity_done(self, request_id: int, answer: Any) -> None:
        self.capacity[request_id] = answer
        self.notify(f"{answer.summary()} ({answer.seconds:.2f} s)", timeout=5)
        self.load()

    def action_accept(self) -> None:
        from coordinator_tui.services.care.requests import accept

        item = self.current()
        if item is None:
            return

        def write(session: Any) -> str:
            row = accept(session, item.id, item.version, now=self.now())
            if row.package_id:
                return "Accepted: package, visit templates and the week's visits created"
            return "Accepted"

        self.act(write)

    def action_decline(self) -> None:
        from coordinator_tui.services.care.requests import decline

        item = self.current()
        if item is None:
            return
        fields = [Field("reason", "Why it is declined", "text", "", required=True)]

        def write(session: Any, values: dict[str, Any]) -> str:
            decline(session, item.id, item.version, reason=values["reason"], now=self.now())
            return "Declined"

        self.form("Decline the request", fields, write, item.customer)


def capacity_text(answer: Any) -> Text:
    """The answer by day: each time with ✓ and how many carers could take it, or ✖."""
    text = Text()
    text.append(f"{answer.summary()}", style="bold")
    if answer.carers:
        best = ", ".join(list(answer.carers)[:3])
        text.append(f" · most often: {best}")
    by_day: dict[Any, list[Any]] = {}
    for option in answer.options:
        by_day.setdefault(option.day, []).append(option)
    for day, options in by_day.items():
        text.append(f"\n{day:%a %d/%m} ")
        for option in options:
            if option.covered:
                text.append(f" {option.at:%H:%M} ✓{option.feasible}")
            else:
                text.append(f" {option.at:%H:%M} ✖", style="bold red")
        missing = next((o for o in options if not o.covered and o.reason), None)
        if missing is not None:
            text.append(f"  ({missing.reason[:60]})", style="dim")
    return text


def _moment(day: Any, clock: str) -> datetime:
    from coordinator_tui.clock import UK
    from coordinator_tui.services.care.requests import RequestError, parse_times

    try:
        found = parse_times(clock)
    except RequestError as exc:
        raise RequestError(f"Received at: {exc}") from None
    if len(found) != 1:
        raise RequestError("Received at: one time of day (HH:MM)")
    at: time = found[0]
    return datetime.combine(day, at, tzinfo=UK)


def _int(text: Any, label: str) -> int:
    from coordinator_tui.services.care.staff_common import CareStaffError

    try:
        return int(str(text).strip())
    except ValueError:
        raise CareStaffError(f"{label}: a whole number") from None
