"""The access report (issue 17 §4): over the audit trail, who viewed which records, views
outside the viewer's practices, break-glass uses, out-of-hours bursts and bulk exports.
The service per role, the CLI (``report access``) and the screen (Reports, 7, ``a``)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from pilot_helpers import wait_for
from sqlmodel import select
from typer.testing import CliRunner

from coordinator_tui import audit
from coordinator_tui.db import session_scope
from coordinator_tui.models import Person
from coordinator_tui.services import access, accounts
from coordinator_tui.services.access import NotPermittedError
from coordinator_tui.services.people import person_summary
from coordinator_tui.services.reports.access import access_report, out_of_hours

DAY = date(2026, 11, 20)  # a Friday
REASON = "Urgent MASH strategy call about this child"


def at(hour: int, minute: int = 0, day: int = 20) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # GMT in November: UK time


@pytest.fixture
def trail(small_demo_engine, monkeypatch):
    """A day of the audit trail: a practice-level coordinator opens one of their own
    people, one elsewhere by break-glass; a night-time burst of reads; six exports."""
    clock = [at(9)]
    monkeypatch.setattr(audit, "utcnow", lambda: clock[0])
    with session_scope(small_demo_engine, "read") as s:
        people = s.exec(
            select(Person.id, Person.practice_id)
            .where(Person.practice_id.is_not(None))
            .order_by(Person.id)
        ).all()
    own_id, own_practice = people[0]
    other_id, other_practice = next(p for p in people if p[1] != own_practice)
    with session_scope(small_demo_engine, "admin.os") as s:
        accounts.create_account(
            s,
            "gp.one",
            "Gp One",
            "tea kettle owl",
            ["safeguarding_coordinator"],
            at(8),
            practice_ids=[own_practice],
        )
    gp = access.make_principal("gp.one", ["safeguarding_coordinator"], practice_ids=[own_practice])
    with session_scope(small_demo_engine, gp) as s:
        person_summary(s, own_id)
        clock[0] = at(9, 5)
        person_summary(s, other_id, reason=REASON)
    night = access.make_principal("night.owl", ["safeguarding_lead"])
    for minute in range(6):  # 22:00 to 22:05 on the Friday night
        clock[0] = at(22, minute)
        with session_scope(small_demo_engine, night) as s:
            audit.record_read(s, "person", own_id)
    for minute in range(6):
        clock[0] = at(14, minute)
        with session_scope(small_demo_engine, night) as s:
            audit.record_export(s, "chronology", "person", own_id, ["md", "csv"], files=2)
    return {"own": own_id, "other": other_id, "other_practice": other_practice}


def lead():
    return access.make_principal("jo.lead", ["safeguarding_lead"])


def test_the_report_flags_what_the_lead_reviews(small_demo_engine, trail):
    with session_scope(small_demo_engine, lead()) as s:
        report = access_report(s, DAY, DAY)
    assert [(u.actor, u.row_id, u.reason) for u in report.break_glass] == [
        ("gp.one", trail["other"], REASON)
    ]
    assert report.break_glass[0].why == "outside your practices"
    assert [(v.actor, v.row_id, v.practice_id, v.break_glass) for v in report.outside] == [
        ("gp.one", trail["other"], trail["other_practice"], True)
    ]
    assert [(b.actor, b.day, b.reads) for b in report.bursts] == [("night.owl", DAY, 6)]
    assert [(b.actor, b.exports, b.files, b.kinds) for b in report.bulk_exports] == [
        ("night.owl", 6, 12, ("chronology",))
    ]
    viewed = {(v.actor, v.table_name, v.row_id): v.views for v in report.views}
    assert viewed[("night.owl", "person", trail["own"])] == 6
    assert viewed[("gp.one", "person", trail["own"])] == 1
    assert viewed[("gp.one", "person", trail["other"])] == 1
    # Another day holds none of it.
    with session_scope(small_demo_engine, lead()) as s:
        other_day = access_report(s, date(2026, 11, 21), date(2026, 11, 21))
    assert not (other_day.views or other_day.break_glass or other_day.bursts)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("safeguarding_lead", True),
        ("read_only_auditor", True),
        ("administrator", True),
        ("safeguarding_coordinator", False),
        ("safeguarding_administrator", False),
        ("homecare_coordinator", False),
        ("care_supervisor", False),
    ],
)
def test_only_audit_review_may_read_it(small_demo_engine, role, allowed):
    principal = access.make_principal("u", [role])
    if allowed:
        with session_scope(small_demo_engine, principal) as s:
            assert access_report(s, DAY, DAY).start == DAY
    else:
        with pytest.raises(NotPermittedError), session_scope(small_demo_engine, principal) as s:
            access_report(s, DAY, DAY)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 20, 7, 59), True),
        (datetime(2026, 11, 20, 8, 0), False),
        (datetime(2026, 11, 20, 18, 29), False),
        (datetime(2026, 11, 20, 18, 30), True),
        (datetime(2026, 11, 21, 12, 0), True),  # Saturday
    ],
)
def test_out_of_hours(moment, expected):
    assert out_of_hours(moment) is expected


def test_cli_report_access_json(small_demo_engine, small_demo_path, trail, monkeypatch):
    from coordinator_tui.cli import app
    from coordinator_tui.models.accounts import Account

    with session_scope(small_demo_engine, "admin.os") as s:  # the lead who reads it
        lead_id = accounts.create_account(
            s, "lead.one", "Lead One", "lead kettle owl", ["safeguarding_lead"], at(8)
        )
        s.get(Account, lead_id).must_change_password = False  # as after the first sign-in
    small_demo_engine.dispose()
    args = ["--user", "lead.one", "report", "access", "--db", str(small_demo_path)]
    args += ["--from", "20/11/2026"]
    monkeypatch.setenv("COORDINATOR_TUI_PASSWORD", "lead kettle owl")
    result = CliRunner().invoke(app, [*args, "--to", "20/11/2026", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [u["reason"] for u in data["break_glass"]] == [REASON]
    assert data["bursts"][0]["reads"] == 6
    text = CliRunner().invoke(app, [*args, "--to", "20/11/2026"])
    assert text.exit_code == 0
    assert "BREAK-GLASS USES (1)" in text.output and REASON in text.output


async def test_reports_a_opens_the_access_report(demo_settings, small_demo_engine, trail):
    from test_accounts_app import screen_text

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.reports.access import AccessReportScreen
    from coordinator_tui.screens.reports.reports import ReportsScreen

    app = make_app(demo_settings, small_demo_engine, principal=lead())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded)
        await pilot.press("a")
        await wait_for(
            pilot, lambda: isinstance(app.screen, AccessReportScreen) and app.screen.loaded
        )
        shown = " ".join(screen_text(app).split())
        assert "Break-glass uses (1)" in shown and "gp.one" in shown and "Urgent MASH" in shown
        assert "Out-of-hours bursts (1)" in shown and "Bulk exports (1)" in shown
        assert app.screen.report.break_glass[0].row_id == trail["other"]


async def test_the_access_report_is_refused_on_screen_to_a_coordinator(
    demo_settings, small_demo_engine
):
    from test_accounts_app import screen_text

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.reports.access import AccessReportScreen

    coordinator = access.make_principal("co", ["safeguarding_coordinator"])
    app = make_app(demo_settings, small_demo_engine, principal=coordinator)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await pilot.pause()
        await pilot.press("a")
        await wait_for(
            pilot, lambda: isinstance(app.screen, AccessReportScreen) and app.screen.loaded
        )
        assert "Not permitted" in " ".join(screen_text(app).split())
        assert app.screen.report is None
