"""What the two screens listing the shared action tracker do alike (issue 17): the
Meetings section's tracker (view ``A``, every kind the user may act on) and Governance's
(``F``: an incident's actions and the rota's cover tasks, for a homecare coordinator who
may not run meetings).

On the highlighted action: ``c`` chase (with a note), ``d`` done (with the outcome), ``r``
reassign, ``e`` re-date. Each is a form saved in a worker thread through
``services/meetings/actions.py`` with the version the screen last saw: a colleague's
change meanwhile is refused in the form, what was typed kept. After a save the list is
read again and the cursor moves on to the next action.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text

from coordinator_tui.formatting import short_date, uk_date
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.widgets.lazy_table import LazyTable, Row

if TYPE_CHECKING:
    from coordinator_tui.app import CoordinatorApp
    from coordinator_tui.services.meetings.actions import ActionRow


def action_row(row: ActionRow, today: date) -> Row:
    """An action as the tracker lists it: status (OVERDUE in words), due, owner, the
    action, the person, and the meeting's day or, for an incident's action or a cover
    task, which tracker it is."""
    from coordinator_tui.services.meetings.actions import KIND_NAMES, MEETING

    overdue = row.is_overdue(today)
    return Row(
        row.id,
        (
            Text("OVERDUE", style="bold red") if overdue else Text("open"),
            Text(short_date(row.due_date), style="red" if overdue else "") if row.due_date else "—",
            row.owner or "—",
            row.description,
            row.person_name,
            short_date(row.meeting_day)
            if row.meeting_day
            # an incident's action or a cover task (the tracker is shared: ``KINDS``)
            else Text(KIND_NAMES.get(row.kind, ""), style="dim")
            if row.kind != MEETING
            else "",
        ),
    )


class ActionTracking:
    """The tracker's four changes, for a screen listing ``shown_actions`` in the
    ``LazyTable`` named by ``ACTIONS_TABLE``, reading them again with ``load()`` and
    calling ``_after_load`` once they are shown (the cursor moved on)."""

    ACTIONS_TABLE: ClassVar[str] = "#actions"
    app: Any
    coordinator: CoordinatorApp
    today: date
    notify: Callable[..., None]
    query_one: Callable[..., Any]
    load: Callable[[], Any]
    shown_actions: list[ActionRow]
    _after_load: Callable[[], None] | None

    def current_action(self) -> ActionRow | None:
        index = self.query_one(self.ACTIONS_TABLE, LazyTable).cursor_row
        return self.shown_actions[index] if self.shown_actions else None

    def _action_form(
        self, title: str, fields: list[Field], apply: Callable[[Any, ActionRow, dict], Any]
    ) -> None:

        row = self.current_action()
        if row is None:
            self.notify("Nothing highlighted", severity="warning")
            return
        index = self.query_one(self.ACTIONS_TABLE, LazyTable).cursor_row

        def write(values: dict[str, Any]) -> None:
            # In the dialog's worker thread; a refusal is shown in the form, text kept.
            with self.coordinator.session() as session:
                apply(session, row, values)

        def then(_values: dict[str, Any], _result: Any) -> None:
            self.notify(f"Saved: {title.lower()}", timeout=3)
            following = (
                self.shown_actions[index + 1].id if index + 1 < len(self.shown_actions) else None
            )
            self._after_load = lambda: self._move_on(following, index)
            self.load()

        save = BackgroundSave(write, then)
        due = f"due {uk_date(row.due_date)}" if row.due_date else "no due date"
        context = f"{row.owner or '—'} · {due} · {row.description}"
        self.app.push_screen(FormDialog(title, fields, self.today, context, save=save))

    def _move_on(self, following: int | None, index: int) -> None:
        keys = [a.id for a in self.shown_actions]
        table = self.query_one(self.ACTIONS_TABLE, LazyTable)
        if following in keys:
            table.cursor_row = keys.index(following)
        elif keys:
            table.cursor_row = min(index, len(keys) - 1)

    def action_chase(self) -> None:
        from coordinator_tui.services.meetings.actions import chase

        user = self.coordinator.settings.user
        self._action_form(
            "Chase the action",
            [Field("note", "How it was chased and what was said", required=True)],
            lambda s, r, v: chase(s, r.id, r.version, note=v["note"], by=user),
        )

    def action_done(self) -> None:
        from coordinator_tui.services.meetings.actions import complete

        self._action_form(
            "Mark the action done",
            [Field("outcome", "Outcome", required=True)],
            lambda s, r, v: complete(s, r.id, r.version, outcome=v["outcome"]),
        )

    def action_reassign(self) -> None:
        from coordinator_tui.services.meetings.actions import reassign
        from coordinator_tui.services.meetings.series import professionals

        with self.coordinator.session() as session:
            people = professionals(session)
        self._action_form(
            "Reassign the action",
            [
                Field(
                    "staff",
                    "New owner",
                    "select",
                    options=tuple((p.label, p.staff_id) for p in people),
                ),
                Field(
                    "owner",
                    "Or a name, initials or role",
                    placeholder="e.g. PM, DSL, IDVA, health visitor",
                ),
            ],
            lambda s, r, v: reassign(
                s, r.id, r.version, owner_staff_id=v["staff"], owner=v["owner"] or ""
            ),
        )

    def action_redate(self) -> None:
        from coordinator_tui.services.meetings.actions import redate

        row = self.current_action()
        self._action_form(
            "Re-date the action",
            [
                Field(
                    "due", "New due date (blank: none)", "date", value=row.due_date if row else None
                )
            ],
            lambda s, r, v: redate(s, r.id, r.version, due=v["due"], today=self.today),
        )


def overdue_by_kind(rows: Iterable[ActionRow], today: date, leave_out: str = "") -> str:
    """``4 incident, 1 cover needed``: the overdue rows counted by tracker (``KINDS``),
    ``leave_out`` not counted; "" when none. Both trackers' summary lines say it."""
    from coordinator_tui.services.meetings.actions import KIND_NAMES

    counts = Counter(r.kind for r in rows if r.kind != leave_out and r.is_overdue(today))
    return ", ".join(f"{n} {KIND_NAMES[k]}" for k, n in sorted(counts.items()))
