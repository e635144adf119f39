"""The safeguarding and governance timescales, computed, each with its source.

DESIGN.md section 4. One module for every "due by" the app works out, so the register, the
review queue, the person record, the referrals and governance all count the same way.
Working days skip weekends and England and Wales bank holidays, substitute days included
(``services.dates``); months are calendar months, month ends clamped (31 August + 6 months
is 28 February).

``TIMESCALES`` lists every rule with its figure in words and its source (the README's rules
table is checked against it). The rota's Working Time Regulations are in
``services/rota/rules/``; governance keeps its clocks in ``services/governance/clocks.py``,
whose complaint acknowledgement is this module's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.formatting import uk_date
from coordinator_tui.models import CaseConference, ChronologyEntry
from coordinator_tui.services.dates import add_interval, add_working_days

# Looked-after children's health (statutory guidance "Promoting the health and wellbeing of
# looked-after children", DfE and DHSC 2015, paragraphs 29-31).
LAC_INITIAL_WORKING_DAYS = 20
LAC_REVIEW_MONTHS_UNDER_FIVE = 6
LAC_REVIEW_MONTHS_FROM_FIVE = 12
LAC_REGISTERS = ("LAC", "CIC")  # register codes of children looked after

# Child protection (Working Together to Safeguard Children 2023, chapter 4).
CP_INITIAL_CONFERENCE_WORKING_DAYS = 15
CP_FIRST_REVIEW_MONTHS = 3
CP_LATER_REVIEW_MONTHS = 6

# Children's social care assessment (Working Together 2023, chapter 3).
REFERRAL_DECISION_WORKING_DAYS = 1
SINGLE_ASSESSMENT_WORKING_DAYS = 45

# Complaints (Local Authority Social Services and NHS Complaints (England) Regulations
# 2009, SI 2009/309).
COMPLAINT_ACKNOWLEDGE_WORKING_DAYS = 3

# Care plan reviews (Care and Support Statutory Guidance, Care Act 2014, para 13.32): a
# light-touch review 6 to 8 weeks after the plan is agreed, then no later than every 12
# months (the agency's interval, a setting: ``care_settings``).
CARE_PLAN_FIRST_REVIEW_WEEKS = (6, 8)
CARE_PLAN_REVIEW_MONTHS_DEFAULT = 12


@dataclass(frozen=True)
class Timescale:
    """A timescale, its figure in words, and where it comes from."""

    code: str
    figure: str
    source: str


TIMESCALES: tuple[Timescale, ...] = (
    Timescale(
        "lac_initial_health_assessment",
        f"initial health assessment within {LAC_INITIAL_WORKING_DAYS} working days of the "
        "child entering care (the start of the looked-after register entry)",
        "Promoting the health and wellbeing of looked-after children (statutory guidance, "
        "2015) para 29",
    ),
    Timescale(
        "lac_review_health_assessment",
        f"review health assessment every {LAC_REVIEW_MONTHS_UNDER_FIVE} months before the "
        f"child's 5th birthday and every {LAC_REVIEW_MONTHS_FROM_FIVE} months from it: a "
        "review whose 6 months would end on or after the 5th birthday is due 12 months on",
        "Promoting the health and wellbeing of looked-after children (statutory guidance, "
        "2015) para 31",
    ),
    Timescale(
        "cp_initial_conference",
        f"initial child protection conference within {CP_INITIAL_CONFERENCE_WORKING_DAYS} "
        "working days of the strategy discussion",
        "Working Together to Safeguard Children 2023, chapter 4",
    ),
    Timescale(
        "cp_review_conference",
        f"first review conference within {CP_FIRST_REVIEW_MONTHS} months of the initial "
        f"conference, then within {CP_LATER_REVIEW_MONTHS} months of the previous review "
        "actually held",
        "Working Together to Safeguard Children 2023, chapter 4",
    ),
    Timescale(
        "referral_decision",
        f"decision on a referral to children's social care within "
        f"{REFERRAL_DECISION_WORKING_DAYS} working day of receipt",
        "Working Together to Safeguard Children 2023, chapter 3",
    ),
    Timescale(
        "single_assessment",
        f"single assessment completed within {SINGLE_ASSESSMENT_WORKING_DAYS} working days "
        "of the referral",
        "Working Together to Safeguard Children 2023, chapter 3",
    ),
    Timescale(
        "complaint_acknowledge",
        f"complaint acknowledged not later than {COMPLAINT_ACKNOWLEDGE_WORKING_DAYS} working "
        "days after the day it is received",
        "SI 2009/309 reg 13(1)",
    ),
    Timescale(
        "care_plan_first_review",
        f"first care plan review {CARE_PLAN_FIRST_REVIEW_WEEKS[0]} to "
        f"{CARE_PLAN_FIRST_REVIEW_WEEKS[1]} weeks after the package starts (due by the "
        f"{CARE_PLAN_FIRST_REVIEW_WEEKS[1]}th week)",
        "Care and Support Statutory Guidance (Care Act 2014) para 13.32",
    ),
    Timescale(
        "care_plan_review",
        f"then at the agency's interval, default {CARE_PLAN_REVIEW_MONTHS_DEFAULT} months "
        "from the review held; earlier when an event changes the person's needs",
        "Care and Support Statutory Guidance (Care Act 2014) para 13.32; Care Act 2014 s27",
    ),
)


# -- looked-after children's health assessments --------------------------------------------


@dataclass(frozen=True)
class HealthAssessmentDue:
    """The next health assessment of a looked-after child: when, and which."""

    due: date
    kind: str  # initial | review
    why: str  # how it was counted, in words

    @property
    def label(self) -> str:
        return f"{self.kind} health assessment"


def fifth_birthday(date_of_birth: date) -> date:
    """The 5th birthday (born on 29 February: 1 March in a year without one)."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + 5)
    except ValueError:
        return date(date_of_birth.year + 5, 3, 1)


def lac_initial_health_assessment_due(entered_care: date) -> date:
    """Within 20 working days of entering care (statutory guidance 2015, para 29)."""
    return add_working_days(entered_care, LAC_INITIAL_WORKING_DAYS)


def lac_review_health_assessment_due(previous: date, date_of_birth: date) -> date:
    """The review after an assessment on ``previous``: 6 months on while that still falls
    before the 5th birthday, else 12 months on (statutory guidance 2015, para 31)."""
    six = add_interval(previous, months=LAC_REVIEW_MONTHS_UNDER_FIVE)
    if six < fifth_birthday(date_of_birth):
        return six
    return add_interval(previous, months=LAC_REVIEW_MONTHS_FROM_FIVE)


def lac_next_health_assessment(
    entered_care: date,
    date_of_birth: date,
    today: date,
    done: Iterable[date] = (),
) -> HealthAssessmentDue:
    """The next health assessment due for a child looked after since ``entered_care``.

    ``done``: the assessments recorded since then. With none, the initial assessment is
    due until its date passes; after it, the schedule is followed as if each assessment
    was done on the day it fell due (the app then shows the next one to come, not one
    missed, which needs its record). With some, the review follows the latest done."""
    held = sorted(d for d in done if d >= entered_care)
    if held:
        due = lac_review_health_assessment_due(held[-1], date_of_birth)
        return HealthAssessmentDue(due, "review", f"after the assessment on {uk_date(held[-1])}")
    initial = lac_initial_health_assessment_due(entered_care)
    if initial >= today:
        return HealthAssessmentDue(
            initial, "initial", f"{LAC_INITIAL_WORKING_DAYS} working days from entering care"
        )
    due = initial
    while due < today:
        due = lac_review_health_assessment_due(due, date_of_birth)
    return HealthAssessmentDue(
        due, "review", "on the schedule from the initial one (6-monthly under 5, then yearly)"
    )


# -- child protection ----------------------------------------------------------------------


def cp_initial_conference_due(strategy_discussion_on: date) -> date:
    """Initial child protection conference: within 15 working days of the strategy
    discussion (Working Together 2023)."""
    return add_working_days(strategy_discussion_on, CP_INITIAL_CONFERENCE_WORKING_DAYS)


def cp_review_conference_due(kind_held: str, held_on: date) -> date | None:
    """The next review conference after a conference of ``kind_held`` ("initial_cp" or
    "review_cp") held on ``held_on``, the child staying on a plan: 3 months after the
    initial conference, 6 months after a review (Working Together 2023). None for other
    kinds of meeting."""
    if kind_held == "initial_cp":
        return add_interval(held_on, months=CP_FIRST_REVIEW_MONTHS)
    if kind_held == "review_cp":
        return add_interval(held_on, months=CP_LATER_REVIEW_MONTHS)
    return None


def cp_next_review_conference(initial_held: date, reviews_held: Iterable[date] = ()) -> date:
    """The next review conference due, from the conferences actually held: 3 months
    after the initial one until a review is held, then 6 months after the latest review."""
    held = sorted(d for d in reviews_held if d >= initial_held)
    if held:
        return add_interval(held[-1], months=CP_LATER_REVIEW_MONTHS)
    return add_interval(initial_held, months=CP_FIRST_REVIEW_MONTHS)


# -- assessments and complaints ------------------------------------------------------------


def referral_decision_due(received_on: date) -> date:
    """Children's social care decides what to do with a referral within 1 working day."""
    return add_working_days(received_on, REFERRAL_DECISION_WORKING_DAYS)


def single_assessment_due(referral_on: date) -> date:
    """A single assessment is completed within 45 working days of the referral."""
    return add_working_days(referral_on, SINGLE_ASSESSMENT_WORKING_DAYS)


def complaint_acknowledge_due(received_on: date) -> date:
    """A complaint is acknowledged by the 3rd working day after the day it is received
    (SI 2009/309 reg 13(1))."""
    return add_working_days(received_on, COMPLAINT_ACKNOWLEDGE_WORKING_DAYS)


# -- care plan reviews ---------------------------------------------------------------------


def care_plan_first_review(package_start: date) -> tuple[date, date]:
    """The window of the first care plan review: from 6 weeks to 8 weeks after the package
    starts (Care and Support Statutory Guidance para 13.32); due by its end."""
    low, high = CARE_PLAN_FIRST_REVIEW_WEEKS
    return add_interval(package_start, weeks=low), add_interval(package_start, weeks=high)


def care_plan_next_review(held_on: date, months: int = CARE_PLAN_REVIEW_MONTHS_DEFAULT) -> date:
    """The next care plan review after one held on ``held_on``: the agency's interval
    (default 12 months, the guidance's longest) from it."""
    return add_interval(held_on, months=months)


# -- read from the database ----------------------------------------------------------------

HEALTH_ASSESSMENT_KIND = "health_assessment"  # ``ChronologyEntry.kind`` of one recorded


def health_assessments_due(
    session: Session, entries: Iterable[tuple[int, int, date, date]], today: date
) -> dict[int, HealthAssessmentDue]:
    """The next health assessment for each looked-after register entry in ``entries``,
    given as (entry id, person id, entered care, date of birth): from the assessments
    recorded in the person's chronology (kind ``health_assessment``), else the schedule."""
    entries = list(entries)
    if not entries:
        return {}
    done: dict[int, list[date]] = {}
    people = sorted({person_id for _, person_id, _, _ in entries})
    for chunk in range(0, len(people), 500):
        for person_id, on in session.execute(
            select(ChronologyEntry.person_id, ChronologyEntry.occurred_on).where(
                ChronologyEntry.person_id.in_(people[chunk : chunk + 500]),
                ChronologyEntry.kind == HEALTH_ASSESSMENT_KIND,
            )
        ):
            done.setdefault(person_id, []).append(on)
    return {
        entry_id: lac_next_health_assessment(entered, born, today, done.get(person_id, ()))
        for entry_id, person_id, entered, born in entries
    }


def next_conference_due(session: Session, person_id: int) -> tuple[str, date] | None:
    """The child protection conference diarised and not yet held, soonest first: its kind
    and due date (a review is diarised from the conference before it actually held,
    ``cp_review_conference_due``)."""
    found = session.execute(
        select(CaseConference.kind, CaseConference.due_date)
        .where(
            CaseConference.person_id == person_id,
            CaseConference.held_on.is_(None),
            CaseConference.kind.in_(("initial_cp", "review_cp")),
        )
        .order_by(CaseConference.due_date)
        .limit(1)
    ).first()
    return (found[0], found[1]) if found else None
