"""Shadow visits from the carer's day (issue 18 §7): ``h`` puts a carer on the highlighted
visit as a shadow (not staffing), ``O`` records what the carer whose day it is observed of
the shadow on that visit (an observation, a sign-off with its course, or not yet
competent), which goes to the training matrix.

Kept here so the carer's day screen gains two bindings and a line, not the forms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from coordinator_tui.screens.dialog_base import BackgroundSave
from coordinator_tui.screens.form_dialog import Field, FormDialog

if TYPE_CHECKING:
    from coordinator_tui.screens.rota.carer_day import CarerDayScreen


def shadow_line(day_screen: CarerDayScreen) -> Text:
    """`` · ◌ shadowing 10:00 Edith Crane``: the visits this carer shadows that day."""
    rota = day_screen.rota_screen.rota
    if rota is None:
        return Text()
    visits = getattr(rota.state.snap, "shadowing", {}).get(
        (day_screen.carer_id, day_screen.day), ()
    )
    if not visits:
        return Text()
    from coordinator_tui.services.rota.grid import local

    parts = [
        f"{local(rota.visit(v).start):%H:%M} {rota.customer_name(v)}"
        for v in visits
        if v in rota.state.snap.visits
    ]
    return Text(" · ◌ shadowing (not staffing): " + ", ".join(parts), style="italic")


def _after(day_screen: CarerDayScreen, visit_id: int, carer_id: int, added: bool) -> None:
    """Show the change at once (the week in memory), and read the week again behind it."""
    rota = day_screen.rota_screen.rota
    if rota is not None:
        snap = rota.state.snap
        shadows = dict(getattr(snap, "shadows", {}))
        shadowing = dict(getattr(snap, "shadowing", {}))
        day = snap.visits[visit_id].day
        if added:
            shadows[visit_id] = (*shadows.get(visit_id, ()), carer_id)
            shadowing[(carer_id, day)] = (*shadowing.get((carer_id, day), ()), visit_id)
        snap.shadows, snap.shadowing = shadows, shadowing
        rota.forget({carer_id, day_screen.carer_id})
    day_screen.refresh_day()
    day_screen.rota_screen.load()


def add_shadow_from_day(day_screen: CarerDayScreen) -> None:
    """``h``: pick the carer who shadows the highlighted visit, and why."""
    from coordinator_tui.services.care.shadowing import add_shadow
    from coordinator_tui.services.care.staff_lookups import carer_choices

    visit_id = day_screen.current_visit()
    rota = day_screen.rota_screen.rota
    if visit_id is None or rota is None:
        return
    app: Any = day_screen.app
    with app.session() as session:
        carers = tuple(c for c in carer_choices(session) if c[1] != day_screen.carer_id)
    today = app.settings.current_date()
    user = app.settings.user
    fields = [
        Field("carer", "Shadow (a new carer)", "choice", None, carers, True),
        Field("purpose", "Why (hoist with two, first visit...)", "text", ""),
    ]

    def write(values: dict[str, Any]) -> None:
        # In the dialog's worker thread; a refusal is shown in the form, text kept.
        with app.session() as session:
            add_shadow(
                session,
                visit_id,
                values["carer"],
                purpose=values["purpose"] or "",
                by=user,
                today=today,
            )

    def then(values: dict[str, Any], _result: Any) -> None:
        day_screen.notify("Shadow added: not counted as staffing", timeout=4)
        _after(day_screen, visit_id, values["carer"], added=True)

    save = BackgroundSave(write, then)

    app.push_screen(
        FormDialog("Add a shadow", fields, today, rota.describe_visit(visit_id), save=save)
    )


def observe_from_day(day_screen: CarerDayScreen) -> None:
    """``O``: what this carer (the supervisor on the visit) observed of its shadow."""
    from coordinator_tui.services.care.shadowing import OUTCOMES, record_observation
    from coordinator_tui.services.care.staff_lookups import course_choices

    visit_id = day_screen.current_visit()
    rota = day_screen.rota_screen.rota
    if visit_id is None or rota is None:
        return
    app: Any = day_screen.app
    with app.session() as session:
        from coordinator_tui.services.care.shadowing import shadows_between

        day = rota.visit(visit_id).day
        shadows = shadows_between(session, day, day).get(visit_id, [])
        courses = course_choices(session)
    if not shadows:
        day_screen.notify("Nobody shadows this visit (h adds a shadow)", severity="warning")
        return
    shadow = shadows[0]
    today = app.settings.current_date()
    user = app.settings.user
    fields = [
        Field(
            "outcome",
            "Outcome",
            "select",
            "observed",
            tuple((v, k) for k, v in OUTCOMES.items()),
            True,
        ),
        Field("course", "Course signed off", "select", None, courses),
        Field("on", "Observed on", "date", day, required=True),
        Field("note", "Note", "text", ""),
    ]
    supervisor = rota.carer_name(day_screen.carer_id)

    def write(values: dict[str, Any]) -> None:
        # In the dialog's worker thread; a refusal is shown in the form, text kept.
        with app.session() as session:
            record_observation(
                session,
                shadow.id,
                shadow.version,
                outcome=values["outcome"],
                supervisor=supervisor,
                held_on=values["on"],
                today=today,
                by=user,
                course_id=values["course"],
                note=values["note"] or "",
            )

    def then(values: dict[str, Any], _result: Any) -> None:
        day_screen.notify(f"{shadow.name}: {OUTCOMES[values['outcome']]}", timeout=4)

    save = BackgroundSave(write, then)

    app.push_screen(
        FormDialog(
            f"Observation of {shadow.name}",
            fields,
            today,
            f"By {supervisor} on {rota.describe_visit(visit_id)}",
            save=save,
        )
    )


def require_from_day(day_screen: CarerDayScreen) -> None:
    """``H``: the highlighted visit's customer needs a shadow visit before a carer goes
    alone (a double-up, moving and handling), from a date; the checker then reports a
    carer on their visits without one (``SHADOW_REQUIRED``)."""
    from coordinator_tui.services.care.shadowing import require_shadow

    visit_id = day_screen.current_visit()
    rota = day_screen.rota_screen.rota
    if visit_id is None or rota is None:
        return
    app: Any = day_screen.app
    today = app.settings.current_date()
    user = app.settings.user
    customer_id = rota.visit(visit_id).customer_id
    customer = rota.customer_name(visit_id)
    fields = [
        Field("need", "The new need (hoist with two, double-up...)", "text", "", required=True),
        Field("from", "From", "date", today, required=True),
    ]

    def write(values: dict[str, Any]) -> None:
        # In the dialog's worker thread; a refusal is shown in the form, text kept.
        with app.session() as session:
            require_shadow(
                session, customer_id, need=values["need"], from_date=values["from"], by=user
            )

    def then(values: dict[str, Any], _result: Any) -> None:
        day_screen.notify(f"{customer}: a shadow visit before working alone", timeout=4)
        day_screen.rota_screen.load()

    save = BackgroundSave(write, then)

    app.push_screen(
        FormDialog(
            "Shadow visit required", fields, today, f"{customer}: before going alone", save=save
        )
    )
