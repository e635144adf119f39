"""Reports (7) driven as a coordinator drives it: the list of reports, the coding audit
(import by path, one key per finding), the sharing record from the person record and the
sharing report. Each test asserts on the screen and on the database."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from pilot_helpers import shown_text, wait_for
from sqlmodel import func, select

from coordinator_tui.app import make_app
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Action,
    CodingAuditRun,
    CodingFinding,
    EntryStatus,
    FindingKind,
    FindingStatus,
    RegisterEntry,
    SharingRecord,
)
from coordinator_tui.screens.registers.person import PersonScreen
from coordinator_tui.screens.reports.coding_audit import CodingAuditScreen
from coordinator_tui.screens.reports.reports import ReportsScreen
from coordinator_tui.screens.reports.sharing import SharingDialog, SharingReportScreen
from coordinator_tui.widgets.lazy_table import LazyTable

TODAY = date(2026, 11, 23)
SIZE = (120, 40)


@pytest.fixture
def export_file(small_demo_engine, tmp_path) -> Path:
    """The small demo's own export (44 findings: 12, 8, 8, 8, 8 by class)."""
    from coordinator_tui.demo.coding import demo_export

    with session_scope(small_demo_engine, "t") as s:
        demo = demo_export(s, today=TODAY)
    path = tmp_path / "export.csv"
    path.write_text(demo.text)
    return path


def count(engine, model, *where) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def finding(engine, finding_id: int) -> CodingFinding:
    with session_scope(engine, "t") as s:
        row = s.get(CodingFinding, finding_id)
        s.expunge(row)
        return row


async def open_reports(pilot, app) -> ReportsScreen:
    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded)
    return app.screen


async def open_coding(pilot, app) -> CodingAuditScreen:
    await open_reports(pilot, app)
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(app.screen, CodingAuditScreen) and app.screen.loaded)
    return app.screen


async def import_file(pilot, app, path: Path) -> CodingAuditScreen:
    screen = await open_coding(pilot, app)
    await pilot.press("i")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FormDialog")
    await pilot.press(*str(path), "ctrl+s")
    await wait_for(pilot, lambda: app.screen is screen and screen.summary is not None, 30)
    await pilot.pause()
    return screen


async def next_class(pilot, screen: CodingAuditScreen, kind: str) -> None:
    """``]`` until the list shows ``kind`` only."""
    for _ in range(6):
        if screen.kind == kind and screen.loaded:
            break
        screen.loaded = False
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: screen.loaded)
    await wait_for(
        pilot, lambda: screen.highlighted() is not None and screen.highlighted().kind == kind
    )


class TestReportsList:
    async def test_seven_lists_the_reports_and_enter_opens_the_coding_audit(
        self, demo_settings, small_demo_engine
    ):
        app = make_app(demo_settings, small_demo_engine)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_reports(pilot, app)
            table = screen.query_one(LazyTable)
            keys = [row.key for row in table.source.rows(0, table.row_count)]
            assert keys == [
                "coding",
                "sharing",
                "updates",
                "compliance",
                "pcn",
                "cqc",
                "kpi",
                "themes",
                "access",
            ]
            about = shown_text(screen.query_one("#reports-about"))
            assert "Coding audit" in about and "No export imported yet" in about
            await pilot.press("enter")
            await wait_for(
                pilot, lambda: isinstance(app.screen, CodingAuditScreen) and app.screen.loaded
            )
            assert "No export imported yet" in shown_text(app.screen.query_one("#coding-summary"))
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
            await pilot.press(*["down"] * 6, "enter")  # the homecare KPI pack
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "KpiPackScreen")


class TestCodingAudit:
    async def test_import_by_path_then_one_key_per_action(
        self, demo_settings, small_demo_engine, export_file
    ):
        engine = small_demo_engine
        app = make_app(demo_settings, engine)
        async with app.run_test(size=SIZE) as pilot:
            screen = await import_file(pilot, app, export_file)
            assert screen.summary.findings == 44 and screen.summary.open_count == 44
            summary = shown_text(screen.query_one("#coding-summary"))
            assert "Run 1: export.csv" in summary and "(EMIS Web)" in summary
            assert "44 findings, 44 open" in summary
            practices = shown_text(screen.query_one("#coding-practices"))
            assert "Riverside" in practices and "coded only" in practices
            assert count(engine, CodingAuditRun) == 1 and count(engine, CodingFinding) == 44

            # a: coded, not on ours -> on our register from the code's date; cursor moves on
            await next_class(pilot, screen, FindingKind.CODED_NOT_REGISTERED)
            first = screen.highlighted()
            assert "a add to our register" in shown_text(screen.query_one("#coding-detail"))
            await pilot.press("a")
            await wait_for(pilot, lambda: finding(engine, first.id).status == FindingStatus.ADDED)
            await wait_for(
                pilot, lambda: screen.loaded and screen.query_one(LazyTable).cursor_row == 1
            )
            added = finding(engine, first.id)
            with session_scope(engine, "t") as s:
                entry = s.get(RegisterEntry, added.entry_id)
                assert entry.person_id == first.person_id
                assert entry.start_date == first.coded_since

            # x: on ours, not coded -> the form (date and reason filled in), ctrl+s ends it
            await next_class(pilot, screen, FindingKind.REGISTERED_NOT_CODED)
            uncoded = screen.highlighted()
            await pilot.press("x")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FormDialog")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: finding(engine, uncoded.id).status == FindingStatus.ENDED)
            with session_scope(engine, "t") as s:
                ended = s.get(RegisterEntry, uncoded.entry_id)
                assert ended.status == EntryStatus.ENDED
                assert "clinical system" in ended.end_reason

            # d: dates disagree -> our start date is the code's
            await next_class(pilot, screen, FindingKind.DATES_DISAGREE)
            dated = screen.highlighted()
            await pilot.press("d")
            await wait_for(pilot, lambda: finding(engine, dated.id).status == FindingStatus.REDATED)
            with session_scope(engine, "t") as s:
                assert s.get(RegisterEntry, dated.entry_id).start_date == dated.coded_since

            # a does not fit a family member (nothing happens); c makes a correction task
            await next_class(pilot, screen, FindingKind.FAMILY_NOT_CODED)
            family = screen.highlighted()
            entries = count(engine, RegisterEntry)
            await pilot.press("a")
            await pilot.pause()
            assert count(engine, RegisterEntry) == entries
            assert finding(engine, family.id).status == FindingStatus.OPEN
            actions = count(engine, Action)
            await pilot.press("c")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FormDialog")
            await pilot.press("ctrl+s")
            await wait_for(
                pilot, lambda: finding(engine, family.id).status == FindingStatus.CORRECTION
            )
            assert count(engine, Action) == actions + 1
            with session_scope(engine, "t") as s:
                task = s.get(Action, finding(engine, family.id).action_id)
                assert task.owner_label == "Safeguarding administrator"
                assert task.person_id == family.person_id
                assert task.due_date == TODAY + timedelta(days=14)

            # o: open only (this class: 7 of 8 left); enter: the person
            await pilot.press("o")
            await wait_for(
                pilot, lambda: screen.loaded and screen.query_one(LazyTable).row_count == 7
            )
            person_id = screen.highlighted().person_id
            await pilot.press("enter")
            await wait_for(
                pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded
            )
            assert app.screen.person_id == person_id

    async def test_a_refused_export_says_why_and_keeps_nothing(
        self, demo_settings, small_demo_engine, tmp_path
    ):
        bad = tmp_path / "bad.csv"
        bad.write_text("NHS Number,Code,Date\n9990000018,342191000000101,31/02/2026\n")
        app = make_app(demo_settings, small_demo_engine)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_coding(pilot, app)
            await pilot.press("i")
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "FormDialog")
            await pilot.press(*str(tmp_path / "missing.csv"), "ctrl+s")
            await pilot.pause()
            form = app.screen
            assert form.__class__.__name__ == "FormDialog"  # the form stays, with why
            assert "There is no file" in shown_text(form.query_one("#form-error"))
            await pilot.press(*["backspace"] * len("missing.csv"), *"bad.csv", "ctrl+s")
            await wait_for(pilot, lambda: app.screen is screen)
            await wait_for(
                pilot, lambda: "31/02/2026" in shown_text(screen.query_one("#coding-detail"))
            )
            assert count(small_demo_engine, CodingAuditRun) == 0

    async def test_a_finding_changed_meanwhile_is_refused_naming_who(
        self, demo_settings, small_demo_engine, export_file
    ):
        from coordinator_tui.services.reports.coding_audit import mark_for_correction

        engine = small_demo_engine
        app = make_app(demo_settings, engine)
        async with app.run_test(size=SIZE) as pilot:
            screen = await import_file(pilot, app, export_file)
            await next_class(pilot, screen, FindingKind.CODED_NOT_REGISTERED)
            shown = screen.highlighted()
            with session_scope(engine, "colleague") as s:
                mark_for_correction(s, shown.id, shown.version, today=TODAY, by="colleague")
            entries = count(engine, RegisterEntry)
            await pilot.press("a")
            await wait_for(  # refused in the worker, said on the UI thread
                pilot,
                lambda: any(
                    "colleague changed this coding finding" in n.message for n in app._notifications
                ),
            )
            assert count(engine, RegisterEntry) == entries
            assert finding(engine, shown.id).status == FindingStatus.CORRECTION


class TestSharing:
    async def test_s_on_the_person_record_records_a_disclosure_in_the_chronology(
        self, demo_settings, small_demo_engine
    ):
        from coordinator_tui.screens.registers.queue import RegistersScreen

        engine = small_demo_engine
        app = make_app(demo_settings, engine)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("2")
            await wait_for(
                pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded
            )
            await pilot.press("enter")
            await wait_for(
                pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded
            )
            record = app.screen
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, SharingDialog))
            form = app.screen
            await pilot.press("tab", *"County MASH", "tab", "tab", "tab", *"health, safeg")
            await pilot.press("tab", *"Strategy discussion", "tab")
            # nothing chosen for the lawful basis: refused with a clear message, kept
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert "Refused: no lawful basis" in shown_text(form.query_one("#form-error"))
            assert count(engine, SharingRecord) == 0
            for choice in ("sec", "pub", "subst", "safeg", "overr"):
                await pilot.press("enter", *choice, "enter", "tab")
            # an override without its reason: refused
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert "an override of consent needs its reason" in shown_text(
                form.query_one("#form-error")
            )
            await pilot.press(*"would place the child at risk", "ctrl+s")
            await wait_for(pilot, lambda: app.screen is record)
            await wait_for(
                pilot, lambda: record.loaded and any(i.source == "Sharing" for i in record.items)
            )
            with session_scope(engine, "t") as s:
                saved = s.exec(select(SharingRecord)).one()
                assert (saved.organisation, saved.what) == ("County MASH", "health, safeguarding")
                assert (saved.article6, saved.article9, saved.dpa_condition) == (
                    "6(1)(e)",
                    "9(2)(g)",
                    "sch1-18",
                )
                assert saved.consent == "overridden" and saved.decided_by == "test.user"
                assert saved.person_id == record.person_id
            chronology = shown_text(record.query_one("#person-chronology"))
            assert "Shared with County MASH" in chronology
            assert "consent overridden: would place the child at risk" in chronology

    async def test_the_sharing_report_lists_the_period_and_decisions_without_consent(
        self, demo_settings, small_demo_engine
    ):
        from coordinator_tui.models import Person
        from coordinator_tui.services.reports import sharing as sh

        engine = small_demo_engine
        with session_scope(engine, "coordinator") as s:
            people = s.exec(select(Person.id).order_by(Person.id).limit(2)).all()
            for person_id, consent in zip(people, ("given", "not_sought"), strict=True):
                sh.record_disclosure(
                    s,
                    person_id,
                    today=TODAY,
                    by="coordinator",
                    occurred_on=TODAY - timedelta(days=3),
                    organisation="County MASH",
                    what="health",
                    why="strategy discussion",
                    method="phone",
                    basis=sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", consent, "risk of harm"),
                )
        app = make_app(demo_settings, engine)
        async with app.run_test(size=SIZE) as pilot:
            await open_reports(pilot, app)
            await pilot.press("s")
            await wait_for(
                pilot, lambda: isinstance(app.screen, SharingReportScreen) and app.screen.loaded
            )
            screen = app.screen
            assert screen.query_one(LazyTable).row_count == 2
            summary = shown_text(screen.query_one("#sharing-summary"))
            assert "2 shared" in summary and "1 without consent" in summary
            assert "County MASH" in shown_text(screen.query_one("#sharing-recipients"))
            screen.loaded = False
            await pilot.press("w")
            await wait_for(pilot, lambda: screen.loaded)
            assert screen.query_one(LazyTable).row_count == 1
            assert screen.rows[0].consent == "not_sought"
            await pilot.press("E")
            await pilot.pause()
            exported = list(demo_settings.export_dir.glob("sharing-*.csv"))
            assert len(exported) == 1 and "not_for_online_access" in exported[0].read_text()


class TestRequests:
    async def test_r_records_a_pending_request_and_d_on_the_report_refuses_it(
        self, demo_settings, small_demo_engine
    ):
        from coordinator_tui.screens.registers.queue import RegistersScreen

        engine = small_demo_engine
        app = make_app(demo_settings, engine)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("2")
            await wait_for(
                pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded
            )
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen))
            await wait_for(pilot, lambda: app.screen.loaded)
            record = app.screen
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, SharingDialog))
            await pilot.press("tab", *"Police", "tab", "tab", *"DC Jones", "tab", *"health")
            await pilot.press("ctrl+s")  # the decision is pending until taken
            await wait_for(pilot, lambda: app.screen is record)
            with session_scope(engine, "t") as s:
                saved = s.exec(select(SharingRecord)).one()
                assert (saved.direction, saved.decision) == ("request", "pending")
            await pilot.press("escape", "7")
            await wait_for(pilot, lambda: isinstance(app.screen, ReportsScreen))
            await pilot.press("s")
            await wait_for(
                pilot, lambda: isinstance(app.screen, SharingReportScreen) and app.screen.loaded
            )
            report = app.screen
            assert report.rows[0].decision == "pending"
            await pilot.press("D")
            await wait_for(pilot, lambda: isinstance(app.screen, SharingDialog))
            form = app.screen
            await pilot.press("enter", *"ref", "enter")  # the decision: refused
            await pilot.press("ctrl+s")  # no reason: refused, kept
            await pilot.pause()
            assert "say why the request was refused" in shown_text(form.query_one("#form-error"))
            await pilot.press("tab", *"no lawful basis given", "ctrl+s")
            await wait_for(pilot, lambda: app.screen is report)
            await wait_for(pilot, lambda: report.rows and report.rows[0].decision == "refused")
            with session_scope(engine, "t") as s:
                saved = s.exec(select(SharingRecord)).one()
                assert saved.decision_reason == "no lawful basis given"
                assert saved.decided_by == "test.user" and saved.version == 2
