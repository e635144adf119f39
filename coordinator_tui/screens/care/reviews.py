"""Care plan reviews (Governance ``R``): the review queue, overdue first.

Each row is a review due: the first one (6 to 8 weeks after the package starts), the
regular one (the agency's interval after the review held, 12 months unless set), or one an
event asks for early (an incident or fall, a medication change, a complaint, two or more
missed visits, a hospital discharge, new equipment, a change of need). ``r`` records the
review held (when, the outcome, the next date: the interval on, proposed); it answers every
review then due for the customer, and the cursor moves on. ``s`` puts a review off to a
date, with the reason. ``n`` raises an early review by hand; ``I`` the agency's interval.
``o`` overdue only. ``f5`` reloads, ``esc`` goes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding

from coordinator_tui.formatting import short_date, uk_date
from coordinator_tui.screens.care.base import CareListScreen, plural
from coordinator_tui.screens.form_dialog import Field
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.lazy_table import Column, Row

if TYPE_CHECKING:
    from coordinator_tui.services.care.reviews import ReviewItem

COLUMNS = [
    Column("Status", 9),
    Column("Due", 8),
    Column("Customer", 20),
    Column("Review", 18, show_from=100),  # at 80 columns, "Why" names it
    Column("Why"),
]


class CareReviewsScreen(CareListScreen):
    HELP = __doc__ or ""
    TITLE_TEXT = "Care plan reviews"
    PREFILL_FROM = "the care plan reviews"
    SUB_TITLE = "Care plan reviews"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="care_reviews.back"),
        Binding("r", "review", "Reviewed", id="care_reviews.review"),
        Binding("s", "snooze", "Snooze", id="care_reviews.snooze"),
        Binding("n", "raise_early", "Early review", id="care_reviews.raise"),
        Binding("o", "overdue", "Overdue only", id="care_reviews.overdue"),
        Binding("I", "interval", "Interval", show=False, id="care_reviews.interval"),
        Binding("f5", "reload", "Reload", show=False, id="care_reviews.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.overdue_only = False

    def columns(self) -> list[Column]:
        return COLUMNS

    def empty_text(self) -> str:
        return "No care plan review is due within 4 weeks."

    def read(self, session: Any) -> list[Any]:
        from coordinator_tui.services.care.reviews import review_queue

        return review_queue(session, self.today, overdue_only=self.overdue_only)

    def to_row(self, item: ReviewItem) -> Row:
        today = self.today
        if item.is_overdue(today):
            status: Text | str = Text("OVERDUE", style="bold red")
        elif item.snoozed_until:
            status = "snoozed"
        elif item.early:
            status = Text("early", style="yellow")
        else:
            status = "due"
        due = short_date(item.effective_due)
        return Row(
            item.key,
            (
                status,
                Text(due, style="red") if item.is_overdue(today) else due,
                item.customer,
                item.label(),
                item.why,
            ),
        )

    def summary(self) -> Text:
        today = self.today
        overdue = sum(1 for i in self.rows if i.is_overdue(today))
        text = Text(self.TITLE_TEXT, style="bold")
        text.append(" · ")
        text.append(plural(len(self.rows), "review") + (" overdue" if self.overdue_only else ""))
        if overdue and not self.overdue_only:
            text.append(" · ")
            text.append(f"{overdue:,} overdue", style="bold red")
        return text

    def views_bar(self) -> Text:
        bar = Text()
        bar.append(" r ", style="bold")
        bar.append("reviewed ", style="dim")
        bar.append(" s ", style="bold")
        bar.append("snooze ", style="dim")
        bar.append(" n ", style="bold")
        bar.append("early review ", style="dim")
        bar.append(" o ", style="reverse bold" if self.overdue_only else "bold")
        bar.append("overdue only", style="dim")
        return bar

    def detail(self, item: ReviewItem | None) -> Text | str:
        if item is None:
            return ""
        parts = [f"{item.customer}: {item.label()}"]
        if item.opens:
            parts.append(f"window {uk_date(item.opens)} to {uk_date(item.due)}")
        if item.event_on:
            parts.append(f"event {uk_date(item.event_on)}")
        if item.snoozed_until:
            parts.append(
                f"put off from {uk_date(item.due)} to {uk_date(item.snoozed_until)}: "
                f"{item.snooze_reason}"
            )
        if item.last_done_on:
            parts.append(f"last reviewed {uk_date(item.last_done_on)}")
        return " · ".join(parts)

    # -- acting ---------------------------------------------------------------------------

    def _item(self) -> ReviewItem | None:
        item = self.current()
        if item is None:
            self.notify("No review highlighted", severity="warning")
        return item

    def action_overdue(self) -> None:
        self.overdue_only = not self.overdue_only
        self.load()

    def action_review(self) -> None:
        from coordinator_tui.services.care.reviews import proposed_next_review, record_review

        item = self._item()
        if item is None:
            return
        try:
            with self.coordinator.session() as session:
                proposed = proposed_next_review(session, self.today)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error")
            return
        today, user = self.today, self.user
        self.form(
            "Care plan reviewed",
            [
                [
                    Field("held_on", "Held on", "date", value=today, required=True),
                    Field("next", "Next review", "date", value=proposed, required=True),
                ],
                [Field("outcome", "Outcome (what changed, who took part)", "lines", required=True)],
            ],
            lambda s, v: record_review(
                s,
                item.customer_id,
                item.last_done_id,
                held_on=v["held_on"],
                outcome=v["outcome"] or "",
                next_due=v["next"],
                by=user,
                today=today,
            ),
            f"{item.customer} · {item.label()}: answers every review due for them",
            said=lambda r: f"Reviewed {item.customer}: next review {uk_date(r.next_due)}",
            after=lambda: self.saved(move_on=True),
        )

    def action_snooze(self) -> None:
        from coordinator_tui.services.care.reviews import snooze_review

        item = self._item()
        if item is None:
            return
        today, user = self.today, self.user
        self.form(
            "Put the review off",
            [
                Field("until", "Until", "date", required=True, placeholder="+1w"),
                Field("reason", "Why", required=True),
            ],
            lambda s, v: snooze_review(
                s, item, until=v["until"], reason=v["reason"] or "", by=user, today=today
            ),
            f"{item.customer} · {item.label()} due {uk_date(item.due)}",
            said=lambda r: f"{item.customer}'s review put off to {uk_date(r.snoozed_until)}",
            after=lambda: self.saved(lambda r: r.key),
        )

    def action_raise_early(self) -> None:
        from coordinator_tui.services.care.medication import customer_choices
        from coordinator_tui.services.care.reviews import (
            RAISED_BY_HAND,
            TRIGGERS,
            raise_early_review,
        )

        try:
            with self.coordinator.session() as session:
                customers = customer_choices(session)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error")
            return
        item = self.current()
        today, user = self.today, self.user
        self.form(
            "Ask for an early review",
            [
                Field(
                    "customer",
                    "Customer",
                    "choice",
                    value=item.customer_id if item else None,
                    required=True,
                    options=tuple((name, cid) for cid, name in customers),
                ),
                Field(
                    "trigger",
                    "Because of",
                    "select",
                    value="discharge",
                    required=True,
                    options=tuple((TRIGGERS[t], t) for t in RAISED_BY_HAND),
                ),
                Field("reason", "What happened", required=True),
            ],
            lambda s, v: raise_early_review(
                s,
                v["customer"],
                trigger=v["trigger"],
                reason=v["reason"] or "",
                by=user,
                today=today,
            ),
            "Incidents, medication changes, complaints and missed visits ask by themselves",
            said=lambda r: f"Early review asked for: due {uk_date(r.due_on)}",
        )

    def action_interval(self) -> None:
        from coordinator_tui.services.care.reviews import review_settings, save_review_settings

        try:
            with self.coordinator.session() as session:
                current = review_settings(session)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error")
            return

        def number(text: str, what: str) -> int:
            if not text.strip().isdigit():
                raise CoordinatorError(f"{what} is a whole number")
            return int(text)

        self.form(
            "The agency's care plan reviews",
            [
                Field(
                    "months",
                    "Review every (months) after the review held",
                    value=str(current.review_interval_months),
                    required=True,
                ),
                Field(
                    "days",
                    "An early review is due (days) after its event",
                    value=str(current.early_review_days),
                    required=True,
                ),
            ],
            lambda s, v: save_review_settings(
                s,
                current.version,
                review_interval_months=number(v["months"], "The interval"),
                early_review_days=number(v["days"], "The days"),
            ),
            "Shared by every coordinator of the agency; the first review stays 6-8 weeks",
        )
