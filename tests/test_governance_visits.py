"""Visits that did not happen (issue 14 §4): late, short and missed by the commissioners'
usual definitions (DESIGN.md section 7: late more than 30 minutes after planned, short under
75% of the planned length, missed not started by 23:00), actual times and missed visits
recorded, and the safeguarding vigilance that proposes a concern (neglect or acts of
omission) from two missed visits in 7 days, accepted onto the safeguarding side or
dismissed with a reason."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import Concern, Customer, Person, Visit
from coordinator_tui.services.errors import ConflictError
from coordinator_tui.services.governance import GovernanceError
from coordinator_tui.services.governance import visits as gv
from coordinator_tui.services.governance.agency import AgencySettings

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
DEFAULTS = AgencySettings()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UK)


PLANNED = (at(TODAY, 9), at(TODAY, 9, 40))  # a 40-minute visit at 09:00


@pytest.mark.parametrize(
    ("start", "end", "status", "now", "expected"),
    [
        (at(TODAY, 9, 30), at(TODAY, 10, 10), "done", NOW, "on time"),  # exactly 30: not late
        (at(TODAY, 9, 31), at(TODAY, 10, 11), "done", NOW, "late 31 min"),
        (at(TODAY, 9), at(TODAY, 9, 30), "done", NOW, "on time"),  # 75%: not short
        (at(TODAY, 9), at(TODAY, 9, 29), "done", NOW, "short (72% of planned)"),
        (None, None, "planned", at(TODAY, 22, 59), "on time"),  # not missed before 23:00
        (None, None, "planned", at(TODAY, 23, 0), "missed"),  # missed from 23:00
        (None, None, "done", at(TODAY, 23, 30), "on time"),  # done, times not logged
        (None, None, "missed", at(TODAY, 12), "missed"),  # recorded missed
    ],
)
def test_late_short_missed_by_the_commissioners_definitions(start, end, status, now, expected):
    assert gv.classify(*PLANNED, start, end, status, now, DEFAULTS).words() == expected


def test_an_agency_counting_late_from_15_minutes():
    strict = AgencySettings(late_minutes=15)
    state = gv.classify(*PLANNED, at(TODAY, 9, 16), at(TODAY, 9, 56), "done", NOW, strict)
    assert state.late and state.minutes_late == 16


@pytest.fixture
def world(engine):
    """A customer with a person record and a week of visits at 09:00, Tuesday to Monday."""
    with session_scope(engine, "setup") as s:
        person = Person(
            nhs_number="9990000026",
            given_name="Edith",
            family_name="Crane",
            date_of_birth=date(1931, 5, 2),
        )
        s.add(person)
        s.flush()
        customer = Customer(name="Edith Crane", person_id=person.id)
        s.add(customer)
        s.flush()
        visits = []
        for offset in range(6, -1, -1):
            day = TODAY - timedelta(days=offset)
            visit = Visit(
                customer_id=customer.id,
                visit_date=day,
                start_at=at(day, 9),
                end_at=at(day, 9, 40),
                status="done" if offset else "planned",
            )
            s.add(visit)
            s.flush()
            visits.append(visit.id)
        return {"customer": customer.id, "person": person.id, "visits": visits}


def _missed(engine, visit_id: int, reason: str = "carer_absent") -> None:
    with session_scope(engine, "coord") as s:
        gv.record_missed(s, visit_id, None, reason=reason, by="coord")


def _proposals(engine, now=NOW):
    with session_scope(engine, "t") as s:
        return gv.proposals(s, TODAY, now=now)


class TestRecording:
    def test_actual_times_make_the_visit_done(self, engine, world):
        visit_id = world["visits"][-1]
        with session_scope(engine, "t") as s:
            gv.record_actual(
                s, visit_id, 1, start=at(TODAY, 9, 5), end=at(TODAY, 9, 50), by="c", now=NOW
            )
            visit = s.get(Visit, visit_id)
            assert visit.status == "done" and visit.actual_start is not None

    @pytest.mark.parametrize(
        ("start", "end", "words"),
        [
            (None, None, "started"),
            (at(TODAY, 20), None, "future"),
            (at(TODAY, 9), at(TODAY, 8), "end after"),
            (at(TODAY - timedelta(days=5), 9), None, "not on the visit's day"),
        ],
    )
    def test_bad_times_refused(self, engine, world, start, end, words):
        with session_scope(engine, "t") as s, pytest.raises(GovernanceError, match=words):
            gv.record_actual(s, world["visits"][-1], None, start=start, end=end, by="c", now=NOW)

    def test_missed_needs_a_reason_and_leaves_the_rota_hours(self, engine, world):
        with session_scope(engine, "t") as s, pytest.raises(GovernanceError, match="why"):
            gv.record_missed(s, world["visits"][-1], None, reason="", by="c")
        _missed(engine, world["visits"][-1], "no_access")
        with session_scope(engine, "t") as s:
            assert s.get(Visit, world["visits"][-1]).status == "missed"

    def test_two_writers_on_a_visit(self, engine, world):
        visit_id = world["visits"][-1]
        with session_scope(engine, "first") as s:
            gv.record_missed(s, visit_id, 1, reason="refused", by="first")
        with session_scope(engine, "t") as s, pytest.raises(ConflictError, match="first changed"):
            gv.record_actual(s, visit_id, 1, start=at(TODAY, 9), end=None, by="c", now=NOW)


class TestVigilance:
    def test_one_missed_visit_proposes_nothing(self, engine, world):
        _missed(engine, world["visits"][2])
        assert _proposals(engine) == []

    def test_two_missed_in_seven_days_propose_a_neglect_concern(self, engine, world):
        _missed(engine, world["visits"][1], "carer_absent")
        _missed(engine, world["visits"][4], "no_access")
        (proposal,) = _proposals(engine)
        assert proposal.rule == "missed_visits" and proposal.customer == "Edith Crane"
        assert set(proposal.visit_ids) == {world["visits"][1], world["visits"][4]}
        assert "carer did not attend" in proposal.evidence and "no access" in proposal.evidence

    def test_a_visit_not_started_by_23_00_counts_as_missed(self, engine, world):
        _missed(engine, world["visits"][1])
        with session_scope(engine, "t") as s:  # today's visit: planned, never started
            s.get(Visit, world["visits"][-1])
        assert _proposals(engine, now=at(TODAY, 22)) == []
        (proposal,) = _proposals(engine, now=at(TODAY, 23, 5))
        assert "not started" in proposal.evidence

    def test_accepted_raises_the_concern_on_the_persons_record(self, engine, world):
        _missed(engine, world["visits"][1])
        _missed(engine, world["visits"][4])
        (proposal,) = _proposals(engine)
        with session_scope(engine, "coord") as s:
            decision = gv.accept_proposal(s, proposal, by="coord", today=TODAY, now=NOW)
            assert decision.status == "accepted"
        with session_scope(engine, "t") as s:
            concern = s.scalars(select(Concern)).one()
        assert concern.person_id == world["person"] and concern.category == "neglect"
        assert concern.status == "untriaged" and "missed" in concern.details
        assert _proposals(engine) == []

    def test_dismissed_with_a_reason_is_not_proposed_again_until_a_new_miss(self, engine, world):
        _missed(engine, world["visits"][1])
        _missed(engine, world["visits"][4])
        (proposal,) = _proposals(engine)
        with session_scope(engine, "t") as s, pytest.raises(GovernanceError, match="why"):
            gv.dismiss_proposal(s, proposal, reason=" ", by="c")
        with session_scope(engine, "t") as s:
            gv.dismiss_proposal(s, proposal, reason="Both in hospital; family told", by="c")
        assert _proposals(engine) == []
        _missed(engine, world["visits"][5])
        (again,) = _proposals(engine)
        assert len(again.visit_ids) == 3

    def test_three_late_or_short_visits_propose_one(self, engine, world):
        with session_scope(engine, "t") as s:
            for visit_id, offset in zip(world["visits"][1:4], (5, 4, 3), strict=True):
                day = TODAY - timedelta(days=offset)
                gv.record_actual(
                    s, visit_id, None, start=at(day, 10), end=at(day, 10, 20), by="c", now=NOW
                )
        (proposal,) = _proposals(engine)
        assert proposal.rule == "late_or_short" and "late 60 min" in proposal.evidence

    def test_a_colleague_decided_first(self, engine, world):
        _missed(engine, world["visits"][1])
        _missed(engine, world["visits"][4])
        (proposal,) = _proposals(engine)
        with session_scope(engine, "t") as s:
            gv.dismiss_proposal(s, proposal, reason="Known", by="colleague", now=NOW)
        with (
            session_scope(engine, "t") as s,
            pytest.raises(ConflictError, match="colleague dismissed it"),
        ):
            gv.accept_proposal(s, proposal, by="me", today=TODAY)


# -- the day's visits read as before (issue 23) -------------------------------------------
#
# ``day_visits`` reads plain rows and converts each distinct timestamp once, works out a
# visit not started once per planned start, and sorts group by group. ``_reference`` is
# the read it replaced, kept here as the expectation: the visits as ORM entities, every
# timestamp converted by its column, ``classify`` per visit, one sort by the whole key.

DAYS = (
    date(2026, 11, 23),  # GMT
    date(2026, 6, 30),  # BST: the UK an hour off UTC
    date(2026, 10, 25),  # the clocks go back (01:00-02:00 twice)
    date(2026, 3, 29),  # the clocks go forward (no 01:00-02:00)
)
NOTE_FLAGS = ("", "", "", "bruise", "fall, bruise")
KINDS = (
    "overdue",
    "missed by the cut-off",
    "recorded missed",
    "late",
    "short",
    "in progress",
    "done without times",
    "note to review",
    "note decided",
    "double-up",
    "unassigned",
)


def _reference_rows(session, day: date) -> list[tuple]:
    """The day's visits as the replaced read saw them: ORM entities, each timestamp
    converted by its column; with each visit's customer, carers and record."""
    from coordinator_tui.models import Carer, VisitAssignment
    from coordinator_tui.models.governance import VisitRecord

    visits = session.scalars(
        select(Visit)
        .where(Visit.visit_date == day, Visit.status != "cancelled")
        .order_by(Visit.start_at, Visit.id)
    ).all()
    rows = []
    for visit in visits:
        carers = session.execute(
            select(Carer.name, Carer.id)
            .join(VisitAssignment, VisitAssignment.carer_id == Carer.id)
            .where(VisitAssignment.visit_id == visit.id)
            .order_by(VisitAssignment.slot)
        ).all()
        record = session.scalars(
            select(VisitRecord).where(VisitRecord.visit_id == visit.id)
        ).first()
        rows.append((visit, session.get(Customer, visit.customer_id).name, carers, record))
    return rows


def _reference(rows: list[tuple], settings: AgencySettings, now: datetime) -> list[gv.DayVisit]:
    """``day_visits`` as it was: ``classify`` per visit, one sort by the whole key."""
    tolerance = timedelta(minutes=settings.late_minutes)
    result = []
    for visit, customer, carers, record in rows:
        state = gv.classify(
            visit.start_at, visit.end_at, visit.actual_start, visit.actual_end, visit.status,
            now, settings,
        )  # fmt: skip
        overdue = (
            visit.actual_start is None
            and visit.status == "planned"
            and not state.missed
            and now > visit.start_at + tolerance
        )
        result.append(
            gv.DayVisit(
                visit.id,
                visit.version,
                visit.start_at,
                visit.end_at,
                customer,
                " & ".join(name for name, _ in carers),
                visit.actual_start,
                visit.actual_end,
                visit.status,
                record.missed_reason if record else "",
                state,
                overdue,
                record.carer_note if record else "",
                record.note_flags if record else "",
                record.note_outcome if record else "",
                record.version if record else None,
                visit.customer_id,
                tuple(carer_id for _, carer_id in carers),
            )
        )
    result.sort(
        key=lambda v: (
            not v.overdue_check_in,
            not v.state.missed,
            not v.note_to_review,
            v.planned_start,
        )
    )
    return result


def _varied_day(engine) -> None:
    """Each of ``DAYS`` (and the days either side) with visits of every kind: to come,
    overdue, in progress, on time, late, short, done without times, missed (recorded, and
    not started by the cut-off), cancelled; single, double-up (slots written in reverse)
    and unassigned; notes flagged, decided on and plain; starts shared, just after
    midnight and late in the evening; one whose day is not its start's UK day."""
    import random

    from coordinator_tui.models import Carer, VisitAssignment
    from coordinator_tui.models.governance import VisitRecord

    rnd = random.Random(23)
    with session_scope(engine, "setup") as s:
        customers = [Customer(name=f"Customer {n:02d}") for n in range(12)]
        carers = [Carer(name=f"Carer {n:02d}") for n in range(8)]
        s.add_all(customers + carers)
        s.flush()
        for day in [d + timedelta(days=k) for d in DAYS for k in (-1, 0, 1)]:
            starts = [time(0, 15), time(7, 0), time(7, 0), time(23, 30), time(1, 30)]
            starts += [time(rnd.randint(6, 22), rnd.choice((0, 15, 30, 45))) for _ in range(30)]
            for index, wall in enumerate(starts):
                start = datetime.combine(day, wall, tzinfo=UK)
                end = start + timedelta(minutes=rnd.choice((15, 30, 45, 60)))
                kind = rnd.choice(
                    ("to_come", "to_come", "started", "done", "done", "bare", "missed", "cancelled")
                )
                visit = Visit(
                    customer_id=rnd.choice(customers).id,
                    visit_date=day - timedelta(days=1) if index == 4 else day,
                    start_at=start,
                    end_at=end,
                    status={"done": "done", "bare": "done", "missed": "missed"}.get(
                        kind, "cancelled" if kind == "cancelled" else "planned"
                    ),
                )
                if kind in ("started", "done"):
                    visit.actual_start = start + timedelta(minutes=rnd.randint(-10, 70))
                if kind == "done":
                    visit.actual_end = visit.actual_start + (end - start) * rnd.uniform(0.3, 1.3)
                s.add(visit)
                s.flush()
                for slot in rnd.choice(((), (1,), (1,), (2, 1))):
                    s.add(
                        VisitAssignment(
                            visit_id=visit.id, carer_id=rnd.choice(carers).id, slot=slot
                        )
                    )
                flags = rnd.choice(NOTE_FLAGS)
                if kind == "missed" or flags or rnd.random() < 0.2:
                    s.add(
                        VisitRecord(
                            visit_id=visit.id,
                            missed_reason=rnd.choice(list(gv.MISSED_REASONS))
                            if kind == "missed"
                            else "",
                            carer_note=f"Note {visit.id}" if flags or rnd.random() < 0.5 else "",
                            note_flags=flags,
                            note_outcome=rnd.choice(("", "no_action")) if flags else "",
                        )
                    )
                s.flush()


def _moments(day: date) -> list[datetime]:
    """From the evening before the day to past its midnight, and the edges of the
    defaults' late tolerance and missed cut-off."""
    first = datetime.combine(day - timedelta(days=1), time(22, 0), tzinfo=UK)
    moments = [first + timedelta(minutes=47 * n) for n in range(34)]
    moments += [at(day, 7, 30), at(day, 7, 31), at(day, 22, 59), at(day, 23, 0)]
    return moments


def _same_as_reference(engine) -> Counter:
    """Every day and moment compared; what the rows compared were (so a world that lost
    its variety fails too)."""
    from coordinator_tui.services.governance.agency import agency_settings

    def plain(visit: gv.DayVisit) -> dict:
        fields = dict(visit.__dict__)
        for name, value in fields.items():
            if isinstance(value, datetime):
                fields[name] = (value, value.utcoffset(), value.tzname())
        return fields

    seen: Counter = Counter()
    for day in DAYS:
        with session_scope(engine, "t") as s:
            rows = _reference_rows(s, day)
            settings = agency_settings(s)
        for now in _moments(day):
            expected = _reference(rows, settings, now)
            with session_scope(engine, "t") as s:
                got = gv.day_visits(s, day, now)
            assert [plain(v) for v in got] == [plain(v) for v in expected], (day, now)
            for visit in got:
                seen.update(
                    {
                        "rows": 1,
                        "overdue": visit.overdue_check_in,
                        "missed by the cut-off": visit.state.missed and not visit.missed_reason,
                        "recorded missed": bool(visit.missed_reason),
                        "late": visit.state.late,
                        "short": visit.state.short,
                        "in progress": visit.actual_start is not None and not visit.actual_end,
                        "done without times": visit.status == "done" and not visit.actual_start,
                        "note to review": visit.note_to_review,
                        "note decided": bool(visit.note_outcome),
                        "double-up": len(visit.carer_ids) == 2,
                        "unassigned": not visit.carer_ids,
                    }
                )
    return seen


def _agency_strict(engine) -> None:
    from coordinator_tui.models.governance import GovernanceSettings
    from coordinator_tui.services.governance.agency import save_agency_settings

    with session_scope(engine, "t") as s:
        save_agency_settings(
            s, None, agency_name="A", candour_limit_days=10, response_months=6,
            late_minutes=15, short_percent=90,
        )  # fmt: skip
        s.scalars(select(GovernanceSettings)).one().missed_after = time(21, 30)


def _check_day_visits_as_before(engine) -> None:
    _varied_day(engine)
    for agency in ("defaults", "strict"):
        if agency == "strict":
            _agency_strict(engine)
        seen = _same_as_reference(engine)
        assert seen["rows"] > 3_000 and all(seen[kind] > 10 for kind in KINDS), seen


def test_a_day_visit_made_in_bulk_is_the_constructors():
    """``day_visits`` makes its rows without the frozen dataclass's ``__init__``: the same
    object all the same (fields, equality, hash, repr, still frozen), and a row of the
    wrong length is refused rather than leaving a field out."""
    import dataclasses

    values = (
        7, 2, at(TODAY, 9), at(TODAY, 9, 40), "Customer", "Carer A & Carer B", None, None,
        "planned", "", gv.VisitState(), True, "note", "fall", "", 3, 11, (4, 5),
    )  # fmt: skip
    made, built = gv._day_visit(values), gv.DayVisit(*values)
    assert type(made) is gv.DayVisit and made.__dict__ == built.__dict__
    assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert made.note_to_review and made.words() == built.words() == "NO CHECK-IN"
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.customer = "Someone else"  # type: ignore[misc]
    with pytest.raises(ValueError):
        gv._day_visit(values[:-1])


def test_day_visits_read_with_the_collector_paused(engine):
    """``day_visits`` runs with the cyclic collector paused (``collector``), every
    statement and the rows made; it is back on after, and after an error too."""
    import gc

    from sqlalchemy import event

    _varied_day(engine)
    seen: list[bool] = []

    def statement(*_args) -> None:
        seen.append(gc.isenabled())

    was_on = gc.isenabled()
    gc.enable()
    event.listen(engine, "before_cursor_execute", statement)
    try:
        with session_scope(engine, "t") as s:
            rows = gv.day_visits(s, DAYS[0], at(DAYS[0], 12))
        assert rows and len(seen) == 3 and not any(seen), seen  # settings, carers, visits
        assert gc.isenabled()
        with session_scope(engine, "t") as s, pytest.raises(TypeError):
            gv.day_visits(s, DAYS[0], "noon")  # type: ignore[arg-type]
        assert gc.isenabled()
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        if not was_on:
            gc.disable()


def test_day_visits_as_the_reference_read_on_sqlite(engine):
    _check_day_visits_as_before(engine)


def test_day_visits_stored_in_other_forms_sort_as_before(engine):
    """SQLite keeps timestamps as text, and one written by hand in another form (a ``T``
    between day and time, no fraction; a UK offset) sorts apart from the others by text
    (the statement's order) and not by time: the rows are in planned-start order all
    the same, and the times read the same."""
    from sqlalchemy import text

    _varied_day(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE visit SET start_at = CASE WHEN id % 3 = 0"
                " THEN replace(substr(start_at, 1, 19), ' ', 'T')"
                " ELSE datetime(start_at, '+1 hours') || '+01:00' END"
                " WHERE id % 3 = 0 OR id % 5 = 0"
            )
        )
    assert _same_as_reference(engine)["rows"] > 3_000


@pytest.mark.postgres
def test_day_visits_as_the_reference_read_on_postgresql(pg_url, monkeypatch):
    from coordinator_tui.db import open_database

    # the server's sessions in UK time (libpq's PGTZ): the driver then gives timestamps in
    # it, which the read must give back in UTC as the column does
    monkeypatch.setenv("PGTZ", "Europe/London")
    opened = open_database(pg_url)
    try:
        with opened.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW TimeZone").scalar() == "Europe/London"
        _check_day_visits_as_before(opened.engine)
    finally:
        opened.engine.dispose()
