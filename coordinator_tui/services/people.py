"""Finding and describing people: search by name, NHS number or date of birth.

Search must feel instant on 100,000 people, so every branch uses an index: NHS numbers
and names by key range (``>= prefix AND < prefix-successor``, which SQLite and
PostgreSQL both serve from a B-tree), dates of birth by equality. Results are narrow
tuples, not ORM objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import nhs_number
from sqlalchemy import Integer, Select, bindparam, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from coordinator_tui import audit

# Re-exported: lists and screens import them from here (see ``person_hit`` for why apart).
from coordinator_tui.formatting import names_label, person_label, uk_date
from coordinator_tui.models import (
    EntryStatus,
    Household,
    Person,
    PersonLink,
    Practice,
    RegisterCategory,
    RegisterEntry,
)
from coordinator_tui.services import access
from coordinator_tui.services.chronology import SOURCES
from coordinator_tui.services.person_hit import PersonHit as PersonHit
from coordinator_tui.services.person_hit import format_nhs_number as format_nhs_number

_DATE_LIKE = re.compile(
    r"^\s*(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+[A-Za-z]{3,}\s+\d{4})\s*$"
)


class InvalidNhsNumber(ValueError):
    """An NHS number that fails the modulus 11 check or is not 10 digits."""


def normalise_nhs_number(text: str) -> str:
    """Digits only, validated with the ``nhs-number`` package; raises InvalidNhsNumber."""
    digits = re.sub(r"[\s-]", "", text or "")
    if not re.fullmatch(r"\d{10}", digits):
        raise InvalidNhsNumber(f"An NHS number has 10 digits; got {len(digits)} characters")
    if not nhs_number.is_valid(digits):
        raise InvalidNhsNumber("That NHS number fails its check digit: please re-check it")
    return digits


def _successor(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _hit_query():
    return select(
        Person.id,
        Person.nhs_number,
        Person.given_name,
        Person.family_name,
        Person.date_of_birth,
        Person.postcode,
    )


def search_people(session: Session, query: str, limit: int = 20) -> list[PersonHit]:
    """People matching ``query``: NHS number (any spacing, prefix), date of birth, or name.

    Names match as "family given" prefixes ("smi", "smith jo") or "given family"
    ("jo smith"); a single word also matches given names.
    """
    access.require(session, access.VIEW_REGISTER)  # issue 17
    text = " ".join(query.lower().split())
    if not text:
        return []
    digits = re.sub(r"[\s-]", "", text)
    stmt = _hit_query()
    if digits.isdigit() and len(digits) >= 3 and not _DATE_LIKE.match(text):
        if len(digits) >= 10:
            stmt = stmt.where(Person.nhs_number == digits[:10])
        else:
            stmt = stmt.where(
                Person.nhs_number >= digits, Person.nhs_number < _successor(digits)
            ).order_by(Person.nhs_number)
    elif _DATE_LIKE.match(text):
        from coordinator_tui.services.dates import PAST, DateParseError, parse_date

        try:
            dob = parse_date(text, expects=PAST)  # a date of birth: 3/12/99 is 1999
        except DateParseError:
            return []
        stmt = stmt.where(Person.date_of_birth == dob).order_by(
            Person.family_name, Person.given_name
        )
    else:
        words = text.split(" ")
        prefixes = [text]
        if len(words) >= 2:
            prefixes.append(" ".join([words[-1], *words[:-1]]))
        conditions = [
            (Person.search_name >= prefix) & (Person.search_name < _successor(prefix))
            for prefix in prefixes
        ]
        stmt = stmt.where(or_(*conditions)).order_by(Person.search_name)
        rows = session.execute(stmt.limit(limit)).all()
        if len(words) == 1 and len(rows) < limit:
            seen = {row.id for row in rows}
            given = (
                _hit_query()
                .where(Person.given_name.ilike(f"{words[0]}%"))
                .order_by(Person.family_name)
                .limit(limit - len(rows))
            )
            rows += [row for row in session.execute(given).all() if row.id not in seen]
        return [PersonHit(*row) for row in rows]
    return [PersonHit(*row) for row in session.execute(stmt.limit(limit)).all()]


def age_on(dob: date, today: date) -> int:
    """Age in whole years on ``today``."""
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


@dataclass(frozen=True)
class Registration:
    """One register entry as the person record shows it."""

    entry_id: int
    category: str
    start_date: date
    end_date: date | None
    end_reason: str
    risk_level: str
    status: str
    next_review_due: date | None
    # Timescales worked out for it (``services.rules``): "initial health assessment
    # 21/12/2026" on a looked-after entry, "review conference 15/04/2027" on a CP plan.
    due_text: str = ""
    category_code: str = ""
    """The register's code (``LAC``, ``CPP``...): which timescales apply to it."""


@dataclass(frozen=True)
class Relative:
    """A household member or family link, with their own current registers."""

    person_id: int
    name: str
    relationship: str
    date_of_birth: date
    registers: list[str]


@dataclass
class PersonSummary:
    """What the person record shows at the top: demographics, family, registers."""

    id: int
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    gender: str
    address: str
    postcode: str
    practice: str
    household_address: str
    case_summary: str
    case_summary_updated_at: datetime | None
    registrations: list[Registration] = field(default_factory=list)
    relatives: list[Relative] = field(default_factory=list)
    record_rows: RecordRows | None = field(default=None, repr=False, compare=False)
    """What else the record's one statement read (``with_chronology``), for
    :func:`person_record`: not shown as such."""

    @property
    def display_name(self) -> str:
        return person_label(self)


@dataclass(frozen=True)
class RecordRows:
    """The rows of a person's record as its statement read them (:func:`_record_query`)
    and whether anything was shared about the person (read apart, only then)."""

    rows: tuple[Any, ...]
    shared: bool


# The record's own sources in its one statement, after the chronology's
# (``chronology.row``'s columns: source, row id, second id, two dates, a moment, five texts).
_ENTRY = SOURCES
"""A register entry's state: id, next review (day), risk, status, register code (t1-t3);
its register, dates and end reason are the chronology's "registered" row of the same id."""
_RELATIVE = SOURCES + 1
"""A family link or household member: their id, the link's id (none: household), born
(day), the relationship, given and family names (t1-t3)."""
_RELATIVE_ENTRY = SOURCES + 2
"""A relative's register entry: its id, the relative's id, the register and status (t1-t2)."""


def sensitive_entry(person_id: int) -> Select:
    """The person's active entries on a register kept out of online record access (MARAC):
    who may see their record (here) and what a meeting's minutes hide (``meetings.minutes``)."""
    return (
        select(RegisterEntry.id)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(
            RegisterEntry.person_id == person_id,
            RegisterEntry.status == EntryStatus.ACTIVE,
            RegisterCategory.hide_from_online_access.is_(True),
        )
    )


def is_sensitive(session: Session, person_id: int) -> bool:
    """Whether the person is on a register kept out of online record access now (MARAC):
    their record needs ``view_sensitive`` or break-glass (issue 17 §2)."""
    return session.execute(sensitive_entry(person_id).limit(1)).first() is not None


_PERSON_ID = bindparam("person_id", type_=Integer)
_HOUSEHOLD_ID = bindparam("household_id", type_=Integer)
_QUERIES: dict[tuple[str, bool, bool], Any] = {}
"""The record's statements, built once with :data:`_PERSON_ID` and :data:`_HOUSEHOLD_ID`
for parameters: a statement keeps its cache key, so a record's open neither builds its
dozen selects nor walks them for SQLAlchemy's compiled-statement cache again (about a
third of the read's CPU on PostgreSQL)."""


def _query(kind: str, with_chronology: bool, household: bool = False):
    key = (kind, with_chronology, household)
    found = _QUERIES.get(key)
    if found is None:
        if kind == "person":
            found = _person_query(_PERSON_ID, with_chronology)
        else:
            found = _record_query(_PERSON_ID, _HOUSEHOLD_ID if household else None, with_chronology)
        _QUERIES[key] = found
    return found


def _person_query(person_id, with_chronology: bool):
    """The person with their practice and household, whether they are sensitive now
    (:func:`is_sensitive`) and, for the whole record, whether anything was shared about
    them: columns, not an ORM object (nothing of it is kept in the session)."""
    columns = [
        Person.id,
        Person.practice_id,
        Person.household_id,
        Person.nhs_number,
        Person.given_name,
        Person.family_name,
        Person.date_of_birth,
        Person.sex,
        Person.gender,
        Person.address_line1,
        Person.address_line2,
        Person.town,
        Person.postcode,
        Person.case_summary,
        Person.case_summary_updated_at,
        Practice.name.label("practice_name"),
        Household.address.label("household_address"),
        sensitive_entry(person_id).exists().label("sensitive"),
    ]
    if with_chronology:
        from coordinator_tui.models import SharingRecord

        shared = select(SharingRecord.id).where(SharingRecord.person_id == person_id)
        columns.append(shared.exists().label("shared"))
    return (
        select(*columns)
        .outerjoin(Practice, Practice.id == Person.practice_id)
        .outerjoin(Household, Household.id == Person.household_id)
        .where(Person.id == person_id)
    )


def _record_query(person_id, household_id, with_chronology: bool):
    """Everything of the record below the person, in ONE statement (a ``UNION ALL`` of
    selects through an index on the person, the household or the relatives' ids, all as
    ``chronology.row``'s columns): the registrations (the chronology's "registered" rows
    and :data:`_ENTRY`), the family links and household members (:data:`_RELATIVE`)
    with their register entries (:data:`_RELATIVE_ENTRY`) and, ``with_chronology``, the
    chronology's other sources, whose rows also give the health assessments recorded and
    the conferences diarised (:func:`person_record`). On a PCN's shared PostgreSQL each
    statement is a round trip (issue 23 §5): this was five statements beside the person's.
    A relative's ended entries are dropped when read, not in SQL: with the status there
    SQLite picks the status index and walks every active entry of the practice instead
    of the few entries of these people."""
    from sqlalchemy import union_all

    from coordinator_tui.services.chronology import row, source_selects

    chronology = source_selects(person_id)
    parts = chronology if with_chronology else chronology[:1]  # the "registered" rows
    parts.append(
        select(
            *row(
                _ENTRY,
                RegisterEntry.id,
                None,
                RegisterEntry.next_review_due,
                None,
                None,
                RegisterEntry.risk_level,
                RegisterEntry.status,
                RegisterCategory.code,
            )
        )
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(RegisterEntry.person_id == person_id)
    )
    parts.append(
        select(
            *row(
                _RELATIVE,
                PersonLink.related_person_id,
                PersonLink.id,
                Person.date_of_birth,
                None,
                None,
                PersonLink.relationship,
                Person.given_name,
                Person.family_name,
            )
        )
        .join(Person, Person.id == PersonLink.related_person_id)
        .where(PersonLink.person_id == person_id)
    )
    related = select(PersonLink.related_person_id).where(PersonLink.person_id == person_id)
    if household_id is not None:
        in_household = (Person.household_id == household_id) & (Person.id != person_id)
        parts.append(
            select(
                *row(
                    _RELATIVE,
                    Person.id,
                    None,
                    Person.date_of_birth,
                    None,
                    None,
                    literal("household", PersonLink.relationship.type),
                    Person.given_name,
                    Person.family_name,
                )
            ).where(in_household)
        )
        related = related.union_all(select(Person.id).where(in_household))
    parts.append(
        select(
            *row(
                _RELATIVE_ENTRY,
                RegisterEntry.id,
                RegisterEntry.person_id,
                None,
                None,
                None,
                RegisterCategory.name,
                RegisterEntry.status,
            )
        )
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(RegisterEntry.person_id.in_(related))
    )
    return union_all(*parts)


def _registrations(rows) -> list[Registration]:
    """The person's registrations from the record's rows: active before ended, each the
    latest started first (then by id)."""
    from coordinator_tui.services.chronology import _REGISTERED

    registered = {r[1]: r for r in rows if r[0] == _REGISTERED}
    found = []
    for _s, entry_id, _sub, next_review, _d2, _at, risk, status, code, _t4, _t5 in rows:
        if _s != _ENTRY or entry_id not in registered:
            continue
        reg = registered[entry_id]
        found.append(
            Registration(
                entry_id=entry_id,
                category=reg[6],
                start_date=reg[3],
                end_date=reg[4],
                end_reason=reg[7],
                risk_level=risk,
                status=status,
                next_review_due=next_review,
                category_code=code,
            )
        )
    found.sort(key=lambda r: r.entry_id)
    found.sort(key=lambda r: r.start_date, reverse=True)
    found.sort(key=lambda r: r.status)
    return found


def _relatives(rows) -> list[Relative]:
    """The person's family links and the rest of their household, each with the registers
    they are on now (oldest first), from the record's rows. A family link names the
    relationship (the latest link when there are several); a household member with none
    is "household"."""
    people: dict[int, tuple[str, date]] = {}
    relationship: dict[int, tuple[int, str]] = {}  # (link id, relationship): the last link
    entries: dict[int, dict[int, str]] = {}
    for source, row_id, sub, day, _d2, _at, t1, t2, t3, _t4, _t5 in rows:
        if source == _RELATIVE:
            people[row_id] = (names_label(t3, t2), day)
            rank = -1 if sub is None else sub  # a family link over "household"
            if row_id not in relationship or rank > relationship[row_id][0]:
                relationship[row_id] = (rank, t1)
        elif source == _RELATIVE_ENTRY and t2 == EntryStatus.ACTIVE:
            entries.setdefault(sub, {})[row_id] = t1
    return sorted(
        (
            Relative(
                other_id,
                name,
                relationship[other_id][1],
                dob,
                [entries[other_id][e] for e in sorted(entries.get(other_id, {}))],
            )
            for other_id, (name, dob) in people.items()
        ),
        key=lambda r: (r.date_of_birth, r.person_id),
    )


def person_summary(
    session: Session,
    person_id: int,
    reason: str | None = None,
    *,
    with_chronology: bool = False,
) -> PersonSummary | None:
    """Everything the top of the person record needs, in two indexed statements whoever
    the person is: the person with their practice and household (and what decides their
    access), then their registrations and relatives with the relatives' registrations
    (:func:`_record_query`; issue 23 §5: on a PCN's shared PostgreSQL each statement is
    a network round trip, this was up to eight). ``with_chronology``: the second also
    reads the chronology's sources, kept on the summary for :func:`person_record`.

    Outside the principal's practices, or sensitive without ``view_sensitive``: refused
    with :class:`access.BreakGlassRequired` unless ``reason`` (typed by the user) is given,
    then flagged in the audit trail (issue 17 §2). Nothing below the person is read
    before that."""
    found = session.execute(_query("person", with_chronology), {"person_id": person_id}).first()
    if found is None:
        return None
    principal = access.require(session, access.VIEW_REGISTER)  # issue 17
    sensitive = not principal.can(access.VIEW_SENSITIVE) and bool(found.sensitive)
    access.open_record(
        session,
        "person",
        person_id,
        practice_id=found.practice_id,
        sensitive=sensitive,
        reason=reason,
    )
    household = found.household_id is not None
    rows = tuple(
        session.execute(
            _query("record", with_chronology, household),
            {"person_id": person_id, "household_id": found.household_id},
        ).all()
    )
    address = ", ".join(
        part for part in (found.address_line1, found.address_line2, found.town) if part
    )
    audit.record_read(session, "person", person_id)  # last: the write lock held briefly
    return PersonSummary(
        id=found.id,
        nhs_number=found.nhs_number,
        given_name=found.given_name,
        family_name=found.family_name,
        date_of_birth=found.date_of_birth,
        sex=found.sex,
        gender=found.gender,
        address=address,
        postcode=found.postcode,
        practice=found.practice_name or "",
        household_address=found.household_address or "",
        case_summary=found.case_summary,
        case_summary_updated_at=found.case_summary_updated_at,
        registrations=_registrations(rows),
        relatives=_relatives(rows),
        record_rows=RecordRows(rows, bool(found.shared)) if with_chronology else None,
    )


def person_record(
    session: Session, person_id: int, today: date, reason: str | None = None
) -> tuple[PersonSummary | None, list]:
    """What the person record shows: the summary with its timescales
    (:func:`person_timescales`) and the chronology (``chronology.chronology``), from
    the summary's two statements, and a third only for a person something was shared
    about (issue 23 §5: this was seven or eight reads). None and nothing when the person
    no longer exists. The read is in the audit trail (:func:`person_summary`)."""
    from coordinator_tui.services.chronology import chronology, chronology_from_rows
    from coordinator_tui.services.reports.sharing import chronology_items

    summary = person_summary(session, person_id, reason=reason, with_chronology=True)
    if summary is None:
        return None, []
    kept = summary.record_rows
    if kept is None:  # a summary without the record's rows: read as the chronology reads
        return person_timescales(session, summary, today), chronology(session, person_id)
    shared = chronology_items(session, person_id) if kept.shared else []
    items = chronology_from_rows(kept.rows, shared)
    return replace(person_timescales(session, summary, today), record_rows=None), items


def person_timescales(session: Session, summary: PersonSummary, today: date) -> PersonSummary:
    """The summary with its active registrations saying the timescales due
    (``services.rules``): a looked-after entry its next health assessment, a child
    protection plan the next conference diarised. From the record's rows when the
    summary has them (:func:`person_record`: no statement), else read."""
    from coordinator_tui.services import rules

    if all(r.category_code for r in summary.registrations):  # read with the summary
        codes = {r.entry_id: r.category_code for r in summary.registrations}
    else:
        codes = dict(
            session.execute(
                select(RegisterEntry.id, RegisterCategory.code)
                .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
                .where(RegisterEntry.person_id == summary.id)
            ).all()
        )
    active = [r for r in summary.registrations if r.status == EntryStatus.ACTIVE]
    looked_after = [r for r in active if codes.get(r.entry_id) in rules.LAC_REGISTERS]
    kept = summary.record_rows
    if kept is None:
        due = rules.health_assessments_due(
            session,
            [(r.entry_id, summary.id, r.start_date, summary.date_of_birth) for r in looked_after],
            today,
        )
        conference = rules.next_conference_due(session, summary.id)
    else:
        due, conference = _timescales_from_rows(kept.rows, summary, looked_after, today)
    shown = []
    for reg in summary.registrations:
        text = ""
        if reg.entry_id in due:
            text = f"{due[reg.entry_id].label} {uk_date(due[reg.entry_id].due)}"
        elif reg in active and codes.get(reg.entry_id) == "CPP" and conference:
            kind = "initial conference" if conference[0] == "initial_cp" else "review conference"
            text = f"{kind} {uk_date(conference[1])}"
        shown.append(replace(reg, due_text=text) if text else reg)
    return replace(summary, registrations=shown)


def _timescales_from_rows(rows, summary: PersonSummary, looked_after: list, today: date):
    """``rules.health_assessments_due`` and ``rules.next_conference_due`` from the
    chronology's rows of the person's record: the health assessments recorded are its
    manual entries of that kind, the conferences diarised and not held its conference
    rows (the soonest due, then the first recorded)."""
    from coordinator_tui.services import rules
    from coordinator_tui.services.chronology import _CONFERENCE, _MANUAL

    done = [row[3] for row in rows if row[0] == _MANUAL and row[7] == rules.HEALTH_ASSESSMENT_KIND]
    due = {
        r.entry_id: rules.lac_next_health_assessment(
            r.start_date, summary.date_of_birth, today, done
        )
        for r in looked_after
    }
    diarised = [
        (row[3], row[1], row[6])
        for row in rows
        if row[0] == _CONFERENCE and row[4] is None and row[6] in ("initial_cp", "review_cp")
    ]
    soonest = min(diarised, default=None)
    return due, ((soonest[2], soonest[0]) if soonest else None)


def _browse_filter(stmt, text: str):
    """Narrow a people query by a name prefix or NHS number prefix (index range scans)."""
    needle = " ".join(text.lower().split())
    if not needle:
        return stmt
    digits = re.sub(r"[\s-]", "", needle)
    if digits.isdigit():
        return stmt.where(Person.nhs_number >= digits, Person.nhs_number < _successor(digits))
    return stmt.where(Person.search_name >= needle, Person.search_name < _successor(needle))


def count_people(session: Session, text: str = "") -> int:
    """How many people the browse list holds for ``text``."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    from sqlalchemy import func

    stmt = _browse_filter(select(func.count()).select_from(Person), text)
    return int(session.scalar(stmt) or 0)


PersonKey = tuple[str, int]
"""Where a person is in the browse list: ``(search_name, id)``, the list's sort order."""


def people_page(session: Session, offset: int, limit: int, text: str = "") -> list[PersonHit]:
    """One page of the browse list by position, in "family given" order: for a jump into
    the middle. OFFSET walks every row before the page, so the list reads on by key
    (:func:`people_by_key`) wherever it can."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    return [hit for _key, hit in _people_rows(session, None, False, offset, limit, text)]


def people_by_key(
    session: Session,
    key: PersonKey | None,
    *,
    backward: bool = False,
    offset: int = 0,
    limit: int = 100,
    text: str = "",
) -> list[tuple[PersonKey, PersonHit]]:
    """Up to ``limit`` people of the browse list, each with its key, in list order: those
    after ``key`` (from the top when None; ``offset`` rows further on, for a jump), or with
    ``backward`` those just before it (the last ones when None: ``End``).

    Keyset paging (issue 23): each read is one range of the ``search_name`` index (its
    entries end in the id), walked from the key, so ``End`` or the next page costs the
    same at 1,000,000 people as at 1,000; by OFFSET, ``End`` walked the whole index."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    return _people_rows(session, key, backward, offset, limit, text)


def _people_rows(
    session: Session,
    key: PersonKey | None,
    backward: bool,
    offset: int,
    limit: int,
    text: str,
) -> list[tuple[PersonKey, PersonHit]]:
    stmt = _browse_filter(_hit_query().add_columns(Person.search_name), text)
    if key is not None:
        sort = tuple_(Person.search_name, Person.id)
        at = tuple_(literal(key[0], Person.search_name.type), literal(key[1], Person.id.type))
        stmt = stmt.where(sort < at if backward else sort > at)
    if backward:
        stmt = stmt.order_by(Person.search_name.desc(), Person.id.desc())
    else:
        stmt = stmt.order_by(Person.search_name, Person.id)
    if offset:
        stmt = stmt.offset(offset)
    rows = session.execute(stmt.limit(limit)).all()
    if backward:
        rows.reverse()
    return [((row[-1], row[0]), PersonHit(*row[:-1])) for row in rows]


def current_register_codes(session: Session, person_ids: list[int]) -> dict[int, list[str]]:
    """The register categories each person is on now (active entries), by code, for the
    one-line search results of the palette: recognising "CP" beside a name saves opening
    the wrong record. One query through the person index."""
    access.require(session, access.VIEW_REGISTER)  # issue 17
    if not person_ids:
        return {}
    rows = session.execute(
        select(RegisterEntry.person_id, RegisterCategory.code)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(RegisterEntry.person_id.in_(person_ids))
        .where(RegisterEntry.status == EntryStatus.ACTIVE)
        .order_by(RegisterEntry.person_id, RegisterCategory.code)
    ).all()
    codes: dict[int, list[str]] = {}
    for person_id, code in rows:
        if code not in codes.setdefault(person_id, []):
            codes[person_id].append(code)
    return codes
