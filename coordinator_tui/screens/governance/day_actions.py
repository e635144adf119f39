"""The one-key steps on the day's visits (Governance, ``V``; issue 14 §4).

``c`` record a phone call (who rang, when, what about, what was said, the outcome; a
start or end the carer rings in is the visit's actual time), ``b`` send cover for a
visit going missed (the rota's ranked carers; ``enter`` assigns in place of the carer who
has not come), ``f`` raise the carer's flagged note as a safeguarding concern on the
customer's person record, ``i`` log an incident on the visit (customer, carer and visit
filled in, with the flagged note as what happened), ``d`` the flagged note needs nothing
(the reason). Each save runs off the UI thread (``BackgroundSave``); a refusal keeps the
dialog and what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from coordinator_tui.clock import to_local
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog
from coordinator_tui.services.errors import CoordinatorError

if TYPE_CHECKING:
    from coordinator_tui.app import CoordinatorApp
    from coordinator_tui.services.governance.visits import DayVisit

DAY_VISIT_ACTIONS = ("call", "cover", "note_concern", "visit_incident", "note_nothing")


def _hm(moment: datetime | None) -> str:
    return f"{to_local(moment):%H:%M}" if moment else ""


def visit_context(row: DayVisit) -> str:
    """``Edith Crane · planned 08:00-08:40 · Ann Lee``."""
    return f"{row.customer} · planned {_hm(row.planned_start)}-{_hm(row.planned_end)}" + (
        f" · {row.carers}" if row.carers else " · unassigned"
    )


class DayVisitActions(BackgroundWrites):
    """The steps on the highlighted visit of the day (``_visit``); a write with no dialog
    runs in a worker thread (``BackgroundWrites``)."""

    app: Any
    coordinator: CoordinatorApp
    today: date
    notify: Callable[..., None]

    # The screen gives: ``_visit()`` the highlighted visit of the day (or None, said),
    # ``now()`` its wall clock on the working day, ``governance_saved()`` the reload after
    # a save, and Textual's ``run_worker`` (no stubs here: the mixin comes before the
    # screen's own classes and would hide them).
    _visit: Callable[[], DayVisit | None]
    now: Callable[[], datetime]
    governance_saved: Callable[..., None]
    run_worker: Callable[..., Any]

    # -- a phone call ---------------------------------------------------------------------

    def action_call(self) -> None:
        from coordinator_tui.screens.governance.forms import RowsFormDialog, options
        from coordinator_tui.services.governance.incidents import at_time
        from coordinator_tui.services.governance.visit_calls import (
            CALL_ABOUT,
            CALLERS,
            record_call,
        )

        row = self._visit()
        if row is None:
            return
        user, today, now = self.coordinator.settings.user, self.today, self.now()
        coordinator = self.coordinator

        def write(values: dict[str, Any]) -> str:
            with coordinator.session() as session:
                record_call(
                    session,
                    row.id,
                    row.version,
                    caller=values["caller"],
                    who=values["who"],
                    at=at_time(today, values["at"], "the call was"),
                    about=values["about"],
                    said=values["said"],
                    outcome=values["outcome"],
                    by=user,
                    now=now,
                )
            return CALL_ABOUT[values["about"]].lower()

        def then(_values: dict[str, Any], about: str) -> None:
            self.notify(f"Call recorded for {row.customer}: {about}", timeout=5)
            self.governance_saved()

        fields = [
            [
                Field("caller", "Who rang", "select", required=True, options=options(CALLERS)),
                Field("who", "Name or relation", placeholder="e.g. daughter"),
                Field("at", "At (HH:MM)", value=f"{now:%H:%M}", required=True),
            ],
            [Field("about", "About", "select", required=True, options=options(CALL_ABOUT))],
            [Field("said", "What was said", "lines")],
            [Field("outcome", "Outcome", placeholder="e.g. cover sent, family reassured")],
        ]
        self.app.push_screen(
            RowsFormDialog(
                "Record a phone call",
                fields,
                today,
                visit_context(row),
                save=BackgroundSave(write, then),
            )
        )

    # -- cover ------------------------------------------------------------------------------

    def action_cover(self) -> None:
        from coordinator_tui.screens.rota.dialogs import CarerPicker
        from coordinator_tui.services.governance.visit_calls import cover_offer

        row = self._visit()
        if row is None:
            return
        try:
            with self.coordinator.session() as session:
                offer = cover_offer(session, row.id, self.now())
        except CoordinatorError as exc:
            self.notify(str(exc), severity="warning", timeout=6)
            return

        def picked(carer_id: int | None) -> None:
            if carer_id is not None:
                self._send_cover(offer, carer_id)

        self.app.push_screen(CarerPicker(offer.title, offer.candidates), picked)

    def _send_cover(self, offer: Any, carer_id: int, rationale: str = "") -> None:
        """Assign in a worker thread; soft problems ask for the reason (a dialog whose
        save assigns with it), hard ones and conflicts are said in a notification."""
        from coordinator_tui.services.governance.visit_calls import send_cover
        from coordinator_tui.services.rota.assign import RationaleRequired

        coordinator = self.coordinator

        def write(values: dict[str, Any] | None = None) -> str:
            with coordinator.session() as session:
                why = values["rationale"] if values else rationale
                return send_cover(session, offer, carer_id, rationale=why)

        def sent(name: str) -> None:
            self.notify(
                f"{name} sent to cover: ring them now (the customer is listed to be told)",
                timeout=8,
            )
            self.governance_saved()

        def work() -> None:
            try:
                name = write()
            except RationaleRequired as exc:
                self.app.call_from_thread(self._ask_cover_reason, exc, write, sent)
                return
            except CoordinatorError as exc:
                self.app.call_from_thread(
                    self.notify, f"Cover not sent: {exc}", severity="error", timeout=10
                )
                return
            self.app.call_from_thread(sent, name)

        self.run_worker(work, thread=True, group="governance-cover", exit_on_error=False)

    def _ask_cover_reason(
        self,
        exc: Any,
        write: Callable[[dict[str, Any]], str],
        sent: Callable[[str], None],
    ) -> None:
        context = "\n".join(f"▲ {p.title}: {p.message}" for p in exc.problems[:6])
        self.app.push_screen(
            FormDialog(
                "Send cover: accept with a reason",
                [Field("rationale", "Why (recorded for CQC)", required=True)],
                self.today,
                context=context,
                save=BackgroundSave(write, lambda _values, name: sent(name)),
            )
        )

    # -- a carer's flagged note ------------------------------------------------------------

    def _flagged(self) -> DayVisit | None:
        row = self._visit()
        if row is None:
            return None
        if not row.carer_note:
            self.notify("This visit has no carer's note", severity="warning")
            return None
        return row

    def action_note_concern(self) -> None:
        from coordinator_tui.services.governance.visit_calls import raise_note_concern

        row = self._flagged()
        if row is None:
            return
        user, today, coordinator = self.coordinator.settings.user, self.today, self.coordinator

        def work() -> None:
            try:
                with coordinator.session() as session:
                    raise_note_concern(session, row.id, row.record_version, by=user, today=today)
            except CoordinatorError as exc:
                self.app.call_from_thread(self.notify, str(exc), severity="error", timeout=10)
                return
            self.app.call_from_thread(self._note_raised, row.customer)

        self.run_worker(work, thread=True, group="governance-note", exit_on_error=False)

    def _note_raised(self, customer: str) -> None:
        self.notify(
            f"Safeguarding concern raised for {customer} from the carer's note: it waits "
            "for triage on Registers (C)",
            timeout=6,
        )
        self.governance_saved()

    def action_visit_incident(self) -> None:
        from coordinator_tui.screens.governance.forms import open_log_incident
        from coordinator_tui.services.governance.visit_calls import (
            note_decided,
            note_text_for_incident,
        )

        row = self._visit()
        if row is None:
            return
        flagged = row.note_to_review
        user = self.coordinator.settings.user

        coordinator = self.coordinator

        def saved(incident_id: int) -> None:
            # The incident is logged; the flagged note is marked decided by it in a worker
            # thread (``write_in_background``), the list read again after either way.
            if not flagged:
                self.governance_saved()
                return

            def write() -> None:
                with coordinator.session() as session:
                    note_decided(
                        session,
                        row.id,
                        None,
                        outcome="incident",
                        ref_id=incident_id,
                        by=user,
                    )

            def refused(error: CoordinatorError) -> None:
                self.notify(str(error), severity="warning")
                self.governance_saved()

            self.write_in_background(
                write, lambda _result: self.governance_saved(), refused=refused
            )

        open_log_incident(
            self.app,
            customer_id=row.customer_id,
            carer_id=row.carer_ids[0] if row.carer_ids else None,
            visit_id=row.id,
            kind="missed_visit" if row.state.missed and not flagged else None,
            what=note_text_for_incident(row.carer_note, row.note_flags) if flagged else "",
            context=visit_context(row),
            on_saved=saved,
        )

    def action_note_nothing(self) -> None:
        from coordinator_tui.services.governance.visit_calls import note_decided

        row = self._flagged()
        if row is None:
            return
        user, coordinator = self.coordinator.settings.user, self.coordinator

        def write(values: dict[str, Any]) -> None:
            with coordinator.session() as session:
                note_decided(
                    session,
                    row.id,
                    row.record_version,
                    outcome="no_action",
                    reason=values["reason"],
                    by=user,
                )

        def then(_values: dict[str, Any], _result: None) -> None:
            self.notify("Recorded: the note needs nothing", timeout=4)
            self.governance_saved()

        self.app.push_screen(
            FormDialog(
                "The carer's note needs nothing",
                [Field("reason", "Why not", required=True)],
                self.today,
                f"{row.customer}: {row.carer_note[:200]}",
                save=BackgroundSave(write, then),
            )
        )
