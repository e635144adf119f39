"""Invitations never name a person (issue 12 section 6): a title or place holding anyone's
family name, initial and family name, full name, NHS number (any spacing) or date of birth
(short forms too) is refused with one line saying which field and why; nothing is
blanked out and sent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from typer.testing import CliRunner

from coordinator_tui.cli import app as cli_app
from coordinator_tui.db import new_session, session_scope
from coordinator_tui.models import AuditEvent, Meeting, Person
from coordinator_tui.services.meetings import invites
from coordinator_tui.services.meetings.invites import (
    InvitationRefused,
    check_invitation_fields,
    person_in_text,
)

JANE = dict(given_name="Jane", family_name="Okafor", nhs_number="9434765919", dob=date(2019, 12, 3))


@pytest.fixture
def people(engine):
    _add_people(engine)
    return engine


def _add_people(engine) -> None:
    with session_scope(engine, "setup") as s:
        s.add(
            Person(
                given_name=JANE["given_name"],
                family_name=JANE["family_name"],
                nhs_number=JANE["nhs_number"],
                date_of_birth=JANE["dob"],
            )
        )
        s.add(
            Person(
                given_name="Ruth",
                family_name="May",
                nhs_number="9990000026",
                date_of_birth=date(1950, 5, 1),
            )
        )
        s.add(
            Meeting(
                title="PCN safeguarding MDT May 2027",
                starts_at=datetime(2027, 5, 4, 11, 30, tzinfo=UTC),
                duration_minutes=60,
                location="Meeting room 1 / Teams",
            )
        )


FORMS = [
    ("Review Okafor", "Okafor", "the family name"),
    ("Review OKAFOR", "OKAFOR", "the family name"),
    ("re J Okafor", "J Okafor", "the initial and family name"),
    ("re j. okafor", "j. okafor", "the initial and family name"),
    ("re Jane Okafor", "Jane Okafor", "the name"),
    ("OKAFOR, Jane", "OKAFOR, Jane", "the name"),
    ("jane okafor", "jane okafor", "the name"),
    ("Ruth May", "Ruth May", "the name"),  # May is a month too, not alone
    ("R. May review", "R. May", "the initial and family name"),
    ("NHS 9434765919", "9434765919", "the NHS number"),
    ("NHS 943 476 5919", "943 476 5919", "the NHS number"),
    ("NHS 943-476-5919", "943-476-5919", "the NHS number"),
    ("NHS 943  476  5919", "943  476  5919", "the NHS number"),
    ("child born 3/12/19", "3/12/19", "the date of birth"),
    ("child born 03/12/2019", "03/12/2019", "the date of birth"),
    ("child born 3.12.19", "3.12.19", "the date of birth"),
    ("child born 3 Dec 2019", "3 Dec 2019", "the date of birth"),
    ("child born 3rd December 2019", "3rd December 2019", "the date of birth"),
    ("child born Dec 3 2019", "Dec 3 2019", "the date of birth"),
    ("child born 2019-12-03", "2019-12-03", "the date of birth"),
]


@pytest.mark.parametrize(("title", "written", "kind"), FORMS)
def test_each_form_is_found(people, title, written, kind):
    with session_scope(people, "t") as s:
        assert person_in_text(s, title) == invites.PersonMention(written, kind)


@pytest.mark.postgres
def test_each_form_is_found_postgres(pg_url):
    """The same lookups on PostgreSQL, where LIKE and equality are case-sensitive."""
    from coordinator_tui.db import open_database

    opened = open_database(pg_url)
    try:
        _add_people(opened.engine)
        with session_scope(opened.engine, "t") as s:
            found = [person_in_text(s, title) for title, _, _ in FORMS]
        assert found == [invites.PersonMention(w, k) for _, w, k in FORMS]
    finally:
        opened.engine.dispose()


@pytest.mark.parametrize(
    "title",
    [
        "PCN safeguarding MDT May 2027",  # a month, not Ruth May
        "Riverside safeguarding meeting 4 May 2027",  # nobody born then
        "Meeting room 1 / Teams",
        "okafor",  # a lower-case word alone is not written as a name
        "Call 01452 123456",  # eleven digits: no NHS number
        "",
    ],
)
def test_what_names_no_one_is_accepted(people, title):
    with session_scope(people, "t") as s:
        assert person_in_text(s, title) is None


def test_refused_in_one_line_and_nothing_written(people, tmp_path):
    with session_scope(people, "t") as s:
        meeting = s.exec(select(Meeting)).one()
        meeting.title = "MDT re J. Okafor"
        meeting_id = meeting.id
    with session_scope(people, "t") as s:
        with pytest.raises(InvitationRefused) as caught:
            invites.write_ics(s, meeting_id, tmp_path / "invite.ics")
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith("No invitation written: the meeting's title holds 'J. Okafor'")
        assert "initial and family name" in message
    assert not (tmp_path / "invite.ics").exists()
    with session_scope(people, "t") as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "export")).all() == []


def test_the_place_is_checked_too(people):
    with session_scope(people, "t") as s:
        meeting = s.exec(select(Meeting)).one()
        meeting.location = "Home visit, Okafor family"
        with pytest.raises(InvitationRefused, match="place holds 'Okafor', the family name"):
            invites.email_text(s, meeting.id)


def test_command_line_refuses_in_one_line(people, db_path, tmp_path, monkeypatch):
    with session_scope(people, "t") as s:
        meeting = s.exec(select(Meeting)).one()
        meeting.title = "Jane Okafor strategy"
        meeting_id = meeting.id
    result = CliRunner().invoke(
        cli_app,
        [
            "meeting",
            "invite",
            str(meeting_id),
            "--out",
            str(tmp_path / "i.ics"),
            "--db",
            str(db_path),
        ],
    )
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "title holds 'Jane Okafor', the name" in lines[0]
    assert "Traceback" not in result.output


# -- every form, for any person --------------------------------------------------------------

CALENDAR = {"may", "march", "june", "july", "august", "april", "sept", "sun", "mon", "wed"}
SAFE_WORDS = {"review", "case", "urgent", "notes", "safeguarding", "mdt", "re", "of"}
family_names = st.from_regex(r"[A-Z][a-z]{3,9}", fullmatch=True).filter(
    lambda n: n.lower() not in CALENDAR | SAFE_WORDS and n.lower()[:3] not in CALENDAR
)
given_names = st.from_regex(r"[A-Z][a-z]{2,8}", fullmatch=True).filter(
    lambda n: n.lower() not in SAFE_WORDS
)
births = st.dates(min_value=date(1920, 1, 1), max_value=date(2025, 12, 31))
nhs_numbers = st.from_regex(r"999[0-9]{7}", fullmatch=True)
MONTHS = "January February March April May June July August September October November December"


def _nhs_forms(nhs: str) -> st.SearchStrategy[str]:
    return st.sampled_from(["", " ", "-", "  ", " - "]).map(
        lambda sep: f"{nhs[:3]}{sep}{nhs[3:6]}{sep}{nhs[6:]}"
    )


def _birth_forms(born: date) -> list[str]:
    month = MONTHS.split()[born.month - 1]
    return [
        f"{born.day}/{born.month}/{born.year % 100:02d}",
        f"{born:%d/%m/%Y}",
        f"{born.day}.{born.month}.{born.year}",
        f"{born:%d-%m-%Y}",
        f"{born.day} {month[:3]} {born.year}",
        f"{born.day} {month} {born.year}",
        f"{month[:3]} {born.day} {born.year}",
        born.isoformat(),
    ]


@st.composite
def mentions(draw):
    given, family = draw(given_names), draw(family_names)
    nhs, born = draw(nhs_numbers), draw(births)
    kind = draw(st.sampled_from(["family", "initial", "name", "nhs", "birth"]))
    if kind == "family":
        written = draw(st.sampled_from([family, family.upper()]))
    elif kind == "initial":
        initial = draw(st.sampled_from([given[0], given[0].lower()]))
        dot = draw(st.sampled_from(["", "."]))
        written = (
            f"{initial}{dot} {draw(st.sampled_from([family, family.lower(), family.upper()]))}"
        )
    elif kind == "name":
        written = draw(
            st.sampled_from(
                [
                    f"{given} {family}",
                    f"{given.lower()} {family.lower()}",
                    f"{family}, {given}",
                    f"{family.upper()} {given}",
                    f"{family.upper()}, {given.upper()}",
                ]
            )
        )
    elif kind == "nhs":
        written = draw(_nhs_forms(nhs))
    else:
        written = draw(st.sampled_from(_birth_forms(born)))
    before = draw(st.sampled_from(["", "Review ", "MDT re ", "Safeguarding: "]))
    after = draw(st.sampled_from(["", " case", " (urgent)", " - notes"]))
    return (given, family, nhs, born), kind, written, before + written + after


KINDS = {
    "family": "the family name",
    "initial": "the initial and family name",
    "name": "the name",
    "nhs": "the NHS number",
    "birth": "the date of birth",
}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mentions())
def test_any_person_in_any_form_is_refused(engine, mention):
    (given_name, family, nhs, born), kind, written, title = mention
    session = new_session(engine, "prop")
    try:
        session.add(
            Person(given_name=given_name, family_name=family, nhs_number=nhs, date_of_birth=born)
        )
        session.flush()
        found = person_in_text(session, title)
        assert found is not None, title
        assert found.kind == KINDS[kind] and found.text == written, (title, found)
        meeting = Meeting(title="Safeguarding MDT", location=title, starts_at=datetime.now(UTC))
        with pytest.raises(InvitationRefused) as caught:
            check_invitation_fields(session, meeting)
        assert "\n" not in str(caught.value) and "place holds" in str(caught.value)
    finally:
        session.rollback()
        session.close()
