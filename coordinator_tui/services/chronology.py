"""A person's safeguarding chronology, merged in date order from everything recorded.

Registrations (start and end), reviews, concerns, referrals (each change of state and
each chase), case conferences, meeting discussions, actions and manual entries: each
source keeps its own table, and the chronology is assembled on read, so it can never
drift from what the registers, referrals and meetings say. Manual entries (``n`` on the
person record) are the ``chronology_entry`` rows without a source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Integer,
    String,
    cast,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import uk_date
from coordinator_tui.models import (
    Action,
    AgendaItem,
    CaseConference,
    ChronologyEntry,
    Concern,
    Meeting,
    MinuteNote,
    Person,
    Referral,
    ReferralChase,
    ReferralEvent,
    RegisterCategory,
    RegisterEntry,
    RegisterReview,
    utcnow,
)
from coordinator_tui.services.errors import CoordinatorError


class ChronologyError(CoordinatorError):
    """Bad input for a manual chronology entry."""


@dataclass(frozen=True)
class ChronologyItem:
    """One dated line of the chronology."""

    on: date
    kind: str
    source: str
    text: str


def _day(moment) -> date:
    return to_local(moment).date() if hasattr(moment, "hour") else moment


def chronology(session: Session, person_id: int) -> list[ChronologyItem]:
    """Every dated event for ``person_id``, oldest first (ties keep source order).

    All the sources but what was shared are read in ONE statement (a ``UNION ALL`` of
    one indexed select per source, :func:`_sources`): on a PCN's shared PostgreSQL each
    statement is a network round trip, and the person record opens within its 100 ms
    whatever the person has on record (issue 23 §5; it was nine or ten statements). The
    person record reads the same selects within its own one statement
    (``services.people.person_record``) and builds the items with
    :func:`chronology_from_rows`."""
    from coordinator_tui.services.reports.sharing import chronology_items  # what was shared

    rows = session.execute(_sources(person_id)).all()
    return chronology_from_rows(rows, chronology_items(session, person_id))


def chronology_from_rows(rows, shared: list[ChronologyItem]) -> list[ChronologyItem]:
    """The chronology from the rows of :func:`source_selects` (rows of any other source,
    numbered from :data:`SOURCES` on, are left out) and the items of what was shared."""
    items: list[ChronologyItem] = []
    rows = sorted((r for r in rows if r[0] < SOURCES), key=lambda r: (r[0], r[1], r[2] or 0))
    for source, _id, _sub, day, day2, at, t1, t2, t3, t4, t5 in rows:
        if source == _REGISTERED:
            items.append(ChronologyItem(day, "register", "Registers", f"Added to {t1}"))
            if day2:
                items.append(ChronologyItem(day2, "register", "Registers", f"Ended {t1}: {t2}"))
        elif source == _REVIEW:
            text = f"{t1}: {t2} by {t4}" + (f" — {t3}" if t3 else "")
            items.append(ChronologyItem(day, "review", "Registers", text))
        elif source == _CONCERN:
            who = f"{t2} ({t3})" if t3 else t2
            text = f"Concern ({t1.replace('_', ' ')}) raised by {who}: {t4} [{t5}]"
            items.append(ChronologyItem(day, "concern", "Concerns", text))
        elif source == _REFERRAL_EVENT:
            text = f"{t1} referral {t2.replace('_', ' ')}" + (f": {t3}" if t3 else "")
            items.append(ChronologyItem(_day(at), "referral", "Referrals", text))
        elif source == _CHASE:
            text = f"{t1} referral chased by {t2} with {t3 or '—'}" + (f": {t4}" if t4 else "")
            items.append(ChronologyItem(_day(at), "chase", "Referrals", text))
        elif source == _CONFERENCE:
            label = t1.replace("_", " ")
            if day2:
                items.append(
                    ChronologyItem(day2, "conference", "Conferences", f"{label} held: {t2}")
                )
            else:
                items.append(ChronologyItem(day, "conference", "Conferences", f"{label} due"))
        elif source == _MEETING:
            text = f"Discussed at {t1}" + (f": {t2}" if t2 else "")
            items.append(ChronologyItem(_day(at), "meeting", "Meetings", text))
        elif source == _ACTION:
            text = f"Action for {t2 or 'practice'}: {t1}"
            if day:
                text += f" (due {uk_date(day)}, {t3})"
            items.append(ChronologyItem(_day(at), "action", "Actions", text))
        else:  # _MANUAL
            items.append(ChronologyItem(day, t2, t1 or "Manual", t3))
    items.extend(shared)
    items.sort(key=lambda item: item.on)
    return items


(
    _REGISTERED,
    _REVIEW,
    _CONCERN,
    _REFERRAL_EVENT,
    _CHASE,
    _CONFERENCE,
    _MEETING,
    _ACTION,
    _MANUAL,
) = range(9)
"""The chronology's sources, in the order their items are listed when dated alike."""

SOURCES = _MANUAL + 1
"""Sources of a statement that reads more than the chronology are numbered from here."""


def row(source, row_id, sub=None, day=None, day2=None, at=None, *texts):
    """A select's columns as every source gives them: the source, the row's id and a
    second id (the order within a source), two dates, a moment, five texts; a typed NULL
    for those a source has not (the person record's own sources use the same columns)."""
    texts = texts + (None,) * (5 - len(texts))
    return [
        literal_column(str(source), Integer).label("source"),
        row_id.label("row_id"),
        (sub if sub is not None else cast(null(), Integer)).label("sub"),
        (day if day is not None else cast(null(), Date)).label("day"),
        (day2 if day2 is not None else cast(null(), Date)).label("day2"),
        (at if at is not None else cast(null(), DateTime)).label("at"),
        *(
            (text if text is not None else cast(null(), String)).label(f"t{i}")
            for i, text in enumerate(texts, 1)
        ),
    ]


def _sources(person_id: int):
    """The chronology's sources in one ``UNION ALL`` (:func:`source_selects`)."""
    return union_all(*source_selects(person_id))


def source_selects(person_id: int | ColumnElement[int]) -> list:
    """One select per source, each through an index on the person (or on the rows of
    the person's entries and referrals), as the same columns (:func:`row`). ``person_id``
    may be a bound parameter (a statement built once, ``services.people``)."""
    entry_of_person = RegisterEntry.person_id == person_id
    referral_of_person = Referral.person_id == person_id
    return [
        select(
            *row(
                _REGISTERED,
                RegisterEntry.id,
                None,
                RegisterEntry.start_date,
                RegisterEntry.end_date,
                None,
                RegisterCategory.name,
                RegisterEntry.end_reason,
            )
        )
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(entry_of_person),
        select(
            *row(
                _REVIEW,
                RegisterReview.id,
                None,
                RegisterReview.reviewed_on,
                None,
                None,
                RegisterCategory.name,
                RegisterReview.action,
                RegisterReview.note,
                RegisterReview.reviewed_by,
            )
        )
        .join(RegisterEntry, RegisterEntry.id == RegisterReview.entry_id)
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(entry_of_person, RegisterReview.action != "ended"),
        select(
            *row(
                _CONCERN,
                Concern.id,
                None,
                Concern.raised_on,
                None,
                None,
                Concern.category,
                Concern.raised_by,
                Concern.raised_by_role,
                Concern.details,
                Concern.status,
            )
        ).where(Concern.person_id == person_id),
        select(
            *row(
                _REFERRAL_EVENT,
                ReferralEvent.id,
                None,
                None,
                None,
                ReferralEvent.at,
                Referral.referral_type,
                ReferralEvent.to_state,
                ReferralEvent.note,
            )
        )
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(referral_of_person),
        select(
            *row(
                _CHASE,
                ReferralChase.id,
                None,
                None,
                None,
                ReferralChase.chased_at,
                Referral.referral_type,
                ReferralChase.method,
                ReferralChase.to_whom,
                ReferralChase.note,
            )
        )
        .join(Referral, Referral.id == ReferralChase.referral_id)
        .where(referral_of_person),
        select(
            *row(
                _CONFERENCE,
                CaseConference.id,
                None,
                CaseConference.due_date,
                CaseConference.held_on,
                None,
                CaseConference.kind,
                CaseConference.outcome,
            )
        ).where(CaseConference.person_id == person_id),
        select(
            *row(
                _MEETING,
                AgendaItem.id,
                MinuteNote.id,
                None,
                None,
                Meeting.starts_at,
                Meeting.title,
                MinuteNote.text,
            )
        )
        .select_from(AgendaItem)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .outerjoin(MinuteNote, MinuteNote.agenda_item_id == AgendaItem.id)
        .where(AgendaItem.person_id == person_id, AgendaItem.discussed.is_(True)),
        select(
            *row(
                _ACTION,
                Action.id,
                None,
                Action.due_date,
                None,
                Action.created_at,
                Action.description,
                Action.owner_label,
                Action.status,
            )
        ).where(Action.person_id == person_id),
        select(
            *row(
                _MANUAL,
                ChronologyEntry.id,
                None,
                ChronologyEntry.occurred_on,
                None,
                None,
                ChronologyEntry.source,
                ChronologyEntry.kind,
                ChronologyEntry.text,
            )
        ).where(ChronologyEntry.person_id == person_id),
    ]


def add_manual_entry(
    session: Session, person_id: int, *, on: date, source: str, text: str, by: str, today: date
) -> ChronologyEntry:
    """A manual chronology entry (``n``): a date not in the future, a source, the text."""
    text, source = text.strip(), source.strip()
    if not text:
        raise ChronologyError("Write what happened")
    if not source:
        raise ChronologyError("Say where this came from (e.g. school, health visitor)")
    if on > today:
        raise ChronologyError("A chronology entry cannot be dated in the future")
    if session.get(Person, person_id) is None:
        raise ChronologyError("That person no longer exists")
    entry = ChronologyEntry(
        person_id=person_id,
        occurred_on=on,
        source=source[:120],
        kind="note",
        text=text,
        created_by=by,
    )
    session.add(entry)
    session.flush()
    return entry


CASE_SUMMARY = "the case summary"


def update_case_summary(
    session: Session, person_id: int, text: str, *, base: str | None = None
) -> Person:
    """Replace the case summary and stamp when it was last updated.

    ``base`` is the summary the editor started from. If someone else saved the summary
    meanwhile, what both added to the end is merged (the person returned holds the merged
    summary), and anything else raises :class:`TextConflictError` with both versions,
    writing nothing, so that one coordinator's summary never silently replaces another's.
    The check is on the summary's own text, not the person's version: a change of address
    meanwhile is no conflict. ``base=None`` (scripts, tests) writes ``text`` as it is."""
    from coordinator_tui.services.text_merge import (
        TextConflict,
        TextConflictError,
        last_change,
        reconcile,
    )

    person = session.get(Person, person_id)
    if person is None:
        raise ChronologyError("That person no longer exists")
    text = text.strip()
    stored = person.case_summary
    if base is not None and stored != base.strip():
        merged = reconcile(base.strip(), text, stored)
        if merged is None:
            by, at = last_change(session, "person", person_id, "case_summary")
            conflict = TextConflict(CASE_SUMMARY, base.strip(), text, stored, by, at)
            raise TextConflictError(conflict)
        text = merged
    if text == stored:
        return person
    person.case_summary = text
    person.case_summary_updated_at = utcnow()
    session.flush()
    return person


def to_markdown(title: str, items: list[ChronologyItem]) -> str:
    """The chronology as a Markdown table (pipes in text escaped)."""
    lines = [
        f"# Chronology: {title}",
        "",
        "| Date | Source | What happened |",
        "| --- | --- | --- |",
    ]
    for item in items:
        text = item.text.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {uk_date(item.on)} | {item.source} | {text} |")
    return "\n".join(lines) + "\n"


def to_csv(items: list[ChronologyItem]) -> str:
    """The chronology as CSV: date (ISO), kind, source, text (formula-safe cells)."""
    from coordinator_tui.services.exporting import csv_text

    rows = ([item.on.isoformat(), item.kind, item.source, item.text] for item in items)
    return csv_text(["date", "kind", "source", "text"], rows)


def export_chronology(
    folder: Path,
    title: str,
    person_id: int,
    items: list[ChronologyItem],
    *,
    session: Session,
) -> list[Path]:
    """Write the chronology as Markdown and CSV into ``folder`` (created 0700, files 0600:
    they hold patient details). File names carry the record id, not the name. The
    ``session`` is required: it decides how the files are written (``export_sink``: the
    export allowed, the password given lately, encrypted from an encrypted database) and
    records the export in the audit trail. Without it a caller could write an encrypted
    database's chronology as plain files."""
    from coordinator_tui.audit import record_export
    from coordinator_tui.services.exporting import export_sink

    sink = export_sink(session)  # allowed, the password given lately, encrypted if need be
    record_export(
        session,
        "chronology",
        "person",
        person_id,
        ["md", "csv"],
        files=2,
        encrypted=sink.encrypted,
    )

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = re.sub(r"[^0-9]", "", utcnow().isoformat())[:14]
    paths = []
    for suffix, content in (("md", to_markdown(title, items)), ("csv", to_csv(items))):
        path = folder / f"chronology-{person_id}-{stamp}.{suffix}"
        paths.append(sink.write(path, content))
    return paths
