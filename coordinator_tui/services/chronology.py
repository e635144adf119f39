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

from sqlalchemy import select
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
    """Every dated event for ``person_id``, oldest first (ties keep source order)."""
    items: list[ChronologyItem] = []
    entries = session.execute(
        select(
            RegisterEntry.id,
            RegisterCategory.name,
            RegisterEntry.start_date,
            RegisterEntry.end_date,
            RegisterEntry.end_reason,
        )
        .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
        .where(RegisterEntry.person_id == person_id)
    ).all()
    names = {entry_id: name for entry_id, name, *_ in entries}
    for _entry_id, name, start, end, reason in entries:
        items.append(ChronologyItem(start, "register", "Registers", f"Added to {name}"))
        if end:
            items.append(ChronologyItem(end, "register", "Registers", f"Ended {name}: {reason}"))
    if names:
        for entry_id, on, action, note, by in session.execute(
            select(
                RegisterReview.entry_id,
                RegisterReview.reviewed_on,
                RegisterReview.action,
                RegisterReview.note,
                RegisterReview.reviewed_by,
            ).where(RegisterReview.entry_id.in_(list(names)), RegisterReview.action != "ended")
        ).all():
            text = f"{names[entry_id]}: {action} by {by}" + (f" — {note}" if note else "")
            items.append(ChronologyItem(on, "review", "Registers", text))
    for raised_on, category, raised_by, role, details, status in session.execute(
        select(
            Concern.raised_on,
            Concern.category,
            Concern.raised_by,
            Concern.raised_by_role,
            Concern.details,
            Concern.status,
        ).where(Concern.person_id == person_id)
    ).all():
        who = f"{raised_by} ({role})" if role else raised_by
        text = f"Concern ({category.replace('_', ' ')}) raised by {who}: {details} [{status}]"
        items.append(ChronologyItem(raised_on, "concern", "Concerns", text))
    referrals = dict(
        session.execute(
            select(Referral.id, Referral.referral_type).where(Referral.person_id == person_id)
        ).all()
    )
    if referrals:
        for referral_id, at, to_state, note in session.execute(
            select(
                ReferralEvent.referral_id,
                ReferralEvent.at,
                ReferralEvent.to_state,
                ReferralEvent.note,
            ).where(ReferralEvent.referral_id.in_(list(referrals)))
        ).all():
            text = f"{referrals[referral_id]} referral {to_state.replace('_', ' ')}"
            items.append(
                ChronologyItem(
                    _day(at), "referral", "Referrals", text + (f": {note}" if note else "")
                )
            )
        for referral_id, at, method, to_whom, note in session.execute(
            select(
                ReferralChase.referral_id,
                ReferralChase.chased_at,
                ReferralChase.method,
                ReferralChase.to_whom,
                ReferralChase.note,
            ).where(ReferralChase.referral_id.in_(list(referrals)))
        ).all():
            text = f"{referrals[referral_id]} referral chased by {method} with {to_whom or '—'}"
            items.append(
                ChronologyItem(_day(at), "chase", "Referrals", text + (f": {note}" if note else ""))
            )
    for kind, due, held, outcome in session.execute(
        select(
            CaseConference.kind,
            CaseConference.due_date,
            CaseConference.held_on,
            CaseConference.outcome,
        ).where(CaseConference.person_id == person_id)
    ).all():
        label = kind.replace("_", " ")
        if held:
            items.append(
                ChronologyItem(held, "conference", "Conferences", f"{label} held: {outcome}")
            )
        else:
            items.append(ChronologyItem(due, "conference", "Conferences", f"{label} due"))
    for starts_at, title, notes in session.execute(
        select(Meeting.starts_at, Meeting.title, MinuteNote.text)
        .select_from(AgendaItem)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .outerjoin(MinuteNote, MinuteNote.agenda_item_id == AgendaItem.id)
        .where(AgendaItem.person_id == person_id, AgendaItem.discussed.is_(True))
    ).all():
        text = f"Discussed at {title}" + (f": {notes}" if notes else "")
        items.append(ChronologyItem(_day(starts_at), "meeting", "Meetings", text))
    for created, description, owner, due, status in session.execute(
        select(
            Action.created_at,
            Action.description,
            Action.owner_label,
            Action.due_date,
            Action.status,
        ).where(Action.person_id == person_id)
    ).all():
        text = f"Action for {owner or 'practice'}: {description}"
        if due:
            text += f" (due {uk_date(due)}, {status})"
        items.append(ChronologyItem(_day(created), "action", "Actions", text))
    for on, source, kind, text in session.execute(
        select(
            ChronologyEntry.occurred_on,
            ChronologyEntry.source,
            ChronologyEntry.kind,
            ChronologyEntry.text,
        ).where(ChronologyEntry.person_id == person_id)
    ).all():
        items.append(ChronologyItem(on, kind, source or "Manual", text))
    from coordinator_tui.services.reports.sharing import chronology_items  # what was shared

    items.extend(chronology_items(session, person_id))
    items.sort(key=lambda item: item.on)
    return items


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
    session: Session | None = None,
) -> list[Path]:
    """Write the chronology as Markdown and CSV into ``folder`` (created 0700, files 0600:
    they hold patient details). File names carry the record id, not the name. With the
    ``session`` (the app always passes it) the export is recorded in the audit trail."""
    from coordinator_tui.services.exporting import PLAIN, export_sink

    sink = PLAIN
    if session is not None:
        from coordinator_tui.audit import record_export

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
