"""The training matrix and supervision (issue 18 §5).

What each role must hold (``TrainingCourse``: the Care Certificate for new starters, the
mandatory refreshers with their intervals), when each carer last did it
(``TrainingRecord``), and supervision, spot checks, observations and sign-offs by a
supervisor (``SupervisionRecord``) with their due dates from the agency's intervals
(``StaffSettings``).

A matrix cell is one of four states, each a word and a symbol so that nothing depends on
colour: ``✓`` valid, ``◐`` due within the agency's warning period (30 days by default),
``✖`` expired, ``·`` missing; ``—`` where the role does not need the course. A completion of
a course that stands for a rota competency (``skill_code``: medication, moving and
handling) renews the carer's competency, so the rota's skill check sees it at once.

``blocking_gaps`` lists the carers whose missing or expired competencies block the most
visits in the coming fortnight: what to book first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui.formatting import uk_date
from coordinator_tui.models import (
    Carer,
    CarerProfile,
    CarerSkill,
    Skill,
    StaffSettings,
    SupervisionRecord,
    TrainingCourse,
    TrainingRecord,
    Visit,
    VisitAssignment,
    VisitStatus,
)
from coordinator_tui.services import errors
from coordinator_tui.services.care.staff_common import CareStaffConflictError, CareStaffError, clean
from coordinator_tui.services.dates import add_interval

VALID, DUE, EXPIRED, MISSING, NOT_NEEDED = "valid", "due", "expired", "missing", "n/a"
SYMBOLS = {VALID: "✓", DUE: "◐", EXPIRED: "✖", MISSING: "·", NOT_NEEDED: "—"}
WORDS = {VALID: "valid", DUE: "DUE", EXPIRED: "EXPIRED", MISSING: "MISSING", NOT_NEEDED: ""}

ROLES = {
    "care_worker": "Care worker",
    "senior_carer": "Senior carer",
    "supervisor": "Field supervisor",
}
SUPERVISION_KINDS = {
    "supervision": "Supervision",
    "spot_check": "Spot check",
    "observation": "Observation",
    "sign_off": "Sign-off",
}
OUTCOMES = {
    "competent": "competent",
    "not_yet": "not yet competent",
    "discussed": "discussed",
}

CARE_CERTIFICATE_WEEKS = 12
"""A new starter completes the Care Certificate within 12 weeks of starting (Skills for Care,
Care Certificate guidance); until then the cell is due, not missing."""


@dataclass(frozen=True)
class CourseSpec:
    code: str
    name: str
    interval_months: int
    source: str
    roles: str = ""
    care_certificate: bool = False
    skill_code: str = ""


DEFAULT_COURSES: tuple[CourseSpec, ...] = (
    CourseSpec(
        "CC",
        "Care Certificate (16 standards)",
        0,
        "Skills for Care: Care Certificate standards (2025); CQC expects new starters "
        "to complete it within 12 weeks",
        care_certificate=True,
    ),
    CourseSpec(
        "SAFEA",
        "Safeguarding adults",
        12,
        "Health and Social Care Act 2008 (Regulated Activities) Regs 2014 reg 13 and 18; "
        "Core Skills Training Framework (annual refresher is common agency policy)",
    ),
    CourseSpec(
        "MH",
        "Moving and handling",
        12,
        "Manual Handling Operations Regs 1992; LOLER 1998 (hoists); CSTF: 1 year",
        skill_code="HOIST",
    ),
    CourseSpec(
        "MED",
        "Medicines: administration and competency",
        12,
        "NICE SC1 (2017) rec 1.8.4: assess medicines competency at least annually",
        skill_code="MED",
    ),
    CourseSpec("BLS", "Basic life support", 12, "Resuscitation Council UK; CSTF: 1 year"),
    CourseSpec(
        "IPC",
        "Infection prevention and control",
        12,
        "Health and Social Care Act 2008 Code of Practice on IPC; CSTF: 1 year",
    ),
    CourseSpec(
        "FIRE", "Fire safety", 12, "Regulatory Reform (Fire Safety) Order 2005; CSTF: 1 year"
    ),
    CourseSpec(
        "IG", "Information governance", 12, "Data Security and Protection Toolkit: annual training"
    ),
    CourseSpec(
        "MCA", "Mental Capacity Act", 36, "Mental Capacity Act 2005 Code of Practice; CSTF: 3 years"
    ),
)


class TrainingError(CareStaffError):
    """A refused training or supervision record."""


# -- settings and courses ---------------------------------------------------------------------


@dataclass(frozen=True)
class Intervals:
    supervision_days: int = 90
    spot_check_days: int = 180
    due_soon_days: int = 30


def intervals(session: Session) -> Intervals:
    """The agency's supervision intervals (the defaults when none are recorded)."""
    row = session.execute(select(StaffSettings).limit(1)).scalar_one_or_none()
    if row is None:
        return Intervals()
    return Intervals(row.supervision_days, row.spot_check_days, row.due_soon_days)


def intervals_version(session: Session) -> int | None:
    """The settings row's version as read (None: no row yet), for :func:`save_intervals`."""
    return session.execute(select(StaffSettings.version).limit(1)).scalar()


def save_intervals(
    session: Session,
    *,
    supervision_days: int,
    spot_check_days: int,
    due_soon_days: int,
    expected_version: int | None,
) -> StaffSettings:
    """Set the intervals (a setting: issue 18 §5). Each between 7 days and 2 years."""
    for label, value in (
        ("Supervision interval", supervision_days),
        ("Spot-check interval", spot_check_days),
        ("Warning period", due_soon_days),
    ):
        if not 7 <= value <= 730:
            raise TrainingError(f"{label} must be 7 to 730 days (got {value})")
    row = session.execute(select(StaffSettings).limit(1)).scalar_one_or_none()
    errors.check_version(  # None: the screen saw no settings yet (made on first save)
        session,
        row,
        "staff_settings",
        expected_version,
        missing=TrainingError,
        conflict=CareStaffConflictError,
        may_be_new=True,
    )
    if row is None:
        row = StaffSettings()
        session.add(row)
    row.supervision_days = supervision_days
    row.spot_check_days = spot_check_days
    row.due_soon_days = due_soon_days
    session.flush()
    return row


def ensure_courses(session: Session) -> list[TrainingCourse]:
    """The agency's courses, adding the default set the first time (audited)."""
    rows = list(session.execute(select(TrainingCourse).order_by(TrainingCourse.position)).scalars())
    if rows:
        return rows
    for position, spec in enumerate(DEFAULT_COURSES):
        session.add(
            TrainingCourse(
                code=spec.code,
                name=spec.name,
                interval_months=spec.interval_months,
                roles=spec.roles,
                care_certificate=spec.care_certificate,
                skill_code=spec.skill_code,
                source=spec.source,
                position=position,
            )
        )
    session.flush()
    return list(session.execute(select(TrainingCourse).order_by(TrainingCourse.position)).scalars())


def _courses(session: Session) -> list[TrainingCourse]:
    return list(session.execute(select(TrainingCourse).order_by(TrainingCourse.position)).scalars())


def applies_to(course: TrainingCourse, role: str) -> bool:
    roles = {r.strip() for r in course.roles.split(",") if r.strip()}
    return not roles or role in roles


def expiry_of(course: TrainingCourse, completed_on: date) -> date | None:
    """When a completion of ``course`` runs out (None: it does not)."""
    if course.interval_months <= 0:
        return None
    return add_interval(completed_on, months=course.interval_months)


# -- the matrix ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    course_id: int
    state: str
    completed_on: date | None = None
    expires_on: date | None = None
    record_id: int | None = None  # the latest completion (the version a screen saw)

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.state]

    def text(self) -> str:
        """Seven cells at most, so a matrix of nine courses fits 80 columns: ``✓ 03/27``
        (valid to March 2027), ``◐ 12/12`` (due: runs out on 12 December), ``✖ EXP``
        (expired), ``· none`` (missing), ``—`` (not needed for the role)."""
        if self.state == NOT_NEEDED:
            return SYMBOLS[NOT_NEEDED]
        if self.state == VALID:
            return f"✓ {self.expires_on:%m/%y}" if self.expires_on else "✓ done"
        if self.state == DUE:
            return f"◐ {self.expires_on:%d/%m}" if self.expires_on else "◐ due"
        if self.state == EXPIRED:
            return "✖ EXP"
        return "· none"

    def words(self) -> str:
        """The state in words, for the line under the matrix."""
        if self.state == NOT_NEEDED:
            return "not needed for this role"
        if self.state == VALID:
            return f"valid until {uk_date(self.expires_on)}" if self.expires_on else "done"
        if self.state == DUE:
            if self.expires_on:
                return f"DUE: runs out {uk_date(self.expires_on)}"
            return "DUE: new starter, within 12 weeks of starting"
        if self.state == EXPIRED:
            return f"EXPIRED on {uk_date(self.expires_on)}"
        return "MISSING: never recorded"


@dataclass(frozen=True)
class MatrixRow:
    carer_id: int
    name: str
    role: str
    started_on: date | None
    cells: tuple[Cell, ...]
    supervision_due: date | None
    spot_check_due: date | None
    profile_version: int | None = None  # the carer's role record as read (None: none yet)

    def gaps(self) -> int:
        return sum(1 for c in self.cells if c.state in (EXPIRED, MISSING))

    def due(self) -> int:
        return sum(1 for c in self.cells if c.state == DUE)

    def supervision_overdue(self, today: date) -> bool:
        """The carer's next supervision was due before ``today`` (the matrix marks it)."""
        return self.supervision_due is not None and self.supervision_due < today


@dataclass(frozen=True)
class Matrix:
    today: date
    courses: tuple[TrainingCourse, ...]
    rows: tuple[MatrixRow, ...]
    due_soon_days: int = 30

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for row in self.rows:
            for cell in row.cells:
                found[cell.state] += 1
        return dict(found)


def cell_state(
    course: TrainingCourse,
    role: str,
    started_on: date | None,
    completed_on: date | None,
    expires_on: date | None,
    today: date,
    due_soon_days: int,
) -> str:
    """One cell's state: not needed for the role, missing, expired, due soon or valid.
    An expiry on ``today`` is expired (as the rota reads a competency); a new starter's
    Care Certificate is due, not missing, in their first 12 weeks."""
    if not applies_to(course, role):
        return NOT_NEEDED
    if completed_on is None:
        if (
            course.care_certificate
            and started_on is not None
            and today < started_on + timedelta(weeks=CARE_CERTIFICATE_WEEKS)
        ):
            return DUE
        return MISSING
    if expires_on is None:
        return VALID
    if expires_on <= today:
        return EXPIRED
    if expires_on <= today + timedelta(days=due_soon_days):
        return DUE
    return VALID


def _latest_records(session: Session) -> dict[tuple[int, int], tuple[int, date, date | None]]:
    """(carer, course) -> (record id, completed, expires) of the latest completion."""
    found: dict[tuple[int, int], tuple[int, date, date | None]] = {}
    for rid, carer_id, course_id, done, expires in session.execute(
        select(
            TrainingRecord.id,
            TrainingRecord.carer_id,
            TrainingRecord.course_id,
            TrainingRecord.completed_on,
            TrainingRecord.expires_on,
        ).order_by(TrainingRecord.completed_on, TrainingRecord.id)
    ):
        found[(carer_id, course_id)] = (rid, done, expires)
    return found


def _last_supervision(session: Session) -> dict[tuple[int, str], date]:
    return {
        (carer_id, kind): held
        for carer_id, kind, held in session.execute(
            select(
                SupervisionRecord.carer_id,
                SupervisionRecord.kind,
                func.max(SupervisionRecord.held_on),
            ).group_by(SupervisionRecord.carer_id, SupervisionRecord.kind)
        )
    }


def training_matrix(session: Session, today: date) -> Matrix:
    """Every active carer down, every course across, with supervision and spot-check due
    dates (from the last one held, else from the carer's start, else due now)."""
    courses = _courses(session)
    settings = intervals(session)
    latest = _latest_records(session)
    held = _last_supervision(session)
    profiles = {
        carer_id: (role, started, version)
        for carer_id, role, started, version in session.execute(
            select(
                CarerProfile.carer_id,
                CarerProfile.role,
                CarerProfile.started_on,
                CarerProfile.version,
            )
        )
    }
    rows: list[MatrixRow] = []
    for carer_id, name in session.execute(
        select(Carer.id, Carer.name).where(Carer.active.is_(True)).order_by(Carer.name, Carer.id)
    ):
        role, started, profile_version = profiles.get(carer_id, ("care_worker", None, None))
        cells = []
        for course in courses:
            record = latest.get((carer_id, course.id))
            done = record[1] if record else None
            expires = record[2] if record else None
            state = cell_state(course, role, started, done, expires, today, settings.due_soon_days)
            cells.append(Cell(course.id, state, done, expires, record[0] if record else None))

        def due(kind: str, days: int, carer_id: int = carer_id, started=started) -> date:
            last = held.get((carer_id, kind))
            if last is not None:
                return last + timedelta(days=days)
            return (started + timedelta(days=days)) if started else today

        rows.append(
            MatrixRow(
                carer_id,
                name,
                role,
                started,
                tuple(cells),
                due("supervision", settings.supervision_days),
                due("spot_check", settings.spot_check_days),
                profile_version,
            )
        )
    return Matrix(today, tuple(courses), tuple(rows), settings.due_soon_days)


def matrix_csv(matrix: Matrix) -> str:
    """The matrix as CSV: a row per carer, a column per course holding the state and the
    expiry date, then the supervision and spot-check due dates. Written by the app's one
    safe CSV writer (a cell starting with a formula character is made text)."""
    from coordinator_tui.services.exporting import csv_text

    header = ["carer", "role", *[c.code for c in matrix.courses], "supervision_due"]
    header.append("spot_check_due")
    rows = []
    for row in matrix.rows:
        cells = []
        for cell in row.cells:
            if cell.state == NOT_NEEDED:
                cells.append("")
            else:
                when = cell.expires_on.isoformat() if cell.expires_on else ""
                cells.append(f"{cell.state} {when}".strip())
        rows.append(
            [
                row.name,
                ROLES.get(row.role, row.role),
                *cells,
                row.supervision_due.isoformat() if row.supervision_due else "",
                row.spot_check_due.isoformat() if row.spot_check_due else "",
            ]
        )
    return csv_text(header, rows)


# -- recording --------------------------------------------------------------------------------


def _check_day(value: date | None, what: str, today: date) -> date:
    if value is None:
        raise TrainingError(f"Give the date {what}")
    if value > today:
        raise TrainingError(f"The date {what} cannot be in the future ({uk_date(value)})")
    if value < today - timedelta(days=366 * 5):
        raise TrainingError(f"The date {what} is more than 5 years ago ({uk_date(value)})")
    return value


def record_completion(
    session: Session,
    carer_id: int,
    course_id: int,
    *,
    completed_on: date | None,
    expected_latest: int | None,
    today: date,
    by: str,
    note: str = "",
) -> TrainingRecord:
    """Record that the carer completed the course on ``completed_on``.

    ``expected_latest`` is the latest completion the screen showed (None: none): a
    completion someone else recorded meanwhile refuses this one with who and when. A
    course standing for a rota competency renews the carer's skill (``CarerSkill``) to the
    new expiry, so the rota's skill check and this matrix agree."""
    carer = session.get(Carer, carer_id)
    course = session.get(TrainingCourse, course_id)
    if carer is None:
        raise TrainingError("That carer no longer exists")
    if course is None:
        raise TrainingError("That course no longer exists")
    done = _check_day(completed_on, "the training was completed", today)
    note = clean(note, 300)
    latest = session.execute(
        select(TrainingRecord.id)
        .where(TrainingRecord.carer_id == carer_id, TrainingRecord.course_id == course_id)
        .order_by(TrainingRecord.completed_on.desc(), TrainingRecord.id.desc())
        .limit(1)
    ).scalar()
    if latest != expected_latest:
        raise CareStaffConflictError(errors.conflict_message(session, "training_record", latest))
    record = TrainingRecord(
        carer_id=carer_id,
        course_id=course_id,
        completed_on=done,
        expires_on=expiry_of(course, done),
        recorded_by=by,
        note=note,
    )
    session.add(record)
    if course.skill_code:
        _renew_skill(session, carer_id, course.skill_code, done, record.expires_on)
    session.flush()
    return record


def _renew_skill(
    session: Session, carer_id: int, code: str, achieved: date, expires: date | None
) -> None:
    skill = session.execute(select(Skill).where(Skill.code == code)).scalar_one_or_none()
    if skill is None:
        return  # the agency does not use this competency on its rota
    held = session.execute(
        select(CarerSkill).where(CarerSkill.carer_id == carer_id, CarerSkill.skill_id == skill.id)
    ).scalar_one_or_none()
    if held is None:
        session.add(
            CarerSkill(
                carer_id=carer_id, skill_id=skill.id, achieved_on=achieved, expires_on=expires
            )
        )
        return
    if held.expires_on is not None and expires is not None and held.expires_on >= expires:
        return  # already valid for longer (a later completion recorded first)
    held.achieved_on = achieved
    held.expires_on = expires


def set_profile(
    session: Session,
    carer_id: int,
    *,
    role: str,
    started_on: date | None,
    expected_version: int | None,
    today: date,
) -> CarerProfile:
    """Set a carer's role and start date (which courses they need)."""
    if role not in ROLES:
        raise TrainingError(f"Unknown role '{role}': one of {', '.join(ROLES)}")
    if started_on is not None and started_on > today + timedelta(days=90):
        raise TrainingError("A start date more than 90 days ahead is not plausible")
    if session.get(Carer, carer_id) is None:
        raise TrainingError("That carer no longer exists")
    row = session.execute(
        select(CarerProfile).where(CarerProfile.carer_id == carer_id)
    ).scalar_one_or_none()
    errors.check_version(  # None: the screen saw no profile yet (made on first save)
        session,
        row,
        "carer_profile",
        expected_version,
        missing=TrainingError,
        conflict=CareStaffConflictError,
        may_be_new=True,
    )
    if row is None:
        row = CarerProfile(carer_id=carer_id)
        session.add(row)
    row.role = role
    row.started_on = started_on
    session.flush()
    return row


def record_supervision(
    session: Session,
    carer_id: int,
    *,
    kind: str,
    held_on: date | None,
    supervisor: str,
    today: date,
    by: str,
    outcome: str = "",
    note: str = "",
    course_id: int | None = None,
    shadow_id: int | None = None,
) -> SupervisionRecord:
    """Record a supervision, spot check, observation or sign-off. A sign-off of a course
    found competent records the course's completion on the same day. The supervisor names
    someone other than the carer (a carer cannot sign themselves off)."""
    if kind not in SUPERVISION_KINDS:
        raise TrainingError(f"Unknown kind '{kind}': one of {', '.join(SUPERVISION_KINDS)}")
    carer = session.get(Carer, carer_id)
    if carer is None:
        raise TrainingError("That carer no longer exists")
    held = _check_day(held_on, "it was held", today)
    supervisor = clean(supervisor, 120)
    if not supervisor:
        raise TrainingError("Name the supervisor")
    if supervisor.casefold() == carer.name.casefold():
        raise TrainingError("The supervisor cannot be the carer themselves")
    if outcome and outcome not in OUTCOMES:
        raise TrainingError(f"Unknown outcome '{outcome}': one of {', '.join(OUTCOMES)}")
    if kind == "sign_off" and course_id is None:
        raise TrainingError("A sign-off names the course it signs off")
    if kind == "sign_off" and not outcome:
        raise TrainingError("A sign-off says whether the carer was found competent")
    course = session.get(TrainingCourse, course_id) if course_id is not None else None
    if course_id is not None and course is None:
        raise TrainingError("That course no longer exists")
    record = SupervisionRecord(
        carer_id=carer_id,
        kind=kind,
        held_on=held,
        supervisor=supervisor,
        course_id=course_id,
        shadow_id=shadow_id,
        outcome=outcome,
        note=clean(note, 500, multiline=True),
        recorded_by=by,
    )
    session.add(record)
    session.flush()
    if kind == "sign_off" and outcome == "competent" and course is not None:
        latest = session.execute(
            select(TrainingRecord.id)
            .where(TrainingRecord.carer_id == carer_id, TrainingRecord.course_id == course.id)
            .order_by(TrainingRecord.completed_on.desc(), TrainingRecord.id.desc())
            .limit(1)
        ).scalar()
        record_completion(
            session,
            carer_id,
            course.id,
            completed_on=held,
            expected_latest=latest,
            today=today,
            by=by,
            note=f"Signed off by {supervisor}",
        )
    return record


@dataclass(frozen=True)
class SupervisionRow:
    carer_id: int
    name: str
    kind: str
    due: date

    def overdue(self, today: date) -> bool:
        return self.due < today


def supervision_due(
    session: Session, today: date, *, within_days: int = 30
) -> list[SupervisionRow]:
    """Supervisions and spot checks due within ``within_days`` (or overdue), soonest first."""
    matrix = training_matrix(session, today)
    found: list[SupervisionRow] = []
    horizon = today + timedelta(days=within_days)
    for row in matrix.rows:
        for kind, due in (("supervision", row.supervision_due), ("spot_check", row.spot_check_due)):
            if due is not None and due <= horizon:
                found.append(SupervisionRow(row.carer_id, row.name, kind, due))
    found.sort(key=lambda r: (r.due, r.name, r.kind))
    return found


# -- gaps that block visits -------------------------------------------------------------------


@dataclass
class Blocker:
    carer_id: int
    name: str
    visits: int = 0  # visits in the period this carer cannot take for a competency gap
    skills: dict[str, str] = field(default_factory=dict)  # code -> "missing" | "expires dd/mm"


def blocking_gaps(
    session: Session, today: date, *, days: int = 14, limit: int = 20
) -> list[Blocker]:
    """The carers whose competency gaps block the most visits in the next ``days``.

    A visit counts against a carer when it needs a skill the carer lacks or holds expired by
    the visit's day, and the visit is one of theirs or at a customer they visited in the
    last four weeks (their regular round: where cover is looked for first). Most first."""
    end = today + timedelta(days=days)
    held: dict[int, dict[str, date | None]] = defaultdict(dict)
    for carer_id, code, expires in session.execute(
        select(CarerSkill.carer_id, Skill.code, CarerSkill.expires_on).join(
            Skill, Skill.id == CarerSkill.skill_id
        )
    ):
        held[carer_id][code.upper()] = expires
    carers = dict(session.execute(select(Carer.id, Carer.name).where(Carer.active.is_(True))).all())
    regular: dict[int, set[int]] = defaultdict(set)  # customer -> carers
    for carer_id, customer_id in session.execute(
        select(VisitAssignment.carer_id, Visit.customer_id)
        .join(Visit, Visit.id == VisitAssignment.visit_id)
        .where(Visit.visit_date >= today - timedelta(weeks=4), Visit.visit_date < end)
        .distinct()
    ):
        regular[customer_id].add(carer_id)
    found: dict[int, Blocker] = {}
    for _vid, customer_id, day, skills in session.execute(
        select(Visit.id, Visit.customer_id, Visit.visit_date, Visit.required_skills).where(
            Visit.visit_date >= today,
            Visit.visit_date < end,
            Visit.required_skills != "",
            Visit.status == VisitStatus.PLANNED,
        )
    ):
        codes = {c.strip().upper() for c in (skills or "").split(",") if c.strip()}
        for carer_id in regular.get(customer_id, ()):
            if carer_id not in carers:
                continue
            gaps = {}
            for code in codes:
                if code not in held[carer_id]:
                    gaps[code] = "missing"
                else:
                    expires = held[carer_id][code]
                    if expires is not None and expires <= day:
                        gaps[code] = f"expires {expires:%d/%m}" if expires >= today else "expired"
            if gaps:
                blocker = found.setdefault(carer_id, Blocker(carer_id, carers[carer_id]))
                blocker.visits += 1
                blocker.skills.update(gaps)
    ranked = sorted(found.values(), key=lambda b: (-b.visits, b.name, b.carer_id))
    return ranked[:limit]
