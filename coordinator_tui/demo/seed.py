"""Synthetic demo data for both coordinator roles: deterministic, fast, no real person.

Names and streets come from Faker (en_GB) pools; NHS numbers from the 999 test range
(check digit from the ``nhs-number`` package). Everything is relative to ``today`` so the
demo always has overdue reviews, referrals due a chase and this week's rota.

Speed: the large set (100,000 people) is written with core ``insert()`` in chunks and
explicit ids, never ORM objects (DESIGN.md section 6: 100k ORM inserts take 8 s, core
inserts under 1 s). One audit note per table records the bulk load.
"""

from __future__ import annotations

import itertools
import math
import random
import time as clock
from bisect import bisect
from calendar import monthrange
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import Any

from dateutil.relativedelta import relativedelta
from dateutil.rrule import MO, MONTHLY, TU, WE, rrule
from faker import Faker
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Time,
    bindparam,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator

from coordinator_tui import audit
from coordinator_tui import models as m
from coordinator_tui.clock import UK
from coordinator_tui.collector import paused_collection
from coordinator_tui.demo import rota as demo_rota
from coordinator_tui.services.dates import add_working_days
from coordinator_tui.services.nhs_numbers import check_digit
from coordinator_tui.services.reference import (
    load_referral_types,
    load_register_categories,
    load_skills,
    sync_register_categories,
)
from coordinator_tui.services.rota import week_hours

SIZES: dict[str, dict[str, int]] = {
    "small": dict(
        people=2000,
        entries=300,
        referrals=200,
        meetings=6,
        concerns=40,
        carers=25,
        customers=80,
        weeks=1,
        visit_rate=125,  # calls a customer a day, x 100
    ),
    "large": dict(
        people=100_000,
        entries=10_000,
        referrals=5000,
        meetings=24,
        concerns=400,
        carers=60,
        customers=300,
        weeks=2,
        visit_rate=80,
    ),
    # The benchmarks' ten-times database (issue 23 §4): a PCN of 10 practices' registers
    # (9x people, 10x registers and referrals) and a large agency's rota (300 carers,
    # 5.5x the large demo's visits). ``python -m benchmarks --scale 10`` builds it.
    "x10": dict(
        people=900_000,
        entries=100_000,
        referrals=50_000,
        meetings=240,
        concerns=4000,
        carers=300,
        customers=1650,
        weeks=2,
        visit_rate=80,
    ),
}
CHUNK = 5000
PRACTICES = (
    ("Y99001", "Riverside Surgery", "Riverside", "GL1 9ZZ"),
    ("Y99002", "Oakfield Medical Practice", "Oakfield", "GL2 9ZZ"),
    ("Y99003", "Meadowbank Health Centre", "Meadowbank", "GL3 9ZZ"),
    ("Y99004", "Hillview Surgery", "Hillview", "GL4 9ZZ"),
)
PCN = "Severn Vale PCN (demo)"
EXTERNAL_ROLES = (
    ("Health visitor", "Community health services (demo)"),
    ("School nurse", "Community health services (demo)"),
    ("Midwife", "Maternity services (demo)"),
    ("Social worker", "Children's social care (demo)"),
    ("District nurse", "Community health services (demo)"),
    ("Community mental health nurse", "Mental health trust (demo)"),
)
OUTCOMES = (
    "no_further_action",
    "advice_given",
    "early_help",
    "child_in_need",
    "strategy_s47",
    "initial_cp_conference",
    "s42_enquiry",
    "marac_actions",
    "other",
)
ROCHDALE = (53.6136, -2.1610)
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass
class DemoSummary:
    """How many rows of each table were written, and how long it took."""

    size: str
    counts: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    def describe(self) -> str:
        keys = ("person", "register_entry", "referral", "meeting", "carer", "customer", "visit")
        return ", ".join(f"{self.counts.get(k, 0):,} {k.replace('_', ' ')}" for k in keys)


DEMO_NHS_SERIALS = range(1_000_000)
"""The serials after ``999`` the demo may use: the whole 999 test range (999 000 000x to
999 999 999x), never issued to a real person. 909,091 of its stems have a valid check
digit, so that is the most people a demo can hold."""


class DemoTooLarge(ValueError):
    """More people asked for than the 999 test range has valid NHS numbers for."""


def demo_nhs_numbers(count: int) -> list[str]:
    """Valid NHS numbers from the 999 test range, in order (never a real person's).

    Stops with one clear line when the range runs out (issue 23 §6): looping on past it
    would never end, and a wider scheme could collide with a real person's number.

    The check digit is the NHS modulus 11 (``nhs_number.calculate_checksum``'s), read
    from two tables of three digits each (``services.nhs_numbers.check_digit``'s, which
    add up, modulo 11): the package's call per serial was 2.5 s of the ten-times build
    (issue 23 §4), and ``tests/test_demo_build_fast.py`` checks the two agree."""
    numbers: list[str] = []
    append = numbers.append
    for serial in DEMO_NHS_SERIALS:
        if len(numbers) >= count:
            break
        check = (_HIGH_CHECK[serial // 1000] + _LOW_CHECK[serial % 1000]) % 11
        if check < 10:  # 10: no valid number has this stem
            append(f"999{serial:06d}{check}")
    if len(numbers) < count:
        raise DemoTooLarge(
            f"The demo's NHS numbers come from the 999 test range, which holds "
            f"{len(numbers):,} valid numbers: cannot seed {count:,} people"
        )
    return numbers


# A stem's check digit from its parts': a check digit is minus the weighted sum, modulo
# 11, so the parts' check digits add up to the whole's, modulo 11. The parts: 999 and the
# serial's first three digits (the rest 0), and its last three (the rest 0).
_HIGH_CHECK = [check_digit(f"999{n:03d}000") for n in range(1000)]
_LOW_CHECK = [check_digit(f"000000{n:03d}") for n in range(1000)]


def column_defaults(model: Any, now: datetime) -> dict[str, Any]:
    """Every column's default for a row of ``model`` written in bulk (an executemany needs
    one set of keys for all its rows), stamped ``now`` and at version 1."""
    defaults: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            defaults[name] = now
        elif not info.is_required():
            defaults[name] = info.default
    defaults.update(created_at=now, updated_at=now, version=1)
    # No id: the database gives one. An explicit NULL id is taken as "give one" by SQLite
    # but refused by PostgreSQL (NOT NULL), where the demo is seeded too.
    defaults.pop("id", None)
    return defaults


def bulk_insert(conn: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    """``rows`` (dicts with the same keys) into ``model``'s table, in chunks.

    On SQLite the values go to the driver's ``executemany`` as tuples, each column's
    value passed through its type's bind processor for SQLite (``dialect_impl`` then
    ``bind_processor``: what SQLAlchemy stores, e.g. a datetime's text), without
    SQLAlchemy's per-row parameter step, which was a third of the demo's build (9 of 26
    s at the large size, 540,000 rows; the ten-times build is timed against 90 s, issue
    23 §4). The tuples are built a column at a time, and a date, time or flag column's
    processor runs once per distinct value (``_column_values``): at ten times the data
    that was 10.7 million processor calls, most of them on the same few moments
    (``created_at``). ``tests/test_demo_bulk_insert.py`` checks the rows are stored as
    the core ``insert()`` stores them. Elsewhere (PostgreSQL) it is that ``insert()``."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        for start in range(0, len(rows), CHUNK):
            conn.execute(insert(model), rows[start : start + CHUNK])
        return
    table = model.__table__
    keys = list(rows[0])
    columns = [table.c[key] for key in keys]
    dialect = conn.dialect
    preparer = conn.dialect.identifier_preparer
    sql = (
        f"INSERT INTO {preparer.format_table(table)} "
        f"({', '.join(preparer.format_column(c) for c in columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    steps = [
        (
            itemgetter(key),
            column.type.dialect_impl(dialect).bind_processor(dialect),
            _by_value(column.type),
        )
        for key, column in zip(keys, columns, strict=True)
    ]
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        values = [_column_values(chunk, *step) for step in steps]
        conn.exec_driver_sql(sql, list(zip(*values, strict=True)))


_BY_VALUE = (Boolean, Date, DateTime, Time)
"""Column types whose bind processor gives the same stored value for values that are equal
(and hash alike): a flag, a date, a time of day, a moment (``UTCDateTime`` decorates
``DateTime``: equal aware moments are the same UTC text). Not ``Float``, where ``1`` and
``1.0`` are equal but SQLite stores an integer and a real."""


def _by_value(column_type: Any) -> bool:
    """Whether a column's processor may run once per distinct value (``_BY_VALUE``)."""
    base = column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type
    return isinstance(base, _BY_VALUE)


def _column_values(
    chunk: list[dict[str, Any]],
    get: Callable[[dict[str, Any]], Any],
    process: Callable[[Any], Any] | None,
    by_value: bool,
) -> list[Any]:
    """One column of ``chunk`` as the driver takes it: read with ``get``, passed through
    ``process`` (the column's bind processor) per value, or per distinct value where
    ``by_value`` says equal values store alike."""
    raw = list(map(get, chunk))
    if process is None:
        return raw
    if by_value:
        try:
            stored = {value: process(value) for value in set(raw)}
        except TypeError:  # an unhashable value: processed one by one below
            pass
        else:
            return list(map(stored.__getitem__, raw))
    return list(map(process, raw))


def insert_rows(session: Any, model: Any, rows: list[dict[str, Any]], *, size: str) -> int:
    """Insert the demo's ``rows`` of ``model`` in chunks on the session's connection
    (``bulk_insert``), and audit them as the rest of the demo's bulk rows are: one
    ``audit.record_note`` for the table (rows, size; no values). Thousands of rows go in a
    few statements instead of one audited event (and read-back) per row."""
    bulk_insert(session.connection(), model, rows)
    if rows:
        audit.record_note(session, model.__tablename__, "demo seed", rows=len(rows), size=size)
    return len(rows)


def update_rows(session: Any, model: Any, rows: list[dict[str, Any]], *, size: str) -> int:
    """Set columns of existing rows by id (each row: ``id`` and the same columns) in one
    executemany per chunk, audited with one ``audit.record_note`` as :func:`insert_rows`."""
    if not rows:
        return 0
    table = model.__table__
    columns = [key for key in rows[0] if key != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: bindparam(f"new_{column}") for column in columns})
    )
    params = [
        {"row_id": row["id"], **{f"new_{column}": row[column] for column in columns}}
        for row in rows
    ]
    conn = session.connection()
    for start in range(0, len(params), CHUNK):
        conn.execute(statement, params[start : start + CHUNK])
    audit.record_note(session, model.__tablename__, "demo seed", rows=len(rows), size=size)
    return len(rows)


@dataclass(frozen=True)
class Weights:
    """Keys and their running total of weights, as ``random.choices`` works them out on
    every call (a third of a million draws at ten times the data)."""

    keys: tuple[Any, ...]
    cumulative: tuple[float, ...]
    total: float


def weighted(weights: dict[Any, float]) -> Weights:
    """``weights`` (key -> weight) ready for :meth:`_Demo.pick`."""
    cumulative = tuple(itertools.accumulate(weights.values()))
    return Weights(tuple(weights), cumulative, cumulative[-1] + 0.0)


class _Writer:
    """Collects rows per table with explicit ids and writes them in chunks."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rows: dict[Any, list[dict[str, Any]]] = {}
        self.defaults: dict[Any, dict[str, Any]] = {}

    def table(self, model: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """``model``'s defaults and its rows so far, for a loop that appends a million rows
        itself as :meth:`add` would (a row is ``{**defaults, **values, "id": rows + 1}``),
        without a call with keywords per row."""
        rows = self.rows.get(model)
        if rows is None:
            rows = self.rows[model] = []
            self.defaults[model] = column_defaults(model, self.now)
        return self.defaults[model], rows

    def add(self, model: Any, **values: Any) -> int:
        """A row of ``model``: every column's default (all rows of a table share one set
        of keys, as an executemany needs, without each call site naming every column),
        then ``values``, then its id, the next of the table's (rows are only ever added,
        so it is one more than the rows so far; 4.3 million rows at ten times)."""
        defaults, rows = self.table(model)
        row_id = values["id"] = len(rows) + 1
        rows.append({**defaults, **values})
        return row_id

    def flush(self, session: Any, order: Iterable[Any]) -> dict[str, int]:
        counts = {}
        conn = session.connection()
        for model in order:
            rows = self.rows.get(model, [])
            bulk_insert(conn, model, rows)
            counts[model.__tablename__] = len(rows)
        return counts


HOUSEHOLDS = weighted({"single": 30, "couple": 20, "family": 40, "lone_parent": 10})
RISKS = weighted({"high": 20, "medium": 50, "low": 30})
REVIEWS_DUE = weighted({"overdue": 15, "soon": 25, "later": 60})


class _Demo:
    """One demo build. Methods add rows to the writer in foreign-key order."""

    def __init__(self, size: str, seed: int, today: date) -> None:
        self.size = SIZES[size]
        self.seed = seed
        self.rnd = random.Random(seed)
        self.fake = Faker("en_GB")
        self.fake.seed_instance(seed)
        self.today = today
        self.now = datetime.now(UTC)
        self.w = _Writer(self.now)
        self.categories: dict[str, m.RegisterCategory] = {}

    # -- helpers -------------------------------------------------------------------------

    def at(self, day: date, hour: int = 10, minute: int = 0) -> datetime:
        """A UK wall-clock moment as an aware UTC datetime."""
        return datetime.combine(day, time(hour, minute), tzinfo=UK).astimezone(UTC)

    def pick(self, weights: dict[Any, float] | Weights) -> Any:
        """One of ``weights``' keys, drawn as ``rnd.choices(keys, weights=values)[0]``
        draws it (the same draw, so the same demo), from weights made once
        (:func:`weighted`) where a loop draws many times."""
        table = weights if isinstance(weights, Weights) else weighted(weights)
        at = self.rnd.random() * table.total
        return table.keys[bisect(table.cumulative, at, 0, len(table.keys) - 1)]

    # -- safeguarding --------------------------------------------------------------------

    def practices_and_staff(self) -> None:
        self.practice_ids = [
            self.w.add(
                m.Practice, ods_code=code, name=name, short_name=short, postcode=pc, pcn_name=PCN
            )
            for code, name, short, pc in PRACTICES
        ]
        self.leads: dict[int, int] = {}
        self.staff: list[tuple[int, str, str]] = []
        for practice_id in self.practice_ids:
            for role, lead in (
                ("GP", True),
                ("GP", False),
                ("Practice nurse", False),
                ("Safeguarding administrator", False),
            ):
                name = f"{self.fake.first_name()} {self.fake.last_name()}"
                name = f"Dr {name}" if role == "GP" else name
                staff_id = self.w.add(
                    m.Staff,
                    name=name,
                    initials="".join(p[0] for p in name.split()[-2:]),
                    role=role,
                    email=f"staff{len(self.staff) + 1}@example.nhs.uk",
                    practice_id=practice_id,
                    is_safeguarding_lead=lead,
                )
                self.staff.append((staff_id, name, role))
                if lead:
                    self.leads[practice_id] = staff_id
        coordinator = f"{self.fake.first_name()} {self.fake.last_name()}"
        self.coordinator_id = self.w.add(
            m.Staff,
            name=coordinator,
            initials="SC",
            role="Safeguarding coordinator",
            email="coordinator@example.nhs.uk",
        )
        self.w.add(
            m.AppUser,
            username="coordinator",
            display_name=coordinator,
            staff_id=self.coordinator_id,
            role="coordinator",
        )
        self.externals = []
        for role, organisation in EXTERNAL_ROLES:
            name = f"{self.fake.first_name()} {self.fake.last_name()}"
            self.externals.append(
                self.w.add(
                    m.Staff,
                    name=name,
                    initials="".join(p[0] for p in name.split()[-2:]),
                    role=role,
                    organisation=organisation,
                    email=f"{role.split()[0].lower()}@example.org",
                    is_external=True,
                )
            )

    def people(self) -> None:
        rnd, fake, today = self.rnd, self.fake, self.today
        given_f = [fake.first_name_female() for _ in range(300)]
        given_m = [fake.first_name_male() for _ in range(300)]
        family = [fake.last_name() for _ in range(800)]
        streets = [fake.street_name() for _ in range(1500)]
        target = self.size["people"]
        numbers = demo_nhs_numbers(target)
        self.children: list[int] = []
        self.adults: list[int] = []
        self.person_practice: dict[int, int] = {}
        self.person_names: dict[int, str] = {}
        self.households: list[tuple[list[int], list[int]]] = []  # (adults, children)
        # Each household's links: their rows' places in the writer's person_link rows.
        self.household_links: list[range] = []
        household_defaults, household_rows = self.w.table(m.Household)
        person_defaults, person_rows = self.w.table(m.Person)
        link_defaults, link_rows = self.w.table(m.PersonLink)
        self.given_names = {"Female": given_f, "Male": given_m}
        count = 0

        def person(
            household: int, practice: int, surname: str, age: int, address: str, postcode: str
        ) -> int:
            nonlocal count
            sex = rnd.choice(("Female", "Male"))
            given = rnd.choice(given_f if sex == "Female" else given_m)
            born = today - timedelta(days=age * 365 + rnd.randrange(365))
            person_id = len(person_rows) + 1  # as self.w.add(m.Person, ...) would
            person_rows.append(
                {
                    **person_defaults,
                    "nhs_number": numbers[count],
                    "given_name": given,
                    "family_name": surname,
                    "search_name": f"{surname} {given}".lower(),
                    "date_of_birth": born,
                    "sex": sex,
                    "gender": "Woman" if sex == "Female" else "Man",
                    "address_line1": address,
                    "town": "Gloucester",
                    "postcode": postcode,
                    "practice_id": practice,
                    "household_id": household,
                    "id": person_id,
                }
            )
            count += 1
            (self.children if age < 18 else self.adults).append(person_id)
            self.person_practice[person_id] = practice
            self.person_names[person_id] = f"{surname}, {given}"
            return person_id

        def link(a: int, b: int, rel_ab: str, rel_ba: str, parental: bool = False) -> None:
            """Both directions of a link (as ``self.w.add(m.PersonLink, ...)`` twice)."""
            next_id = len(link_rows) + 1
            link_rows.append(
                {
                    **link_defaults,
                    "person_id": a,
                    "related_person_id": b,
                    "relationship": rel_ab,
                    "parental_responsibility": parental,
                    "id": next_id,
                }
            )
            link_rows.append(
                {
                    **link_defaults,
                    "person_id": b,
                    "related_person_id": a,
                    "relationship": rel_ba,
                    "id": next_id + 1,
                }
            )

        while count < target:
            practice = rnd.choice(self.practice_ids)
            address = f"{rnd.randint(1, 180)} {rnd.choice(streets)}"
            letters = rnd.choice(UNIT_LETTERS) + rnd.choice(UNIT_LETTERS)
            postcode = f"GL{rnd.randint(1, 4)} {rnd.randint(1, 9)}{letters}"
            household = len(household_rows) + 1  # as self.w.add(m.Household, ...) would
            household_rows.append(
                {
                    **household_defaults,
                    "address": address,
                    "postcode": postcode,
                    "practice_id": practice,
                    "id": household,
                }
            )
            surname = rnd.choice(family)
            kind = self.pick(HOUSEHOLDS)
            remaining = target - count
            adults_n = 1 if kind in ("single", "lone_parent") else 2
            children_n = rnd.randint(1, 4) if kind in ("family", "lone_parent") else 0
            if adults_n + children_n > remaining:
                adults_n, children_n = min(adults_n, remaining), max(0, remaining - adults_n)
            parent_age = rnd.randint(20, 50) if children_n else rnd.randint(18, 92)
            ages = [parent_age + (rnd.randint(-4, 4) if i else 0) for i in range(adults_n)]
            oldest_child = min(17, max(parent_age - 18, 0))
            ages += [rnd.randint(0, oldest_child) for _ in range(children_n)]
            members = [person(household, practice, surname, age, address, postcode) for age in ages]
            adults, kids = members[:adults_n], members[adults_n:]
            self.households.append((adults, kids))
            first_link = len(link_rows)
            if len(adults) == 2:
                link(adults[0], adults[1], "partner", "partner")
            for adult in adults:
                for kid in kids:
                    link(adult, kid, "child", "parent", parental=True)
            for i, kid in enumerate(kids):
                for other in kids[i + 1 :]:
                    link(kid, other, "sibling", "sibling")
            self.household_links.append(range(first_link, len(link_rows)))
        self.believable_households()

    def believable_households(self) -> None:
        """Households as they occur (issue 22 §5), made after the people are drawn: siblings
        at least nine months apart unless twins, parents of a plausible age for their
        children, distinct given names in a household.

        A pass over the rows already drawn, with its own generator: the main generator's
        draws (which every later part of the demo takes: registrations, referrals,
        meetings, the rota) stay as they were, and so do ids, NHS numbers and who is a
        child (under 18) or an adult, which the registers drew from. A young "partner"
        under 18 (the age draw allowed it) becomes the household's eldest child, or, with
        no children, the adult's sibling."""
        rnd = random.Random(self.seed * 7919 + 1)
        today = self.today
        rows = self.w.rows[m.Person]
        row = {r["id"]: r for r in rows}
        minors = set(self.children)
        link_rows = self.w.rows.get(m.PersonLink, [])
        turned_18 = _years_before(today, 18)
        for (adults, kids), places in zip(self.households, self.household_links, strict=True):
            grown = [a for a in adults if a not in minors]
            young = [a for a in adults if a in minors]
            for person_id in young:  # links are within a household: only its own are read
                own = [link_rows[i] for i in places]
                mine = [x for x in own if person_id in (x["person_id"], x["related_person_id"])]
                _relabel_young_partner(mine, person_id, bool(kids))
            born = {p: row[p]["date_of_birth"] for p in (*grown, *young, *kids)}
            for person_id in grown:  # 18 by the calendar, not only by whole 365-day years
                born[person_id] = min(born[person_id], turned_18)
            if kids:
                children = young + kids
                fitted = _fit_children(rnd, today, [born[c] for c in children])
                born.update(zip(children, fitted, strict=True))
                for person_id in grown:
                    born[person_id] = _fit_parent(
                        rnd, born[person_id], row[person_id]["sex"], min(fitted), max(fitted)
                    )
            elif young and grown:  # an adult and a younger sibling
                eldest = min(born[a] for a in grown)
                for person_id in young:
                    born[person_id] = _after_elder(rnd, today, eldest, born[person_id])
            for person_id, day in born.items():
                row[person_id]["date_of_birth"] = day
            taken: set[str] = set()
            for person_id in (*adults, *kids):
                person = row[person_id]
                given = person["given_name"]
                if given in taken:
                    pool = self.given_names[person["sex"]]
                    while given in taken:
                        given = rnd.choice(pool)
                    surname = person["family_name"]
                    person.update(given_name=given, search_name=f"{surname} {given}".lower())
                    self.person_names[person_id] = f"{surname}, {given}"
                taken.add(given)

    def categories_sync(self, session: Any) -> None:
        rows = sync_register_categories(session, load_register_categories(), today=self.today)
        self.categories = {row.code: row for row in rows}

    def register_entries(self) -> None:
        rnd, today = self.rnd, self.today
        shares = {
            "CPP": 20,
            "CIN": 20,
            "LAC": 10,
            "CIC": 5,  # drawn apart as before (same demo), entered on LAC/CiC
            "CHC": 10,  # now CFC
            "S42E": 10,
            "S42P": 5,
            "MARAC": 10,
            "AAR": 10,
        }
        total = self.size["entries"]
        self.entry_people: list[int] = []
        active: set[tuple[int, int]] = set()
        for code, share in shares.items():
            category = self.categories[{"CIC": "LAC", "CHC": "CFC"}.get(code, code)]
            pool = self.children if category.age_band == "child" else self.adults
            n = min(len(pool), round(total * share / 100))
            for person_id in rnd.sample(pool, n):
                practice = self.person_practice[person_id]
                start = today - timedelta(days=rnd.randint(20, 700))
                risk = self.pick(RISKS)
                values: dict[str, Any] = dict(
                    person_id=person_id,
                    category_id=category.id,
                    practice_id=practice,
                    start_date=start,
                    lead_staff_id=self.leads[practice],
                    risk_level=risk,
                )
                if rnd.random() < 0.15:
                    end = min(
                        today - timedelta(days=1), start + timedelta(days=rnd.randint(10, 400))
                    )
                    values.update(
                        status="ended",
                        end_date=end,
                        end_reason=rnd.choice(
                            (
                                "Plan ended at review conference",
                                "Moved out of area",
                                "Stepped down to CIN",
                                "Turned 18",
                                "Enquiry concluded",
                            )
                        ),
                    )
                    self.w.add(m.RegisterEntry, **values)
                    continue
                offset = self.pick(REVIEWS_DUE)
                days = {
                    "overdue": -rnd.randint(1, 40),
                    "soon": rnd.randint(0, 14),
                    "later": rnd.randint(15, 45),
                }[offset]
                due = today + timedelta(days=days)
                last = due - timedelta(days=category.review_interval_days)
                values.update(next_review_due=due, last_reviewed=last if last >= start else None)
                if rnd.random() < 0.02:
                    values.update(
                        escalated_at=self.at(today - timedelta(days=rnd.randint(0, 10))),
                        escalation_reason="No response from social care to two chases",
                    )
                if (person_id, category.id) in active:  # drawn for LAC and for CiC, one
                    values.update(  # register now: the second is written as ended
                        status="ended",
                        end_date=today - timedelta(days=1),
                        end_reason="Merged into LAC/CiC",
                        next_review_due=None,
                        escalated_at=None,
                        escalation_reason="",
                    )
                active.add((person_id, category.id))
                entry_id = self.w.add(m.RegisterEntry, **values)
                self.entry_people.append(person_id)
                if values["last_reviewed"]:
                    self.w.add(
                        m.RegisterReview,
                        entry_id=entry_id,
                        reviewed_on=last,
                        reviewed_by="coordinator",
                        action="reviewed",
                        due_before=last + timedelta(days=rnd.randint(-3, 6)),
                        next_review_due=due,
                    )

    def concerns(self) -> None:
        rnd, today = self.rnd, self.today
        categories = (
            "neglect",
            "physical",
            "emotional",
            "sexual",
            "domestic_abuse",
            "financial",
            "self_neglect",
            "exploitation",
            "other",
        )
        details = (
            "Missed three appointments; child seemed withdrawn",
            "Unexplained bruising",
            "Disclosed controlling partner",
            "Home conditions poor on visit",
            "Money going missing, carer concerned",
            "Older sibling caring for siblings",
        )
        statuses = weighted(
            {"untriaged": 30, "nfa": 25, "referred": 20, "registered": 10, "for_meeting": 15}
        )
        for _ in range(self.size["concerns"]):
            person_id = rnd.choice(self.children if rnd.random() < 0.6 else self.adults)
            staff_id, name, role = rnd.choice(self.staff)
            status = self.pick(statuses)
            raised = today - timedelta(days=rnd.randint(0, 60))
            self.w.add(
                m.Concern,
                person_id=person_id,
                practice_id=self.person_practice[person_id],
                raised_by=name,
                raised_by_role=role,
                raised_on=raised,
                category=rnd.choice(categories),
                details=rnd.choice(details),
                status=status,
                triaged_at=None if status == "untriaged" else self.at(raised + timedelta(days=1)),
                triaged_by="" if status == "untriaged" else "coordinator",
                triage_reason="" if status == "untriaged" else "Discussed with safeguarding lead",
            )

    def referrals(self) -> None:
        rnd, today = self.rnd, self.today
        response = {
            spec.code: spec.expected_response_working_days for spec in load_referral_types()
        }
        types = weighted(
            {"MASH": 35, "MARAC": 15, "MARF": 15, "S42": 15, "EARLY_HELP": 15, "OTHER": 5}
        )
        order = (
            "drafted",
            "sent",
            "acknowledged",
            "awaiting_outcome",
            "outcome_received",
            "closed",
        )
        states = (*order, "withdrawn")
        columns = {
            "sent": "sent_at",
            "acknowledged": "acknowledged_at",
            "awaiting_outcome": "awaiting_outcome_at",
            "outcome_received": "outcome_received_at",
            "closed": "closed_at",
            "withdrawn": "withdrawn_at",
        }
        total = self.size["referrals"]
        for index in range(total):
            kind = self.pick(types)
            adult_type = kind in ("S42", "MARAC")
            person_id = rnd.choice(self.adults if adult_type else self.children)
            state = states[index % len(states)]
            # Open referrals are recent (most not yet due a chase); closed ones older.
            if state in ("closed", "withdrawn"):
                started = rnd.randint(20, 180)
            elif state == "drafted":
                started = rnd.randint(0, 4)
            else:
                started = rnd.randint(2, 30)
            day = today - timedelta(days=started)
            values: dict[str, Any] = dict(
                person_id=person_id,
                practice_id=self.person_practice[person_id],
                referral_type=kind,
                state=state,
                drafted_at=self.at(day, 9),
                reason="Concerns raised by practice clinicians",
                created_by="coordinator",
                agency={
                    "MASH": "Children's MASH",
                    "MARAC": "MARAC coordinator",
                    "S42": "Adult social care",
                }.get(kind, ""),
            )
            events = [("", "drafted", values["drafted_at"])]
            reached = order[: order.index(state) + 1] if state in order else ("drafted", "sent")
            for name in reached[1:]:
                day = min(today, day + timedelta(days=rnd.randint(0, 4)))
                moment = self.at(day, rnd.randint(9, 16))
                values[columns[name]] = max(moment, events[-1][2] + timedelta(hours=1))
                events.append((events[-1][1], name, values[columns[name]]))
            if state == "withdrawn":
                values["withdrawn_at"] = max(
                    self.at(min(today, day + timedelta(days=1)), 15),
                    events[-1][2] + timedelta(hours=1),
                )
                events.append((events[-1][1], "withdrawn", values["withdrawn_at"]))
            if state in order[:5]:
                expected = response[kind]
                chase = add_working_days(day, max(expected, 1) + rnd.randint(-1, 10))
                if state != "outcome_received":  # once the outcome is in, nothing is awaited
                    values["chase_by"] = chase
            if state in ("outcome_received", "closed"):
                values["outcome_type"] = rnd.choice(OUTCOMES)
                values["outcome_notes"] = "Outcome letter received"
            if kind == "MARAC":
                values["dash_score"] = rnd.randint(6, 22)
                values["marac_date"] = today + timedelta(days=rnd.randint(1, 28))
            if kind == "S42":
                values.update(
                    s42_care_and_support_needs=True,
                    s42_experiencing_abuse=True,
                    s42_unable_to_protect_self=rnd.random() < 0.8,
                )
            if state in ("awaiting_outcome", "acknowledged") and rnd.random() < 0.1:
                values["escalation_pending"] = True
            chased_on = None
            if state == "awaiting_outcome" and rnd.random() < 0.4:
                chased_on = values["last_chased_on"] = today - timedelta(days=rnd.randint(1, 5))
                # A chase sets the next chase-by date from the type's response time.
                values["chase_by"] = add_working_days(chased_on, max(response[kind], 1))
            referral_id = self.w.add(m.Referral, **values)
            for before, after, at in events:
                self.w.add(
                    m.ReferralEvent,
                    referral_id=referral_id,
                    at=at,
                    by="coordinator",
                    from_state=before,
                    to_state=after,
                )
            if chased_on is not None:
                self.w.add(
                    m.ReferralChase,
                    referral_id=referral_id,
                    chased_at=self.at(chased_on, 11),
                    by="coordinator",
                    method=rnd.choice(("phone", "email", "portal")),
                    to_whom="Duty social worker",
                    note="Awaiting decision",
                    next_chase_by=values.get("chase_by"),
                )
            if values.get("outcome_type") == "initial_cp_conference":
                self.w.add(
                    m.CaseConference,
                    person_id=person_id,
                    referral_id=referral_id,
                    kind="initial_cp",
                    due_date=add_working_days(day, 15),
                )

    def meetings(self) -> None:
        rnd, today = self.rnd, self.today
        n = self.size["meetings"]
        series_specs = [(None, "PCN safeguarding MDT", TU)]
        if n > 6:
            series_specs += [
                (pid, f"{PRACTICES[i][2]} safeguarding meeting", WE if i % 2 else MO)
                for i, pid in enumerate(self.practice_ids)
            ]
        counts = [n // len(series_specs)] * len(series_specs)
        for index in range(n % len(series_specs)):
            counts[index] += 1
        internal = [s for s in self.staff]
        for (practice_id, name, weekday), per_series in zip(series_specs, counts, strict=True):
            series_id = self.w.add(
                m.MeetingSeries,
                name=name,
                practice_id=practice_id,
                rrule=f"FREQ=MONTHLY;BYDAY=1{str(weekday)[:2].upper()}",
                start_time=time(12, 30),
                duration_minutes=60,
                location="Meeting room 1 / Teams",
                organiser_staff_id=self.coordinator_id,
            )
            # Two meetings of each series still to come, the rest in the past months.
            start = today.replace(day=1) - relativedelta(months=max(per_series - 3, 0))
            dates = list(rrule(MONTHLY, byweekday=weekday(1), dtstart=start, count=per_series))
            for when in dates:
                day = when.date()
                past = day < today
                meeting_id = self.w.add(
                    m.Meeting,
                    series_id=series_id,
                    practice_id=practice_id,
                    title=f"{name} {day:%B %Y}",
                    starts_at=self.at(day, 12, 30),
                    duration_minutes=60,
                    location="Meeting room 1 / Teams",
                    status="finished" if past else "planned",
                    started_at=self.at(day, 12, 30) if past else None,
                    finished_at=self.at(day, 13, 30) if past else None,
                )
                for staff_id, _, _ in rnd.sample(internal, 3):
                    self.w.add(
                        m.MeetingAttendee,
                        meeting_id=meeting_id,
                        staff_id=staff_id,
                        attendance="present" if past else "invited",
                    )
                for staff_id in rnd.sample(self.externals, 2):
                    self.w.add(
                        m.MeetingAttendee,
                        meeting_id=meeting_id,
                        staff_id=staff_id,
                        attendance=rnd.choice(("present", "apologies")) if past else "invited",
                    )
                for position in range(rnd.randint(5, 9)):
                    person_id = rnd.choice(self.entry_people)
                    item_id = self.w.add(
                        m.AgendaItem,
                        meeting_id=meeting_id,
                        person_id=person_id,
                        title=f"Review: {self.person_names[person_id]}",
                        source_kind="register",
                        reason="Register entry due for review",
                        priority=rnd.choice((1, 2, 3, 3)),
                        minutes_allotted=5,
                        position=position,
                        discussed=past,
                        triage_status="included" if past or rnd.random() < 0.5 else "proposed",
                    )
                    if not past:
                        continue
                    self.w.add(
                        m.MinuteNote,
                        agenda_item_id=item_id,
                        text="Discussed; plan in place, no new concerns.",
                        saved_at=self.at(day, 13, 0),
                    )
                    self.w.add(m.Decision, agenda_item_id=item_id, text="Continue current plan")
                    owner_id, owner, _ = rnd.choice(internal)
                    due = day + timedelta(days=rnd.randint(7, 35))
                    done = due < today and rnd.random() < 0.5
                    self.w.add(
                        m.Action,
                        meeting_id=meeting_id,
                        agenda_item_id=item_id,
                        person_id=person_id,
                        owner_staff_id=owner_id,
                        owner_label=owner,
                        description=rnd.choice(
                            (
                                "Chase social worker for update",
                                "Book review appointment",
                                "Share minutes with HV",
                                "Update coding on clinical system",
                            )
                        ),
                        due_date=due,
                        status="done" if done else "open",
                        completed_at=self.at(due) if done else None,
                    )

    # -- homecare ------------------------------------------------------------------------

    def homecare(self) -> None:
        """Carers, customers, their packages and the rota of last week, this week (and next
        week in the large demo), planned by ``demo_rota`` the way a coordinator would: runs
        per area, a regular carer and a relief on each, a few problems left on purpose."""
        monday = self.today - timedelta(days=self.today.weekday())
        self.carers: list[dict[str, Any]] = []
        self.customers: list[int] = []
        skill_ids = {
            code: self.w.add(m.Skill, code=code, name=name) for code, name in load_skills()
        }
        centres = self._area_centres()
        workers, carers = self._draw_carers(centres)
        clients, customers = self._draw_customers(centres, monday)
        plan = demo_rota.plan_weeks(
            self.rnd,
            workers,
            clients,
            self.today,
            self.size["visit_rate"] / 100,
            self.size["weeks"],
        )
        carer_ids = self._write_carers(workers, carers, plan, skill_ids, monday)
        self._write_absences(plan, carer_ids)
        customer_ids = self._write_customers(clients, customers, plan, carer_ids, workers)
        template_ids = self._write_packages(clients, customers, plan.calls, customer_ids)
        self.visits(plan.weeks, plan.calls, customer_ids, template_ids, carer_ids)

    def _area_centres(self) -> list[tuple[float, float]]:
        """The middles of the areas the town is split into (a jittered grid), about 60
        customers to an area."""
        rnd = self.rnd
        count = max(2, self.size["customers"] // 100)
        cols = math.ceil(math.sqrt(count * 1.5))
        rows = math.ceil(count / cols)
        centres = []
        for index in range(count):
            row, col = divmod(index, cols)
            lat = ROCHDALE[0] - 0.035 + (row + 0.5) * 0.07 / rows + rnd.uniform(-0.003, 0.003)
            lon = ROCHDALE[1] - 0.055 + (col + 0.5) * 0.11 / cols + rnd.uniform(-0.004, 0.004)
            centres.append((lat, lon))
        return centres

    def _draw_carers(
        self, centres: list[tuple[float, float]]
    ) -> tuple[list[demo_rota.Worker], list[dict[str, Any]]]:
        """Each carer as the planner sees them and the rest of their row. The first is 17
        (the young-worker rules); most want to work five days a week, some six or four."""
        rnd, fake, today = self.rnd, self.fake, self.today
        workers: list[demo_rota.Worker] = []
        rows: list[dict[str, Any]] = []
        for index in range(self.size["carers"]):
            gender = rnd.choice(("female", "female", "female", "male"))
            given = fake.first_name_female() if gender == "female" else fake.first_name_male()
            age = 17 if index == 0 else rnd.randint(19, 64)
            area = index % len(centres)
            days = 4 if index == 0 else rnd.choices((6, 5, 4), weights=(2, 7, 2))[0]
            workers.append(
                demo_rota.Worker(
                    index,
                    gender,
                    area,
                    days,
                    weekends=index != 0 and rnd.random() < 0.9,
                    young=index == 0,
                )
            )
            rows.append(
                dict(
                    name=f"{given} {fake.last_name()}",
                    gender=gender,
                    date_of_birth=today - timedelta(days=age * 365 + rnd.randrange(300)),
                    home_postcode=f"OL1{area % 7} {rnd.randint(1, 9)}XX",
                    home_lat=centres[area][0] + rnd.gauss(0, 0.008),
                    home_lon=centres[area][1] + rnd.gauss(0, 0.012),
                    wtr_opt_out=rnd.random() < 0.2,
                )
            )
        return workers, rows

    def _draw_customers(
        self, centres: list[tuple[float, float]], monday: date
    ) -> tuple[list[demo_rota.Client], list[dict[str, Any]]]:
        """Customers clustered round their area's middle. The last one's package starts
        this week, so their carers are new to them."""
        rnd, fake, today = self.rnd, self.fake, self.today
        clients: list[demo_rota.Client] = []
        rows: list[dict[str, Any]] = []
        count = self.size["customers"]
        for index in range(count):
            area = index % len(centres)
            lat = centres[area][0] + rnd.gauss(0, 0.005)
            lon = centres[area][1] + rnd.gauss(0, 0.0075)
            new = index == count - 1
            starts = monday if new else today - timedelta(days=rnd.randint(30, 700))
            double = rnd.random() < 0.05 and not new
            clients.append(
                demo_rota.Client(index, area, lat, lon, double, monday if new else date.min)
            )
            rows.append(
                dict(
                    name=f"{fake.first_name()} {fake.last_name()}",
                    address=f"{rnd.randint(1, 200)} {fake.street_name()}",
                    postcode=f"OL1{area % 7} {rnd.randint(1, 9)}YY",
                    lat=lat,
                    lon=lon,
                    language=rnd.choice(("", "", "", "", "Urdu", "Polish")),
                    lone_working_risk=double and rnd.random() < 0.3,
                    access_notes=rnd.choice(("", "Key safe by door", "Ring and wait")),
                    package_start=starts,
                    funder=rnd.choice(("Local authority", "NHS CHC", "Private")),
                )
            )
        return clients, rows

    def _write_carers(
        self,
        workers: list[demo_rota.Worker],
        rows: list[dict[str, Any]],
        plan: demo_rota.Plan,
        skill_ids: dict[str, int],
        monday: date,
    ) -> dict[int, int]:
        """Carer rows with what follows from their usual week: contract, availability for
        their shifts, skills for their visits (valid but for the one lapsed on purpose),
        and 16 weeks of hours before. Returns worker index -> carer id."""
        rnd, today = self.rnd, self.today
        ids: dict[int, int] = {}
        optional = [c for c in skill_ids if c not in ("MED", "HOIST", demo_rota.SPECIAL_SKILL)]
        worked = plan.weekdays_worked()
        for worker, row in zip(workers, rows, strict=True):
            hours = plan.usual_minutes.get(worker.index, 0) / 60
            carer_id = self.w.add(
                m.Carer,
                transport_mode=worker.mode,
                contracted_hours=demo_rota.contract_for(hours),
                **row,
            )
            ids[worker.index] = carer_id
            self.carers.append(dict(id=carer_id))
            skills: dict[str, date] = {"MED": today + timedelta(days=rnd.randint(30, 700))}
            if worker.index in plan.hoist or rnd.random() < 0.2:
                skills["HOIST"] = today + timedelta(days=rnd.randint(30, 700))
            for code in rnd.sample(optional, rnd.randint(1, 3)):
                lapsed = rnd.random() < 0.15  # training lapsed, not needed for their visits
                skills[code] = today + timedelta(
                    days=-rnd.randint(1, 60) if lapsed else rnd.randint(30, 700)
                )
            if worker.index in plan.lapsed and plan.lapsed_on is not None:
                skills[demo_rota.SPECIAL_SKILL] = plan.lapsed_on
            for code, expires in sorted(skills.items()):
                self.w.add(
                    m.CarerSkill,
                    carer_id=carer_id,
                    skill_id=skill_ids[code],
                    achieved_on=expires - timedelta(days=rnd.randint(400, 1000)),
                    expires_on=expires,
                )
            windows = _merge(
                w for s in sorted(worker.shifts or {"early"}) for w in demo_rota.SHIFTS[s].windows
            )
            for weekday in self._available_days(worker, worked.get(worker.index, set())):
                for low, high in windows:
                    self.w.add(
                        m.CarerAvailability,
                        carer_id=carer_id,
                        weekday=weekday,
                        start_time=time(low // 60, low % 60),
                        end_time=time(high // 60, high % 60),
                    )
            # The 16 weeks before: from the visits where the demo has them (a row of no
            # hours for a week without any), from payroll before that.
            for back in range(1, 17):
                start = monday - timedelta(weeks=back)
                kept = plan.kept.get((worker.index, start))
                if kept is not None:  # worked out from the visits, as the app keeps it
                    self.w.add(
                        m.CarerWeekHours,
                        carer_id=carer_id,
                        week_start=start,
                        **week_hours.row_values(kept),
                    )
                    continue
                self.w.add(
                    m.CarerWeekHours,
                    carer_id=carer_id,
                    week_start=start,
                    hours=0.0
                    if start in plan.weeks
                    else round(hours * rnd.uniform(0.85, 1.05) * 4) / 4,
                )
        return ids

    def _available_days(self, worker: demo_rota.Worker, worked: set[int]) -> list[int]:
        """The weekdays a carer is available: the days they work, and for about a third of
        them one more day for extra shifts (so Plan B finds cover for some visits, not
        all). A carer with no days yet is available on every day they would work."""
        allowed = [day for day in range(7) if day < 5 or worker.weekends]
        if not worked:
            return allowed
        spare = [day for day in allowed if day not in worked]
        extra = {self.rnd.choice(spare)} if spare and self.rnd.random() < 0.3 else set()
        return sorted(worked | extra)

    def _write_absences(self, plan: demo_rota.Plan, carer_ids: dict[int, int]) -> None:
        """The carer off sick this week (their visits still on them: Plan B) and the one
        booked on leave next week (relief covers them where next week is planned here)."""
        if plan.trouble.sick is not None:
            index, day = plan.trouble.sick
            self.w.add(
                m.Absence,
                carer_id=carer_ids[index],
                start_date=day,
                end_date=day,
                kind="sickness",
                note="Rang in sick",
            )
        if plan.leave is not None:
            index, first, last = plan.leave
            self.w.add(
                m.Absence, carer_id=carer_ids[index], start_date=first, end_date=last, kind="leave"
            )

    def _write_customers(
        self,
        clients: list[demo_rota.Client],
        rows: list[dict[str, Any]],
        plan: demo_rota.Plan,
        carer_ids: dict[int, int],
        workers: list[demo_rota.Worker],
    ) -> dict[int, int]:
        """Customer rows and their wishes, as the rota honours them: about four in ten name
        their regular carers as preferred (one names only their main carer, so their
        relief's visits show the soft problem); about one in seven of those whose carers
        are all women prefer a woman (and one whose relief is a man this week); one in
        twenty has excluded a carer who never visits them. Returns client index -> id."""
        rnd, calls, weeks = self.rnd, plan.calls, plan.weeks
        seen: dict[int, list[set[int]]] = {}  # client -> carers per visit, first week seen
        ever: dict[int, set[int]] = defaultdict(set)
        for start in sorted(weeks):
            week: dict[int, list[set[int]]] = defaultdict(list)
            for visit in weeks[start]:
                client = calls[visit.call].customer
                ever[client].update(visit.carers)
                week[client].append(set(visit.carers))
            for client, carers in week.items():
                seen.setdefault(client, carers)
        men = {w.index for w in workers if w.gender != "female"}
        this_week = self.today - timedelta(days=self.today.weekday())
        with_men: dict[int, int] = defaultdict(int)  # client -> visits with a man this week
        for visit in weeks.get(this_week, ()):
            if men & set(visit.carers):
                with_men[calls[visit.call].customer] += 1
        wishes = [rnd.random() < 0.15 for _ in clients]
        unmet = min(
            (c.index for c in clients if wishes[c.index] and 0 < with_men[c.index] <= 3),
            key=lambda index: (with_men[index], index),
            default=None,
        )
        ids: dict[int, int] = {}
        lone_done = named_one = False
        for client, row in zip(clients, rows, strict=True):
            values = {k: v for k, v in row.items() if k not in ("package_start", "funder")}
            if wishes[client.index] and (client.index == unmet or not men & ever[client.index]):
                values["preferred_gender"] = "female"
            light = all(c.weekdays != demo_rota.DAILY for c in calls if c.customer == client.index)
            if not lone_done and light and not client.double:
                values["lone_working_risk"] = lone_done = True
            customer_id = self.w.add(m.Customer, **values)
            ids[client.index] = customer_id
            self.customers.append(customer_id)
            if rnd.random() < 0.4:
                team, missed = _regulars(seen.get(client.index, []))
                one, one_missed = _regulars(seen.get(client.index, []), most=1)
                if not named_one and 0 < one_missed <= 2:
                    # One customer names only their main carer: their relief's visits show
                    # "preferred carers not met".
                    team, missed, named_one = one, 0, True
                for index in team if not missed else ():
                    self.w.add(
                        m.CustomerCarerPreference,
                        customer_id=customer_id,
                        carer_id=carer_ids[index],
                        kind="preferred",
                    )
            if rnd.random() < 0.05:
                others = [i for i in sorted(carer_ids) if i not in ever[client.index]]
                if others:
                    self.w.add(
                        m.CustomerCarerPreference,
                        customer_id=customer_id,
                        carer_id=carer_ids[rnd.choice(others)],
                        kind="excluded",
                        reason="Customer's request",
                    )
        return ids

    def _write_packages(
        self,
        clients: list[demo_rota.Client],
        rows: list[dict[str, Any]],
        calls: list[demo_rota.Call],
        customer_ids: dict[int, int],
    ) -> dict[int, int]:
        """One package per customer and a visit template per call: the window opens at the
        planned time (``rota generate`` starts visits there) and allows half an hour.
        Returns call key -> template id."""
        by_client: dict[int, list[demo_rota.Call]] = defaultdict(list)
        for call in calls:
            by_client[call.customer].append(call)
        template_ids: dict[int, int] = {}
        for client, row in zip(clients, rows, strict=True):
            own = by_client[client.index]
            minutes = sum(c.minutes * c.carers * c.weekdays.count("1") for c in own)
            package_id = self.w.add(
                m.CarePackage,
                customer_id=customer_ids[client.index],
                start_date=row["package_start"],
                funder=row["funder"],
                hours_per_week=round(minutes / 60, 2),
            )
            for call in own:
                opens = time(call.start // 60, call.start % 60)
                closes = min(call.start + 30, 23 * 60 + 59)
                template_ids[call.key] = self.w.add(
                    m.VisitTemplate,
                    package_id=package_id,
                    weekdays=call.weekdays,
                    window_start=opens,
                    window_end=time(closes // 60, closes % 60),
                    duration_minutes=call.minutes,
                    carers_required=call.carers,
                    required_skills=",".join(sorted(call.skills)),
                    tasks=call.tasks,
                    medication="MED" in call.skills,
                )
        return template_ids

    def visits(
        self,
        weeks: dict[date, list[demo_rota.PlannedVisit]],
        calls: list[demo_rota.Call],
        customer_ids: dict[int, int],
        template_ids: dict[int, int],
        carer_ids: dict[int, int],
    ) -> None:
        """Every planned week's visits in time order, done before today, with carers by
        slot (none on the visits left unallocated)."""
        today = self.today
        planned = sorted(
            (v for visits in weeks.values() for v in visits),
            key=lambda v: (v.day, v.start, v.call),
        )
        for visit in planned:
            call = calls[visit.call]
            start = self.at(visit.day, visit.start // 60, visit.start % 60)
            visit_id = self.w.add(
                m.Visit,
                template_id=template_ids[call.key],
                customer_id=customer_ids[call.customer],
                visit_date=visit.day,
                start_at=start,
                end_at=start + timedelta(minutes=visit.minutes),
                carers_required=call.carers,
                required_skills=",".join(sorted(call.skills)),
                tasks=call.tasks,
                status="done" if visit.day < today else "planned",
            )
            for slot, index in enumerate(visit.carers, start=1):
                self.w.add(
                    m.VisitAssignment, visit_id=visit_id, carer_id=carer_ids[index], slot=slot
                )


MIN_GAP_DAYS = 280  # more than any nine calendar months
TWINS = 0.05
"""The chance that two children drawn too close together are twins (one birth in about
65 in the UK is of twins; clashes in the draw are far more common than that)."""
MOTHER_OLDEST = 44
FATHER_OLDEST = 52
PARENT_YOUNGEST = 18


def _years_before(day: date, years: int) -> date:
    """``day - relativedelta(years=years)`` (29 February to the 28th in a year without
    one), without relativedelta's cost: 136,000 calls at the large size took 3.4 s."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _apart(elder: date, younger: date) -> bool:
    """Siblings as they occur: twins (one day), or born at least nine months apart."""
    return elder == younger or _nine_months_after(elder) <= younger


def _nine_months_after(day: date) -> date:
    """``day + relativedelta(months=9)`` (the 31st to the month's last day), without
    relativedelta's cost: a quarter of a million calls at ten times the data."""
    years, month = divmod(day.month + 8, 12)
    year = day.year + years
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def _fit_children(rnd: random.Random, today: date, born: list[date]) -> list[date]:
    """Children's dates of birth moved as little as needed so each is nine months or more
    from the next (or a twin), every one still under 18 and born by today. Keeps each
    child's place in the list.

    Eldest first, each child is born no sooner than the gap after the one before
    (pushing later), then youngest first no later than the gap before the next (pulling
    back from today); a pair drawn too close gets a gap of 10 to 30 months, or is twins.
    Five children need at most 4 x 900 days, well inside the 18 years there are."""
    earliest = _years_before(today, 18) + timedelta(days=1)
    order = sorted(range(len(born)), key=lambda i: born[i])  # eldest first
    want = [min(max(born[i], earliest), today) for i in order]
    gaps = [0]
    for elder, younger in itertools.pairwise(want):
        if elder == younger or _apart(elder, younger):
            gaps.append(0 if elder == younger else MIN_GAP_DAYS)
        else:
            gaps.append(0 if rnd.random() < TWINS else rnd.randint(300, 900))
    if sum(gaps) > (today - earliest).days:
        gaps = [min(gap, MIN_GAP_DAYS) for gap in gaps]
    fitted = list(want)
    for i in range(1, len(fitted)):
        after = fitted[i - 1] + timedelta(days=gaps[i])
        fitted[i] = after if gaps[i] == 0 else max(fitted[i], after)
    fitted[-1] = min(fitted[-1], today)
    for i in range(len(fitted) - 2, -1, -1):
        fitted[i] = min(fitted[i], fitted[i + 1] - timedelta(days=gaps[i + 1]))
    result = dict(zip(order, fitted, strict=True))
    return [result[i] for i in range(len(born))]


def _fit_parent(rnd: random.Random, born: date, sex: str, eldest: date, youngest: date) -> date:
    """A parent's date of birth kept if it is plausible for their children (18 or over at
    the eldest's birth, at most 44 for a mother or 52 for a father at the youngest's),
    otherwise moved into that range, a few years in from its edge."""
    latest = _years_before(eldest, PARENT_YOUNGEST)
    oldest = MOTHER_OLDEST if sex == "Female" else FATHER_OLDEST
    earliest = _years_before(youngest, oldest) + timedelta(days=1)
    if earliest <= born <= latest:
        return born
    room = (latest - earliest).days
    inward = timedelta(days=rnd.randint(0, min(room, 4 * 365)))
    return latest - inward if born > latest else earliest + inward


def _after_elder(rnd: random.Random, today: date, elder: date, born: date) -> date:
    """A younger sibling (under 18) at least nine months after their adult sibling."""
    if _apart(elder, born):
        return born
    return min(elder + timedelta(days=rnd.randint(300, 900)), today)


def _relabel_young_partner(links: list[dict[str, Any]], person_id: int, has_kids: bool) -> None:
    """A household member drawn as a partner but under 18 becomes the eldest child of the
    other adult (with children) or their younger sibling (without): the link rows keep
    their ids and count, only what they say changes."""
    for link in links:
        outgoing = link["person_id"] == person_id
        if link["relationship"] == "partner":
            if has_kids:
                link.update(
                    relationship="parent" if outgoing else "child",
                    parental_responsibility=not outgoing,
                )
            else:
                link.update(relationship="sibling", parental_responsibility=False)
        elif link["relationship"] in ("child", "parent"):  # to the other children
            link.update(relationship="sibling", parental_responsibility=False)


def _merge(windows: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Availability windows (minutes of the day) with overlapping ones joined."""
    merged: list[tuple[int, int]] = []
    for low, high in sorted(windows):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _regulars(visits: list[set[int]], most: int = 3) -> tuple[list[int], int]:
    """The fewest carers (at most ``most``) between whom a customer's visits had one of
    them (their regular team, named as preferred carers), and how many visits had none."""
    left = [carers for carers in visits if carers]
    team: list[int] = []
    while left and len(team) < most:
        counts: dict[int, int] = defaultdict(int)
        for carers in left:
            for carer in carers:
                counts[carer] += 1
        best = max(sorted(counts), key=counts.__getitem__)
        team.append(best)
        left = [carers for carers in left if best not in carers]
    return team, len(left)


# Tables in foreign-key order.
_ORDER = (
    m.Practice,
    m.Staff,
    m.AppUser,
    m.Household,
    m.Person,
    m.PersonLink,
    m.RegisterEntry,
    m.RegisterReview,
    m.Concern,
    m.Referral,
    m.ReferralEvent,
    m.ReferralChase,
    m.CaseConference,
    m.MeetingSeries,
    m.Meeting,
    m.MeetingAttendee,
    m.AgendaItem,
    m.MinuteNote,
    m.Decision,
    m.Action,
    m.Skill,
    m.Carer,
    m.CarerSkill,
    m.CarerAvailability,
    m.CarerWeekHours,
    m.Absence,
    m.Customer,
    m.CustomerCarerPreference,
    m.CarePackage,
    m.VisitTemplate,
    m.Visit,
    m.VisitAssignment,
    m.Incident,
    m.Complaint,
)


def _advance_sequences(session: Any, counts: dict[str, int]) -> None:
    """PostgreSQL: each written table's id sequence set past its largest id."""
    for table, rows in counts.items():
        if rows:
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f'(SELECT max(id) FROM "{table}"))'
                )
            )


BUILD_CACHE_KIB = 1024 * 1024
"""SQLite's page cache while the demo is written (at most; pages are taken as they are
used, so a small demo takes little). The ten-times demo is 825 MB, all written in one
transaction: with the app's 32 MiB cache the indexes' pages (seven on ``person``, three
on 2.6 million ``person_link`` rows) go back and forth to the write-ahead log. Writing
the rows took 47 s of wall time for 34 s of CPU with it, 37 s for 30 s with room for
them (one build each, load 5; issue 23 §4)."""


@contextmanager
def _build_settings(engine: Engine) -> Iterator[Callable[[Any], None]]:
    """SQLite: the build's connection set for one big write, and put back as the app
    keeps it when it returns to the pool after the commit (a listener on the pool's
    check-in, removed on the way out). Yields ``apply(session)``, called before the first
    write. Other databases: as they are.

    - ``BUILD_CACHE_KIB`` of page cache instead of the app's (kept per connection).
    - ``synchronous=OFF`` instead of FULL: the commit and its checkpoint write 825 MB at
      ten times without waiting for the disk (an fsync of 800 MB took 3.5 s here). A
      demo is only built into a database with no people in it (``seed_demo`` refuses
      any other), so a power cut during its commit costs at most that demo, built again.
      SQLite allows the change only outside a transaction; where one is open already
      the build keeps full sync."""
    held: dict[str, Any] = {}

    def apply(session: Any) -> None:
        conn = session.connection()
        if conn.dialect.name != "sqlite":
            return
        cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
        sync = int(conn.exec_driver_sql("PRAGMA synchronous").scalar())
        held["restore"] = (f"PRAGMA cache_size={cache}", f"PRAGMA synchronous={sync}")
        held["raw"] = conn.connection.dbapi_connection
        conn.exec_driver_sql(f"PRAGMA cache_size=-{BUILD_CACHE_KIB}")
        with suppress(SQLAlchemyError):  # inside a transaction: refused, full sync kept
            conn.exec_driver_sql("PRAGMA synchronous=OFF")

    def put_back(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None and dbapi_connection is held.get("raw"):
            held.pop("raw")
            for statement in held.pop("restore"):
                dbapi_connection.execute(statement)

    event.listen(engine.pool, "checkin", put_back)
    try:
        yield apply
    finally:
        event.remove(engine.pool, "checkin", put_back)


def seed_demo(
    engine: Engine, size: str = "small", seed: int = 1, today: date | None = None
) -> DemoSummary:
    """Fill an empty database with the demo; refuses one that already holds people."""
    from coordinator_tui.clock import local_today
    from coordinator_tui.db import session_scope

    if size not in SIZES:
        raise ValueError(f"Unknown demo size '{size}': choose {' or '.join(SIZES)}")
    started = clock.perf_counter()
    demo = _Demo(size, seed, today or local_today())
    with (
        paused_collection(),
        _build_settings(engine) as build_settings,
        session_scope(engine, "demo-seed") as session,
    ):
        if session.scalar(select(func.count()).select_from(m.Person)):
            raise ValueError("This database already holds people: seed the demo into a new file")
        build_settings(session)
        demo.categories_sync(session)
        demo.practices_and_staff()
        demo.people()
        demo.register_entries()
        demo.concerns()
        demo.referrals()
        demo.meetings()
        demo.homecare()
        counts = demo.w.flush(session, _ORDER)
        # The weeks' rows are written before their visits: the customers each carer
        # visited (the rota's continuity, issue 23) are filled in from the visits now.
        week_hours.fill_customers(session.connection())
        for table, rows in counts.items():
            if rows:
                # ``today``: the day the demo was built for, which the benchmarks compare
                # between copies (the note's own time is when it was seeded)
                audit.record_note(
                    session,
                    table,
                    "demo seed",
                    rows=rows,
                    size=size,
                    today=demo.today.isoformat(),
                )
        if engine.dialect.name == "postgresql":
            # The bulk rows carry explicit ids: move each id sequence past them before
            # anything is added through the session (governance adds a person).
            _advance_sequences(session, counts)
        # Governance last, through the audited session and on its own generator
        # (``random.Random(seed)`` inside), so every draw above is the same with it or
        # without it. It gives its incidents, actions and complaints explicit ids.
        from coordinator_tui.demo.governance import SIZES as GOVERNANCE_SIZES
        from coordinator_tui.demo.governance import seed_governance

        # The ten-times build scales the registers and the rota (issue 23), not governance;
        # a size a benchmark adds (the solver's 300-carer ``scale``) takes the small set.
        if size in GOVERNANCE_SIZES:
            governance_size = size
        else:
            governance_size = "large" if size == "x10" else "small"
        governance = seed_governance(session, today=demo.today, size=governance_size, seed=seed)
        counts["incident"] = governance.incidents
        counts["complaint"] = governance.complaints
        # Care changes (issue 18): medication changes and their acknowledgements, reviews,
        # consent, training, requests, contacts and shadowing, through the services (each
        # row audited), each on its own generator, after governance (reviews read its
        # incidents and missed visits).
        from coordinator_tui.services.care.demo_changes import seed_care_changes
        from coordinator_tui.services.care.demo_staff import seed_care_staff

        care = seed_care_changes(session, today=demo.today, seed=seed)
        counts["medication_change"] = care.pending + care.open + care.done
        seed_care_staff(session, today=demo.today, seed=seed)
        # Learning themes on the concerns, incidents, complaints and referrals (issue 16 §4),
        # on their own generator too.
        from coordinator_tui.services.reports.demo_themes import tag_demo_themes

        tag_demo_themes(
            session,
            seed=seed,
            today=demo.today,
            write=lambda model, rows: insert_rows(session, model, rows, size=size),
        )
        if engine.dialect.name == "postgresql":
            _advance_sequences(session, counts)
    return DemoSummary(size, counts, clock.perf_counter() - started)
