"""Safeguarding register review: the queue, one-key actions, undo, compliance.

Every action takes the entry's ``version`` as the screen last saw it. If someone else has
changed the entry since, the action is refused with a :class:`ConflictError` that names
the change (from the audit trail), so nobody silently overwrites a colleague's review.
Each action returns an :class:`Undo` that restores exactly what it changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache, cached_property, lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from coordinator_tui.formatting import uk_date
from coordinator_tui.models import (
    ChronologyEntry,
    EntryStatus,
    Person,
    Practice,
    RegisterCategory,
    RegisterEntry,
    RegisterReview,
    RiskLevel,
    Staff,
    utcnow,
)
from coordinator_tui.services import access, errors, keyset, rules
from coordinator_tui.services.errors import CoordinatorError

RISK_ORDER = {RiskLevel.HIGH: 0, RiskLevel.MEDIUM: 1, RiskLevel.LOW: 2}
ESCALATION_RESOLVED = "escalation resolved"
"""The review action that clears an escalation (``RegisterReview.action``)."""


class RegisterError(CoordinatorError):
    """Bad input for a register action; the message is for the coordinator."""


class ConflictError(RegisterError, errors.ConflictError):
    """The entry changed since the list was loaded."""


def review_overdue(next_review_due: date | None, today: date) -> bool:
    """Whether a review is overdue: its due date has passed (due today is not yet); an
    entry with no date (only an escalated one can have none) is never overdue."""
    return next_review_due is not None and next_review_due < today


@dataclass(frozen=True)
class QueueRow:
    """One line of the review queue: narrow, read as tuples (DESIGN.md section 6)."""

    entry_id: int
    version: int
    person_id: int
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    category_code: str
    category_name: str
    practice: str
    lead: str
    risk_level: str
    next_review_due: date | None
    last_reviewed: date | None
    escalated: bool
    start_date: date | None = None
    # A looked-after entry's next health assessment (``services.rules``), else None.
    health_assessment_due: date | None = None

    def is_overdue(self, today: date) -> bool:
        return review_overdue(self.next_review_due, today)

    def health_assessment_first(self) -> bool:
        """Whether a looked-after child's next health assessment comes before (or on
        the day of) the review: the queue's Due column then shows it (statutory guidance
        on promoting the health of looked-after children, 2015, paras 29-31)."""
        ha = self.health_assessment_due
        if ha is None:
            return False
        return self.next_review_due is None or ha <= self.next_review_due

    def health_assessment_overdue(self, today: date) -> bool:
        """Whether that health assessment's date has passed (HA LATE): due today is not."""
        return self.health_assessment_due is not None and self.health_assessment_due < today

    @cached_property
    def search_text(self) -> str:
        """Names both ways round, lower case: what ``/`` matches words against."""
        given, family = self.given_name, self.family_name
        return f"{family} {given} {given} {family}".lower()

    @cached_property
    def dob_text(self) -> str:
        """Date of birth as typed: 03/12/2019 and 3/12/2019."""
        dob = self.date_of_birth
        return f"{uk_date(dob)}\0{dob.day}/{dob.month}/{dob:%Y}"


@dataclass(frozen=True)
class QueueFilter:
    """Narrowing of the queue; ``None`` means any."""

    practice_id: int | None = None
    category_id: int | None = None
    lead_staff_id: int | None = None
    risk_level: str | None = None
    escalated_only: bool = False
    horizon_days: int = 14


# -- the queue, a page at a time (issue 23) -------------------------------------------------

QUEUE_PAGE = 100
"""Rows read per page of the queue: a screen and a margin."""

RISKS_IN_ORDER = (RiskLevel.HIGH.value, RiskLevel.MEDIUM.value, RiskLevel.LOW.value)


@dataclass(frozen=True)
class QueueCounts:
    """The queue's summary line: ``shown`` match the typed filter, of ``total`` in the
    view; ``overdue`` and ``health_assessments_late`` of those shown."""

    total: int
    shown: int
    overdue: int
    health_assessments_late: int


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue in order, each row with its key (``keyset.Key``: where to
    read on from), and the counts when they were asked for."""

    rows: list[QueueRow]
    keys: list[keyset.Key]
    counts: QueueCounts | None = None


def _queue_conditions(
    today: date, filters: QueueFilter, *, by_index: bool = True
) -> list[ColumnElement[bool]]:
    """The queue's view and filters (not the typed text), on ``register_entry`` alone.
    ``by_index=False``: the status and due date as expressions no index serves
    (``status || ''``, ``date(due)``, the same values in SQLite and PostgreSQL), so the
    planner reads a count by another column's index (the health assessments late)."""
    status: ColumnElement[Any] = RegisterEntry.status
    due: ColumnElement[Any] = RegisterEntry.next_review_due
    if not by_index:
        status, due = status.concat(""), func.date(due, type_=Date)
    conditions: list[ColumnElement[bool]] = [status == EntryStatus.ACTIVE]
    if filters.practice_id is not None:
        conditions.append(RegisterEntry.practice_id == filters.practice_id)
    if filters.category_id is not None:
        conditions.append(RegisterEntry.category_id == filters.category_id)
    if filters.lead_staff_id is not None:
        conditions.append(RegisterEntry.lead_staff_id == filters.lead_staff_id)
    if filters.risk_level is not None:
        conditions.append(RegisterEntry.risk_level == filters.risk_level)
    if filters.escalated_only:
        conditions.append(RegisterEntry.escalated_at.is_not(None))
    else:
        horizon = today + timedelta(days=filters.horizon_days)
        conditions.append(due <= horizon)
    return conditions


def _queue_columns(today: date, filters: QueueFilter, *, by_index: bool = True) -> Select[Any]:
    """The queue's columns (a ``QueueRow``'s, in its order) and filters (not the typed
    text), from ``register_entry``: the one select every read of queue rows builds on."""
    return _queue_row_columns().where(*_queue_conditions(today, filters, by_index=by_index))


@cache
def _queue_row_columns() -> Select[Any]:
    """A ``QueueRow``'s columns and their joins, no filter (``keyset.Keys.rows``: the
    rows of a page whose keys were read apart). Built once: a select is immutable (each
    ``where`` makes a new one), and building this one, with its aliased lead, was about
    a millisecond of every page read (issue 23 §5)."""
    lead = aliased(Staff)
    return (
        select(
            RegisterEntry.id,
            RegisterEntry.version,
            Person.id,
            Person.nhs_number,
            Person.given_name,
            Person.family_name,
            Person.date_of_birth,
            RegisterCategory.code,
            RegisterCategory.name,
            func.coalesce(Practice.short_name, ""),
            func.coalesce(lead.name, ""),
            RegisterEntry.risk_level,
            RegisterEntry.next_review_due,
            RegisterEntry.last_reviewed,
            RegisterEntry.escalated_at.is_not(None),
            RegisterEntry.start_date,
            RegisterEntry.health_assessment_due,  # the stored one; the schedule's added
        )
        .select_from(RegisterEntry)
        .join(Person, Person.id == RegisterEntry.person_id)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .outerjoin(Practice, Practice.id == RegisterEntry.practice_id)
        .outerjoin(lead, lead.id == RegisterEntry.lead_staff_id)
    )


def _risk_constant(level: str) -> ColumnElement[str]:
    """A risk level written into the statement as a constant, not sent as a parameter.

    psycopg prepares a statement run five times on a connection, and PostgreSQL then
    plans it once for any parameters (a generic plan). With the risk levels as
    parameters that plan could not tell the "any other risk" guard's ranges of the risk
    index (empty) from most of the table: it read all of ``register_entry`` for them, so
    ``end``'s read ran 10-12 ms on the server instead of 2-4 (issue 23 §5). As constants
    the generic plan reads the index ranges and runs in about 1 ms, with no planning.
    The levels are the code's own (``RISKS_IN_ORDER``), never typed text."""
    if not level.isalpha():  # written into SQL: letters only
        raise ValueError(f"not a risk level: {level!r}")
    return literal_column(f"'{level}'", String)


@lru_cache(maxsize=32)
def _queue_segments(today: date, filters: QueueFilter) -> tuple[keyset.Segment, ...]:
    """The queue's order as index ranges: overdue entries first, then the rest;
    within each, high, medium, low and any other risk; within each, by due date and id
    (``ix_register_entry_keyset``: status, risk, due date, id). A due date of NULL (only
    an escalated entry can have none in view) is not overdue and sorts first, as SQLite
    sorts NULL first: its own segment, by id. Kept for the day and view (immutable
    expressions): every page of a view reads the same segments."""
    due = RegisterEntry.next_review_due
    entry_id = RegisterEntry.id
    never = literal(date.min, type_=Date)  # the NULL segment's sort value: a constant
    level = {r: _risk_constant(r) for r in RISKS_IN_ORDER}
    risks: list[ColumnElement[bool]] = [RegisterEntry.risk_level == level[r] for r in level]
    # Any other risk (the services write none, but the old order put one last). Its
    # segments would read every active entry to find none, so they are guarded by a
    # test of the whole table, as ranges of the risk index between the three (found
    # empty at once). The test is a scalar subquery, ``(SELECT EXISTS (...))``: that one
    # SQLite evaluates once, before the loop, in every version. A bare EXISTS was made
    # once by Python's SQLite 3.40 but again for every row by SQLCipher's 3.51, which
    # made ``end`` on an encrypted database 1.3-1.5x the plain one (issue 17 §5).
    other = aliased(RegisterEntry)
    low, mid, high = (level[r] for r in sorted(RISKS_IN_ORDER))
    any_other = select(
        select(other.id)
        .where(
            or_(
                other.risk_level < low,
                and_(other.risk_level > low, other.risk_level < mid),
                and_(other.risk_level > mid, other.risk_level < high),
                other.risk_level > high,
            )
        )
        .exists()
    ).scalar_subquery()
    risks.append(and_(any_other, RegisterEntry.risk_level.not_in(list(level.values()))))
    horizon = today + timedelta(days=filters.horizon_days)
    segments = [keyset.Segment(and_(risk, due < today), (due, entry_id)) for risk in risks]
    for risk in risks:
        if filters.escalated_only:
            segments.append(keyset.Segment(and_(risk, due.is_(None)), (never, entry_id)))
        if filters.escalated_only or horizon >= today:
            segments.append(keyset.Segment(and_(risk, due >= today), (due, entry_id)))
    return tuple(segments)


def _dob_text(session: Session, born: Any) -> tuple[ColumnElement[str], ColumnElement[str]]:
    """A date of birth as typed, in SQL: 03/12/2019 and 3/12/2019 (``QueueRow.dob_text``)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(born, "DD/MM/YYYY"), func.to_char(born, "FMDD/FMMM/YYYY")
    day, month, year = (func.strftime(f, born) for f in ("%d", "%m", "%Y"))
    unpadded = func.ltrim(day, "0") + "/" + func.ltrim(month, "0") + "/" + year
    return func.strftime("%d/%m/%Y", born), unpadded


def queue_text_condition(session: Session, needle: str) -> ColumnElement[bool] | None:
    """``text_matcher`` in SQL, so the typed filter narrows the query, not loaded rows:
    an NHS number's digits (any spacing), a date of birth (with a /), else every word in
    the given or family name, any case (SQLite folds ASCII letters only). None: no text."""
    needle = needle.strip().lower()
    if not needle:
        return None
    digits = needle.replace(" ", "")
    if digits.isdigit():
        return Person.nhs_number.contains(digits, autoescape=True)
    if any(ch.isdigit() for ch in needle) and "/" in needle:
        padded, unpadded = _dob_text(session, Person.date_of_birth)
        return or_(
            padded.contains(needle, autoescape=True), unpadded.contains(needle, autoescape=True)
        )
    return and_(
        *(
            or_(
                func.lower(Person.given_name).contains(word, autoescape=True),
                func.lower(Person.family_name).contains(word, autoescape=True),
            )
            for word in needle.split()
        )
    )


@lru_cache(maxsize=8192)
def _scheduled(entered_care: date, born: date, today: date) -> date:
    """``rules.lac_next_health_assessment`` with none recorded: the day only (working
    days and bank holidays counted, 2 ms a page of the queue's tail), so kept."""
    return rules.lac_next_health_assessment(entered_care, born, today).due


def _with_health_assessments(rows: list[QueueRow], today: date) -> list[QueueRow]:
    """Each looked-after entry's next health assessment, as ``rules.health_assessments_due``
    has it: the stored one (counted from the latest recorded), else, with none recorded,
    the schedule's next from entering care (``rules.lac_next_health_assessment``: no
    query, it depends on the day only)."""
    return [
        replace(r, health_assessment_due=_scheduled(r.start_date, r.date_of_birth, today))
        if r.health_assessment_due is None
        and r.start_date is not None
        and r.category_code in rules.LAC_REGISTERS
        else r
        for r in rows
    ]


_VIEWS: dict[tuple[Any, ...], Any] = {}
_VIEWS_KEPT = 32
_VIEWS_LOCK = threading.Lock()


def _kept_view(kind: str, session: Session, today: date, filters: QueueFilter, text: str, build):
    """The queue's statements for a view (the day, filters, typed text, dialect), built
    once and kept (a few dozen views): the same objects for every page of a view, so
    ``keyset`` keeps the statement of its first and last page built too (``end``:
    issue 23 §5). Selects are immutable; what is kept is never changed."""
    key = (kind, session.get_bind().dialect.name, today, filters, text)
    with _VIEWS_LOCK:
        found = _VIEWS.get(key)
    if found is None:
        found = build()
        with _VIEWS_LOCK:  # pages are read on the UI thread and in workers
            if len(_VIEWS) >= _VIEWS_KEPT:
                _VIEWS.pop(next(iter(_VIEWS)))
            found = _VIEWS.setdefault(key, found)
    return found


def _queue_query(
    session: Session, today: date, filters: QueueFilter | None, text: str
) -> tuple[Select[Any], Sequence[keyset.Segment], QueueFilter]:
    filters = filters or QueueFilter()

    def build() -> tuple[Select[Any], Sequence[keyset.Segment], QueueFilter]:
        stmt = _queue_columns(today, filters)
        condition = queue_text_condition(session, text)
        if condition is not None:
            stmt = stmt.where(condition)
        return stmt, _queue_segments(today, filters), filters

    return _kept_view("query", session, today, filters, text, build)


def _queue_keys(session: Session, today: date, filters: QueueFilter, text: str) -> keyset.Keys:
    """The queue's keys read apart from its rows (``keyset.Keys``): the segments read
    ``register_entry`` alone (and the person, for typed text), so PostgreSQL plans one
    index range each and the page's hundred rows are joined once (issue 23 §5)."""
    return _kept_view(
        "keys", session, today, filters, text, lambda: _build_keys(session, today, filters, text)
    )


def _build_keys(session: Session, today: date, filters: QueueFilter, text: str) -> keyset.Keys:
    ids = select(RegisterEntry.id).where(*_queue_conditions(today, filters))
    condition = queue_text_condition(session, text)
    if condition is not None:
        ids = (
            ids.select_from(RegisterEntry)
            .join(Person, Person.id == RegisterEntry.person_id)
            .where(condition)
        )
    return keyset.Keys(ids, _queue_row_columns(), RegisterEntry.id)


def queue_page(
    session: Session,
    today: date,
    filters: QueueFilter | None = None,
    *,
    text: str = "",
    key: keyset.Key | None = None,
    backward: bool = False,
    limit: int = QUEUE_PAGE,
    inclusive: bool = False,
    with_counts: bool = False,
) -> QueuePage:
    """One page of the review queue (active entries due for review by ``today`` and the
    horizon, or with ``escalated_only`` every escalated one: an escalation stays in view
    until the lead resolves it, Home's "escalated to the safeguarding lead"; overdue
    first, then by risk, high first, then by due date and id), read by key: the
    rows after ``key`` (from the top when None), or before it with ``backward`` (from the
    bottom when None); ``text`` narrows it as ``text_matcher`` does. ``with_counts`` adds
    the summary's counts (the first page of a load)."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    stmt, segments, filters = _queue_query(session, today, filters, text)
    found = keyset.page(
        session,
        stmt,
        segments,
        key=key,
        backward=backward,
        limit=limit,
        inclusive=inclusive,
        keys=_queue_keys(session, today, filters, text),
    )
    rows = [QueueRow(*row) for _k, row in found]
    counts = None
    whole = key is None and not backward and len(rows) < limit  # every matching row
    if with_counts and whole and queue_text_condition(session, text) is not None:
        # Typed text that few rows match (most keys typed): counted from the rows read,
        # not by reading every row of the view again for the text (issue 23).
        rows = _with_health_assessments(rows, today)
        total = session.scalar(
            select(func.count())
            .select_from(RegisterEntry)
            .where(*_queue_conditions(today, filters))
        )
        counts = QueueCounts(
            int(total or 0),
            len(rows),
            sum(1 for r in rows if r.is_overdue(today)),
            sum(1 for r in rows if health_assessment_late(r, today)),
        )
    else:
        if with_counts:
            counts = _queue_counts(session, today, filters, text)
        rows = _with_health_assessments(rows, today)
    return QueuePage(rows, [k for k, _row in found], counts)


def health_assessment_late(row: QueueRow, today: date) -> bool:
    """Whether a looked-after child's next health assessment has passed."""
    return row.health_assessment_overdue(today)


def _queue_counts(session: Session, today: date, filters: QueueFilter, text: str) -> QueueCounts:
    """One statement: the view, the rows matching the text, the overdue and the health
    assessments late among them (the joins only when the text needs the person).

    Only a looked-after entry with an assessment recorded since entering care can have
    one late (with none, ``rules.lac_next_health_assessment`` shows the next on the
    schedule, never a past one): those are the entries whose stored
    ``health_assessment_due`` is set, so "late" is an index range of that column."""
    condition = queue_text_condition(session, text)
    overdue = RegisterEntry.next_review_due < today
    late = RegisterEntry.health_assessment_due < today
    conditions = _queue_conditions(today, filters)
    if condition is None:  # index range counts, no per-row expression
        total, late_reviews, late_assessments = session.execute(
            select(
                select(func.count()).where(*conditions).scalar_subquery(),
                select(func.count()).where(*conditions, overdue).scalar_subquery(),
                # By the column's own index: the few entries with one recorded (the
                # planner, with no statistics, would walk the view's due dates instead).
                select(func.count())
                .where(*_queue_conditions(today, filters, by_index=False), late)
                .scalar_subquery(),
            )
        ).one()
        shown = total
    else:
        total, shown, late_reviews, late_assessments = session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((condition, 1), else_=0)), 0),
                func.coalesce(func.sum(case((and_(condition, overdue), 1), else_=0)), 0),
                func.coalesce(func.sum(case((and_(condition, late), 1), else_=0)), 0),
            )
            .select_from(RegisterEntry)
            .join(Person, Person.id == RegisterEntry.person_id)
            .where(*conditions)
        ).one()
    return QueueCounts(int(total), int(shown), int(late_reviews), int(late_assessments))


def queue_counts(
    session: Session, today: date, filters: QueueFilter | None = None, *, text: str = ""
) -> QueueCounts:
    """The queue's counts by COUNT queries, not by reading its rows."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    return _queue_counts(session, today, filters or QueueFilter(), text)


def queue_locate(
    session: Session,
    today: date,
    filters: QueueFilter | None,
    entry_ids: Sequence[int],
    *,
    text: str = "",
) -> tuple[int, keyset.Key] | None:
    """Where the first of ``entry_ids`` still in the queue now is: its index and key
    (after a save, the cursor moves on to the entry that followed the one acted on).
    None when none of them is."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    stmt, segments, _filters = _queue_query(session, today, filters, text)
    keys = keyset.keys_of(session, stmt, segments, RegisterEntry.id, entry_ids)
    for entry_id in entry_ids:
        if entry_id in keys:
            return keyset.count_before(session, stmt, segments, keys[entry_id]), keys[entry_id]
    return None


def text_matcher(needle: str) -> Callable[[QueueRow], bool]:
    """Filter-as-you-type over a loaded queue: name, NHS number (any spacing) or DOB.

    The needle is read once and each row's search text is built once (``search_text``),
    because this runs over thousands of rows on every keystroke (issue 3: one filter
    keystroke to repaint within 30 ms on the large demo)."""
    needle = needle.strip().lower()
    if not needle:
        return lambda row: True
    digits = needle.replace(" ", "")
    if digits.isdigit():
        return lambda row: digits in row.nhs_number
    if any(ch.isdigit() for ch in needle) and "/" in needle:
        return lambda row: needle in row.dob_text
    words = needle.split()
    return lambda row: all(word in row.search_text for word in words)


def matches_text(row: QueueRow, needle: str) -> bool:
    """Whether one row matches ``needle`` (see ``text_matcher``)."""
    return text_matcher(needle)(row)


def filter_by_text(rows: Sequence[QueueRow], needle: str) -> list[QueueRow]:
    """The rows matching ``needle`` (see ``text_matcher``), in their order."""
    return list(filter(text_matcher(needle), rows))


# -- the typed filter, over a narrow list read once per view (issue 23) -----------------


@dataclass(frozen=True)
class SearchEntry:
    """One queue entry as the ``/`` filter needs it: what it matches against
    (``text_matcher``'s ``nhs_number``, ``search_text``, ``dob_text``) and what the
    counts need. Narrow: a view of 30,000 entries is a few MiB, read once, not a LIKE
    scan of the view per key."""

    entry_id: int
    nhs_number: str
    search_text: str
    dob_text: str
    overdue: bool
    health_assessment_late: bool


def _match_kind(needle: str) -> tuple[str, str]:
    """``text_matcher``'s reading of ``needle``: ("", "") for none, else the kind
    (nhs, dob, names) and what is compared (the digits, the needle, the words)."""
    needle = needle.strip().lower()
    if not needle:
        return "", ""
    digits = needle.replace(" ", "")
    if digits.isdigit():
        return "nhs", digits
    if any(ch.isdigit() for ch in needle) and "/" in needle:
        return "dob", needle
    return "names", needle


@dataclass(frozen=True)
class QueueSearch:
    """A queue view (its filters, not the typed text) as the ``/`` filter searches it:
    every entry in queue order. Read once when the filter is opened and kept while it is
    typed (the screen drops it after any save or change of view)."""

    filters: QueueFilter
    today: date
    # Not in the repr: a worker given the search writes its arguments' repr (Textual's
    # ``@work`` description), which for 30,000 entries took 120 ms of each key.
    entries: tuple[SearchEntry, ...] = field(repr=False)
    # The last text's matches: a key typed on the end of it narrows those, not the view.
    _last: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def matching(self, text: str) -> list[SearchEntry]:
        """The entries ``text`` keeps, in queue order: ``text_matcher``'s semantics.

        Text that extends the last text of the same kind keeps a subset of its matches
        (a substring of each longer word or number is in the shorter one), so only those
        are searched: most keys search a few hundred entries, not the view."""
        kind, wanted = _match_kind(text)
        if not kind:
            return list(self.entries)
        pool: Sequence[SearchEntry] = self.entries
        # One tuple, read and replaced whole: a read overtaken by the next key's may
        # still be running in its thread.
        last = self._last.get("last")
        if last is not None and last[0] == kind and wanted.startswith(last[1]):
            pool = last[2]
        if kind == "nhs":
            matched = [e for e in pool if wanted in e.nhs_number]
        elif kind == "dob":
            matched = [e for e in pool if wanted in e.dob_text]
        else:
            words = wanted.split()
            matched = [e for e in pool if words[0] in e.search_text]
            for word in words[1:]:
                matched = [e for e in matched if word in e.search_text]
        self._last["last"] = (kind, wanted, matched)
        return matched

    def counts(self, matched: Sequence[SearchEntry]) -> QueueCounts:
        """The summary's counts for ``matched`` (of this view), without a query."""
        return QueueCounts(
            len(self.entries),
            len(matched),
            sum(1 for e in matched if e.overdue),
            sum(1 for e in matched if e.health_assessment_late),
        )


_RISK_RANK = {risk: rank for rank, risk in enumerate(RISKS_IN_ORDER)}


def queue_search(session: Session, today: date, filters: QueueFilter | None = None) -> QueueSearch:
    """The view's narrow search list (``QueueSearch``): one read of (id, NHS number,
    names, born, risk, due date) of the view's entries, put in the queue's order
    here (overdue first, by risk, due date, id: a sort of the narrow rows, cheaper than
    the database's segmented order), and the assessments late as a set of ids."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    filters = filters or QueueFilter()
    # Dates as the database keeps them (ISO text in SQLite, so none is parsed: the
    # ISO text sorts and compares as the date does), rows without the ORM's loading:
    # at ten times the demo, 30,000 rows (issue 23).
    found = (
        session.connection()
        .execute(
            select(
                RegisterEntry.id,
                Person.nhs_number,
                Person.given_name,
                Person.family_name,
                type_coerce(Person.date_of_birth, String),
                RegisterEntry.risk_level,
                type_coerce(RegisterEntry.next_review_due, String),
                type_coerce(RegisterEntry.health_assessment_due, String),
            )
            .join(Person, Person.id == RegisterEntry.person_id)
            .where(*_queue_conditions(today, filters))
        )
        .all()
    )
    now = today.isoformat()
    rank = _RISK_RANK

    def iso(value: Any) -> str | None:
        return value if value is None or isinstance(value, str) else value.isoformat()

    def order(row: Any) -> tuple[int, int, str, int]:
        due = iso(row[6])
        return (
            0 if due is not None and due < now else 1,
            rank.get(row[5], 3),
            due or "",  # no date (an escalated entry) first, as SQLite sorts NULL
            row[0],
        )

    entries = []
    for entry_id, nhs, given, family, born_at, _risk, due_at, assess_at in sorted(found, key=order):
        born = iso(born_at) or ""
        year, month, day = born[:4], born[5:7], born[8:10]
        due = iso(due_at)
        assess = iso(assess_at)
        entries.append(
            SearchEntry(
                entry_id,
                nhs,
                f"{family} {given} {given} {family}".lower(),
                f"{day}/{month}/{year}\0{day.lstrip('0')}/{month.lstrip('0')}/{year}",
                due is not None and due < now,
                assess is not None and assess < now,
            )
        )
    return QueueSearch(filters, today, tuple(entries))


def queue_rows(
    session: Session, today: date, filters: QueueFilter | None, entry_ids: Sequence[int]
) -> list[QueueRow]:
    """The queue rows of ``entry_ids`` (a page of the search's matches), in that order;
    with their health assessments. An entry no longer in the view is left out."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    if not entry_ids:
        return []
    # By id, not by the view's index: SQLite otherwise walks the view's due dates to find
    # them (5 ms for a page at ten times the demo, on every key typed in ``/``).
    stmt = _queue_columns(today, filters or QueueFilter(), by_index=False).where(
        RegisterEntry.id.in_(list(entry_ids))
    )
    by_id = {row[0]: QueueRow(*row) for row in session.execute(stmt)}
    rows = [by_id[i] for i in entry_ids if i in by_id]
    return _with_health_assessments(rows, today)


# -- actions --------------------------------------------------------------------------


@dataclass
class Undo:
    """What an action changed, so ``undo`` can put it back."""

    description: str
    entry_id: int
    version_after: int
    previous: dict[str, Any] = field(default_factory=dict)
    review_id: int | None = None
    created_entry: bool = False
    chronology_id: int | None = None  # a health assessment's chronology entry


def _load(session: Session, entry_id: int, expected_version: int | None) -> RegisterEntry:
    entry = session.get(RegisterEntry, entry_id)
    errors.check_version(
        session,
        entry,
        "register_entry",
        expected_version,
        missing=RegisterError,
        conflict=ConflictError,
        gone="That register entry no longer exists. Press F5 to reload.",
    )
    assert entry is not None
    return entry


def _snapshot(entry: RegisterEntry, *names: str) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in names}


def _add_review(
    session: Session, entry: RegisterEntry, today: date, by: str, action: str, note: str
) -> RegisterReview:
    review = RegisterReview(
        entry_id=entry.id,
        reviewed_on=today,
        reviewed_by=by,
        action=action,
        note=note[:500],
        due_before=entry.next_review_due,
    )
    session.add(review)
    return review


def stored_health_assessment_due(
    category_code: str, entered_care: date | None, born: date, done: Iterable[date]
) -> date | None:
    """What ``RegisterEntry.health_assessment_due`` holds: for a looked-after entry with an
    assessment recorded since entering care, the review after the latest
    (``rules.lac_next_health_assessment``'s date then, whatever the day); else None (the
    schedule shows the next one to come, never a late one: counted per page, not stored)."""
    if category_code not in rules.LAC_REGISTERS or entered_care is None:
        return None
    held = [d for d in done if d >= entered_care]
    if not held:
        return None
    return rules.lac_review_health_assessment_due(max(held), born)


def keep_health_assessment_due(session: Session, person_id: int) -> None:
    """Put each of ``person_id``'s register entries' ``health_assessment_due`` in step with
    what it is counted from (the entry's register and start, the person's birth date, the
    assessments in the chronology), as the session holds them now, before they are
    flushed: called by every write that changes one of those, so the stored column always
    equals the computed value (``tests/test_health_assessment_due.py``). Reads without
    flushing, so the write's own flush moves the entry's version once."""
    with session.no_autoflush:
        person = session.get(Person, person_id)
        if person is None:
            return
        gone = {id(o) for o in session.deleted}
        struck = {o.id for o in session.deleted if isinstance(o, ChronologyEntry)}
        done = [
            on
            for chronology_id, on in session.execute(
                select(ChronologyEntry.id, ChronologyEntry.occurred_on).where(
                    ChronologyEntry.person_id == person_id,
                    ChronologyEntry.kind == rules.HEALTH_ASSESSMENT_KIND,
                )
            )
            if chronology_id not in struck
        ]
        done += [
            o.occurred_on
            for o in session.new
            if isinstance(o, ChronologyEntry)
            and o.person_id == person_id
            and o.kind == rules.HEALTH_ASSESSMENT_KIND
        ]
        entries = list(
            session.scalars(select(RegisterEntry).where(RegisterEntry.person_id == person_id))
        )
        entries += [
            o
            for o in session.new
            if isinstance(o, RegisterEntry) and o.person_id == person_id and o not in entries
        ]
        for entry in entries:
            if id(entry) in gone:
                continue
            category = session.get(RegisterCategory, entry.category_id)
            due = stored_health_assessment_due(
                category.code if category else "", entry.start_date, person.date_of_birth, done
            )
            if entry.health_assessment_due != due:
                entry.health_assessment_due = due


def category_interval(session: Session, entry: RegisterEntry) -> int:
    category = session.get(RegisterCategory, entry.category_id)
    return category.review_interval_days if category else 30


def proposed_next_review(session: Session, entry_id: int, today: date) -> date:
    """Today plus the category's review interval: the default the ``r`` form offers."""
    entry = session.get(RegisterEntry, entry_id)
    if entry is None:
        raise RegisterError("That register entry no longer exists. Press F5 to reload.")
    return today + timedelta(days=category_interval(session, entry))


def mark_reviewed(
    session: Session,
    entry_id: int,
    expected_version: int,
    *,
    today: date,
    by: str,
    note: str = "",
    next_review: date | None = None,
) -> Undo:
    """Record a review; the next review is the category interval on unless given."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    entry = _load(session, entry_id, expected_version)
    next_review = next_review or today + timedelta(days=category_interval(session, entry))
    if next_review <= today:
        raise RegisterError("The next review must be after today")
    previous = _snapshot(entry, "last_reviewed", "next_review_due", "snoozed_until")
    review = _add_review(session, entry, today, by, "reviewed", note)
    review.next_review_due = next_review
    entry.last_reviewed = today
    entry.next_review_due = next_review
    entry.snoozed_until = None
    session.flush()
    return Undo("review", entry.id, entry.version, previous, review.id)


def snooze(
    session: Session,
    entry_id: int,
    expected_version: int,
    *,
    today: date,
    by: str,
    until: date,
    note: str = "",
) -> Undo:
    """Put a review off to ``until`` (e.g. waiting for a case conference)."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    entry = _load(session, entry_id, expected_version)
    if until <= today:
        raise RegisterError("Snooze to a date after today")
    previous = _snapshot(entry, "next_review_due", "snoozed_until")
    review = _add_review(session, entry, today, by, "snoozed", note)
    review.next_review_due = until
    entry.next_review_due = until
    entry.snoozed_until = until
    session.flush()
    return Undo("snooze", entry.id, entry.version, previous, review.id)


def escalate(
    session: Session, entry_id: int, expected_version: int, *, today: date, by: str, reason: str
) -> Undo:
    """Escalate to the safeguarding lead: shown on Home, proposed for the next meeting."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    reason = reason.strip()
    if not reason:
        raise RegisterError("Give a reason for escalating")
    entry = _load(session, entry_id, expected_version)
    previous = _snapshot(entry, "escalated_at", "escalation_reason")
    review = _add_review(session, entry, today, by, "escalated", reason)
    entry.escalated_at = utcnow()
    entry.escalation_reason = reason[:500]
    session.flush()
    return Undo("escalation", entry.id, entry.version, previous, review.id)


def resolve_escalation(
    session: Session,
    entry_id: int,
    expected_version: int,
    *,
    today: date,
    by: str,
    outcome: str,
) -> Undo:
    """The safeguarding lead's answer to an escalation: the entry leaves the escalated
    view (and Home's count, and the next meeting's proposals). The outcome is required
    and kept as a review row beside the escalation's own, so the record shows both; the
    audit trail has who cleared it and when."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    outcome = outcome.strip()
    if not outcome:
        raise RegisterError("Say what the lead decided")
    entry = _load(session, entry_id, expected_version)
    if entry.escalated_at is None:
        raise RegisterError("This entry is not escalated")
    previous = _snapshot(entry, "escalated_at", "escalation_reason")
    review = _add_review(session, entry, today, by, ESCALATION_RESOLVED, outcome)
    entry.escalated_at = None
    entry.escalation_reason = ""
    session.flush()
    return Undo("escalation resolved", entry.id, entry.version, previous, review.id)


def change_entry(
    session: Session,
    entry_id: int,
    expected_version: int,
    *,
    today: date,
    by: str,
    category_id: int | None = None,
    risk_level: str | None = None,
    lead_staff_id: int | None = None,
) -> Undo:
    """Change category, risk or lead (only the ones given)."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    entry = _load(session, entry_id, expected_version)
    previous = _snapshot(entry, "category_id", "risk_level", "lead_staff_id")
    if risk_level is not None and risk_level not in RISK_ORDER:
        raise RegisterError(f"Risk must be one of: {', '.join(RISK_ORDER)}")
    if category_id is not None and session.get(RegisterCategory, category_id) is None:
        raise RegisterError("Unknown register category")
    if lead_staff_id is not None and session.get(Staff, lead_staff_id) is None:
        raise RegisterError("Unknown lead")
    changes = []
    if category_id is not None and category_id != entry.category_id:
        entry.category_id = category_id
        changes.append("category")
    if risk_level is not None and risk_level != entry.risk_level:
        entry.risk_level = risk_level
        changes.append("risk")
    if lead_staff_id is not None and lead_staff_id != entry.lead_staff_id:
        entry.lead_staff_id = lead_staff_id
        changes.append("lead")
    if not changes:
        raise RegisterError("Nothing was changed")
    review = _add_review(session, entry, today, by, "changed", "changed " + ", ".join(changes))
    if "category" in changes:  # into or out of a looked-after register
        keep_health_assessment_due(session, entry.person_id)
    session.flush()
    return Undo("change", entry.id, entry.version, previous, review.id)


def end_registration(
    session: Session,
    entry_id: int,
    expected_version: int,
    *,
    today: date,
    by: str,
    end_date: date | None,
    reason: str,
) -> Undo:
    """End a registration: a reason and a date (not in the future) are required."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    reason = reason.strip()
    if not reason:
        raise RegisterError("Give the reason the registration ended")
    if end_date is None:
        raise RegisterError("Give the date the registration ended")
    entry = _load(session, entry_id, expected_version)
    if end_date > today:
        raise RegisterError("The end date cannot be in the future")
    if end_date < entry.start_date:
        raise RegisterError("The end date is before the registration started")
    previous = _snapshot(entry, "status", "end_date", "end_reason", "next_review_due")
    review = _add_review(session, entry, today, by, "ended", reason)
    entry.status = EntryStatus.ENDED
    entry.end_date = end_date
    entry.end_reason = reason[:200]
    entry.next_review_due = None
    session.flush()
    return Undo("ending", entry.id, entry.version, previous, review.id)


def record_health_assessment(
    session: Session,
    entry_id: int,
    expected_version: int,
    *,
    today: date,
    by: str,
    done_on: date,
    note: str = "",
) -> Undo:
    """Record a looked-after child's health assessment done on ``done_on`` (``h``).

    It is kept in the child's chronology (kind ``health_assessment``, which
    ``rules.health_assessments_due`` reads), so the next one falls due from it: 6 months
    on before the 5th birthday, 12 from it (statutory guidance 2015, para 31). A review
    row says who recorded it, and the entry's version moves on, so a colleague's view of
    the old due date is refused as stale rather than acted on
    (``last_health_assessment``, the latest recorded, is the field the trail names)."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    entry = _load(session, entry_id, expected_version)
    category = session.get(RegisterCategory, entry.category_id)
    if category is None or category.code not in rules.LAC_REGISTERS:
        raise RegisterError("Health assessments are recorded for looked-after children only")
    if entry.status != EntryStatus.ACTIVE:
        raise RegisterError("This registration has ended")
    if done_on > today:
        raise RegisterError("The health assessment cannot be dated in the future")
    if entry.start_date and done_on < entry.start_date:
        raise RegisterError(f"That is before the child entered care ({uk_date(entry.start_date)})")
    note = note.strip()
    recorded = ChronologyEntry(
        person_id=entry.person_id,
        occurred_on=done_on,
        source="Register",
        kind=rules.HEALTH_ASSESSMENT_KIND,
        text="Health assessment done" + (f": {note}" if note else ""),
        created_by=by,
    )
    session.add(recorded)
    review = _add_review(
        session, entry, today, by, "health assessment", note or f"done {uk_date(done_on)}"
    )
    previous = _snapshot(entry, "last_health_assessment")
    latest = entry.last_health_assessment
    entry.last_health_assessment = max(done_on, latest) if latest else done_on
    if entry.last_health_assessment == latest:  # an older one: still a change to the entry
        entry.updated_at = utcnow()
    keep_health_assessment_due(session, entry.person_id)
    session.flush()
    return Undo(
        "health assessment",
        entry.id,
        entry.version,
        previous,
        review_id=review.id,
        chronology_id=recorded.id,
    )


def next_health_assessment(
    session: Session, entry_id: int, today: date
) -> rules.HealthAssessmentDue | None:
    """The next health assessment of a looked-after register entry (None for any other
    entry): what the ``h`` form shows before it is recorded."""
    found = session.execute(
        select(RegisterEntry.person_id, RegisterEntry.start_date, Person.date_of_birth)
        .join(Person, Person.id == RegisterEntry.person_id)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(RegisterEntry.id == entry_id, RegisterCategory.code.in_(rules.LAC_REGISTERS))
    ).first()
    if found is None or found[1] is None:
        return None
    person_id, start, born = found
    return rules.health_assessments_due(session, [(entry_id, person_id, start, born)], today)[
        entry_id
    ]


def add_registration(
    session: Session,
    *,
    person_id: int,
    category_id: int,
    start_date: date,
    today: date,
    by: str,
    risk_level: str = RiskLevel.MEDIUM,
    lead_staff_id: int | None = None,
    next_review: date | None = None,
) -> Undo:
    """Put a person on a register; refuses a duplicate active registration."""
    access.require(session, access.EDIT_REGISTER)  # issue 17
    person = session.get(Person, person_id)
    if person is None:
        raise RegisterError("Pick a person first")
    category = session.get(RegisterCategory, category_id)
    if category is None or not category.active:
        raise RegisterError("Pick a register")
    if risk_level not in RISK_ORDER:
        raise RegisterError(f"Risk must be one of: {', '.join(RISK_ORDER)}")
    if start_date > today:
        raise RegisterError("The start date cannot be in the future")
    duplicate = session.scalar(
        select(RegisterEntry.id).where(
            RegisterEntry.person_id == person_id,
            RegisterEntry.category_id == category_id,
            RegisterEntry.status == EntryStatus.ACTIVE,
        )
    )
    if duplicate:
        raise RegisterError(f"Already on the {category.name} register")
    entry = RegisterEntry(
        person_id=person_id,
        category_id=category_id,
        practice_id=person.practice_id,
        start_date=start_date,
        lead_staff_id=lead_staff_id,
        risk_level=risk_level,
        next_review_due=next_review or today + timedelta(days=category.review_interval_days),
    )
    session.add(entry)
    keep_health_assessment_due(session, person_id)  # assessments since an earlier stay
    session.flush()
    return Undo("registration", entry.id, entry.version, created_entry=True)


def undo(session: Session, token: Undo) -> int | None:
    """Reverse one action, if nobody has changed the entry since.

    Returns the entry's version after the undo (None if the undo deleted it).
    """
    entry = _load(session, token.entry_id, token.version_after)
    if token.chronology_id is not None:
        recorded = session.get(ChronologyEntry, token.chronology_id)
        if recorded is not None:
            session.delete(recorded)
    if token.review_id is not None:
        review = session.get(RegisterReview, token.review_id)
        if review is not None:
            session.delete(review)
    if token.created_entry:
        session.delete(entry)
        session.flush()
        return None
    for name, value in token.previous.items():
        setattr(entry, name, value)
    keep_health_assessment_due(session, entry.person_id)
    session.flush()
    return entry.version


def undo_last(session: Session, stack: list[Undo]) -> str:
    """Undo the newest action on ``stack`` (this session's actions, oldest first).

    Earlier actions on the same entry are re-based on the version the undo leaves, so
    pressing ``u`` repeatedly walks back through them one by one.
    """
    if not stack:
        raise RegisterError("Nothing to undo in this session")
    token = stack[-1]
    version = undo(session, token)
    stack.pop()
    for earlier in stack:
        if earlier.entry_id == token.entry_id and version is not None:
            earlier.version_after = version
    return f"Undid the {token.description}"


# -- compliance -----------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceRow:
    """Review compliance for one practice and category.

    ``in_interval``: active entries whose last review is within the category interval.
    ``on_time``: reviews done in the last 30 days on or before the date they were due.
    """

    practice: str
    category: str
    active: int
    in_interval: int
    reviews_last_month: int
    on_time: int

    @property
    def in_interval_pct(self) -> float | None:
        return 100 * self.in_interval / self.active if self.active else None

    @property
    def on_time_pct(self) -> float | None:
        return 100 * self.on_time / self.reviews_last_month if self.reviews_last_month else None


def review_compliance(session: Session, today: date) -> list[ComplianceRow]:
    """Per practice and category; the reports reuse this."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    practice = func.coalesce(Practice.short_name, "—")
    # Counted by the database per practice, category and day of last review (a few
    # thousand groups at ten times the demo, whatever the number of entries), read from
    # an index alone (``ix_register_entry_compliance``), and only the groups compared
    # with each category's cut-off here: no entry row comes to Python (at ten times the
    # demo 100,000 active entries took a second of CPU in the queue's background read,
    # issue 23 §1), and one statement (a round trip on a shared PostgreSQL, §5).
    stats: dict[tuple[str, str], list[int]] = {}
    for practice_name, category, interval, last, count in session.execute(
        select(
            practice,
            RegisterCategory.name,
            RegisterCategory.review_interval_days,
            RegisterEntry.last_reviewed,
            func.count(),
        )
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .outerjoin(Practice, Practice.id == RegisterEntry.practice_id)
        .where(RegisterEntry.status == EntryStatus.ACTIVE)
        .group_by(
            practice,
            RegisterCategory.name,
            RegisterCategory.review_interval_days,
            RegisterEntry.last_reviewed,
        )
    ):
        bucket = stats.setdefault((practice_name, category), [0, 0, 0, 0])
        bucket[0] += count
        if last is not None and last >= today - timedelta(days=interval):
            bucket[1] += count
    since = today - timedelta(days=30)
    on_time = case(
        (
            or_(
                RegisterReview.due_before.is_(None),
                RegisterReview.reviewed_on <= RegisterReview.due_before,
            ),
            1,
        ),
        else_=0,
    )
    for practice_name, category, reviews, in_time in session.execute(
        select(practice, RegisterCategory.name, func.count(), func.sum(on_time))
        .select_from(RegisterReview)
        .join(RegisterEntry, RegisterEntry.id == RegisterReview.entry_id)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .outerjoin(Practice, Practice.id == RegisterEntry.practice_id)
        .where(RegisterReview.action == "reviewed", RegisterReview.reviewed_on >= since)
        .group_by(practice, RegisterCategory.name)
    ):
        bucket = stats.setdefault((practice_name, category), [0, 0, 0, 0])
        bucket[2] += reviews
        bucket[3] += in_time or 0
    return [
        ComplianceRow(practice_name, category, *values)
        for (practice_name, category), values in sorted(stats.items())
    ]


@dataclass(frozen=True)
class FilterOptions:
    """The choices the queue's filter keys cycle through: (id, label) pairs."""

    practices: list[tuple[int, str]]
    categories: list[tuple[int, str]]
    leads: list[tuple[int, str]]


def filter_options(session: Session) -> FilterOptions:
    """Practices, register categories and leads (staff who lead any active entry), in one
    statement (a ``UNION ALL`` of the three, sorted by the database as each was): the
    queue's first open reads them, and on a PCN's shared PostgreSQL each statement is a
    network round trip (issue 23 §5)."""
    from sqlalchemy import Integer, literal_column, union_all

    def number(value: int, name: str):
        return literal_column(str(value), Integer).label(name)

    def kind(value: int):
        return number(value, "kind")

    practices = select(
        kind(0), Practice.id, Practice.short_name.label("label"), number(0, "sort_order")
    )
    categories = select(
        kind(1), RegisterCategory.id, RegisterCategory.name, RegisterCategory.sort_order
    ).where(RegisterCategory.active.is_(True))
    # Each member of staff by the lead index, stopping at their first active entry (not
    # every active entry read: 53 ms of the queue's first open at ten times the demo).
    leads = select(kind(2), Staff.id, Staff.name, number(0, "sort_order")).where(
        select(RegisterEntry.id)
        .where(
            RegisterEntry.lead_staff_id == Staff.id,
            RegisterEntry.status.concat("") == EntryStatus.ACTIVE,  # not the status index
        )
        .exists()
    )
    rows = session.execute(
        union_all(practices, categories, leads).order_by(
            literal_column("kind"), literal_column("sort_order"), literal_column("label")
        )
    ).all()
    found: tuple[list, list, list] = ([], [], [])
    for which, row_id, label, _order in rows:
        found[which].append((row_id, label))
    return FilterOptions(*found)


@dataclass(frozen=True)
class RegisterChoice:
    """A register as a chooser lists it; ``search_text`` is what typing matches (code,
    name and the reference file's other terms: "cic" finds LAC/CiC)."""

    id: int
    code: str
    name: str
    search_text: str

    @property
    def label(self) -> str:
        return f"{self.code:<6}{self.name}"


def register_choices(session: Session) -> list[RegisterChoice]:
    """The active registers, in the reference file's order, for typing to choose one."""
    from coordinator_tui.services.reference import load_register_categories

    aliases = {spec.code: spec.aliases for spec in load_register_categories()}
    rows = session.execute(
        select(RegisterCategory.id, RegisterCategory.code, RegisterCategory.name)
        .where(RegisterCategory.active.is_(True))
        .order_by(RegisterCategory.sort_order, RegisterCategory.name)
    )
    return [
        RegisterChoice(cid, code, name, " ".join((code, name, *aliases.get(code, ()))).lower())
        for cid, code, name in rows
    ]


def all_staff(session: Session) -> list[tuple[int, str]]:
    """Internal staff who can lead an entry (for the change and add forms)."""
    rows = session.execute(
        select(Staff.id, Staff.name, Staff.role)
        .where(Staff.active.is_(True), Staff.is_external.is_(False))
        .order_by(Staff.name)
    )
    return [(staff_id, f"{name} ({role})" if role else name) for staff_id, name, role in rows]


def entry_for_form(session: Session, entry_id: int) -> RegisterEntry | None:
    """The entry as it is now, for pre-filling the change form."""
    return session.get(RegisterEntry, entry_id)


def category_id_for_code(session: Session, code: str) -> int:
    """The id of the register with ``code`` (e.g. "CIN"); refuses an unknown code.

    A code the reference data has replaced (CHC, now CFC; CIC, now part of LAC/CiC) finds
    the register that replaced it."""
    from coordinator_tui.services.reference import load_register_categories

    category_id = session.scalar(
        select(RegisterCategory.id).where(
            RegisterCategory.code == code, RegisterCategory.active.is_(True)
        )
    )
    if category_id is None:
        successor = next(
            (spec.code for spec in load_register_categories() if code in spec.replaces), None
        )
        if successor is not None:
            category_id = session.scalar(
                select(RegisterCategory.id).where(RegisterCategory.code == successor)
            )
    if category_id is None:
        raise RegisterError(f"There is no '{code}' register in the reference data")
    return category_id
