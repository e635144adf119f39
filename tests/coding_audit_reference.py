"""The coding audit's reconciliation as it was before issue 23 (kept only as the
reference the equality test compares the present one with: same findings, same order)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

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
from coordinator_tui.services.reports.code_lists import CodeList, CodeLists, membership
from coordinator_tui.services.reports.coding_audit import (
    CodedEvent,
    Finding,
    Reconciliation,
    _chunks,
    _day,
)


def reconcile_before(
    session: Session,
    events: Sequence[CodedEvent],
    codes: CodeLists,
    *,
    practice_ids: Sequence[int] | None = None,
    tolerance_days: int = 0,
) -> Reconciliation:
    """Our registers against the coded events, for the practices given (else those of the
    people the export codes, or named in its practice column). See the module docstring
    for the classes; ``tolerance_days``: start dates this close count as agreeing."""
    numbers = sorted({event.nhs_number for event in events})
    people: dict[str, tuple[int, int | None]] = {}
    for chunk in _chunks(numbers):
        for person_id, number, practice_id in session.execute(
            select(Person.id, Person.nhs_number, Person.practice_id).where(
                Person.nhs_number.in_(chunk)
            )
        ):
            people[number] = (person_id, practice_id)
    if practice_ids is None:
        named = {event.practice for event in events if event.practice}
        if named:
            practice_ids = list(
                session.scalars(select(Practice.id).where(Practice.ods_code.in_(sorted(named))))
            )
        else:
            practice_ids = sorted({p for _, p in people.values() if p is not None})
    scope = set(practice_ids)

    # person -> list -> [(day, on, code)], for the people of the practices audited
    coded: dict[int, dict[str, list[tuple[date, bool, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    practice_of: dict[int, int | None] = {}
    unknown: set[str] = set()
    by_code = codes.by_code
    for event in events:
        found = people.get(event.nhs_number)
        if found is None:
            unknown.add(event.nhs_number)
            continue
        person_id, practice_id = found
        if practice_id not in scope:
            continue
        code = by_code[event.code]
        coded[person_id][code.list_id].append((event.on, code.on, code.sctid))
        practice_of[person_id] = practice_id
    standing = {
        person_id: {list_id: membership(items) for list_id, items in lists.items()}
        for person_id, lists in coded.items()
    }

    audited = [item for item in codes.audited if item.registers]
    list_of_register = {register: item for item in audited for register in item.registers}
    entries: dict[int, dict[str, list[tuple[int, int, date, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    if scope and list_of_register:
        for entry_id, version, person_id, practice_id, start, register in session.execute(
            select(
                RegisterEntry.id,
                RegisterEntry.version,
                RegisterEntry.person_id,
                Person.practice_id,
                RegisterEntry.start_date,
                RegisterCategory.code,
            )
            .join(Person, Person.id == RegisterEntry.person_id)
            .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
            .where(
                RegisterEntry.status == EntryStatus.ACTIVE,
                Person.practice_id.in_(sorted(scope)),
                RegisterCategory.code.in_(sorted(list_of_register)),
            )
            .order_by(RegisterEntry.start_date, RegisterEntry.id)
        ):
            item = list_of_register[register]
            entries[person_id][item.id].append((entry_id, version, start, register))
            practice_of.setdefault(person_id, practice_id)

    findings: list[Finding] = []
    for item in audited:
        findings.extend(_compare_list(item, standing, entries, practice_of, tolerance_days))
    for item in codes.audited:
        if item.family_of:
            findings.extend(
                _family_findings(session, item, standing, entries, scope, list_of_register)
            )
    findings.sort(key=lambda f: (f.practice_id or 0, f.kind, f.list_id, f.person_id))
    not_audited = sorted({register for item in codes.not_audited for register in item.registers})
    return Reconciliation(findings, sorted(scope), len(coded), len(unknown), not_audited)


def _compare_list(
    item: CodeList,
    standing: dict,
    entries: dict,
    practice_of: dict[int, int | None],
    tolerance_days: int,
) -> list[Finding]:
    """The findings of one register's list, both ways."""
    term = {code.sctid: code.term for code in (*item.on, *item.off)}
    out: list[Finding] = []
    people = {p for p, lists in standing.items() if item.id in lists} | {
        p for p, lists in entries.items() if item.id in lists
    }
    for person_id in sorted(people):
        state = standing.get(person_id, {}).get(item.id)
        ours = entries.get(person_id, {}).get(item.id, [])
        practice_id = practice_of.get(person_id)
        coded_on = state is not None and state.member
        if coded_on and not ours:
            out.append(
                Finding(
                    person_id,
                    practice_id,
                    FindingKind.CODED_NOT_REGISTERED,
                    item.id,
                    f"Coded '{term.get(state.code, state.code)}' from {_day(state.since)}; "
                    f"not on our {item.add_to} register",
                    code=state.code,
                    coded_since=state.since,
                    coded_off_on=state.off_on,
                )
            )
        elif ours and not coded_on:
            kind = (
                FindingKind.LAC_NOT_CODED if item.looked_after else FindingKind.REGISTERED_NOT_CODED
            )
            for entry_id, version, start, register in ours:
                if state is not None and state.off_on is not None:
                    why = f"coded off '{term.get(state.code, state.code)}' on {_day(state.off_on)}"
                else:
                    why = "no code in the clinical system"
                out.append(
                    Finding(
                        person_id,
                        practice_id,
                        kind,
                        item.id,
                        f"On our {register} register from {_day(start)}; {why}",
                        code=state.code if state is not None else "",
                        entry_id=entry_id,
                        entry_version=version,
                        our_start=start,
                        coded_off_on=state.off_on if state is not None else None,
                    )
                )
        elif ours and coded_on:
            entry_id, version, start, register = ours[0]  # the earliest start
            if state.since is not None and abs((start - state.since).days) > tolerance_days:
                out.append(
                    Finding(
                        person_id,
                        practice_id,
                        FindingKind.DATES_DISAGREE,
                        item.id,
                        f"Our {register} register from {_day(start)}; coded "
                        f"'{term.get(state.code, state.code)}' from {_day(state.since)}",
                        code=state.code,
                        entry_id=entry_id,
                        entry_version=version,
                        our_start=start,
                        coded_since=state.since,
                    )
                )
    return out


def _family_findings(
    session: Session,
    item: CodeList,
    standing: dict,
    entries: dict,
    scope: set[int],
    list_of_register: dict[str, CodeList],
) -> list[Finding]:
    """Family and household members of the children on our ``family_of`` register who are
    not coded as such. A child on that register is flagged by their own code, not this."""
    parent_list = list_of_register.get(item.family_of)
    if parent_list is None:
        return []
    children = sorted(p for p, lists in entries.items() if parent_list.id in lists)
    if not children:
        return []
    relation: dict[int, str] = {}
    households: set[int] = set()
    for chunk in _chunks(children):
        for related, rel in session.execute(
            select(PersonLink.related_person_id, PersonLink.relationship).where(
                PersonLink.person_id.in_(chunk)
            )
        ):
            relation.setdefault(related, rel)
        households.update(
            h
            for h in session.scalars(select(Person.household_id).where(Person.id.in_(chunk)))
            if h is not None
        )
    for chunk in _chunks(sorted(households)):
        for person_id in session.scalars(select(Person.id).where(Person.household_id.in_(chunk))):
            relation.setdefault(person_id, "household")
    on_plan = set(children)
    candidates = sorted(p for p in relation if p not in on_plan)
    out: list[Finding] = []
    code = item.on[0].sctid
    for chunk in _chunks(candidates):
        for person_id, practice_id in session.execute(
            select(Person.id, Person.practice_id).where(
                Person.id.in_(chunk), Person.date_of_death.is_(None)
            )
        ):
            if practice_id not in scope:
                continue
            state = standing.get(person_id, {}).get(item.id)
            if state is not None and state.member:
                continue
            why = (
                f"coded off on {_day(state.off_on)}"
                if state is not None and state.off_on
                else "no family-member code"
            )
            out.append(
                Finding(
                    person_id,
                    practice_id,
                    FindingKind.FAMILY_NOT_CODED,
                    item.id,
                    f"Family member ({relation[person_id]}) of a child on a "
                    f"{parent_list.name.lower()}; {why} ({code})",
                    code=code,
                    coded_off_on=state.off_on if state is not None else None,
                )
            )
    return out
