"""Medication and clinical changes (Governance ``E``): pending the two-person check
(loud), awaiting acknowledgements, done.

Views: ``P`` pending verification, ``W`` awaiting acknowledgements, ``D`` done; ``[``/``]``
cycle. ``n`` logs a change (customer, medication or clinical, from whom, when received,
what changed, the document's reference). Pending: ``v`` verify - you, in person, when you
did not log it; or the colleague who checked it by phone (with one user of the app).
Awaiting: one row per carer still to acknowledge, soonest visit first (with their next
visit time); ``a`` records that carer's acknowledgement taken by phone (the cursor moves on
to the next carer), ``p`` marks the care plan / medication record updated. A change is done
when both are complete. ``f5`` reloads, ``esc`` goes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import uk_date
from coordinator_tui.screens.care.base import CareListScreen, local_time, plural
from coordinator_tui.screens.form_dialog import Field
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.lazy_table import Column, Row

if TYPE_CHECKING:
    from coordinator_tui.services.care.medication import ChangeCounts, ChangeRow, MissingCarer

VIEWS = (("P", "pending", "Pending"), ("W", "awaiting", "Awaiting"), ("D", "done", "Done"))

PENDING_COLUMNS = [
    Column("State", 9),
    Column("Received", 15),
    Column("Customer", 20),
    Column("Change"),
    Column("From", 18, show_from=100),
    Column("Logged by", 12, show_from=110),
]
AWAITING_COLUMNS = [
    Column("Next visit", 15),
    Column("Carer", 18),
    Column("Customer", 18),
    Column("Change"),
    Column("Verified", 12, show_from=100),
]
DONE_COLUMNS = [
    Column("Done", 11),
    Column("Customer", 20),
    Column("Change"),
    Column("Verified by", 18, show_from=90),
    Column("Acks", 5, show_from=100),
]


@dataclass(frozen=True)
class AwaitingRow:
    """A row of the awaiting view: one carer still to acknowledge a change (``carer``
    None: nobody is missing; the care plan is still to be marked updated)."""

    change: ChangeRow
    carer: MissingCarer | None


def _what(change: ChangeRow, width: int = 60) -> str:
    text = f"{change.ref} {change.kind}: {change.description}"
    return text if len(text) <= width else text[: width - 1] + "…"


class CareChangesScreen(CareListScreen):
    HELP = __doc__ or ""
    TITLE_TEXT = "Medication and clinical changes"
    PREFILL_FROM = "the medication and clinical changes"
    SUB_TITLE = "Medication and clinical changes"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="care_changes.back"),
        Binding("n", "new", "Log change", id="care_changes.new"),
        Binding("v", "verify", "Verify", id="care_changes.verify"),
        Binding("a", "acknowledge", "Ack by phone", id="care_changes.acknowledge"),
        Binding("p", "care_plan", "Plan updated", id="care_changes.care_plan"),
        Binding(
            "left_square_bracket", "cycle(-1)", "Prev view", show=False, id="care_changes.prev"
        ),
        Binding(
            "right_square_bracket", "cycle(1)", "Next view", show=False, id="care_changes.next"
        ),
        Binding("f5", "reload", "Reload", show=False, id="care_changes.reload"),
        *[
            Binding(key, f"view('{code}')", title, show=False, id=f"care_changes.view_{code}")
            for key, code, title in VIEWS
        ],
    ]

    def __init__(self, view: str = "pending") -> None:
        super().__init__()
        self.view = view
        self.counts: ChangeCounts | None = None

    # -- reading ------------------------------------------------------------------------

    def read(self, session: Any) -> list[Any]:
        from coordinator_tui.services.care.medication import change_counts, change_list

        changes = change_list(session, self.view, self.now())
        self.counts = change_counts(session)
        if self.view != "awaiting":
            return changes
        rows: list[Any] = []
        for change in changes:
            if change.missing:
                rows.extend(AwaitingRow(change, m) for m in change.missing)
            else:
                rows.append(AwaitingRow(change, None))
        return rows

    def incident_prefill(self) -> dict[str, Any]:
        """What ``f4`` fills in here (issue 14 §1): the change's customer, the carer still
        to acknowledge it on the awaiting view, and a medication error for a medication
        change (the form says which change it came from)."""
        from coordinator_tui.screens.governance.forms import incident_prefill_from

        item = self.current()
        if item is None:
            return {}
        change, carer = (item.change, item.carer) if isinstance(item, AwaitingRow) else (item, None)
        about = SimpleNamespace(
            customer_id=change.customer_id, carer_id=carer.carer_id if carer else None
        )
        kind = {"kind": "medication"} if change.kind == "medication" else {}
        return incident_prefill_from(about, f"{self.PREFILL_FROM} ({change.ref})", **kind)

    def columns(self) -> list[Column]:
        return {"pending": PENDING_COLUMNS, "awaiting": AWAITING_COLUMNS}.get(
            self.view, DONE_COLUMNS
        )

    def empty_text(self) -> str:
        return {
            "pending": "No change waits for the two-person check.",
            "awaiting": "Every open change is acknowledged.",
        }.get(self.view, "No change done yet.")

    def to_row(self, item: Any) -> Row:
        if self.view == "pending":
            change: ChangeRow = item
            return Row(
                change.id,
                (
                    Text("PENDING", style="bold red"),
                    local_time(change.received_at),
                    change.customer,
                    _what(change),
                    f"{change.source}: {change.from_whom}" if change.from_whom else change.source,
                    change.logged_by,
                ),
            )
        if self.view == "awaiting":
            row: AwaitingRow = item
            change = row.change
            if row.carer is None:
                when: Text | str = Text("plan to update", style="yellow")
                carer: Text | str = Text("all acknowledged ✓", style="green")
            else:
                soon = row.carer.next_visit
                when = local_time(soon) if soon else Text("none to come", style="dim")
                carer = row.carer.name
            return Row(
                (change.id, row.carer.carer_id if row.carer else None),
                (
                    when,
                    carer,
                    change.customer,
                    _what(change),
                    local_time(change.verified_at, "%d/%m %H:%M"),
                ),
            )
        change = item
        return Row(
            change.id,
            (
                uk_date(to_local(change.closed_at)) if change.closed_at else "",
                change.customer,
                _what(change),
                change.verified_by + (" (phone)" if change.verification == "phone" else ""),
                str(len(change.acknowledged)),
            ),
        )

    def summary(self) -> Text:
        text = Text(self.TITLE_TEXT, style="bold")
        counts = self.counts
        if counts is not None:
            if counts.pending:
                text.append(" · ")
                text.append(
                    f"{plural(counts.pending, 'change')} NOT VERIFIED", style="bold white on red"
                )
            if counts.awaiting:
                text.append(" · ")
                text.append(f"{counts.awaiting:,} open", style="bold")
        return text

    def views_bar(self) -> Text:
        bar = Text()
        for key, code, title in VIEWS:
            style = "reverse bold" if code == self.view else ""
            bar.append(f" {key} ", style=style or "bold")
            bar.append(f"{title} ", style=style or "dim")
        return bar

    def detail(self, item: Any | None) -> Text | str:
        if item is None:
            return ""
        change: ChangeRow = item.change if isinstance(item, AwaitingRow) else item
        text = Text(f"{change.ref} · {change.customer} · {change.description}")
        if change.document_ref:
            text.append(f" · ref {change.document_ref}")
        if self.view == "pending":
            who = f"logged by {change.logged_by}" if change.logged_by else "who logged it unknown"
            text.append(
                f"\nNOT VERIFIED ({who}): v verify - someone else, or by phone",
                style="bold red",
            )
        elif self.view == "awaiting":
            missing = ", ".join(
                f"{m.name} ({local_time(m.next_visit) or 'no visit to come'})"
                for m in change.missing
            )
            plan = (
                "care plan updated ✓"
                if change.care_plan_updated_at
                else "care plan NOT updated (p)"
            )
            text.append(f"\nStill to acknowledge: {missing or 'nobody'} · {plan}")
        else:
            acks = ", ".join(
                f"{name} {local_time(at, '%d/%m')}" for _, name, at, _ in change.acknowledged
            )
            text.append(f"\nAcknowledged: {acks or 'nobody rostered'}")
        return text

    # -- views ------------------------------------------------------------------------------

    def action_view(self, code: str) -> None:
        self.view = code
        self.loaded = False
        self.query_one("#care-table").cursor_row = 0  # type: ignore[attr-defined]
        self.load()

    def action_cycle(self, step: int) -> None:
        codes = [code for _, code, _ in VIEWS]
        self.action_view(codes[(codes.index(self.view) + step) % len(codes)])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "verify":
            return self.view == "pending"
        if action in ("acknowledge", "care_plan"):
            return self.view == "awaiting"
        return super().check_action(action, parameters)

    # -- acting -----------------------------------------------------------------------------

    def action_new(self) -> None:
        from coordinator_tui.services.care.medication import (
            KINDS,
            SOURCES,
            customer_choices,
            log_change,
        )
        from coordinator_tui.services.governance.incidents import at_time

        try:
            with self.coordinator.session() as session:
                customers = customer_choices(session)
        except CoordinatorError as exc:
            self.notify(str(exc), severity="error")
            return
        today, user = self.today, self.user

        def apply(session: Any, v: dict[str, Any]) -> Any:
            received = at_time(v["received_on"], v["received_at"] or "", "it was received")
            return log_change(
                session,
                customer_id=v["customer"],
                kind=v["kind"],
                source=v["source"],
                from_whom=v["from_whom"] or "",
                received_at=received,
                description=v["what"] or "",
                document_ref=v["ref"] or "",
                by=user,
                now=self.now(),
            )

        self.form(
            "Log a medication or clinical change",
            [
                [
                    Field(
                        "customer",
                        "Customer",
                        "choice",
                        required=True,
                        options=tuple((n, i) for i, n in customers),
                    )
                ],
                [
                    Field(
                        "kind",
                        "Kind",
                        "select",
                        value="medication",
                        required=True,
                        options=tuple((label, code) for code, label in KINDS.items()),
                    ),
                    Field(
                        "source",
                        "From",
                        "select",
                        value="GP",
                        required=True,
                        options=tuple((label, code) for code, label in SOURCES.items()),
                    ),
                    Field("from_whom", "Who sent it", placeholder="Dr ..., pharmacist ..."),
                ],
                [
                    Field("received_on", "Received on", "date", value=today, required=True),
                    Field("received_at", "At (HH:MM)", required=True, placeholder="e.g. 09:30"),
                    Field("ref", "Document reference", placeholder="letter, fax, eMAR id"),
                ],
                [Field("what", "What changed", "lines", required=True)],
            ],
            apply,
            "Pending until a second person verifies it (two-person check)",
            said=lambda c: f"MC-{c.id} logged: pending verification by a second person",
            after=lambda: self.saved(lambda r: r.id),
        )

    def action_verify(self) -> None:
        from coordinator_tui.services.care.medication import verify_change

        change = self.current()
        if change is None or self.view != "pending":
            self.notify("No pending change highlighted", severity="warning")
            return
        user = self.user

        def apply(session: Any, v: dict[str, Any]) -> Any:
            return verify_change(
                session,
                change.id,
                change.version,
                by=user,
                by_phone=v["how"] == "phone",
                verifier=v["verifier"] or "",
                now=self.now(),
            )

        def said(result: Any) -> str:
            tell = ", ".join(m.name for m in result.to_tell) or "nobody rostered yet"
            return f"{change.ref} verified: carers to acknowledge: {tell}"

        self.form(
            "Two-person check",
            [
                Field(
                    "how",
                    "Verified by",
                    "select",
                    value="in_person",
                    required=True,
                    options=(
                        (f"me ({user}), checked against the source", "in_person"),
                        ("a colleague, by phone (name them)", "phone"),
                    ),
                ),
                Field(
                    "verifier", "The colleague who verified it by phone", placeholder="name, role"
                ),
            ],
            apply,
            f"{change.ref} · {change.customer} · logged by {change.logged_by}: "
            "the verifier cannot be the person who logged it",
            said=said,
            after=lambda: self.saved(move_on=True),
        )

    def _awaiting(self) -> AwaitingRow | None:
        row = self.current() if self.view == "awaiting" else None
        if row is None:
            self.notify("No open change highlighted", severity="warning")
        return row

    def action_acknowledge(self) -> None:
        from coordinator_tui.services.care.medication import record_acknowledgement

        row = self._awaiting()
        if row is None:
            return
        if row.carer is None:
            self.notify("Every carer has acknowledged this change: p marks the care plan updated")
            return
        carer = row.carer
        change = row.change
        if self.act(
            lambda s: record_acknowledgement(
                s, change.id, change.version, carer.carer_id, by=self.user, now=self.now()
            ),
            lambda c: (
                f"{carer.name} acknowledged {change.ref} by phone"
                + (": the change is done" if c.status == "done" else "")
            ),
        ):
            self.saved(move_on=True)

    def action_care_plan(self) -> None:
        from coordinator_tui.services.care.medication import mark_care_plan_updated

        row = self._awaiting()
        if row is None:
            return
        change = row.change
        if self.act(
            lambda s: mark_care_plan_updated(
                s, change.id, change.version, by=self.user, now=self.now()
            ),
            lambda c: (
                f"{change.ref}: care plan marked updated"
                + (": the change is done" if c.status == "done" else "")
            ),
        ):
            self.saved(lambda r: (r.change.id, r.carer.carer_id if r.carer else None))
