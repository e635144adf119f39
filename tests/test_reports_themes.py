"""Learning themes (issue 16 §4): the vocabulary (Care Act 2014 statutory guidance types of
abuse and neglect, the children's categories, contributing factors), tagging audited,
counts per quarter with UK-midnight boundaries, the records of a theme, the demo's own
random generator, the exports read back, and the themes view driven by keys."""

from __future__ import annotations

import csv
import io
import json
import random
import stat
from datetime import UTC, date, datetime, time

import pytest
from pilot_helpers import shown_text, wait_for
from sqlalchemy import func, select

from coordinator_tui.app import make_app
from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, Complaint, Concern, Incident, Person
from coordinator_tui.models.themes import RecordTheme
from coordinator_tui.services.errors import ConflictError
from coordinator_tui.services.reports import themes as th
from coordinator_tui.services.reports.demo_themes import tag_demo_themes

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_the_vocabulary_and_its_sources() -> None:
    themes = th.load_themes()
    groups = {t.group: t for t in themes}
    assert set(groups) == {"adult", "child", "factor"}
    adult = [t.name for t in themes if t.group == "adult"]
    # Care and support statutory guidance para 14.17: ten types of abuse and neglect
    assert len(adult) == 10
    assert "Neglect and acts of omission" in adult and "Self-neglect" in adult
    assert "Modern slavery" in adult and "Organisational abuse" in adult
    assert [t.name for t in themes if t.group == "child"] == [
        "Physical abuse (child)",
        "Emotional abuse (child)",
        "Sexual abuse (child)",
        "Neglect (child)",
    ]
    assert "14.17" in groups["adult"].source and "Working Together" in groups["child"].source
    assert len({t.code for t in themes}) == len(themes)


def test_a_practice_file_replaces_the_vocabulary(tmp_path) -> None:
    from coordinator_tui.services.reference import ReferenceDataError

    (tmp_path / "themes.json").write_text(
        json.dumps({"groups": [{"code": "g", "name": "G", "source": "s", "themes": []}]})
    )
    with pytest.raises(ReferenceDataError, match="no themes"):
        th.load_themes(tmp_path)


@pytest.fixture
def records(engine):
    return build_records(engine)


def build_records(engine):
    """A person with concerns, incidents and a complaint across quarters (ids returned)."""
    with session_scope(engine, "setup") as s:
        person = Person(
            nhs_number="9990000034",
            given_name="Ada",
            family_name="Wren",
            date_of_birth=date(1940, 1, 1),
        )
        s.add(person)
        s.flush()
        concerns = []
        for day in (date(2026, 1, 10), date(2026, 2, 10), date(2026, 5, 1), date(2026, 11, 2)):
            concern = Concern(
                person_id=person.id, raised_by="GP", raised_on=day, category="neglect"
            )
            s.add(concern)
            concerns.append(concern)
        # 00:30 BST on 1 July is 23:30 UTC on 30 June: a Jul-Sep incident
        boundary = Incident(
            occurred_at=datetime.combine(date(2026, 7, 1), time(0, 30), tzinfo=UK),
            reported_at=datetime(2026, 7, 1, 9, tzinfo=UTC),
            kind="fall",
            person_id=person.id,
        )
        complaint = Complaint(received_on=date(2026, 8, 3))
        s.add_all([boundary, complaint])
        s.flush()
        return {
            "person": person.id,
            "concerns": [c.id for c in concerns],
            "incident": boundary.id,
            "complaint": complaint.id,
        }


def tag_all(engine, records) -> None:
    with session_scope(engine, "coordinator") as s:
        for concern in records["concerns"]:
            th.tag(s, "concern", concern, "adult_neglect", by="c", now=NOW)
        th.tag(s, "incident", records["incident"], "adult_neglect", by="c", now=NOW)
        th.tag(s, "incident", records["incident"], "factor_conditions", by="c", now=NOW)
        th.tag(s, "complaint", records["complaint"], "factor_conditions", by="c", now=NOW)


def test_tagging_is_audited_and_refuses_what_it_cannot_do(engine, records) -> None:
    tag_all(engine, records)
    with session_scope(engine, "coordinator") as s:
        again = th.tag(s, "incident", records["incident"], "adult_neglect", by="c", now=NOW)
        assert again.tagged_by == "c"  # already there: nothing changes
        assert th.themes_of(s, "incident", records["incident"]) == [
            "adult_neglect",
            "factor_conditions",
        ]
        with pytest.raises(th.ThemeError, match="No such theme"):
            th.tag(s, "incident", records["incident"], "nonsense", by="c", now=NOW)
        with pytest.raises(th.ThemeError, match="no longer exists"):
            th.tag(s, "incident", 999, "adult_neglect", by="c", now=NOW)
        with pytest.raises(th.ThemeError, match="one of"):
            th.tag(s, "visit", 1, "adult_neglect", by="c", now=NOW)
        th.untag(s, "incident", records["incident"], "factor_conditions")
    with (
        session_scope(engine, "coordinator") as s,
        pytest.raises(ConflictError, match="someone took it off"),
    ):
        th.untag(s, "incident", records["incident"], "factor_conditions")
    with session_scope(engine, "t") as s:
        events = s.execute(
            select(AuditEvent.action, func.count())
            .where(AuditEvent.table_name == "record_theme")
            .group_by(AuditEvent.action)
        ).all()
    assert dict(events) == {"insert": 7, "delete": 1}


def test_counts_per_quarter_by_hand(engine, records) -> None:
    tag_all(engine, records)
    with session_scope(engine, "t") as s:
        report = th.themes_report(s, TODAY)
    # the first record is in Jan-Mar 26: the quarters start there; Oct-Dec is running
    assert report.labels == ("Jan-Mar 26", "Apr-Jun 26", "Jul-Sep 26")
    assert report.running_label == "Oct-Dec 26"
    neglect = report.get("adult_neglect")
    assert neglect.counts == (2, 1, 1)  # two concerns, one concern, the incident
    assert neglect.running == 1  # the concern of 2 November
    assert report.get("factor_conditions").counts == (0, 0, 2)  # incident + complaint
    assert report.get("adult_physical").counts == (0, 0, 0)
    assert report.untagged == 0
    months = th.themes_report(s, TODAY, period="month")
    assert months.labels[0] == "Jan 26" and months.running_label == "Nov 26"
    assert months.get("adult_neglect").counts[6] == 1  # July: the 00:30 BST incident


def test_the_same_counts_on_postgresql(pg_url) -> None:
    """Quarter boundaries as UK midnights in SQL on PostgreSQL too."""
    from coordinator_tui.db import open_database

    opened = open_database(pg_url)
    try:
        tag_all(opened.engine, build_records(opened.engine))
        with session_scope(opened.engine, "t") as s:
            report = th.themes_report(s, TODAY)
            months = th.themes_report(s, TODAY, period="month")
            listed = th.theme_records(s, "adult_neglect", TODAY)
    finally:
        opened.engine.dispose()
    assert report.labels == ("Jan-Mar 26", "Apr-Jun 26", "Jul-Sep 26")
    assert report.get("adult_neglect").counts == (2, 1, 1)
    assert report.get("factor_conditions").counts == (0, 0, 2)
    assert months.get("adult_neglect").counts[6] == 1
    assert [r.on for r in listed][:2] == [date(2026, 11, 2), date(2026, 7, 1)]


def test_a_themes_records_and_the_untagged(engine, records) -> None:
    tag_all(engine, records)
    with session_scope(engine, "coordinator") as s:
        th.untag(s, "concern", records["concerns"][0], "adult_neglect")
        listed = th.theme_records(s, "adult_neglect", TODAY)
        untagged = th.theme_records(s, None, TODAY)
    assert [(r.kind, r.on) for r in listed] == [
        ("concern", date(2026, 11, 2)),
        ("incident", date(2026, 7, 1)),
        ("concern", date(2026, 5, 1)),
        ("concern", date(2026, 2, 10)),
    ]
    assert listed[1].themes == ("adult_neglect", "factor_conditions")
    assert listed[1].person_id == records["person"]
    assert [(r.kind, r.id) for r in untagged] == [("concern", records["concerns"][0])]


def test_demo_tagging_uses_its_own_generator(small_demo_engine) -> None:
    state = random.getstate()
    with session_scope(small_demo_engine, "demo") as s:
        written = tag_demo_themes(s, seed=3, today=TODAY)
    assert random.getstate() == state
    with session_scope(small_demo_engine, "t") as s:
        rows = s.execute(
            select(RecordTheme.record_kind, RecordTheme.record_id, RecordTheme.theme)
        ).all()
    assert written == len(rows) > 50
    codes = {t.code for t in th.load_themes()}
    assert {theme for _, _, theme in rows} <= codes
    assert {kind for kind, _, _ in rows} >= {"concern", "referral"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "docx"])
def test_exports_read_back(engine, records, tmp_path, fmt) -> None:
    tag_all(engine, records)
    with session_scope(engine, "t") as s:
        report = th.themes_report(s, TODAY)
        path = th.export_report(s, report, fmt, tmp_path / f"themes.{fmt}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    header, rows = th.report_rows(report)
    if fmt == "csv":
        back = list(csv.reader(io.StringIO(path.read_text())))
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        back = [
            ["" if v is None else str(v) for v in row]
            for row in load_workbook(path)["Themes"].iter_rows(values_only=True)
        ]
    else:
        from docx import Document

        back = [[c.text for c in row.cells] for row in Document(str(path)).tables[0].rows]
    assert back[0] == [str(h) for h in header]
    neglect = next(r for r in back if r[0] == "Neglect and acts of omission")
    assert neglect[2:6] == ["2", "1", "1", "1"]
    with session_scope(engine, "t") as s:
        kinds = [
            json.loads(c)["export"] if isinstance(c, str) else c["export"]
            for c in s.scalars(select(AuditEvent.changes).where(AuditEvent.action == "export"))
        ]
    assert kinds == ["themes report"]


def test_json(engine, records) -> None:
    tag_all(engine, records)
    with session_scope(engine, "t") as s:
        data = th.report_json(th.themes_report(s, TODAY))
    neglect = next(t for t in data["themes"] if t["theme"] == "adult_neglect")
    assert neglect["counts"] == [2, 1, 1] and neglect["running"] == 1
    assert neglect["provisional"] is True
    json.dumps(data)


# -- the themes view driven by keys -------------------------------------------------------


@pytest.fixture
def themed_demo(small_demo_engine):
    with session_scope(small_demo_engine, "demo") as s:
        tag_demo_themes(s, seed=3, today=TODAY)
    return small_demo_engine


class TestThemesView:
    async def test_reports_then_themes_then_enter_lists_the_records(
        self, demo_settings, themed_demo
    ):
        from coordinator_tui.screens.reports.reports import ReportsScreen
        from coordinator_tui.screens.reports.themes import ThemeRecordsScreen, ThemesScreen
        from coordinator_tui.widgets.lazy_table import LazyTable

        app = make_app(demo_settings, themed_demo)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("7")
            await wait_for(
                pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded
            )
            await pilot.press("t")
            await wait_for(
                pilot, lambda: isinstance(app.screen, ThemesScreen) and app.screen.loaded
            )
            screen = app.screen
            summary = shown_text(screen.query_one("#themes-summary"))
            assert "Learning themes per quarter" in summary
            with session_scope(themed_demo, "t") as s:
                expected = th.themes_report(s, TODAY)
            # the highlighted theme's chart and words agree with the service
            first = expected.series[0]
            chart = shown_text(screen.query_one("#themes-chart"))
            assert "common cause" in chart and "process limits" in chart
            note = shown_text(screen.query_one("#themes-note"))
            assert first.name in note and first.chart.verdict() in note
            # down to the busiest theme, enter: its records
            busiest = max(expected.series, key=lambda x: x.total)
            table = screen.query_one(LazyTable)
            while table.current_row.key != busiest.theme:
                await pilot.press("down")
            await pilot.press("enter")
            await wait_for(
                pilot, lambda: isinstance(app.screen, ThemeRecordsScreen) and app.screen.loaded
            )
            records = app.screen
            assert len(records.records) == busiest.total
            assert busiest.name in shown_text(records.query_one("#themes-summary"))
            # x takes the theme off the highlighted record: the database and the list agree
            first_record = records.highlighted()
            await pilot.press("x")
            await wait_for(pilot, lambda: len(records.records) == busiest.total - 1)
            with session_scope(themed_demo, "t") as s:
                assert busiest.theme not in th.themes_of(s, first_record.kind, first_record.id)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen and screen.loaded)
            # E: the table as CSV, Excel and Word, owner-only, the counts as on screen
            await pilot.press("E")
            await wait_for(pilot, lambda: len(screen.last_export) == 3)
            assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in screen.last_export)
            written = next(p for p in screen.last_export if p.suffix == ".csv").read_text()
            row = next(r for r in csv.reader(io.StringIO(written)) if r[0] == busiest.name)
            assert row[-4] == str(busiest.total - 1)  # after the x above

    async def test_untagged_records_are_tagged_with_t(self, demo_settings, themed_demo):
        from coordinator_tui.screens.form_dialog import FormDialog
        from coordinator_tui.screens.reports.themes import ThemeRecordsScreen, ThemesScreen

        app = make_app(demo_settings, themed_demo)
        async with app.run_test(size=(120, 40)) as pilot:
            app.push_screen(ThemesScreen())
            await wait_for(
                pilot, lambda: isinstance(app.screen, ThemesScreen) and app.screen.loaded
            )
            await pilot.press("end", "enter")  # the last row: not yet themed
            await wait_for(
                pilot, lambda: isinstance(app.screen, ThemeRecordsScreen) and app.screen.loaded
            )
            records = app.screen
            before = len(records.records)
            record = records.highlighted()
            assert record.themes == ()
            await pilot.press("t")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            await pilot.press(*"self-neg", "enter")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is records and len(records.records) < before)
            with session_scope(themed_demo, "t") as s:
                assert th.themes_of(s, record.kind, record.id) == ["adult_self_neglect"]


class TestThemesCommand:
    def invoke(self, *args: str):
        from typer.testing import CliRunner

        from coordinator_tui.cli import app

        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    def test_tag_list_and_remove(self, records, db_path) -> None:
        db = str(db_path)
        incident = str(records["incident"])
        added = self.invoke(
            "report", "theme-tag", "incident", incident, "adult_neglect", "--db", db
        )
        assert added.exit_code == 0, added.output
        data = json.loads(self.invoke("report", "themes", "--json", "--db", db).output)
        neglect = next(t for t in data["themes"] if t["theme"] == "adult_neglect")
        assert neglect["counts"] == [0, 0, 1]  # Jan-Mar, Apr-Jun, Jul-Sep
        text = self.invoke("report", "themes", "--period", "month", "--db", db).output
        assert "Neglect and acts of omission" in text and "per month" in text
        removed = self.invoke(
            "report", "theme-tag", "incident", incident, "adult_neglect", "--remove", "--db", db
        )
        assert removed.exit_code == 0
        again = self.invoke(
            "report", "theme-tag", "incident", incident, "adult_neglect", "--remove", "--db", db
        )
        assert again.exit_code == 2 and "someone took it off" in again.output
        bad = self.invoke("report", "theme-tag", "incident", incident, "nonsense", "--db", db)
        assert bad.exit_code == 2 and "No such theme" in bad.output

    async def test_t_on_an_incident_record_adds_a_theme(self, demo_settings, small_demo_engine):
        from coordinator_tui.screens.form_dialog import FormDialog
        from coordinator_tui.screens.governance.record import IncidentScreen
        from coordinator_tui.services.governance.incidents import incident_row

        with session_scope(small_demo_engine, "t") as s:
            # One the demo's tagging left without a theme (the demo tags about 3 in 4).
            themed = select(RecordTheme.record_id).where(RecordTheme.record_kind == "incident")
            incident_id = s.scalars(
                select(Incident.id).where(Incident.id.not_in(themed)).order_by(Incident.id)
            ).first()
            row = incident_row(s, incident_id, TODAY)
        app = make_app(demo_settings, small_demo_engine)
        async with app.run_test(size=(120, 40)) as pilot:
            app.push_screen(IncidentScreen(row))
            await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen))
            screen = app.screen
            await wait_for(pilot, lambda: screen.detail is not None)
            await pilot.press("T")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            assert f"Incident {incident_id}: no theme yet" in shown_text(
                app.screen.query_one("#form-context")
            )
            await pilot.press(*"staffing", "enter")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is screen)
        with session_scope(small_demo_engine, "t") as s:
            assert th.themes_of(s, "incident", incident_id) == ["factor_conditions"]
