"""The homecare KPI pack (issue 16 §2): every figure checked against a hand-counted month
(February 2026, two customers, five carers), each definition by its setting, "not
recorded" rather than zero where no actual times exist, the British Summer Time cutoff,
and the exports opened back and compared with the pack."""

from __future__ import annotations

import io
import json
import stat
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AuditEvent,
    Carer,
    Complaint,
    Customer,
    Incident,
    ProblemAcceptance,
    Visit,
    VisitAssignment,
)
from coordinator_tui.models.care_staff import ChangeRequest
from coordinator_tui.models.governance import CandourRecord, VisitRecord
from coordinator_tui.services.reports import kpi
from coordinator_tui.settings import KpiDefinitions

FEB = date(2026, 2, 1)
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UK)


def at(day: int, hour: int, minute: int = 0, month: int = 2) -> datetime:
    return datetime.combine(date(2026, month, day), time(hour, minute), tzinfo=UK)


def add_visit(
    s,
    customer: int,
    day: int,
    planned: tuple[tuple[int, int], tuple[int, int]],
    carer: int,
    *,
    actual: tuple[tuple[int, int], tuple[int, int]] | None = None,
    status: str | None = None,
    source: str | None = None,
    skills: str = "",
    month: int = 2,
) -> Visit:
    (sh, sm), (eh, em) = planned
    visit = Visit(
        customer_id=customer,
        visit_date=date(2026, month, day),
        start_at=at(day, sh, sm, month),
        end_at=at(day, eh, em, month),
        required_skills=skills,
        status=status or ("done" if actual else "planned"),
    )
    if actual:
        (ah, am), (bh, bm) = actual
        visit.actual_start = at(day, ah, am, month)
        visit.actual_end = at(day, bh, bm, month)
    s.add(visit)
    s.flush()
    s.add(VisitAssignment(visit_id=visit.id, carer_id=carer, slot=1))
    if source:
        s.add(VisitRecord(visit_id=visit.id, source=source))
    return visit


NINE = ((9, 0), (9, 30))


@pytest.fixture
def february(engine):
    return build_february(engine)


def build_february(engine):
    """The hand-counted month. Customer A's visits (numbered as in the comments), customer
    B's seven done without times; incidents, complaints, candour and change requests."""
    with session_scope(engine, "setup") as s:
        carers = [Carer(name=f"Carer {i}", contracted_hours=10.0) for i in range(1, 6)]
        s.add_all(carers)
        a, b = Customer(name="Customer A"), Customer(name="Customer B")
        s.add_all([a, b])
        s.flush()
        c = [0] + [carer.id for carer in carers]
        m = "monitoring"
        v1 = add_visit(s, a.id, 2, NINE, c[1], actual=((9, 10), (9, 40)), source=m)  # on time
        v2 = add_visit(s, a.id, 3, NINE, c[1], actual=((9, 16), (9, 46)), source=m)  # late 16
        add_visit(s, a.id, 4, NINE, c[2], actual=((9, 31), (10, 1)), source="typed")  # late 31
        add_visit(s, a.id, 5, NINE, c[2], actual=((9, 15), (9, 45)), source="typed")  # 15: not
        # 5: 29 min of 40 planned: short; 6: 16 of 20 (agreed short, 80%): not; 7: 14 of 20
        add_visit(s, a.id, 6, ((9, 0), (9, 40)), c[3], actual=((9, 0), (9, 29)), source=m)
        add_visit(s, a.id, 7, ((9, 0), (9, 20)), c[3], actual=((9, 0), (9, 16)), source=m)
        add_visit(s, a.id, 8, ((9, 0), (9, 20)), c[4], actual=((9, 0), (9, 14)), source=m)
        add_visit(s, a.id, 9, NINE, c[1], status="missed")  # 8: recorded missed
        add_visit(s, a.id, 10, NINE, c[1])  # 9: never started: missed
        # 10: planned 08:00, started 23:10: missed (and late)
        add_visit(s, a.id, 11, ((8, 0), (8, 30)), c[1], actual=((23, 10), (23, 40)), source=m)
        add_visit(s, a.id, 12, NINE, c[1], status="cancelled")  # 11: not counted at all
        # 12, 13: time-critical (MED): 29 min late is within 30, 31 is not
        add_visit(
            s, a.id, 13, ((8, 0), (8, 30)), c[1], actual=((8, 29), (8, 59)), source=m, skills="MED"
        )
        add_visit(
            s,
            a.id,
            14,
            ((8, 0), (8, 30)),
            c[2],
            actual=((8, 31), (9, 1)),
            source=m,
            skills="HOIST,MED",
        )
        add_visit(s, a.id, 15, NINE, c[2], status="done")  # 14: done, times not logged
        add_visit(s, a.id, 16, ((23, 30), (23, 59)), c[5])  # 15: a night visit: not missed
        for day, carer in ((2, 5), (3, 5), (4, 5), (5, 5), (6, 4), (7, 4), (8, 3)):
            add_visit(s, b.id, day, ((12, 0), (12, 30)), c[carer], status="done")
        january = add_visit(s, a.id, 20, NINE, c[1], status="done", month=1)
        for visit, code in ((v1, "WTR_BREAK"), (v2, "PREF_GENDER"), (january, "WTR_BREAK")):
            s.add(
                ProblemAcceptance(
                    code=code, visit_id=visit.id, rationale="agreed", accepted_at=at(1, 9)
                )
            )
        incidents = [
            Incident(
                occurred_at=at(10, 9),
                reported_at=at(10, 9),
                kind="fall",
                notifiable=True,
                status="closed",
            ),
            Incident(occurred_at=at(20, 9), reported_at=at(20, 9), kind="fall"),
            Incident(occurred_at=at(1, 0, 30, month=3), reported_at=at(1, 1, month=3), kind="fall"),
        ]
        s.add_all(incidents)
        s.flush()
        s.add_all(
            [
                Complaint(
                    received_on=date(2026, 2, 2),
                    acknowledge_due=date(2026, 2, 5),
                    acknowledged_on=date(2026, 2, 4),
                    response_due=date(2026, 8, 2),
                ),
                Complaint(
                    received_on=date(2026, 2, 10),
                    acknowledge_due=date(2026, 2, 13),
                    acknowledged_on=date(2026, 2, 16),
                    response_due=date(2026, 8, 10),
                ),
                Complaint(received_on=date(2026, 2, 20), status="resolved"),
                Complaint(
                    received_on=date(2026, 1, 5),
                    acknowledge_due=date(2026, 1, 8),
                    acknowledged_on=date(2026, 1, 6),
                    response_due=date(2026, 2, 15),
                    response_sent_on=date(2026, 2, 10),
                ),
                Complaint(
                    received_on=date(2026, 1, 10),
                    acknowledge_due=date(2026, 1, 13),
                    acknowledged_on=date(2026, 1, 12),
                    response_due=date(2026, 2, 20),
                ),
                CandourRecord(
                    incident_id=incidents[0].id,
                    opened_on=date(2026, 2, 10),
                    due_on=date(2026, 2, 24),
                    notified_on=date(2026, 2, 12),
                    status="complete",
                ),
                CandourRecord(
                    incident_id=incidents[1].id,
                    opened_on=date(2026, 2, 20),
                    due_on=date(2026, 3, 6),
                ),
            ]
        )
        for received, decided in (
            (at(3, 9), at(3, 15)),
            (at(5, 10), at(6, 10)),
            (at(7, 10), None),
        ):
            s.add(
                ChangeRequest(
                    kind="increase",
                    customer_id=a.id,
                    received_at=received,
                    decided_at=decided,
                    start_date=date(2026, 2, 20),
                )
            )
    return engine


def pack_of(engine, month: date = FEB, **definitions) -> kpi.KpiPack:
    with session_scope(engine, "test") as s:
        return kpi.kpi_pack(s, month, now=NOW, definitions=KpiDefinitions(**definitions))


def figures(pack: kpi.KpiPack) -> dict[str, tuple]:
    return {line.key: (line.count, line.base) for line in pack.lines}


def test_every_figure_by_hand(february) -> None:
    pack = pack_of(february)
    got = figures(pack)
    # 22 visits in February, one cancelled: 21 planned; 18 done or started
    assert got["delivered"] == (18, 21)
    # 10 visits with an actual start: over 15 min late #2 (16), #3 (31), #10, #12 (29), #13
    assert got["late15"] == (5, 10)
    assert got["late30"] == (3, 10)  # #3, #10, #13
    assert got["time_critical"] == (1, 2)  # #12 within 30, #13 31 minutes
    assert got["missed"] == (3, 21)  # #8 recorded, #9 never started, #10 started 23:10
    assert got["short"] == (2, 10)  # #5 29 min of 40, #7 14 of 20 (70%)
    assert got["call_logging"] == (8, 10)  # #3 and #4 typed by the office
    continuity = pack.line("continuity")
    # A: carer 1 five visits, carer 2 four, carer 3 two, carers 4 and 5 one: 11 of 13;
    # B: three carers only: 7 of 7
    assert (continuity.count, continuity.base) == (18, 20)
    assert continuity.number == pytest.approx((11 / 13 + 1) / 2 * 100)
    weekly = pack.line("distinct_carers")
    # customer-weeks from Monday 2 Feb: A 4, 2, 1 carers; B 3
    assert weekly.number == pytest.approx(2.5)
    assert "most 4" in weekly.note
    hours = {c.name: (c.planned, c.delivered, c.contracted) for c in pack.carers}
    assert hours["Carer 1"] == pytest.approx((2.5, 2.0, 40.0))
    assert hours["Carer 2"] == pytest.approx((2.0, 1.5, 40.0))
    assert hours["Carer 3"] == pytest.approx((1.5, 0.75, 40.0))
    assert hours["Carer 4"] == pytest.approx((80 / 60, 14 / 60, 40.0))
    assert hours["Carer 5"] == pytest.approx((149 / 60, 0.0, 40.0))
    assert pack.line("hours").number == pytest.approx(269 / 60)
    assert pack.line("wtr_accepted").count == 1
    assert "2 problems accepted" in pack.line("wtr_accepted").note
    assert got["incidents"][0] == 2
    assert got["incidents_notifiable"][0] == 1
    assert got["incidents_closed"] == (1, 2)
    assert got["complaints_ack"] == (1, 2)
    assert got["complaints_response"] == (1, 2)
    assert got["candour_complete"] == (1, 2)
    change = pack.line("change_requests")
    assert change.number == pytest.approx(15.0)  # median of 6 h and 24 h
    assert "3 received, 2 decided" in change.note


def test_the_same_figures_on_postgresql(february, pg_url) -> None:
    """SQLite and PostgreSQL count minutes, weeks and the cutoff differently in SQL: the
    hand-counted month gives the same pack on both."""
    from coordinator_tui.db import open_database

    opened = open_database(pg_url)
    try:
        build_february(opened.engine)
        on_postgres = pack_of(opened.engine)
    finally:
        opened.engine.dispose()
    on_sqlite = pack_of(february)
    for ours, theirs in zip(on_sqlite.lines, on_postgres.lines, strict=True):
        assert (ours.key, ours.count, ours.base) == (theirs.key, theirs.count, theirs.base)
        assert ours.number == pytest.approx(theirs.number), ours.key

    def hours(pack):
        return [(c.name, round(c.planned, 3), round(c.delivered or 0, 3)) for c in pack.carers]

    assert hours(on_sqlite) == hours(on_postgres)


@pytest.mark.parametrize(
    ("setting", "key", "expected"),
    [
        ({"late_minutes": 10}, "late15", (6, 10)),  # #1 (10 min) still not; #4 (15) now late
        ({"very_late_minutes": 15}, "late30", (5, 10)),
        ({"time_critical_minutes": 31}, "time_critical", (2, 2)),
        ({"time_critical_skill": "HOIST"}, "time_critical", (0, 1)),
        ({"short_percent": 85}, "short", (3, 10)),  # #6 (80%) now short too
        ({"short_minutes": 20}, "short", (3, 10)),  # #6: planned 20 is not agreed short
        ({"typed_sources": "typed,monitoring"}, "call_logging", (None, None)),
        ({"missed_after": "23:30"}, "missed", (2, 21)),  # #10's 23:10 start now in time
    ],
)
def test_each_definition_is_a_setting(february, setting, key, expected) -> None:
    assert figures(pack_of(february, **setting))[key] == expected


def test_continuity_window_and_carers_are_settings(february) -> None:
    line = pack_of(february, continuity_carers=1).line("continuity")
    assert (line.count, line.base) == (9, 20)  # A's carer 1 (5), B's carer 5 (4)
    # 15-28 Feb: A's visits of the 15th (carer 2) and the 16th (carer 5)
    assert pack_of(february, continuity_days=14).line("continuity").base == 2


def test_wtr_code_prefix_is_a_setting(february) -> None:
    assert pack_of(february, wtr_code_prefix="PREF").line("wtr_accepted").count == 1


def test_no_actual_times_says_not_recorded_never_zero(engine) -> None:
    """A month whose visits are done but carry no actual times: every measure resting on
    actual times says so."""
    with session_scope(engine, "setup") as s:
        carer, customer = Carer(name="C", contracted_hours=20), Customer(name="A")
        s.add_all([carer, customer])
        s.flush()
        for day in range(2, 9):
            add_visit(s, customer.id, day, NINE, carer.id, status="done", skills="MED")
    pack = pack_of(engine)
    for key in ("late15", "late30", "time_critical", "short", "call_logging", "hours"):
        line = pack.line(key)
        assert not line.recorded, key
        assert line.count is None and line.number is None
        assert line.value_text() == "not recorded"
        assert "no actual visit times" in line.note
        assert line.cells(show_small=True)[5] == "not recorded"
    assert pack.line("delivered").count == 7
    assert pack.line("missed").count == 0  # outcomes are recorded: none missed
    assert pack.carers[0].delivered is None


def test_a_month_with_nothing_says_not_recorded(engine) -> None:
    pack = pack_of(engine)
    assert not pack.line("delivered").recorded
    assert not pack.line("missed").recorded
    assert not pack.line("continuity").recorded
    assert pack.line("change_requests").note == "no change requests recorded in the month"


def test_the_missed_cutoff_follows_british_summer_time(engine) -> None:
    """29 March 2026 is the first day of BST: 23:00 there is 22:00 UTC."""
    with session_scope(engine, "setup") as s:
        carer, customer = Carer(name="C"), Customer(name="A")
        s.add_all([carer, customer])
        s.flush()
        add_visit(s, customer.id, 28, NINE, carer.id, actual=((22, 50), (23, 20)), month=3)
        add_visit(s, customer.id, 29, NINE, carer.id, actual=((22, 50), (23, 20)), month=3)
        add_visit(s, customer.id, 30, NINE, carer.id, actual=((23, 5), (23, 35)), month=3)
    with session_scope(engine, "test") as s:
        pack = kpi.kpi_pack(s, date(2026, 3, 1), now=datetime(2026, 4, 2, tzinfo=UTC))
    assert (pack.line("missed").count, pack.line("missed").base) == (1, 3)


def test_a_visit_today_is_missed_only_after_the_cutoff(engine) -> None:
    with session_scope(engine, "setup") as s:
        carer, customer = Carer(name="C"), Customer(name="A")
        s.add_all([carer, customer])
        s.flush()
        add_visit(s, customer.id, 10, NINE, carer.id, status="done")
        add_visit(s, customer.id, 11, NINE, carer.id)
    with session_scope(engine, "test") as s:
        before = kpi.kpi_pack(s, FEB, now=at(11, 22, 59))
        after = kpi.kpi_pack(s, FEB, now=at(11, 23, 0))
    assert before.line("missed").count == 0
    assert after.line("missed").count == 1


@pytest.mark.parametrize("text", ["2026-13", "26-01", "March", "", "2026-00", "0000-01", "٢٠٢٦-01"])
def test_bad_months_are_refused(text) -> None:
    with pytest.raises(kpi.KpiError, match="YYYY-MM"):
        kpi.parse_month(text)


@given(st.text(max_size=12))
def test_any_typed_month_is_a_first_day_or_refused(text) -> None:
    try:
        month = kpi.parse_month(text)
    except kpi.KpiError as exc:
        assert "YYYY-MM" in str(exc)
    else:
        year, number = text.strip().split("-")
        assert (month.year, month.month, month.day) == (int(year), int(number), 1)


def test_small_numbers_are_suppressed_unless_shown(february) -> None:
    pack = pack_of(february)
    line = pack.line("incidents")
    assert line.value_text(show_small=False) == "*"
    assert line.value_text(show_small=True) == "2"
    assert pack.line("late15").value_text(show_small=False) == "5 of 10 (50.0%)"
    assert pack.line("time_critical").value_text(show_small=False) == "* of * (*)"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "docx"])
def test_exports_agree_with_the_pack(february, tmp_path, fmt) -> None:
    pack = pack_of(february)
    path = tmp_path / "out" / f"kpi.{fmt}"
    path.parent.mkdir()
    path.write_text("old")
    path.chmod(0o644)
    with session_scope(february, "test") as s:
        kpi.export_pack(s, pack, fmt, path, show_small=False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    expected = [[_text(v) for v in line.cells(show_small=False)] for line in pack.lines]
    if fmt == "csv":
        import csv

        rows = list(csv.reader(io.StringIO(path.read_text())))
        assert rows[0] == kpi.HEADER
        assert [[_text(c) for c in row] for row in rows[1:]] == expected
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path)
        rows = [[_text(c) for c in row] for row in book["Measures"].iter_rows(values_only=True)]
        assert rows[1:] == expected
        carers = list(book["Carers"].iter_rows(values_only=True))
        assert carers[1][0] == "Carer 1" and carers[1][2] == 2.0
    else:
        from docx import Document

        table = Document(str(path)).tables[0]
        rows = [[_text(cell.text) for cell in row.cells] for row in table.rows]
        assert rows[1:] == expected
    with session_scope(february, "test") as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [
        json.loads(e.changes)["export"] if isinstance(e.changes, str) else e.changes["export"]
        for e in events
    ] == ["kpi pack"]


def _text(value) -> str:
    """A cell as text, a number as its float (CSV and Word write 50.0, XLSX reads back 50)."""
    if value is None:
        return ""
    try:
        return str(float(value))
    except ValueError:
        return str(value)


def test_json_has_every_measure_with_its_definition(february) -> None:
    data = kpi.pack_json(pack_of(february), show_small=True)
    assert data["month"] == "2026-02"
    assert data["definitions"]["late_minutes"] == 15
    measures = {m["key"]: m for m in data["measures"]}
    assert measures["late15"]["count"] == 5 and measures["late15"]["of"] == 10
    assert measures["late15"]["shown"] == "5 of 10 (50.0%)"
    json.dumps(data)


def test_the_month_before_and_after() -> None:
    assert kpi.shift_month(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert kpi.shift_month(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert kpi.month_end(date(2028, 2, 1)) == date(2028, 2, 29)


def test_settings_file_kpi_table(tmp_path) -> None:
    from coordinator_tui.settings import SettingsError, load_settings

    path = tmp_path / "settings.toml"
    path.write_text('[kpi]\nlate_minutes = 10\nmissed_after = "22:30"\n')
    settings = load_settings(str(tmp_path / "x.db"), path)
    assert settings.kpi.late_minutes == 10 and settings.kpi.missed_after == "22:30"
    assert settings.kpi.short_percent == 75
    for bad in ("late = 3", "short_percent = 0", 'missed_after = "25:00"', 'late_minutes = "x"'):
        path.write_text(f"[kpi]\n{bad}\n")
        with pytest.raises(SettingsError, match=r"\[kpi\]"):
            load_settings(str(tmp_path / "x.db"), path)


def test_definitions_default_to_the_commissioners() -> None:
    d = KpiDefinitions()
    assert (d.late_minutes, d.very_late_minutes, d.time_critical_minutes) == (15, 30, 30)
    assert (d.missed_after, d.short_minutes, d.short_percent) == ("23:00", 30, 75)
    assert (d.continuity_days, d.continuity_carers, d.call_logging_target) == (28, 3, 85)
    assert timedelta(days=d.continuity_days) == timedelta(weeks=4)


# -- the pack driven by keys --------------------------------------------------------------


class TestKpiScreen:
    async def test_reports_then_kpi_then_month_then_export(
        self, demo_settings, small_demo_engine, tmp_path, monkeypatch
    ):
        from pilot_helpers import shown_text, wait_for

        from coordinator_tui.app import make_app
        from coordinator_tui.screens.reports.kpi import KpiPackScreen
        from coordinator_tui.screens.reports.reports import ReportsScreen
        from coordinator_tui.settings import Settings
        from coordinator_tui.widgets.lazy_table import LazyTable

        exports = tmp_path / "exports"
        monkeypatch.setattr(Settings, "export_dir", property(lambda self: exports))
        app = make_app(demo_settings, small_demo_engine)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("7")
            await wait_for(
                pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded
            )
            await pilot.press("h")
            await wait_for(
                pilot, lambda: isinstance(app.screen, KpiPackScreen) and app.screen.loaded
            )
            screen = app.screen
            # opens on last month (the demo's today is 23 November 2026)
            assert screen.pack.month == date(2026, 10, 1)
            assert "October 2026" in shown_text(screen.query_one("#kpi-summary"))
            screen.loaded = False
            await pilot.press("right_square_bracket")
            await wait_for(pilot, lambda: screen.loaded and screen.pack.month.month == 11)
            assert "November 2026" in shown_text(screen.query_one("#kpi-summary"))
            with session_scope(small_demo_engine, "t") as s:
                expected = kpi.kpi_pack(
                    s,
                    date(2026, 11, 1),
                    now=demo_settings.current_moment(),
                    definitions=demo_settings.kpi,
                )
            table = screen.query_one(LazyTable)
            shown = {
                row.key[1]: str(row.cells[1])
                for row in table.source.rows(0, table.row_count)
                if row.key[0] == "line"
            }
            for line in expected.lines:
                assert shown[line.key] == line.value_text(show_small=False), line.key
            await pilot.press("E")
            await wait_for(pilot, lambda: len(screen.last_export) == 3)
            suffixes = sorted(p.suffix for p in screen.last_export)
            assert suffixes == [".csv", ".docx", ".xlsx"]
            for path in screen.last_export:
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
            csv_path = next(p for p in screen.last_export if p.suffix == ".csv")
            import csv

            rows = list(csv.reader(io.StringIO(csv_path.read_text())))
            delivered = next(r for r in rows if r[1] == "Visits delivered of planned")
            line = expected.line("delivered")
            assert delivered[2:4] == [str(line.count), str(line.base)]
            with session_scope(small_demo_engine, "t") as s:
                export = s.scalars(
                    select(AuditEvent.changes).where(AuditEvent.action == "export")
                ).one()
            export = json.loads(export) if isinstance(export, str) else export
            assert export["export"] == "kpi pack" and export["files"] == 3


# -- the command line ---------------------------------------------------------------------


class TestKpiCommand:
    def invoke(self, *args: str):
        from typer.testing import CliRunner

        from coordinator_tui.cli import app

        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    def test_json_agrees_with_the_service(self, february, db_path) -> None:
        result = self.invoke("report", "kpi", "--month", "2026-02", "--json", "--db", str(db_path))
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        measures = {m["key"]: m for m in data["measures"]}
        assert (measures["late15"]["count"], measures["late15"]["of"]) == (5, 10)
        assert (measures["time_critical"]["count"], measures["time_critical"]["of"]) == ("*", "*")
        assert measures["delivered"]["count"] == 18 and measures["delivered"]["of"] == 21
        shown = self.invoke(
            "report",
            "kpi",
            "--month",
            "2026-02",
            "--json",
            "--show-small-numbers",
            "--db",
            str(db_path),
        )
        shown_measures = {m["key"]: m for m in json.loads(shown.output)["measures"]}
        assert shown_measures["time_critical"]["count"] == 1

    def test_out_writes_the_file_owner_only(self, february, db_path, tmp_path) -> None:
        out = tmp_path / "pack.xlsx"
        result = self.invoke(
            "report", "kpi", "--month", "2026-02", "--out", str(out), "--db", str(db_path)
        )
        assert result.exit_code == 0, result.output
        assert "February 2026" in result.output
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        from openpyxl import load_workbook

        sheet = load_workbook(out)["Measures"]
        assert [c.value for c in sheet[1]] == kpi.HEADER

    def test_text_says_not_recorded_and_a_bad_month_is_refused(self, engine, db_path) -> None:
        result = self.invoke("report", "kpi", "--month", "2026-02", "--db", str(db_path))
        assert result.exit_code == 0
        assert (
            "not recorded" in result.output and "Homecare KPI pack: February 2026" in result.output
        )
        bad = self.invoke("report", "kpi", "--month", "2026-13", "--db", str(db_path))
        assert bad.exit_code == 2 and "YYYY-MM" in bad.output


def test_the_demos_late_visits_are_not_all_over_30_minutes(small_demo_engine, demo_settings):
    """The demo's month shows "late over 15" and "late over 30" apart (its late visits
    were all 35-70 minutes late, so the two lines always agreed): some late visits are
    late by 16-30 minutes, the rest by more."""
    with session_scope(small_demo_engine, "t") as s:
        pack = kpi.kpi_pack(
            s,
            date(2026, 11, 1),
            now=demo_settings.current_moment(),
            definitions=demo_settings.kpi,
        )
    late15, late30 = pack.line("late15"), pack.line("late30")
    assert late15.base == late30.base and late15.base
    assert 0 < late30.count < late15.count
