"""Referral tracking: MASH, MARAC, MARF, Section 42, Early Help and other, to an outcome.

A referral moves forward through drafted, sent, acknowledged, awaiting outcome, outcome
received and closed (steps may be skipped, never reversed), or is withdrawn while open.
Each move records who and when (``referral_event``). The chase-by date follows from the
type's expected response in working days (``data/referral_types.json``) and the state,
unless the coordinator has overridden it. Overdue means past the chase-by date. Once the
outcome is in nothing is awaited from the agency, so there is no chase-by date (unless the
coordinator sets one): what remains is the outcome's follow-on (``apply_follow_on``) and
the case conferences it diarises, each review due from the last one held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from coordinator_tui import audit
from coordinator_tui.clock import UK, start_of_day, to_local
from coordinator_tui.formatting import person_label, uk_date
from coordinator_tui.models import (
    OPEN_REFERRAL_STATES,
    Action,
    CaseConference,
    EntryStatus,
    Person,
    Practice,
    Referral,
    ReferralChase,
    ReferralEvent,
    ReferralState,
    RegisterCategory,
    RegisterEntry,
    utcnow,
)
from coordinator_tui.services import access, keyset, rules
from coordinator_tui.services.dates import add_working_days, working_days_between
from coordinator_tui.services.errors import check_version
from coordinator_tui.services.referral_terms import (
    ALL_PRACTICES,
    CHASE_METHODS,
    CONFERENCE_KIND,
    CONFERENCE_PLAN,
    OUTCOMES,
    STATE_LABEL,
    VIEWS,
    ReferralConflictError,
    ReferralError,
    ReferralFigures,
    ReferralRow,
)

if TYPE_CHECKING:
    # Only the referral's history uses it: importing it here put 4 ms (its imports) on
    # the first opening of the Referrals list, in the thread that reads the list.
    from coordinator_tui.services.people import PersonSummary

FORWARD = (
    ReferralState.DRAFTED,
    ReferralState.SENT,
    ReferralState.ACKNOWLEDGED,
    ReferralState.AWAITING_OUTCOME,
    ReferralState.OUTCOME_RECEIVED,
    ReferralState.CLOSED,
)
TIMESTAMP = {
    "sent": "sent_at",
    "acknowledged": "acknowledged_at",
    "awaiting_outcome": "awaiting_outcome_at",
    "outcome_received": "outcome_received_at",
    "closed": "closed_at",
    "withdrawn": "withdrawn_at",
}
DASH_HIGH_RISK = 14  # SafeLives: 14 or more ticks on the DASH checklist is high risk
# Working Together timescales, from the one timescales module (``services.rules``).
INITIAL_CONFERENCE_WORKING_DAYS = rules.CP_INITIAL_CONFERENCE_WORKING_DAYS
FIRST_REVIEW_MONTHS = rules.CP_FIRST_REVIEW_MONTHS
LATER_REVIEW_MONTHS = rules.CP_LATER_REVIEW_MONTHS


def _day(moment: datetime | None) -> date | None:
    return to_local(moment).date() if moment else None


def _moment(day: date) -> datetime:
    """A date typed by the coordinator as a UK-noon timestamp (no time was given)."""
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UK)


def response_days() -> dict[str, int]:
    """Expected response in working days per referral type, from the reference file."""
    from coordinator_tui.services.reference import load_referral_types

    return {spec.code: spec.expected_response_working_days for spec in load_referral_types()}


def referral_types() -> list[tuple[str, str]]:
    from coordinator_tui.services.reference import load_referral_types

    return [(spec.code, spec.name) for spec in load_referral_types()]


def next_panel_date(referral_type: str, after: date) -> date | None:
    """The next meeting of the type's panel (e.g. the area's MARAC) on or after ``after``,
    from the ``meets`` rule in the reference file; None when it has no schedule."""
    from dateutil.rrule import rrulestr

    from coordinator_tui.services.reference import load_referral_types

    spec = next((t for t in load_referral_types() if t.code == referral_type), None)
    if spec is None or not spec.meets:
        return None
    start = datetime(after.year, after.month, after.day) - timedelta(days=40)
    following = rrulestr(spec.meets, dtstart=start).after(
        datetime(after.year, after.month, after.day), inc=True
    )
    return following.date() if following else None


def chase_by_for(referral: Referral, days: dict[str, int] | None = None) -> date | None:
    """When to chase, from the type's expected response and the date of the last move.

    None once the outcome is in (nothing more is awaited from the agency), closed or
    withdrawn."""
    if referral.state in (
        ReferralState.OUTCOME_RECEIVED,
        ReferralState.CLOSED,
        ReferralState.WITHDRAWN,
    ):
        return None
    days = days if days is not None else response_days()
    if referral.referral_type not in days:
        raise ReferralError(
            f"Unknown referral type '{referral.referral_type}' in the reference file"
        )
    expected = max(days[referral.referral_type], 1)
    if referral.state == ReferralState.DRAFTED:
        return add_working_days(_day(referral.drafted_at), 1)  # send it by the next working day
    moved = getattr(referral, TIMESTAMP[referral.state])
    return add_working_days(_day(moved), expected)


def _load(session: Session, referral_id: int, expected_version: int) -> Referral:
    """The referral to change, refused when gone or changed since the screen read it (the
    one check of every edit path, ``errors.check_version``: the message says who changed
    what, and when)."""
    referral = session.get(Referral, referral_id)
    check_version(
        session,
        referral,
        "referral",
        expected_version,
        missing=ReferralError,
        conflict=ReferralConflictError,
        gone="That referral no longer exists",
    )
    assert referral is not None
    return referral


def create_referral(
    session: Session,
    *,
    person_id: int | None,
    referral_type: str,
    reason: str,
    by: str,
    agency: str = "",
    dash_score: int | None = None,
    concern_id: int | None = None,
    marac_date: date | None = None,
    s42_test: tuple[bool, bool, bool] | None = None,
    today: date,
) -> Referral:
    """A new referral in the drafted state.

    MARAC needs the DASH score (14 or more ticks is high risk) and is listed for the
    area's next MARAC unless a date is given; an adult Section 42 concern records the
    three-part test (care and support needs; experiencing or at risk of abuse or neglect;
    unable to protect themselves because of those needs)."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    days = response_days()
    if person_id is None or session.get(Person, person_id) is None:
        raise ReferralError("Pick the person the referral is about")
    if referral_type not in days:
        raise ReferralError(f"Unknown referral type '{referral_type}'")
    if not reason.strip():
        raise ReferralError("Give the reason for the referral")
    if dash_score is not None and not 0 <= dash_score <= 24:
        raise ReferralError("A DASH score is between 0 and 24 ticks")
    if referral_type == "MARAC":
        if dash_score is None:
            raise ReferralError("A MARAC referral needs the DASH score (0-24 ticks)")
        marac_date = marac_date or next_panel_date("MARAC", today)
    if referral_type == "S42" and s42_test is None:
        raise ReferralError(
            "Record the Section 42 three-part test: care and support needs, abuse or "
            "neglect, unable to protect themselves"
        )
    person = session.get(Person, person_id)
    # Drafted on the coordinator's working day, at the same UK noon as the steps typed as
    # dates: a referral drafted at 14:00 and sent "today" must not read as sent first.
    now = _moment(today)
    referral = Referral(
        person_id=person_id,
        practice_id=person.practice_id if person else None,
        concern_id=concern_id,
        referral_type=referral_type,
        reason=reason.strip(),
        agency=agency.strip(),
        dash_score=dash_score,
        marac_date=marac_date if referral_type == "MARAC" else None,
        drafted_at=now,
        created_by=by,
    )
    if referral_type == "S42" and s42_test is not None:
        (
            referral.s42_care_and_support_needs,
            referral.s42_experiencing_abuse,
            referral.s42_unable_to_protect_self,
        ) = s42_test
    referral.chase_by = chase_by_for(referral, days)
    session.add(referral)
    session.flush()
    session.add(ReferralEvent(referral_id=referral.id, at=now, by=by, to_state="drafted"))
    session.flush()
    return referral


def advance(
    session: Session,
    referral_id: int,
    expected_version: int,
    *,
    to_state: str,
    on: date,
    by: str,
    today: date,
    note: str = "",
) -> Referral:
    """Move a referral on (or withdraw it), dated ``on``; the chase-by date follows."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    referral = _load(session, referral_id, expected_version)
    if to_state not in (*FORWARD, ReferralState.WITHDRAWN):
        raise ReferralError(f"Unknown state '{to_state}'")
    if referral.state not in OPEN_REFERRAL_STATES:
        raise ReferralError(f"This referral is {STATE_LABEL[referral.state].lower()}")
    if to_state != ReferralState.WITHDRAWN:
        if FORWARD.index(to_state) <= FORWARD.index(referral.state):
            current = STATE_LABEL[referral.state].lower()
            raise ReferralError(f"A referral moves forward only: it is already {current}")
        if to_state == ReferralState.CLOSED and not referral.outcome_type:
            raise ReferralError("Record the outcome before closing the referral")
    if on > today:
        raise ReferralError("That date is in the future")
    last = max(
        (
            t
            for t in (
                referral.drafted_at,
                referral.sent_at,
                referral.acknowledged_at,
                referral.awaiting_outcome_at,
                referral.outcome_received_at,
            )
            if t
        ),
        default=None,
    )
    if last is not None and on < _day(last):
        raise ReferralError(f"That date is before the last step ({uk_date(_day(last))})")
    previous = referral.state
    referral.state = to_state
    setattr(referral, TIMESTAMP[to_state], _moment(on))
    if not referral.chase_by_overridden or to_state in ("closed", "withdrawn"):
        referral.chase_by = chase_by_for(referral)
        referral.chase_by_overridden = False
    session.add(
        ReferralEvent(
            referral_id=referral.id,
            at=_moment(on),
            by=by,
            from_state=previous,
            to_state=to_state,
            note=note.strip()[:500],
        )
    )
    session.flush()
    return referral


def next_state(referral_state: str) -> str | None:
    """The usual next step from ``referral_state`` (None when closed or withdrawn)."""
    if referral_state not in FORWARD or referral_state == ReferralState.CLOSED:
        return None
    return FORWARD[FORWARD.index(referral_state) + 1]


def record_outcome(
    session: Session,
    referral_id: int,
    expected_version: int,
    *,
    outcome_type: str,
    notes: str,
    received_on: date,
    by: str,
    today: date,
) -> Referral:
    """Record the outcome; refuses one dated before the referral was sent."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    referral = _load(session, referral_id, expected_version)
    if outcome_type not in OUTCOMES:
        raise ReferralError("Pick an outcome")
    if referral.sent_at is None:
        raise ReferralError("This referral was never sent: mark it sent first")
    if received_on < _day(referral.sent_at):
        sent = _day(referral.sent_at)
        raise ReferralError(f"The outcome cannot be before the referral was sent ({uk_date(sent)})")
    if received_on > today:
        raise ReferralError("That date is in the future")
    if referral.state not in OPEN_REFERRAL_STATES:
        raise ReferralError(f"This referral is {STATE_LABEL[referral.state].lower()}")
    previous = referral.state
    referral.outcome_type = outcome_type
    referral.outcome_notes = notes.strip()
    referral.state = ReferralState.OUTCOME_RECEIVED
    referral.outcome_received_at = _moment(received_on)
    referral.chase_by = chase_by_for(referral)
    referral.chase_by_overridden = False
    session.add(
        ReferralEvent(
            referral_id=referral.id,
            at=_moment(received_on),
            by=by,
            from_state=previous,
            to_state=ReferralState.OUTCOME_RECEIVED,
            note=OUTCOMES[outcome_type],
        )
    )
    session.flush()
    return referral


@dataclass(frozen=True)
class FollowOn:
    """What an outcome implies: a register to add, a conference to diarise.

    ``text`` says it in full (for the dialog's context line and the confirmation);
    ``question`` is the short form a field label can hold at 80 columns."""

    register_code: str | None = None
    conference_kind: str | None = None
    conference_due: date | None = None
    text: str = ""
    question: str = ""

    @property
    def asks_strategy_date(self) -> bool:
        """An initial conference is counted from the strategy discussion: ask its date."""
        return self.conference_kind == "initial_cp"


def initial_conference_due(strategy_discussion_on: date) -> date:
    """Initial child protection conference: within 15 working days of the strategy
    discussion (Working Together to Safeguard Children)."""
    return rules.cp_initial_conference_due(strategy_discussion_on)


def follow_on(
    outcome_type: str, outcome_on: date, strategy_discussion_on: date | None = None
) -> FollowOn:
    """The follow-on an outcome implies. An initial conference is counted from the
    strategy discussion (``strategy_discussion_on``; the outcome's date when not known)."""
    if outcome_type == "child_in_need":
        return FollowOn(
            register_code="CIN",
            text="Add to the Child in Need register",
            question="Add to the Child in Need register now?",
        )
    if outcome_type in ("initial_cp_conference", "strategy_s47"):
        due = initial_conference_due(strategy_discussion_on or outcome_on)
        counted = f"{INITIAL_CONFERENCE_WORKING_DAYS} working days from the strategy discussion"
        if outcome_type == "initial_cp_conference":
            return FollowOn(
                conference_kind="initial_cp",
                conference_due=due,
                text=f"Initial child protection conference due by {uk_date(due)} ({counted})",
                question="Diarise the initial conference now?",
            )
        return FollowOn(
            register_code="CFC",  # child in family or household of concern
            conference_kind="initial_cp",
            conference_due=due,
            text=f"If the s47 enquiry continues, initial conference due by {uk_date(due)} "
            f"({counted}); add to the child in family or household of concern register",
            question="Add to the register and diarise the conference now?",
        )
    if outcome_type == "s42_enquiry":
        return FollowOn(
            register_code="S42E",
            text="Add to the Section 42 enquiry register",
            question="Add to the Section 42 enquiry register now?",
        )
    if outcome_type == "marac_actions":
        return FollowOn(
            register_code="MARAC",
            text="Add to the MARAC register (hidden online)",
            question="Add to the MARAC register now?",
        )
    return FollowOn()


def follow_on_for(referral: Referral, strategy_discussion_on: date | None = None) -> FollowOn:
    """The follow-on of a referral's recorded outcome (none before there is one)."""
    if not referral.outcome_type or referral.outcome_received_at is None:
        return FollowOn()
    return follow_on(
        referral.outcome_type,
        _day(referral.outcome_received_at),
        strategy_discussion_on or referral.strategy_discussion_on,
    )


def follow_on_dates(session: Session, referral_id: int) -> tuple[date, date | None] | None:
    """The day the outcome was received and the strategy discussion's date (if known),
    which the follow-on dialog starts from; None before there is an outcome."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.outcome_received_at is None:
        return None
    return _day(referral.outcome_received_at), referral.strategy_discussion_on


def apply_follow_on(
    session: Session,
    referral_id: int,
    expected_version: int,
    *,
    take: bool,
    by: str,
    today: date,
    strategy_discussion_on: date | None = None,
    action: str = "",
    owner: str = "",
    due: date | None = None,
) -> list[str]:
    """Take up an outcome's follow-on, each part optional; returns what was done.

    ``take``: add the register entry and diarise the conference the outcome implies (a
    person already on that register, or a conference already diarised, is left as it
    is). ``strategy_discussion_on`` is stored on the referral and the initial conference
    counted from it. ``action``: an action for the practice, owned by ``owner``. The
    referral's version is checked (it was read when the outcome was saved)."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    from coordinator_tui.services.registers import add_registration, category_id_for_code

    referral = _load(session, referral_id, expected_version)
    if not referral.outcome_type or referral.outcome_received_at is None:
        raise ReferralError("Record the outcome first")
    plan = follow_on_for(referral, strategy_discussion_on)
    if strategy_discussion_on is not None and plan.asks_strategy_date:
        if strategy_discussion_on > today:
            raise ReferralError("The strategy discussion cannot be in the future")
        sent = _day(referral.sent_at) if referral.sent_at else _day(referral.drafted_at)
        if strategy_discussion_on < sent:
            raise ReferralError(
                f"The strategy discussion cannot be before the referral was sent ({uk_date(sent)})"
            )
        referral.strategy_discussion_on = strategy_discussion_on
    done: list[str] = []
    if take and plan.register_code:
        category_id = category_id_for_code(session, plan.register_code)
        name = session.get(RegisterCategory, category_id).name
        already = session.scalar(
            select(RegisterEntry.id).where(
                RegisterEntry.person_id == referral.person_id,
                RegisterEntry.category_id == category_id,
                RegisterEntry.status == EntryStatus.ACTIVE,
            )
        )
        if already:
            done.append(f"already on the {name} register")
        else:
            add_registration(
                session,
                person_id=referral.person_id,
                category_id=category_id,
                start_date=min(_day(referral.outcome_received_at), today),
                today=today,
                by=by,
            )
            done.append(f"added to the {name} register")
    if take and plan.conference_kind and plan.conference_due:
        diarised = session.scalar(
            select(CaseConference).where(
                CaseConference.referral_id == referral_id,
                CaseConference.kind == plan.conference_kind,
                CaseConference.held_on.is_(None),
            )
        )
        label = CONFERENCE_KIND.get(plan.conference_kind, plan.conference_kind)
        if diarised is not None:
            diarised.due_date = plan.conference_due
        else:
            add_conference(
                session, referral_id, kind=plan.conference_kind, due=plan.conference_due, by=by
            )
        done.append(f"{label} due by {uk_date(plan.conference_due)}")
    if action.strip():
        add_outcome_action(
            session, referral_id, description=action, owner=owner, due=due, today=today
        )
        done.append("action added")
    session.flush()
    return done


def next_review_conference_due(kind_held: str, held_on: date) -> date | None:
    """When the next child protection review conference is due after a conference of
    ``kind_held`` held on ``held_on`` while the child stays on a plan: the first review
    within 3 months of the initial conference, later ones within 6 months of the
    previous review (Working Together to Safeguard Children). None for other kinds."""
    return rules.cp_review_conference_due(kind_held, held_on)


def review_conference_dates(initial: date, count: int = 3) -> list[date]:
    """CP review conferences after an initial conference on ``initial``, were each one held
    on the day it falls due: the first within 3 months, then every 6 months. A plan's
    real dates follow the reviews actually held (``record_conference_held``)."""
    dates = [next_review_conference_due("initial_cp", initial)]
    while len(dates) < count:
        dates.append(next_review_conference_due("review_cp", dates[-1]))
    return dates  # type: ignore[return-value]


def add_conference(
    session: Session, referral_id: int, *, kind: str, due: date, by: str
) -> CaseConference:
    """Diarise a case conference from an outcome (it shows in the chronology and agenda)."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise ReferralError("That referral no longer exists")
    conference = CaseConference(
        person_id=referral.person_id, referral_id=referral_id, kind=kind, due_date=due
    )
    session.add(conference)
    session.flush()
    return conference


def referral_conferences(session: Session, referral_id: int) -> list[CaseConference]:
    """The referral's case conferences, held and due, in date order."""
    return list(
        session.scalars(
            select(CaseConference)
            .where(CaseConference.referral_id == referral_id)
            .order_by(
                func.coalesce(CaseConference.held_on, CaseConference.due_date), CaseConference.id
            )
        )
    )


def next_conference(session: Session, referral_id: int) -> CaseConference | None:
    """The referral's next conference still to be held (the earliest due), if any."""
    return session.scalar(
        select(CaseConference)
        .where(CaseConference.referral_id == referral_id, CaseConference.held_on.is_(None))
        .order_by(CaseConference.due_date, CaseConference.id)
        .limit(1)
    )


def plan_choices(kind: str) -> tuple[tuple[str, str], ...]:
    """What a conference of ``kind`` may decide about the child protection plan, as
    (code, label); the first keeps a plan going, so a review is diarised."""
    if kind == "initial_cp":
        return (("made", CONFERENCE_PLAN["made"]), ("none", CONFERENCE_PLAN["none"]))
    if kind == "review_cp":
        return (("continues", CONFERENCE_PLAN["continues"]), ("ended", CONFERENCE_PLAN["ended"]))
    return ()


def record_conference_held(
    session: Session,
    conference_id: int,
    expected_version: int,
    *,
    held_on: date,
    plan: str,
    notes: str,
    today: date,
) -> CaseConference | None:
    """Record that a conference was held, and what it decided about the plan.

    When an initial conference makes a plan, or a review keeps it, the next review
    conference is diarised from the date held (``next_review_conference_due``) and
    returned; None when the plan ends or was not made, or for other kinds."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    conference = session.get(CaseConference, conference_id)
    check_version(
        session,
        conference,
        "case_conference",
        expected_version,
        missing=ReferralError,
        conflict=ReferralConflictError,
        gone="That conference no longer exists",
    )
    assert conference is not None
    label = CONFERENCE_KIND.get(conference.kind, conference.kind)
    if conference.held_on is not None:
        raise ReferralError(f"The {label.lower()} was held on {uk_date(conference.held_on)}")
    if held_on > today:
        raise ReferralError("That date is in the future")
    choices = dict(plan_choices(conference.kind))
    if choices and plan not in choices:
        raise ReferralError(f"Say what the conference decided: {', '.join(choices.values())}")
    before = session.scalar(
        select(func.max(CaseConference.held_on)).where(
            CaseConference.referral_id == conference.referral_id,
            CaseConference.held_on.is_not(None),
        )
    )
    referral = session.get(Referral, conference.referral_id) if conference.referral_id else None
    strategy = referral.strategy_discussion_on if referral is not None else None
    earliest = max((d for d in (before, strategy) if d is not None), default=None)
    if earliest is not None and held_on < earliest:
        raise ReferralError(
            f"That is before the last conference or strategy discussion ({uk_date(earliest)})"
        )
    conference.held_on = held_on
    decided = choices.get(plan, "")
    conference.outcome = ". ".join(p for p in (decided, notes.strip()) if p)[:500]
    session.flush()
    if plan not in ("made", "continues"):
        return None
    due = next_review_conference_due(conference.kind, held_on)
    if due is None:
        return None
    following = CaseConference(
        person_id=conference.person_id,
        referral_id=conference.referral_id,
        kind="review_cp",
        due_date=due,
    )
    session.add(following)
    session.flush()
    return following


def add_outcome_action(
    session: Session,
    referral_id: int,
    *,
    description: str,
    owner: str,
    due: date | None,
    today: date,
) -> Action:
    """An action for the practice that an outcome calls for (e.g. MARAC actions); it is
    chased in the action tracker and shows in the person's chronology."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise ReferralError("That referral no longer exists")
    if not description.strip():
        raise ReferralError("Say what the action is")
    from coordinator_tui.services.owners import owner_directory, parse_owner

    match = parse_owner(owner, owner_directory(session))  # as in a meeting's action line
    if not match.ok:
        raise ReferralError(match.problem)
    if due is not None and due < today:
        raise ReferralError("The action cannot be due in the past")
    kind = referral.referral_type.replace("_", " ")
    action = Action(
        person_id=referral.person_id,
        owner_staff_id=match.staff_id,
        owner_label=match.label,
        description=f"{description.strip()} (from the {kind} referral outcome)",
        due_date=due,
    )
    session.add(action)
    session.flush()
    return action


@dataclass(frozen=True)
class ChaseDefaults:
    """What the chase dialog starts with, so that a chase is its note and a save."""

    method: str
    to_whom: str
    next_chase_by: date


def proposed_chase_by(referral_type: str, today: date) -> date:
    """The next chase-by date proposed after a chase: the type's expected response in
    working days from today (``data/referral_types.json``)."""
    return add_working_days(today, max(response_days().get(referral_type, 1), 1))


def chase_defaults(session: Session, referral_id: int, *, by: str, today: date) -> ChaseDefaults:
    """The method ``by`` used last (on any referral; phone at first), whom this referral
    was last chased with, and the next chase-by date from the type's timescale."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise ReferralError("That referral no longer exists")
    method = session.scalar(
        select(ReferralChase.method)
        .where(ReferralChase.by == by)
        .order_by(ReferralChase.chased_at.desc(), ReferralChase.id.desc())
        .limit(1)
    )
    to_whom = session.scalar(
        select(ReferralChase.to_whom)
        .where(ReferralChase.referral_id == referral_id)
        .order_by(ReferralChase.chased_at.desc(), ReferralChase.id.desc())
        .limit(1)
    )
    return ChaseDefaults(
        method if method in CHASE_METHODS else CHASE_METHODS[0],
        to_whom or "",
        proposed_chase_by(referral.referral_type, today),
    )


def record_chase(
    session: Session,
    referral_id: int,
    expected_version: int,
    *,
    by: str,
    method: str,
    to_whom: str,
    note: str,
    next_chase_by: date | None,
    today: date,
) -> ReferralChase:
    """A chase: how, to whom, what was said, and the next chase-by date (overrides)."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    referral = _load(session, referral_id, expected_version)
    if referral.state not in OPEN_REFERRAL_STATES:
        raise ReferralError(f"This referral is {STATE_LABEL[referral.state].lower()}")
    if method not in CHASE_METHODS:
        raise ReferralError(f"How was it chased? One of: {', '.join(CHASE_METHODS)}")
    if next_chase_by is not None and next_chase_by <= today:
        raise ReferralError("The next chase-by date must be after today")
    next_date = next_chase_by or proposed_chase_by(referral.referral_type, today)
    chase = ReferralChase(
        referral_id=referral_id,
        chased_at=utcnow(),
        by=by,
        method=method,
        to_whom=to_whom.strip()[:120],
        note=note.strip()[:500],
        next_chase_by=next_date,
    )
    session.add(chase)
    referral.chase_by = next_date
    referral.chase_by_overridden = True
    referral.last_chased_on = today
    session.flush()
    return chase


def set_chase_by(
    session: Session, referral_id: int, expected_version: int, *, chase_by: date, today: date
) -> Referral:
    """Override the chase-by date."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    referral = _load(session, referral_id, expected_version)
    if chase_by < today:
        raise ReferralError("The chase-by date cannot be in the past")
    referral.chase_by = chase_by
    referral.chase_by_overridden = True
    session.flush()
    return referral


# -- lists ------------------------------------------------------------------------------


def _row_select() -> Select:
    """The columns of a ``ReferralRow``, in its order."""
    return (
        select(
            Referral.id,
            Referral.version,
            Person.id,
            Person.given_name,
            Person.family_name,
            Person.nhs_number,
            Referral.referral_type,
            Referral.state,
            Referral.chase_by,
            func.coalesce(Practice.short_name, ""),
            Referral.outcome_type,
            Referral.last_chased_on,
        )
        .join(Person, Person.id == Referral.person_id)
        .outerjoin(Practice, Practice.id == Referral.practice_id)
    )


def referral_row(session: Session, referral_id: int) -> ReferralRow | None:
    """One referral as a list row (what the one-key actions act on), as it is now."""
    row = session.connection().execute(_row_select().where(Referral.id == referral_id)).first()
    return ReferralRow._make(row) if row is not None else None


def _view_conditions(
    view: str, today: date, *, in_chase_order: bool = False
) -> list[ColumnElement[bool]]:
    """What puts a referral in ``view`` (one of ``VIEWS``). ``in_chase_order``: for a page
    read in ``ix_referral_keyset``'s order, the state is compared as ``state || ''``, which
    no index serves, so SQLite's planner takes the chase-by index (with the state index it
    would sort every row after the key, on each page)."""
    if view not in VIEWS:
        raise ReferralError(f"Unknown view '{view}'")
    state = Referral.state.concat("") if in_chase_order else Referral.state
    open_states = state.in_(OPEN_REFERRAL_STATES)
    if view == "open":
        return [open_states]
    if view == "mash":
        return [
            Referral.referral_type.in_(("MASH", "MARF")),
            state.in_((ReferralState.SENT, ReferralState.ACKNOWLEDGED)),
        ]
    if view == "outcome":
        return [
            state.in_(
                (ReferralState.SENT, ReferralState.ACKNOWLEDGED, ReferralState.AWAITING_OUTCOME)
            )
        ]
    if view == "conference":
        due = select(CaseConference.referral_id).where(
            CaseConference.held_on.is_(None), CaseConference.due_date <= today + timedelta(days=30)
        )
        return [Referral.id.in_(due)]
    if view == "escalation":
        return [open_states, Referral.escalation_pending.is_(True)]
    if view == "overdue":
        return [open_states, Referral.chase_by < today]
    return [state.in_((ReferralState.CLOSED, ReferralState.WITHDRAWN))]


# -- the list, a page at a time (issue 23) -------------------------------------------------

REFERRAL_PAGE = 100
"""Rows read per page of the list: a screen and a margin."""


@dataclass(frozen=True)
class ReferralCounts:
    """The list's summary: ``shown`` match the typed filter, of ``total`` in the view;
    ``overdue`` of those shown."""

    total: int
    shown: int
    overdue: int


@dataclass(frozen=True)
class ReferralPage:
    """One page of a view in order, each row with its key (where to read on from)."""

    rows: list[ReferralRow]
    keys: list[keyset.Key]
    counts: ReferralCounts | None = None


def referral_text_condition(needle: str) -> ColumnElement[bool] | None:
    """The list's typed filter in SQL: an NHS number's digits (any spacing), or every word
    in the family or given name, any case (SQLite folds ASCII letters only)."""
    needle = needle.strip().lower()
    if not needle:
        return None
    words = and_(
        *(
            or_(
                func.lower(Person.family_name).contains(word, autoescape=True),
                func.lower(Person.given_name).contains(word, autoescape=True),
            )
            for word in needle.split()
        )
    )
    digits = needle.replace(" ", "")
    if digits.isdigit():
        return or_(Person.nhs_number.contains(digits, autoescape=True), words)
    return words


# Chase-by date first (by index ``ix_referral_keyset``), then those with none, by id: the
# list's order (no date last). The second segment's constant pads its key to two values.
_NO_DATE = literal(date.min, type_=Date)
_SEGMENTS = (
    keyset.Segment(Referral.chase_by.is_not(None), (Referral.chase_by, Referral.id)),
    keyset.Segment(Referral.chase_by.is_(None), (_NO_DATE, Referral.id)),
)


def _page_query(view: str, today: date, text: str) -> Select:
    """A view's rows, to be read in ``ix_referral_keyset``'s order."""
    stmt = (
        _row_select()
        .select_from(Referral)
        .where(*_view_conditions(view, today, in_chase_order=True))
    )
    condition = referral_text_condition(text)
    return stmt.where(condition) if condition is not None else stmt


def referral_page(
    session: Session,
    view: str,
    today: date,
    *,
    text: str = "",
    key: keyset.Key | None = None,
    backward: bool = False,
    limit: int = REFERRAL_PAGE,
    inclusive: bool = False,
    with_counts: bool = False,
) -> ReferralPage:
    """One page of a view's referrals, sorted by chase-by date (no date last), read by key: after
    ``key`` (from the top when None), or before it with ``backward`` (from the bottom);
    ``text`` narrows it as the typed filter. ``with_counts`` adds the summary's counts."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    if with_counts and key is None and not backward and not text.strip():
        return _opening_page(session, view, today, limit)
    found = keyset.page(
        session,
        _page_query(view, today, text),
        _SEGMENTS,
        key=key,
        backward=backward,
        limit=limit,
        inclusive=inclusive,
    )
    rows = [ReferralRow._make(row) for _k, row in found]
    counts = None
    whole = key is None and not backward and len(rows) < limit  # every matching row
    if with_counts and whole and referral_text_condition(text) is not None:
        # Typed text that few rows match: counted from the rows read (issue 23).
        total = session.scalar(
            select(func.count()).select_from(Referral).where(*_view_conditions(view, today))
        )
        overdue = sum(1 for r in rows if r.is_overdue(today))
        counts = ReferralCounts(int(total or 0), len(rows), overdue)
    elif with_counts:
        counts = _referral_counts(session, view, today, text)
    return ReferralPage(rows, [k for k, _r in found], counts)


_OPENING_KEY = len(_SEGMENTS[0].order) + 1
"""A key's width: the segment number and its sort values (``keyset.Key``)."""


def _opening_page(session: Session, view: str, today: date, limit: int) -> ReferralPage:
    """The first page of a view with no typed text, and its counts, in one statement
    (``_opening_statement``): what the list opens on, and reads again on a change of view
    or a reload. The same rows and keys as ``keyset.page`` from the top, the same counts as
    ``_referral_counts`` (``tests/test_referrals_opening.py``)."""
    if session.autoflush:
        session.flush()  # as ``Session.execute`` would: a change not yet written is read
    found = session.connection().execute(_opening_statement(view, today, limit)).all()
    if not found:  # the view is empty (its whole list was read, from the top)
        return ReferralPage([], [], ReferralCounts(0, 0, 0))
    width = _OPENING_KEY
    rows = [ReferralRow._make(row[: -width - 2]) for row in found]
    keys = [tuple(row[-width - 2 : -2]) for row in found]
    total, late = int(found[0][-2]), int(found[0][-1])
    return ReferralPage(rows, keys, ReferralCounts(total, total, late))


@lru_cache(maxsize=32)
def _opening_statement(view: str, today: date, limit: int) -> Select:
    """``keyset.page``'s statement from the top (each segment in its index's order, limited
    to the page, in one UNION ALL sorted by segment and key), with the view's count and its
    overdue count as two more columns: uncorrelated scalar subqueries, which SQLite and
    PostgreSQL both run once a statement. One round trip, not two (issue 23 §5).

    Built once per view, day and page size: building it is most of the Python a cold
    open costs the thread that reads it (4 ms of 10 at ten times the large demo), and
    that thread shares the interpreter with the screen being laid out."""
    columns = _page_query(view, today, "")
    parts = []
    for number, segment in enumerate(_SEGMENTS):
        sort = [c for c in segment.order if c is not _NO_DATE]  # a constant is not sorted
        part = (
            columns.add_columns(
                literal(number).label("_seg"),
                *(column.label(f"_k{i}") for i, column in enumerate(segment.order)),
            )
            .where(segment.where)
            .order_by(*sort)
            .limit(limit)
        )
        parts.append(part.subquery().select())
    both = union_all(*parts).subquery()
    conditions = _view_conditions(view, today)
    overdue = and_(Referral.state.in_(OPEN_REFERRAL_STATES), Referral.chase_by < today)
    total = select(func.count()).select_from(Referral).where(*conditions).scalar_subquery()
    late = select(func.count()).select_from(Referral).where(*conditions, overdue).scalar_subquery()
    sort = [both.c._seg, *(both.c[f"_k{i}"] for i in range(_OPENING_KEY - 1))]
    return select(both, total.label("_total"), late.label("_late")).order_by(*sort).limit(limit)


def _referral_counts(session: Session, view: str, today: date, text: str) -> ReferralCounts:
    """The view, the referrals matching the text and the overdue among them, in one
    statement: with no text, index counts (the state index, then the chase-by dates of
    those states), not a pass over every referral with a CASE for each."""
    condition = referral_text_condition(text)
    overdue = and_(Referral.state.in_(OPEN_REFERRAL_STATES), Referral.chase_by < today)
    if condition is None:
        conditions = _view_conditions(view, today)
        total, late = session.execute(
            select(
                select(func.count()).select_from(Referral).where(*conditions).scalar_subquery(),
                select(func.count())
                .select_from(Referral)
                .where(*conditions, overdue)
                .scalar_subquery(),
            )
        ).one()
        return ReferralCounts(int(total), int(total), int(late))
    matched = condition
    stmt = select(
        func.count(),
        func.coalesce(func.sum(case((matched, 1), else_=0)), 0),
        func.coalesce(func.sum(case((and_(matched, overdue), 1), else_=0)), 0),
    ).select_from(Referral)
    if condition is not None:
        stmt = stmt.join(Person, Person.id == Referral.person_id)
    total, shown, late = session.execute(stmt.where(*_view_conditions(view, today))).one()
    return ReferralCounts(int(total), int(shown), int(late))


def referral_locate(
    session: Session, view: str, today: date, referral_ids: Sequence[int], *, text: str = ""
) -> tuple[int, keyset.Key] | None:
    """Where the first of ``referral_ids`` still in the view is now: its index and key
    (after a save the cursor moves on to the referral that followed). None if none is."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    if not referral_ids:
        return None  # (every open and change of view: no query to build, 0.7 ms)
    stmt = _page_query(view, today, text)
    keys = keyset.keys_of(session, stmt, _SEGMENTS, Referral.id, referral_ids)
    for referral_id in referral_ids:
        if referral_id in keys:
            key = keys[referral_id]
            return keyset.count_before(session, stmt, _SEGMENTS, key), key
    return None


_Raw = String()
"""A column read as the driver gives it (no conversion by SQLAlchemy): see referral_figures."""


def referral_figures(session: Session, today: date) -> list[ReferralFigures]:
    """Per type and practice, and per type across all practices (``ALL_PRACTICES``): made
    this month, median working days from sent to outcome, open and overdue now.

    The counts are made by the database (one grouped query); only the referrals with an
    outcome come back as rows, for the medians. Counting every referral in Python cost
    30 ms of interpreter time on the large demo, just after the Referrals list opens."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    import statistics  # here, not at the top: off the path of the list's first read

    practice = func.coalesce(Practice.short_name, "—")
    # "Made this month": sent on a UK day from the 1st to today, as UTC instants.
    since = start_of_day(today.replace(day=1))
    until = start_of_day(today + timedelta(days=1))
    is_open = Referral.state.in_(OPEN_REFERRAL_STATES)
    # Counted per type and practice id by one pass over the table (the type as
    # ``referral_type || ''``: by the type's index SQLite read every row out of order,
    # 92 ms against 61 at ten times the large demo), then named: a name may be two
    # practices', summed below.
    kind = Referral.referral_type.concat("")
    counted = (
        select(
            kind.label("kind"),
            Referral.practice_id.label("practice_id"),
            func.count(case((and_(Referral.sent_at >= since, Referral.sent_at < until), 1))).label(
                "made"
            ),
            func.count(case((is_open, 1))).label("open_now"),
            func.count(case((and_(is_open, Referral.chase_by < today), 1))).label("overdue"),
        )
        .group_by(kind, Referral.practice_id)
        .subquery()
    )
    counts = session.connection().execute(
        select(
            counted.c.kind,
            practice,
            counted.c.made,
            counted.c.open_now,
            counted.c.overdue,
        ).outerjoin(Practice, Practice.id == counted.c.practice_id)
    )
    groups: dict[tuple[str, str], list] = {}  # [made, open, overdue, working days]
    for kind_, where, made, open_now, overdue in counts:
        for key in ((kind_, where), (kind_, ALL_PRACTICES)):
            g = groups.setdefault(key, [0, 0, 0, []])
            g[0] += made
            g[1] += open_now
            g[2] += overdue
    # The stamps as the driver gives them (SQLite: text), each converted once by the
    # column's own conversion: SQLAlchemy's for every row was 107 ms of the thread's
    # interpreter time for the 14,000 referrals with an outcome at ten times the demo.
    dialect = session.get_bind().dialect
    stamp = Referral.__table__.c.sent_at.type.dialect_impl(dialect)
    convert = stamp.result_processor(dialect, None) or (lambda v: v)
    decided = session.connection().execute(
        select(
            Referral.referral_type,
            practice,
            type_coerce(Referral.sent_at, _Raw),
            type_coerce(Referral.outcome_received_at, _Raw),
        )
        .outerjoin(Practice, Practice.id == Referral.practice_id)
        .where(Referral.sent_at.is_not(None), Referral.outcome_received_at.is_not(None))
    )
    # Steps typed as dates are stamped at the day's noon, so stamps and pairs of days
    # repeat: each is converted (time zone, working days) once.
    days_of: dict[object, date] = {}
    took: dict[tuple[date, date], int] = {}
    for kind_, where, sent, outcome in decided.all():
        sent_day = days_of.get(sent)
        if sent_day is None:
            sent_day = days_of[sent] = _day(convert(sent))
        outcome_day = days_of.get(outcome)
        if outcome_day is None:
            outcome_day = days_of[outcome] = _day(convert(outcome))
        days = took.get((sent_day, outcome_day))
        if days is None:
            days = took[(sent_day, outcome_day)] = working_days_between(sent_day, outcome_day)
        # setdefault: a referral committed between the two reads has no counts yet.
        for key in ((kind_, where), (kind_, ALL_PRACTICES)):
            groups.setdefault(key, [0, 0, 0, []])[3].append(days)
    return [
        ReferralFigures(
            kind,
            where,
            made,
            statistics.median(days) if days else None,
            open_now,
            overdue,
        )
        for (kind, where), (made, open_now, overdue, days) in sorted(groups.items())
    ]


@dataclass
class ReferralDetail:
    """A referral with its history, its chases and the person's key facts."""

    referral: Referral
    person_name: str
    nhs_number: str
    events: list[ReferralEvent]
    chases: list[ReferralChase]
    person: PersonSummary | None = None
    other_referrals: list[tuple[str, str, date | None]] = field(default_factory=list)
    conferences: list[CaseConference] = field(default_factory=list)
    row: ReferralRow | None = None  # what the one-key actions act on

    @property
    def next_review_due(self) -> date | None:
        """The next child protection review conference still to be held, if diarised."""
        return next(
            (c.due_date for c in self.conferences if c.kind == "review_cp" and c.held_on is None),
            None,
        )


def referral_detail(session: Session, referral_id: int) -> ReferralDetail | None:
    access.require(session, access.VIEW_REGISTER)  # issue 17
    from coordinator_tui.services.people import person_summary

    referral = session.get(Referral, referral_id)
    if referral is None:
        return None
    person = session.get(Person, referral.person_id)
    events = list(
        session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral_id)
            .order_by(ReferralEvent.at, ReferralEvent.id)
        )
    )
    chases = list(
        session.scalars(
            select(ReferralChase)
            .where(ReferralChase.referral_id == referral_id)
            .order_by(ReferralChase.chased_at)
        )
    )
    name = person_label(person) if person else "—"
    audit.record_read(session, "referral", referral_id)
    others = [
        (kind, state, _day(drafted))
        for kind, state, drafted in session.execute(
            select(Referral.referral_type, Referral.state, Referral.drafted_at)
            .where(Referral.person_id == referral.person_id, Referral.id != referral_id)
            .order_by(Referral.drafted_at.desc())
        ).all()
    ]
    return ReferralDetail(
        referral,
        name,
        person.nhs_number if person else "",
        events,
        chases,
        person_summary(session, referral.person_id),
        others,
        referral_conferences(session, referral_id),
        referral_row(session, referral_id),
    )


# -- overdue decisions for the referral's history screen (issue 13 §2: a screen shows
# what these decide and never decides it itself) ---------------------------------------


def chase_overdue(referral: Referral, today: date) -> bool:
    """An open referral whose chase-by date has passed: the same rule as the list's
    "overdue" view (``_view_conditions``), so the history and the list never disagree."""
    return (
        referral.state in OPEN_REFERRAL_STATES
        and referral.chase_by is not None
        and referral.chase_by < today
    )


def conference_overdue(conference: CaseConference, today: date) -> bool:
    """A case conference still to be held whose due-by date has passed."""
    return conference.held_on is None and conference.due_date < today


def review_overdue(detail: ReferralDetail, today: date) -> bool:
    """The next child protection review conference is due before ``today`` (a review
    conference must be held within the statutory interval; a late one is shown OVERDUE)."""
    due = detail.next_review_due
    return due is not None and due < today
