"""A demo clinical-system export for the coding audit, built from a demo database's own
registers, with deliberate mismatches of every class.

The export codes what our registers hold, as a clinical system would if every code were
right: each person on a register with a code list has its "on" code from the day their
registration started (re-coded at later reviews to fill the file), an ended registration
its "on" and "no longer" codes, and every family or household member of a child on a
child protection plan the family-member code. Then, in each practice, ``per_class``
people of each class are coded wrong on purpose (:data:`PLANTED_CLASSES`), and a few rows
name NHS numbers the database does not hold and codes of no list. ``planted`` says who, so
a test can check that the audit finds exactly those, each once.

Synthetic only: the people are the demo's (NHS numbers from the 999 range).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import nhs_number
from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.models import (
    EntryStatus,
    FindingKind,
    Person,
    PersonLink,
    Practice,
    RegisterCategory,
    RegisterEntry,
)
from coordinator_tui.services.exporting import csv_text
from coordinator_tui.services.reports.code_lists import CodeLists, load_code_lists, membership

PLANTED_CLASSES = tuple(FindingKind)
# Codes of no list, as an export of a wider search holds them (DESIGN.md section 4).
OTHER_CODES = (
    ("836881000000105", "Child is cause for safeguarding concern"),
    ("878111000000109", "Unborn child is cause for safeguarding concern"),
)
STYLES = {
    # EMIS Web's usual column names, the NHS number spaced 3 3 4, dates as 30-Nov-2026.
    "emis": (("NHS Number", "SNOMED CT Concept ID", "Term", "Effective Date", "ODS Code"),),
    # SystmOne's usual column names, dates as 30 Nov 2026.
    "systmone": (("NHS number", "Clinical code", "Rubric", "Date recorded", "Practice code"),),
}


@dataclass
class DemoExport:
    """The export's text and who was coded wrong on purpose, by class."""

    text: str
    rows: int
    planted: dict[str, set[tuple[int, str]]] = field(default_factory=dict)


def _fmt_date(day: date, style: str) -> str:
    return f"{day:%d-%b-%Y}" if style == "emis" else f"{day:%d %b %Y}"


def _fmt_nhs(number: str, style: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}" if style == "emis" else number


def demo_export(
    session: Session,
    *,
    today: date,
    rows: int = 0,
    per_class: int = 2,
    seed: int = 1,
    style: str = "emis",
    codes: CodeLists | None = None,
) -> DemoExport:
    """The export (see the module docstring). ``rows``: pad the file to this many rows
    with re-coded "on" codes and codes of no list (the benchmark's 50,000)."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}")
    codes = codes or load_code_lists()
    rnd = random.Random(seed)
    lists = {item.id: item for item in codes.audited}
    list_of = {register: item for item in lists.values() for register in item.registers}
    practices = dict(session.execute(select(Practice.id, Practice.ods_code)).all())
    people = {
        pid: (number, practice, born)
        for pid, number, practice, born in session.execute(
            select(Person.id, Person.nhs_number, Person.practice_id, Person.date_of_birth)
        )
    }
    # person -> list -> [(start, end or None, entry)]
    episodes: dict[int, dict[str, list[tuple[date, date | None, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for entry_id, person_id, code, start, end, status in session.execute(
        select(
            RegisterEntry.id,
            RegisterEntry.person_id,
            RegisterCategory.code,
            RegisterEntry.start_date,
            RegisterEntry.end_date,
            RegisterEntry.status,
        )
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(RegisterCategory.code.in_(sorted(list_of)))
        .order_by(RegisterEntry.id)
    ):
        active = status == EntryStatus.ACTIVE
        episodes[person_id][list_of[code].id].append((start, None if active else end, entry_id))

    events: list[tuple[int, str, date]] = []  # (person, sctid, day)
    planted: dict[str, set[tuple[int, str]]] = {kind: set() for kind in PLANTED_CLASSES}
    used: set[int] = set()
    # The people each mismatch can be planted on: one register entry in the list, active.
    single_active: dict[str, list[int]] = defaultdict(list)
    for person_id in sorted(episodes):
        for list_id, items in sorted(episodes[person_id].items()):
            active = [item for item in items if item[1] is None]
            if len(active) == 1 and len(items) == 1:
                single_active[list_id].append(person_id)
    rnd_order = {list_id: rnd.sample(ids, len(ids)) for list_id, ids in single_active.items()}

    def take(list_ids: tuple[str, ...], practice_id: int, kind: str) -> int:
        """Plant ``kind`` on up to ``per_class`` people of the practice."""
        done = 0
        for list_id in list_ids:
            for person_id in rnd_order.get(list_id, []):
                if done >= per_class:
                    return done
                if person_id in used or people[person_id][1] != practice_id:
                    continue
                used.add(person_id)
                planted[kind].add((person_id, list_id))
                done += 1
        return done

    ordinary = tuple(i for i, item in lists.items() if not item.looked_after and item.registers)
    looked_after = tuple(i for i, item in lists.items() if item.looked_after)
    with_off = tuple(i for i in ordinary if lists[i].off)
    for practice_id in sorted(practices):
        take(ordinary, practice_id, FindingKind.REGISTERED_NOT_CODED)
        take(ordinary, practice_id, FindingKind.DATES_DISAGREE)
        take(looked_after, practice_id, FindingKind.LAC_NOT_CODED)
    not_coded = {p for p, _ in planted[FindingKind.REGISTERED_NOT_CODED]}
    coded_off = {
        p for p, list_id in planted[FindingKind.REGISTERED_NOT_CODED] if list_id in with_off
    }
    coded_off = set(sorted(coded_off)[::2])  # half of those with a "no longer" code
    late = {p for p, _ in planted[FindingKind.DATES_DISAGREE]}
    lac_missing = {p for p, _ in planted[FindingKind.LAC_NOT_CODED]}

    # What our registers hold, coded as the clinical system would (but for the planted).
    for person_id in sorted(episodes):
        for list_id, items in sorted(episodes[person_id].items()):
            item = lists[list_id]
            on, off = item.on[0].sctid, (item.off[0].sctid if item.off else None)
            active_starts = [start for start, end, _ in items if end is None]
            first_active = min(active_starts) if active_starts else None
            for start, end, _ in items:  # ended before the current episode: on, then off
                if end is not None and off and (first_active is None or end < first_active):
                    events += [(person_id, on, start), (person_id, off, end)]
            if first_active is None:
                continue
            if (
                person_id in not_coded
                and (person_id, list_id) in planted[FindingKind.REGISTERED_NOT_CODED]
            ):
                if person_id in coded_off and off:
                    coded_on = first_active - timedelta(days=30)
                    events += [(person_id, on, coded_on), (person_id, off, first_active)]
                continue
            if person_id in lac_missing and list_id in looked_after:
                continue
            day = first_active
            if person_id in late and (person_id, list_id) in planted[FindingKind.DATES_DISAGREE]:
                day = first_active - timedelta(days=rnd.randint(20, 200))
            events.append((person_id, on, day))

    # Coded, not on our register: people of no register of that list, coded on.
    children = {p for p, (_, _, born) in people.items() if (today - born).days < 18 * 365}
    for practice_id in sorted(practices):
        for list_id in ordinary:
            item = lists[list_id]
            age = "child" if list_id in ("CPP", "CFC") else "adult"
            pool = [
                p
                for p, (_, practice, _) in people.items()
                if practice == practice_id
                and p not in used
                and list_id not in episodes.get(p, {})
                and (p in children) == (age == "child")
            ]
            for person_id in rnd.sample(pool, min(len(pool), max(per_class // 2, 1))):
                used.add(person_id)
                planted[FindingKind.CODED_NOT_REGISTERED].add((person_id, list_id))
                events.append(
                    (person_id, item.on[0].sctid, today - timedelta(days=rnd.randint(10, 300)))
                )

    # Family members of the children on a plan, coded; a few left out on purpose.
    for item in lists.values():
        if not item.family_of or item.family_of not in list_of:
            continue
        parent_list = list_of[item.family_of].id
        on_plan = {
            p: min(start for start, end, _ in lists_[parent_list] if end is None)
            for p, lists_ in episodes.items()
            if any(end is None for _, end, _ in lists_.get(parent_list, []))
        }
        family = _family(session, sorted(on_plan))
        members = {
            member: since
            for child, since in sorted(on_plan.items())
            for member in family.get(child, ())
            if member not in on_plan
        }
        by_practice: dict[int, list[int]] = defaultdict(list)
        for member in sorted(members):
            by_practice[people[member][1]].append(member)
        skipped: set[int] = set()
        for practice_id in sorted(practices):
            pool = [m for m in by_practice.get(practice_id, []) if m not in used]
            for member in rnd.sample(pool, min(len(pool), per_class)):
                used.add(member)
                skipped.add(member)
                planted[FindingKind.FAMILY_NOT_CODED].add((member, item.id))
        for member, since in sorted(members.items()):
            if member not in skipped and people[member][1] in practices:
                events.append((member, item.on[0].sctid, since))

    # Padding: the codes re-entered at later reviews (after the coded episode's start,
    # which leaves every membership as it is), and codes of no list.
    by_person: dict[tuple[int, str], list[tuple[date, bool, str]]] = defaultdict(list)
    for person_id, sctid, day in events:
        code = codes.by_code[sctid]
        by_person[(person_id, code.list_id)].append((day, code.on, sctid))
    re_codable = []
    for (person_id, list_id), items in sorted(by_person.items()):
        state = membership(items)
        if state is not None and state.member and state.since and state.since < today:
            re_codable.append((person_id, lists[list_id].on[0].sctid, state.since))
    anyone = sorted(people)
    unknown = _unknown_numbers({number for number, _, _ in people.values()}, 3)
    padding: list[tuple[int, str, date]] = []
    while len(events) + len(padding) + len(unknown) < rows:
        if re_codable and rnd.random() < 0.6:
            person_id, sctid, since = rnd.choice(re_codable)
            day = since + timedelta(days=rnd.randint(1, (today - since).days))
            padding.append((person_id, sctid, day))
        else:
            sctid = rnd.choice(OTHER_CODES)[0]
            day = today - timedelta(days=rnd.randint(0, 2000))
            padding.append((rnd.choice(anyone), sctid, day))
    term = {code.sctid: code.term for code in codes.by_code.values()} | dict(OTHER_CODES)
    header = STYLES[style][0]
    out_rows = [
        (
            _fmt_nhs(people[p][0], style),
            code,
            term[code],
            _fmt_date(day, style),
            practices.get(people[p][1], ""),
        )
        for p, code, day in sorted([*events, *padding], key=lambda e: (e[2], e[0], e[1]))
    ]
    first = next(iter(sorted(practices.values())), "")
    for number in unknown:  # people the database does not hold: counted, not findings
        sctid = next(iter(lists.values())).on[0].sctid
        out_rows.append(
            (
                _fmt_nhs(number, style),
                sctid,
                term[sctid],
                _fmt_date(today - timedelta(days=40), style),
                first,
            )
        )
    return DemoExport(csv_text(header, out_rows), len(out_rows), planted)


def _family(session: Session, children: list[int]) -> dict[int, set[int]]:
    """Each child's linked people and household members (not the child)."""
    family: dict[int, set[int]] = defaultdict(set)
    households: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(children), 900):
        chunk = children[start : start + 900]
        for person_id, related in session.execute(
            select(PersonLink.person_id, PersonLink.related_person_id).where(
                PersonLink.person_id.in_(chunk)
            )
        ):
            family[person_id].add(related)
        for person_id, household in session.execute(
            select(Person.id, Person.household_id).where(Person.id.in_(chunk))
        ):
            if household is not None:
                households[household].append(person_id)
    keys = sorted(households)
    for start in range(0, len(keys), 900):
        for member, household in session.execute(
            select(Person.id, Person.household_id).where(
                Person.household_id.in_(keys[start : start + 900]),
                Person.date_of_death.is_(None),
            )
        ):
            for child in households[household]:
                if member != child:
                    family[child].add(member)
    return family


def _unknown_numbers(known: set[str], count: int) -> list[str]:
    """Valid NHS numbers from the 999 test range that no demo person has."""
    found: list[str] = []
    serial = 999_999
    while len(found) < count and serial > 0:
        stem = f"999{serial:06d}"
        serial -= 1
        check = nhs_number.calculate_checksum(stem)
        if check is not None and check < 10 and f"{stem}{check}" not in known:
            found.append(f"{stem}{check}")
    return found
