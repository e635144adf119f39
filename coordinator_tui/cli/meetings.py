"""``coordinator-tui meeting ...`` and ``coordinator-tui actions``: meeting papers prepared
outside the app (issue 5 section 8).

``meeting list [--upcoming] [--json]``, ``meeting invite ID --out FILE.ics`` (the e-mail
text is printed, or written with ``--email FILE``), ``meeting minutes ID --format md|docx
--out FILE``, ``meeting entries ID --out DIR`` (one clinical-record entry per person
discussed), ``actions [--overdue] [--owner X] [--json]``.

Kept out of ``cli.py`` so that file stays small; ``cli.py`` calls :func:`register` to add
these commands to the main app. Nothing here imports Textual, and the database layer is
imported inside each command (``tests/test_import_hygiene.py``).
"""

# No ``from __future__ import annotations``: typer reads the option annotations of the
# commands defined inside register(), where DbOption is a local name.
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from coordinator_tui.formatting import day_datetime, uk_date


class MinutesFormat(StrEnum):
    md = "md"
    docx = "docx"


class ActionKind(StrEnum):
    """``actions --kind``: the trackers of ``services.meetings.actions.KINDS`` (named here,
    not imported, so the command line loads no service until it runs), or all of them."""

    MEETING = "meeting"
    INCIDENT = "incident"
    COVER = "cover"
    ALL = "all"


def register(app: typer.Typer) -> None:
    """Add ``meeting`` (a group) and ``actions`` to the main command line."""
    from coordinator_tui.cli.common import DbOption, run_job

    meeting_app = typer.Typer(
        help="Safeguarding meetings: list them, write invitations, export minutes."
    )
    app.add_typer(meeting_app, name="meeting")

    @meeting_app.command("list")
    def meeting_list(
        db: DbOption = None,
        upcoming: Annotated[
            bool, typer.Option("--upcoming", help="Only meetings from today not yet finished.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
    ) -> None:
        """Meetings, newest first (--upcoming: soonest first), with agenda counts."""
        from coordinator_tui.services.meetings.series import list_meetings

        rows = run_job(
            db, lambda s, today: list_meetings(s, upcoming_from=today if upcoming else None)
        )
        if as_json:
            typer.echo(json.dumps([_meeting_json(row) for row in rows], indent=2))
            return
        if not rows:
            typer.echo("No meetings.")
            return
        for row in rows:
            agenda = f"{row.items_included} items" + (
                f", {row.items_proposed} to triage" if row.items_proposed else ""
            )
            typer.echo(
                f"{row.id:>5}  {day_datetime(row.starts_at)}  {row.status:<11}  "
                f"{row.practice:<8}  {row.title}  ({agenda})"
            )

    @meeting_app.command("invite")
    def meeting_invite(
        meeting_id: Annotated[int, typer.Argument(metavar="ID", help="The meeting's number.")],
        out: Annotated[Path, typer.Option("--out", help="The .ics file to write.")],
        db: DbOption = None,
        email: Annotated[
            Path | None,
            typer.Option("--email", help="Also write the e-mail text here (else it is printed)."),
        ] = None,
    ) -> None:
        """Write the invitation as iCalendar and give the e-mail text (no patient details)."""
        from coordinator_tui.audit import record_export
        from coordinator_tui.services.meetings.invites import email_text, write_email, write_ics

        def job(session: Any, _today: Any) -> tuple[Path, str]:
            # Each file written, and the text printed, is recorded in the audit trail.
            written = write_ics(session, meeting_id, out.expanduser())
            if email is not None:
                write_email(session, meeting_id, email.expanduser())
                return written, ""
            record_export(session, "invitation", "meeting", meeting_id, "printed")
            return written, email_text(session, meeting_id)

        written, text = run_job(db, job)
        if email is not None:
            typer.echo(f"Invitation written to {written}; e-mail text to {email}")
        else:
            typer.echo(f"Invitation written to {written}", err=True)
            typer.echo(text, nl=False)

    @meeting_app.command("minutes")
    def meeting_minutes(
        meeting_id: Annotated[int, typer.Argument(metavar="ID", help="The meeting's number.")],
        out: Annotated[Path, typer.Option("--out", help="The file to write.")],
        db: DbOption = None,
        fmt: Annotated[
            MinutesFormat, typer.Option("--format", help="Markdown or Word.")
        ] = MinutesFormat.md,
        internal: Annotated[
            bool,
            typer.Option(
                "--internal",
                help="The coordinator's INTERNAL version: also lists every item carried "
                "forward, not triaged or dropped (its file name says INTERNAL).",
            ),
        ] = False,
    ) -> None:
        """Export the meeting record to circulate: the items discussed, the rest counted
        (holds patient details: the file is owner-only)."""
        from coordinator_tui.services.meetings.minutes import export_minutes

        path = out.expanduser()
        if not path.suffix:
            path = path.with_suffix(f".{fmt.value}")
        written = run_job(
            db,
            lambda s, _today: export_minutes(s, meeting_id, fmt.value, path, internal=internal),
        )
        label = "INTERNAL minutes (not for circulation)" if internal else "Minutes"
        typer.echo(f"{label} written to {written}")

    @meeting_app.command("entries")
    def meeting_entries(
        meeting_id: Annotated[int, typer.Argument(metavar="ID", help="The meeting's number.")],
        out: Annotated[
            Path, typer.Option("--out", help="The folder to write them to (made if need be).")
        ],
        db: DbOption = None,
    ) -> None:
        """Write each person's clinical-record entry from a finished meeting, one file per
        person named by NHS number, holding only that person's information (owner-only)."""
        from coordinator_tui.services.meetings.minutes import write_record_entries

        def job(session: Any, _today: Any) -> list[Path]:
            user = str(session.info.get("actor") or "")
            return write_record_entries(session, meeting_id, out.expanduser(), recorded_by=user)

        written = run_job(db, job)
        for path in written:
            typer.echo(str(path))
        typer.echo(f"{len(written)} record entries written to {out}", err=True)

    @app.command("actions")
    def actions_command(
        db: DbOption = None,
        overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue actions.")] = False,
        owner: Annotated[
            str | None, typer.Option("--owner", help="Name, initials or role (e.g. HV).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="A JSON list.")] = False,
        kind: Annotated[
            list[ActionKind] | None,
            typer.Option(
                "--kind",
                help="Which tracker: meeting (the default), incident (Governance), cover "
                "(the rota's cover tasks) or all; repeat for more than one.",
            ),
        ] = None,
    ) -> None:
        """Open actions, by due date; overdue ones say OVERDUE. The meetings' own by
        default; --kind lists an incident's actions or the rota's cover tasks too, as far
        as your roles allow."""
        from coordinator_tui.services.meetings.actions import (
            KIND_NAMES,
            KINDS,
            MEETING,
            open_actions,
        )

        wanted = [k.value for k in kind or [ActionKind.MEETING]]
        kinds = tuple(KINDS) if "all" in wanted else tuple(dict.fromkeys(wanted)) or (MEETING,)

        def job(session: Any, today: Any) -> tuple[list, Any]:
            rows = open_actions(
                session, today=today, owner=owner, overdue_only=overdue, kinds=kinds
            )
            return rows, today

        rows, today = run_job(db, job)
        if as_json:
            typer.echo(json.dumps([_action_json(row, today) for row in rows], indent=2))
            return
        if not rows:
            typer.echo("No open actions.")
            return
        for row in rows:
            state = "OVERDUE" if row.is_overdue(today) else "open"
            due = uk_date(row.due_date) if row.due_date else "no date"
            typer.echo(
                f"{row.id:>5}  {state:<7}  {due:<10}  {row.owner or '—':<20}  {row.description}"
                + (f"  [{row.person_name}]" if row.person_name else "")
                + (f"  ({KIND_NAMES[row.kind]})" if len(kinds) > 1 else "")
            )


def _meeting_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "starts_at": row.starts_at.isoformat(),
        "duration_minutes": row.duration_minutes,
        "location": row.location,
        "status": row.status,
        "series_id": row.series_id,
        "practice": row.practice,
        "items_included": row.items_included,
        "items_to_triage": row.items_proposed,
    }


def _action_json(row: Any, today: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "description": row.description,
        "owner": row.owner,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "overdue": row.is_overdue(today),
        "meeting_id": row.meeting_id,
        "meeting_title": row.meeting_title,
        "meeting_day": row.meeting_day.isoformat() if row.meeting_day else None,
        "person": row.person_name,
        "last_chased_at": row.last_chased_at.isoformat() if row.last_chased_at else None,
        "kind": row.kind,
        "incident_id": row.incident_id,
    }
