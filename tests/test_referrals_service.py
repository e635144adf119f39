"""Referral lifecycle, chase-by dates in working days, outcomes and follow-ons, figures."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from queue_oracle import whole_referrals
from sqlmodel import func, select

from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, Person, Practice, Referral, ReferralEvent
from coordinator_tui.services import referrals as ref

TODAY = date(2027, 1, 15)


@pytest.fixture
def person_id(engine) -> int:
    with session_scope(engine, "setup") as s:
        practice = Practice(ods_code="A1", name="Alpha", short_name="Alpha")
        s.add(practice)
        s.flush()
        person = Person(
            nhs_number="9990000018",
            given_name="Sam",
            family_name="Example",
            search_name="example sam",
            date_of_birth=date(2016, 3, 3),
            practice_id=practice.id,
        )
        s.add(person)
        s.flush()
        return person.id


def _referral(kind: str, state: str, moved: date) -> Referral:
    referral = Referral(
        person_id=1,
        referral_type=kind,
        state=state,
        drafted_at=datetime(moved.year, moved.month, moved.day, 12, tzinfo=UK),
    )
    if state in ref.TIMESTAMP:
        setattr(
            referral,
            ref.TIMESTAMP[state],
            datetime(moved.year, moved.month, moved.day, 12, tzinfo=UK),
        )
    return referral


# Expected response from the reference file: MASH 1 working day, MARAC 10, S42 5.
@pytest.mark.parametrize(
    ("kind", "state", "moved", "expected"),
    [
        ("MASH", "sent", date(2026, 11, 23), date(2026, 11, 24)),  # Mon -> Tue
        ("MASH", "sent", date(2026, 11, 27), date(2026, 11, 30)),  # Fri -> Mon
        ("MASH", "sent", date(2026, 11, 28), date(2026, 11, 30)),  # sent on a Saturday
        ("MASH", "sent", date(2026, 12, 24), date(2026, 12, 29)),  # over Christmas
        ("MASH", "sent", date(2027, 3, 25), date(2027, 3, 30)),  # over Easter
        ("MASH", "sent", date(2027, 4, 30), date(2027, 5, 4)),  # over early May
        ("S42", "acknowledged", date(2026, 12, 21), date(2026, 12, 30)),  # 5 wd over Xmas
        ("MARAC", "sent", date(2027, 3, 22), date(2027, 4, 7)),  # 10 wd over Easter
        ("MASH", "drafted", date(2026, 12, 24), date(2026, 12, 29)),  # send by next wd
        ("MASH", "outcome_received", date(2026, 12, 22), None),  # nothing awaited
        ("MASH", "closed", date(2026, 12, 22), None),
    ],
)
def test_chase_by_dates(kind, state, moved, expected):
    assert ref.chase_by_for(_referral(kind, state, moved)) == expected


def test_unknown_type_in_reference_file():
    with pytest.raises(ref.ReferralError, match="Unknown referral type"):
        ref.chase_by_for(_referral("CARRIER_PIGEON", "sent", date(2026, 11, 23)))


def test_initial_conference_and_review_dates():
    assert ref.follow_on("initial_cp_conference", date(2026, 12, 1)).conference_due == date(
        2026, 12, 22
    )
    assert ref.follow_on("child_in_need", TODAY).register_code == "CIN"
    assert ref.review_conference_dates(date(2027, 1, 15)) == [
        date(2027, 4, 15),
        date(2027, 10, 15),
        date(2028, 4, 15),
    ]


def test_draft_to_closed_with_chase_and_outcome(engine, person_id):
    with session_scope(engine, "coord") as s:
        r = ref.create_referral(
            s,
            person_id=person_id,
            referral_type="MASH",
            reason="Neglect concerns",
            by="coord",
            today=date(2027, 1, 10),
        )
        rid, version = r.id, r.version
    steps = [
        ("sent", date(2027, 1, 11)),
        ("acknowledged", date(2027, 1, 12)),
        ("awaiting_outcome", date(2027, 1, 12)),
    ]
    for state, on in steps:
        with session_scope(engine, "coord") as s:
            version = ref.advance(
                s, rid, version, to_state=state, on=on, by="coord", today=TODAY
            ).version
    with session_scope(engine, "coord") as s:
        chase = ref.record_chase(
            s,
            rid,
            version,
            by="coord",
            method="phone",
            to_whom="Duty SW",
            note="decision pending",
            next_chase_by=date(2027, 1, 19),
            today=TODAY,
        )
        assert chase.next_chase_by == date(2027, 1, 19)
    with session_scope(engine, "coord") as s:
        referral = s.get(Referral, rid)
        assert (referral.chase_by, referral.chase_by_overridden) == (date(2027, 1, 19), True)
        version = referral.version
        with pytest.raises(ref.ReferralError, match="before the referral was sent"):
            ref.record_outcome(
                s,
                rid,
                version,
                outcome_type="child_in_need",
                notes="",
                received_on=date(2027, 1, 10),
                by="c",
                today=TODAY,
            )
        with pytest.raises(ref.ReferralError, match="Record the outcome"):
            ref.advance(s, rid, version, to_state="closed", on=TODAY, by="c", today=TODAY)
    with session_scope(engine, "coord") as s:
        referral = ref.record_outcome(
            s,
            rid,
            version,
            outcome_type="child_in_need",
            notes="s17 plan",
            received_on=date(2027, 1, 14),
            by="coord",
            today=TODAY,
        )
        assert referral.state == "outcome_received"
        version = referral.version
    with session_scope(engine, "coord") as s:
        ref.advance(s, rid, version, to_state="closed", on=TODAY, by="coord", today=TODAY)
    with session_scope(engine, "t") as s:
        referral = s.get(Referral, rid)
        assert (referral.state, referral.chase_by) == ("closed", None)
        events = s.exec(
            select(ReferralEvent.to_state)
            .where(ReferralEvent.referral_id == rid)
            .order_by(ReferralEvent.id)
        ).all()
        assert events == [
            "drafted",
            "sent",
            "acknowledged",
            "awaiting_outcome",
            "outcome_received",
            "closed",
        ]
        audited = s.exec(select(AuditEvent).where(AuditEvent.table_name == "referral")).all()
        assert len(audited) >= 6


@pytest.mark.parametrize(
    ("to_state", "on", "message"),
    [
        ("drafted", TODAY, "forward only"),
        ("sent", date(2027, 2, 1), "future"),
        ("sent", date(2026, 1, 1), "before the last step"),
        ("teleported", TODAY, "Unknown state"),
    ],
)
def test_bad_moves_change_nothing(engine, person_id, to_state, on, message):
    with session_scope(engine, "c") as s:
        r = ref.create_referral(
            s,
            person_id=person_id,
            referral_type="S42",
            reason="x",
            by="c",
            s42_test=(True, True, False),
            today=TODAY,
        )
        rid, version = r.id, r.version
    with pytest.raises(ref.ReferralError, match=message), session_scope(engine, "c") as s:
        ref.advance(s, rid, version, to_state=to_state, on=on, by="c", today=TODAY)
    with session_scope(engine, "t") as s:
        assert s.get(Referral, rid).state == "drafted"


def test_create_validates(engine, person_id):
    for kwargs, message in [
        (dict(person_id=None, referral_type="MASH", reason="x"), "person"),
        (dict(person_id=person_id, referral_type="NOPE", reason="x"), "Unknown referral type"),
        (dict(person_id=person_id, referral_type="MASH", reason=" "), "reason"),
        (dict(person_id=person_id, referral_type="MARAC", reason="x", dash_score=30), "DASH"),
        (dict(person_id=person_id, referral_type="MARAC", reason="x"), "DASH score"),
        (dict(person_id=person_id, referral_type="S42", reason="x"), "three-part test"),
    ]:
        with pytest.raises(ref.ReferralError, match=message), session_scope(engine, "c") as s:
            ref.create_referral(s, by="c", **kwargs, today=TODAY)


def test_views_and_figures(small_demo_engine):
    today = date(2026, 11, 23)
    with session_scope(small_demo_engine, "t") as s:
        overdue = whole_referrals(s, "overdue", today)
        assert overdue and all(r.is_overdue(today) for r in overdue)
        chase_dates = [r.chase_by for r in overdue]
        assert chase_dates == sorted(chase_dates)
        closed = whole_referrals(s, "closed", today)
        assert closed and {r.state for r in closed} <= {"closed", "withdrawn"}
        for view in ref.VIEWS:
            whole_referrals(s, view, today)
        figures = ref.referral_figures(s, today)
        assert {f.referral_type for f in figures} >= {"MASH", "MARAC", "S42"}
        assert any(f.median_days_to_outcome is not None for f in figures)
        # The all-practices line of a type adds up its practices.
        for kind in ("MASH", "MARAC"):
            lines = [f for f in figures if f.referral_type == kind]
            total = next(f for f in lines if f.practice == ref.ALL_PRACTICES)
            parts = [f for f in lines if f.practice != ref.ALL_PRACTICES]
            assert total.open_now == sum(f.open_now for f in parts)
            assert total.overdue_now == sum(f.overdue_now for f in parts)
            assert total.made_this_month == sum(f.made_this_month for f in parts)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # The shipped file: MARAC meets on the second Thursday of each month.
        (date(2026, 11, 1), date(2026, 11, 12)),
        (date(2026, 11, 12), date(2026, 11, 12)),
        (date(2026, 11, 13), date(2026, 12, 10)),
        (date(2026, 12, 31), date(2027, 1, 14)),
    ],
)
def test_next_marac_date(after, expected):
    assert ref.next_panel_date("MARAC", after) == expected
    assert ref.next_panel_date("MASH", after) is None


def test_marac_and_s42_details_recorded(engine, person_id):
    with session_scope(engine, "c") as s:
        marac = ref.create_referral(
            s,
            person_id=person_id,
            referral_type="MARAC",
            reason="DA disclosed",
            by="c",
            dash_score=15,
            today=date(2026, 11, 23),
        )
        s42 = ref.create_referral(
            s,
            person_id=person_id,
            referral_type="S42",
            reason="x",
            by="c",
            s42_test=(True, True, False),
            today=TODAY,
        )
        ids = marac.id, s42.id
    with session_scope(engine, "t") as s:
        marac, s42 = (s.get(Referral, i) for i in ids)
        assert marac.marac_date == date(2026, 12, 10) and marac.dash_score == 15
        assert (
            s42.s42_care_and_support_needs,
            s42.s42_experiencing_abuse,
            s42.s42_unable_to_protect_self,
        ) == (True, True, False)


def test_practice_reference_file_beside_the_database(tmp_path, engine, person_id):
    """A practice's own referral_types.json changes response times; a broken one, or a
    referral of a type it does not know, is refused with a message."""
    from coordinator_tui.services import reference

    (tmp_path / "referral_types.json").write_text(
        '{"types": [{"code": "MASH", "name": "MASH", "expected_response_working_days": 3}]}'
    )
    reference.use_practice_dir(tmp_path)
    try:
        assert ref.response_days() == {"MASH": 3}
        with session_scope(engine, "c") as s:
            r = ref.create_referral(
                s, person_id=person_id, referral_type="MASH", reason="x", by="c", today=TODAY
            )
            rid = r.id
        refused = pytest.raises(ref.ReferralError, match="Unknown referral type 'S42'")
        with refused, session_scope(engine, "c") as s:
            ref.create_referral(
                s,
                person_id=person_id,
                referral_type="S42",
                reason="x",
                by="c",
                s42_test=(True, True, True),
                today=TODAY,
            )
        (tmp_path / "referral_types.json").write_text('{"types": [{"code": "MASH"}]}')
        with pytest.raises(reference.ReferenceDataError, match="referral_types.json: entry 1"):
            reference.load_referral_types()
    finally:
        reference.use_practice_dir(None)
    with session_scope(engine, "t") as s:
        assert s.scalar(select(func.count()).select_from(Referral)) == 1
        assert s.get(Referral, rid).state == "drafted"


def test_outcome_action_validates_and_lands_on_the_person(engine, person_id):
    from coordinator_tui.models import Action

    with session_scope(engine, "c") as s:
        rid = ref.create_referral(
            s, person_id=person_id, referral_type="MASH", reason="x", by="c", today=TODAY
        ).id
    for kwargs, message in [
        (dict(description=" ", owner="HV", due=None), "what the action is"),
        (dict(description="x", owner="", due=None), "who owns"),
        (dict(description="x", owner="HV", due=date(2026, 11, 1)), "past"),
    ]:
        with pytest.raises(ref.ReferralError, match=message), session_scope(engine, "c") as s:
            ref.add_outcome_action(s, rid, today=TODAY, **kwargs)
    with session_scope(engine, "c") as s:
        ref.add_outcome_action(
            s, rid, description="Flag the record", owner="GP", due=TODAY, today=TODAY
        )
    with session_scope(engine, "t") as s:
        (action,) = s.exec(select(Action)).all()
        assert action.person_id == person_id and "MASH referral outcome" in action.description


def _figures_counted_one_by_one(s, today: date) -> list[ref.ReferralFigures]:
    """The figures the plain way: every referral read and counted in Python (what
    ``referral_figures`` computed before the counting moved into the database)."""
    import statistics

    from sqlalchemy import func, select

    from coordinator_tui.clock import to_local
    from coordinator_tui.models import OPEN_REFERRAL_STATES, Practice, Referral
    from coordinator_tui.services.dates import working_days_between

    def day(moment):
        return to_local(moment).date() if moment else None

    rows = s.execute(
        select(
            Referral.referral_type,
            func.coalesce(Practice.short_name, "—"),
            Referral.state,
            Referral.sent_at,
            Referral.outcome_received_at,
            Referral.chase_by,
        ).outerjoin(Practice, Practice.id == Referral.practice_id)
    ).all()
    groups: dict = {}
    for kind, practice, state, sent, outcome, chase in rows:
        sent_day = day(sent)
        took = working_days_between(sent_day, day(outcome)) if sent_day and outcome else None
        for key in ((kind, practice), (kind, ref.ALL_PRACTICES)):
            g = groups.setdefault(key, {"made": 0, "days": [], "open": 0, "overdue": 0})
            if sent_day and today.replace(day=1) <= sent_day <= today:
                g["made"] += 1
            if took is not None:
                g["days"].append(took)
            if state in OPEN_REFERRAL_STATES:
                g["open"] += 1
                g["overdue"] += chase is not None and chase < today
    return [
        ref.ReferralFigures(
            kind,
            practice,
            g["made"],
            statistics.median(g["days"]) if g["days"] else None,
            g["open"],
            g["overdue"],
        )
        for (kind, practice), g in sorted(groups.items())
    ]


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2026, 11, 1), date(2026, 12, 31)])
def test_figures_as_counted_one_by_one(small_demo_engine, today):
    with session_scope(small_demo_engine, "t") as s:
        figures = ref.referral_figures(s, today)
        assert figures == _figures_counted_one_by_one(s, today)


def test_list_and_figures_on_postgres(pg_url):
    """The list (Core rows) and the figures (counted by the database, timestamps with their
    time zone) read the same on PostgreSQL."""
    from coordinator_tui.db import open_database
    from coordinator_tui.demo.seed import seed_demo

    today = date(2026, 11, 23)
    opened = open_database(pg_url)
    try:
        seed_demo(opened.engine, "small", seed=1, today=today)
        with session_scope(opened.engine, "t") as s:
            rows = whole_referrals(s, "open", today)
            assert rows and all(isinstance(r, ref.ReferralRow) for r in rows)
            assert ref.referral_figures(s, today) == _figures_counted_one_by_one(s, today)
    finally:
        opened.engine.dispose()
