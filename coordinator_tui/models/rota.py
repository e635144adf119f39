"""Homecare: carers and their skills, customers and preferences, packages, visits, rota."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import BigInteger, LargeBinary, Text
from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from coordinator_tui.models.base import Editable


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Skill(Editable, table=True):
    """A skill or competency a visit may require (medication, hoist, PEG, dementia...)."""

    code: str = Field(max_length=30, unique=True, index=True)
    name: str = Field(max_length=120)


class Carer(Editable, table=True):
    """A homecare worker. ``date_of_birth`` drives the young-worker WTR rules."""

    name: str = Field(max_length=120, index=True)
    gender: str = Field(default="", max_length=20)
    date_of_birth: date | None = Field(default=None)
    transport_mode: str = Field(default="drive", max_length=10)  # walk | drive
    home_postcode: str = Field(default="", max_length=10)
    home_lat: float = Field(default=0.0)
    home_lon: float = Field(default=0.0)
    contracted_hours: float = Field(default=0.0)
    wtr_opt_out: bool = Field(default=False)
    phone: str = Field(default="", max_length=40)
    active: bool = Field(default=True, index=True)
    # Working Time Regulations 1998, as the agency records them for this carer:
    # reg 22(1)(c): works split shifts under the exemption from reg 10 (compensatory rest).
    split_shift_exempt: bool = Field(default=False)
    # reg 2: a night worker (None: not recorded, inferred from the last 17 weeks).
    night_worker: bool | None = Field(default=None)
    # reg 6(7)-(8): work identified by risk assessment as involving special hazards or
    # heavy physical or mental strain (8 hours in any 24 with night work).
    special_hazards: bool = Field(default=False)
    # reg 6A: an under-18 whose contract provides for work after 22:00 (restricted period
    # 23:00 to 07:00 instead of 22:00 to 06:00).
    young_night_contract: bool = Field(default=False)


class CarerSkill(Editable, table=True):
    """A carer's skill with the date its competency expires (None = does not expire)."""

    __tablename__ = "carer_skill"
    __table_args__ = (UniqueConstraint("carer_id", "skill_id"),)

    carer_id: int = Field(foreign_key="carer.id", index=True)
    skill_id: int = Field(foreign_key="skill.id", index=True)
    achieved_on: date | None = Field(default=None)
    expires_on: date | None = Field(default=None, index=True)


class CarerAvailability(Editable, table=True):
    """When a carer is available on a weekday (0 = Monday)."""

    __tablename__ = "carer_availability"

    carer_id: int = Field(foreign_key="carer.id", index=True)
    weekday: int
    start_time: time
    end_time: time


class CarerWeekHours(Editable, table=True):
    """A carer's working time in one week (Monday ``week_start``), kept as data so the
    17-week WTR averages do not re-read 16 weeks of visits whenever a week opens.

    ``source`` "visits": worked out from the week's visits and refreshed whenever they
    change (``services.rota.week_hours``); "recorded": entered from payroll for the weeks
    before the app's records began, and never overwritten by a week without visits.
    ``shifts`` and ``night_shifts`` (3 hours or more in night time) let the checker infer
    who is a night worker (WTR reg 2) from the last 17 weeks; ``first_start``, ``last_end``
    and ``long_rests`` the 14-day weekly rest."""

    __tablename__ = "carer_week_hours"
    __table_args__ = (UniqueConstraint("carer_id", "week_start"),)

    carer_id: int = Field(foreign_key="carer.id", index=True)
    week_start: date = Field(index=True)  # the 16 weeks before a rota week, one range
    hours: float
    source: str = Field(default="recorded", max_length=10)
    shifts: int = Field(default=0)
    night_shifts: int = Field(default=0)
    # The week's first visit, the end of its last, and the rests of 24 hours or more
    # between ("start-end" in epoch minutes): what the 14-day weekly rest (reg 11(2)) reads
    # of last week without reading its visits.
    first_start: datetime | None = Field(default=None)
    last_end: datetime | None = Field(default=None)
    long_rests: str = Field(default="", max_length=300)
    # The customers the carer visited that week, ids ascending ("12,40"; "" none; NULL not
    # known: entered from payroll): the rota's continuity ("seen in the 16 weeks before")
    # is read from these rows, not from 16 weeks of visits (issue 23 §1; migration 0014).
    customers: str | None = Field(default=None, sa_type=Text)


class WorkingTimeSettings(Editable, table=True):
    """The agency's working-time choices (one row; none: the defaults).

    ``night_start``: the start of night time, a 7-hour period that must include midnight to
    05:00 (WTR reg 2), so between 22:00 and midnight; 23:00 (to 06:00) unless agreed."""

    __tablename__ = "working_time_settings"

    night_start: time = Field(default=time(23, 0))


class Absence(Editable, table=True):
    """A carer off sick, on leave or training, from start to end inclusive."""

    carer_id: int = Field(foreign_key="carer.id", index=True)
    start_date: date = Field(index=True)
    end_date: date = Field(index=True)
    kind: str = Field(default="sickness", max_length=20)
    note: str = Field(default="", max_length=300)


class Customer(Editable, table=True):
    """A homecare customer; ``person_id`` links to the person record where there is one."""

    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    name: str = Field(max_length=120, index=True)
    address: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=10)
    lat: float = Field(default=0.0)
    lon: float = Field(default=0.0)
    preferred_gender: str = Field(default="", max_length=20)
    language: str = Field(default="", max_length=40)
    cultural_notes: str = Field(default="", max_length=300)
    lone_working_risk: bool = Field(default=False)
    access_notes: str = Field(default="", max_length=300)
    active: bool = Field(default=True, index=True)


class CustomerCarerPreference(Editable, table=True):
    """A customer's preferred or excluded carer, with the reason."""

    __tablename__ = "customer_carer_preference"
    __table_args__ = (UniqueConstraint("customer_id", "carer_id"),)

    customer_id: int = Field(foreign_key="customer.id", index=True)
    carer_id: int = Field(foreign_key="carer.id", index=True)
    kind: str = Field(max_length=10)  # preferred | excluded
    reason: str = Field(default="", max_length=300)


class CarePackage(Editable, table=True):
    """A commissioned package of care for a customer."""

    __tablename__ = "care_package"

    customer_id: int = Field(foreign_key="customer.id", index=True)
    start_date: date
    end_date: date | None = Field(default=None)
    funder: str = Field(default="", max_length=60)
    hours_per_week: float = Field(default=0.0)
    status: str = Field(default="active", max_length=20, index=True)


class VisitTemplate(Editable, table=True):
    """A recurring visit in a package; concrete visits for a week are generated from it.

    ``weekdays`` is seven characters, Monday first, "1" for a visit day ("1111100").
    ``required_skills`` is a comma-separated list of skill codes.
    """

    __tablename__ = "visit_template"

    package_id: int = Field(foreign_key="care_package.id", index=True)
    weekdays: str = Field(default="1111111", max_length=7)
    window_start: time
    window_end: time
    duration_minutes: int = Field(default=30)
    carers_required: int = Field(default=1)
    required_skills: str = Field(default="", max_length=200)
    tasks: str = Field(default="", max_length=300)
    medication: bool = Field(default=False)


class Visit(Editable, table=True):
    """One visit to a customer at a planned time, staffed by one or two carers."""

    __table_args__ = (Index("ix_visit_day_start", "visit_date", "start_at"),)

    template_id: int | None = Field(default=None, foreign_key="visit_template.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    visit_date: date
    start_at: datetime
    end_at: datetime
    carers_required: int = Field(default=1)
    required_skills: str = Field(default="", max_length=200)
    tasks: str = Field(default="", max_length=300)
    status: str = Field(default=VisitStatus.PLANNED, max_length=20, index=True)
    actual_start: datetime | None = Field(default=None)
    actual_end: datetime | None = Field(default=None)


class VisitAssignment(Editable, table=True):
    """A carer on a visit; ``slot`` 1 or 2 (a double-up has two)."""

    __tablename__ = "visit_assignment"
    __table_args__ = (UniqueConstraint("visit_id", "slot"),)

    visit_id: int = Field(foreign_key="visit.id", index=True)
    carer_id: int = Field(foreign_key="carer.id", index=True)
    slot: int = Field(default=1)


class ProblemAcceptance(Editable, table=True):
    """A soft rota problem accepted with the reason recorded (CQC: why a wish was not met)."""

    __tablename__ = "problem_acceptance"

    code: str = Field(max_length=30, index=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    carer_id: int | None = Field(default=None, foreign_key="carer.id")
    rationale: str = Field(max_length=500)
    accepted_by: str = Field(default="", max_length=60)
    accepted_at: datetime


class AbsenceCover(Editable, table=True):
    """What an absence did to one visit: who covers it now (Plan B), or, when nobody could
    (Plan C), what the coordinator did about it: escalated to the manager as a task, moved
    within the visit's window to when a carer is free, or left to an agency.

    Kept so the cover can be listed (the call list), undone when the absence is removed or
    shortened, and so Plan C is not forgotten when the screen closes."""

    __tablename__ = "absence_cover"
    __table_args__ = (UniqueConstraint("absence_id", "visit_id"),)

    absence_id: int = Field(foreign_key="absence.id", index=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    absent_carer_id: int = Field(foreign_key="carer.id")
    carer_id: int | None = Field(default=None, foreign_key="carer.id")  # None: Plan C
    action: str = Field(default="", max_length=20)  # "" | escalated | time_change | agency
    note: str = Field(default="", max_length=300)
    task_id: int | None = Field(default=None, foreign_key="action.id")
    moved_from: datetime | None = Field(default=None)  # the visit's start before a time change


class RotaPackGeneration(SQLModel, table=True):
    """How many times the rows a rota week reads of one day (``scope``: the ISO date) have
    changed: bumped by database triggers (migration 0016) on every insert, update or
    delete of a visit or of a carer's place on one, whoever writes it (the app, a bulk
    load, SQL typed by hand). No row: unchanged since the triggers were made (0).

    Not a record: nothing here names or describes a person, and rows are never audited."""

    __tablename__ = "rota_pack_generation"

    scope: str = Field(primary_key=True, max_length=40)
    generation: int = Field(default=0, sa_type=BigInteger)


class RotaPack(SQLModel, table=True):
    """One day's visit rows as the rota week's load reads them, kept packed
    (``services.rota.week_pack``) so opening a week the database has not changed since
    reads a few blobs instead of 17,000 rows at ten times the demo (issue 23 §1). Valid
    only while ``generation`` equals the day's :class:`RotaPackGeneration` and ``format``
    the code's: the load checks both and reads the day's visits themselves otherwise.

    Holds ids, times, status codes and skill codes: no name, address or note."""

    __tablename__ = "rota_pack"

    scope: str = Field(primary_key=True, max_length=40)
    generation: int = Field(default=0, sa_type=BigInteger)
    format: int = Field(default=0)
    payload: bytes = Field(sa_type=LargeBinary)
