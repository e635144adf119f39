"""Finding and describing people: search by name, NHS number or date of birth.

Search must feel instant on 100,000 people, so every branch uses an index: NHS numbers
and names by key range (``>= prefix AND < prefix-successor``, which SQLite and
PostgreSQL both serve from a B-tree), dates of birth by equality. Results are narrow
tuples, not ORM objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import nhs_number
from sqlalchemy import literal, or_, select, tuple_
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

    @property
    def display_name(self) -> str:
        return person_label(self)


def _relatives(session: Session, person_id: int, household_id: int | None) -> list[Relative]:
    """The person's family links and the rest of their household, each with the
    registers they are on now, oldest first, in ONE statement: the links and the
    household's members (a ``UNION ALL``, each through its index), then each relative's
    entries joined by ``person_id``. A family link names the relationship; a household
    member with none is "household". The relatives' ended entries are dropped here, not
    in the join: with the status there SQLite picks the status index and walks every
    active entry of the practice instead of the few entries of these people."""
    from sqlalchemy import cast, literal, null

    related = select(
        PersonLink.related_person_id.label("person_id"),
        PersonLink.relationship.label("relationship"),
        PersonLink.id.label("link_id"),
    ).where(PersonLink.person_id == person_id)
    if household_id is not None:
        related = related.union_all(
            select(
                Person.id,
                literal("household", PersonLink.relationship.type),
                cast(null(), PersonLink.id.type),
            ).where(Person.household_id == household_id, Person.id != person_id)
        )
    links = related.subquery()
    rows = session.execute(
        select(
            links.c.person_id,
            links.c.relationship,
            links.c.link_id,
            Person.given_name,
            Person.family_name,
            Person.date_of_birth,
            RegisterCategory.name,
            RegisterEntry.status,
            RegisterEntry.id,
        )
        .join(Person, Person.id == links.c.person_id)
        .outerjoin(RegisterEntry, RegisterEntry.person_id == Person.id)
        .outerjoin(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
    ).all()
    people: dict[int, tuple[str, date]] = {}
    relationship: dict[int, tuple[int, str]] = {}  # (link id, relationship): the last link
    entries: dict[int, dict[int, str]] = {}
    for other_id, rel, link_id, given, family, dob, register, status, entry_id in rows:
        people[other_id] = (names_label(family, given), dob)
        rank = -1 if link_id is None else link_id  # a family link over "household"
        if other_id not in relationship or rank > relationship[other_id][0]:
            relationship[other_id] = (rank, rel)
        if entry_id is not None and status == EntryStatus.ACTIVE:
            entries.setdefault(other_id, {})[entry_id] = register
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


def is_sensitive(session: Session, person_id: int) -> bool:
    """Whether the person is on a register kept out of online record access now (MARAC):
    their record needs ``view_sensitive`` or break-glass (issue 17 §2)."""
    return (
        session.execute(
            select(RegisterEntry.id)
            .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
            .where(
                RegisterEntry.person_id == person_id,
                RegisterEntry.status == EntryStatus.ACTIVE,
                RegisterCategory.hide_from_online_access.is_(True),
            )
            .limit(1)
        ).first()
        is not None
    )


def person_summary(
    session: Session, person_id: int, reason: str | None = None
) -> PersonSummary | None:
    """Everything the top of the person record needs, in three indexed queries whoever
    the person is: the person with their practice and household, their registrations,
    their relatives with the relatives' registers (issue 23 §5: on a PCN's shared
    PostgreSQL each statement is a network round trip; this was up to eight).

    Outside the principal's practices, or sensitive without ``view_sensitive``: refused
    with :class:`access.BreakGlassRequired` unless ``reason`` (typed by the user) is given,
    then flagged in the audit trail (issue 17 §2)."""
    found = session.execute(
        select(Person, Practice.name, Household.address)
        .outerjoin(Practice, Practice.id == Person.practice_id)
        .outerjoin(Household, Household.id == Person.household_id)
        .where(Person.id == person_id)
    ).first()
    if found is None:
        return None
    person, practice_name, household_address = found
    principal = access.require(session, access.VIEW_REGISTER)  # issue 17
    sensitive = not principal.can(access.VIEW_SENSITIVE) and is_sensitive(session, person_id)
    access.open_record(
        session,
        "person",
        person_id,
        practice_id=person.practice_id,
        sensitive=sensitive,
        reason=reason,
    )
    registrations = [
        Registration(*row[:-1], category_code=row[-1])
        for row in session.execute(
            select(
                RegisterEntry.id,
                RegisterCategory.name,
                RegisterEntry.start_date,
                RegisterEntry.end_date,
                RegisterEntry.end_reason,
                RegisterEntry.risk_level,
                RegisterEntry.status,
                RegisterEntry.next_review_due,
                RegisterCategory.code,
            )
            .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
            .where(RegisterEntry.person_id == person_id)
            .order_by(RegisterEntry.status, RegisterEntry.start_date.desc())
        ).all()
    ]
    relatives = _relatives(session, person_id, person.household_id)
    address = ", ".join(
        part for part in (person.address_line1, person.address_line2, person.town) if part
    )
    audit.record_read(session, "person", person_id)  # last: the write lock held briefly
    return PersonSummary(
        id=person.id,
        nhs_number=person.nhs_number,
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        gender=person.gender,
        address=address,
        postcode=person.postcode,
        practice=practice_name or "",
        household_address=household_address or "",
        case_summary=person.case_summary,
        case_summary_updated_at=person.case_summary_updated_at,
        registrations=registrations,
        relatives=relatives,
    )


def person_timescales(session: Session, summary: PersonSummary, today: date) -> PersonSummary:
    """The summary with its active registrations saying the timescales due
    (``services.rules``): a looked-after entry its next health assessment, a child
    protection plan the next conference diarised."""
    from dataclasses import replace

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
    due = rules.health_assessments_due(
        session,
        [(r.entry_id, summary.id, r.start_date, summary.date_of_birth) for r in looked_after],
        today,
    )
    conference = rules.next_conference_due(session, summary.id)
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
