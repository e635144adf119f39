"""The call-monitoring import (issue 14 §4): an ECM system's CSV export of check-in and
check-out times, matched by visit reference or by customer + planned start (+ carer), all
or nothing with the rota import's CSV hygiene, idempotent on re-import, audited; the
day's visits and the KPI pack's call logging then read the imported times; and the
carers' notes flagged from the reference list."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from coordinator_tui.cli import app as cli_app
from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import AuditEvent, Carer, Customer, Visit, VisitAssignment
from coordinator_tui.models.governance import VisitRecord
from coordinator_tui.services.governance import visits as gv
from coordinator_tui.services.governance.actuals_import import (
    ActualsImportError,
    import_actuals,
    read_actuals,
)
from coordinator_tui.services.governance.note_flags import flag_words
from coordinator_tui.services.reports import kpi
from coordinator_tui.settings import KpiDefinitions

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UK)


@pytest.fixture
def world(engine):
    """Two customers: Edith with visits at 08:00 (Ann) and 12:00 (Ben), and a double-up
    at 17:00 (Ann and Ben); Walter with a visit at 08:00 (Cat)."""
    with session_scope(engine, "setup") as s:
        carers = {name: Carer(name=name) for name in ("Ann Lee", "Ben Oak", "Cat Fir")}
        edith, walter = Customer(name="Edith Crane"), Customer(name="Walter Hope")
        s.add_all([*carers.values(), edith, walter])
        s.flush()
        ids = {}
        for key, customer, hour, names in (
            ("e8", edith, 8, ["Ann Lee"]),
            ("e12", edith, 12, ["Ben Oak"]),
            ("e17", edith, 17, ["Ann Lee", "Ben Oak"]),
            ("w8", walter, 8, ["Cat Fir"]),
        ):
            visit = Visit(
                customer_id=customer.id,
                visit_date=DAY,
                start_at=at(hour),
                end_at=at(hour, 40),
                carers_required=len(names),
            )
            s.add(visit)
            s.flush()
            for slot, name in enumerate(names, start=1):
                s.add(VisitAssignment(visit_id=visit.id, carer_id=carers[name].id, slot=slot))
            ids[key] = visit.id
        return ids


def run(engine, text: str, *, dry_run: bool = False):
    with session_scope(engine, "coord") as s:
        return import_actuals(s, text, by="coord", now=NOW, dry_run=dry_run)


def visit(engine, visit_id: int) -> tuple:
    with session_scope(engine, "t") as s:
        v = s.get(Visit, visit_id)
        record = s.scalars(select(VisitRecord).where(VisitRecord.visit_id == visit_id)).first()
        return (
            v.actual_start,
            v.actual_end,
            v.status,
            record.source if record else None,
            record.carer_note if record else None,
            record.note_flags if record else None,
        )


class TestFormats:
    def test_by_visit_reference_with_times_on_the_date(self, engine, world):
        text = (
            "Visit ID,Date,Check In,Check Out,Call Type,Notes\n"
            f"{world['e8']},23/11/2026,08:05,08:44,IVR,All well\n"
            f"{world['w8']},23/11/2026,08:50,09:10,App,\n"
        )
        result = run(engine, text)
        assert (result.rows, result.recorded, result.unchanged) == (2, 2, 0)
        start, end, status, source, note, flags = visit(engine, world["e8"])
        assert (start, end, status, source, note, flags) == (
            at(8, 5),
            at(8, 44),
            "done",
            "ivr",
            "All well",
            "",
        )
        assert visit(engine, world["w8"])[3] == "app"

    def test_by_customer_planned_start_and_carer(self, engine, world):
        """A double-up is one visit: named by either carer, with date-and-time columns."""
        text = (
            "Service User,Care Worker,Scheduled Start,Actual Start,Actual End,Method\n"
            "edith crane,Ben Oak,23/11/2026 12:00,23/11/2026 12:10,23/11/2026 12:35,NFC\n"
            "Edith Crane,Ann Lee,2026-11-23 17:00,2026-11-23T17:02,2026-11-23T17:41,\n"
        )
        result = run(engine, text)
        assert result.recorded == 2
        assert visit(engine, world["e12"])[:4] == (at(12, 10), at(12, 35), "done", "nfc")
        assert visit(engine, world["e17"])[3] == "ecm"  # no source given

    def test_times_typed_by_the_office_are_stored_as_typed(self, engine, world):
        run(
            engine,
            f"visit_id,date,actual_start,actual_end,source\n{world['e8']},"
            "23/11/2026,08:00,08:40,Manual amendment\n",
        )
        assert visit(engine, world["e8"])[3] == "typed"

    def test_a_row_with_no_check_in_is_left_for_the_days_view(self, engine, world):
        text = f"visit_id,date,actual_start,actual_end\n{world['e8']},23/11/2026,,\n"
        result = run(engine, text)
        assert (result.recorded, result.no_times) == (0, 0) or result.recorded == 0
        assert visit(engine, world["e8"])[0] is None

    def test_check_out_after_midnight(self, engine, world):
        with session_scope(engine, "t") as s:
            v = s.get(Visit, world["w8"])
            v.start_at, v.end_at = at(22), at(23, 50)
        text = f"visit_id,date,actual_start,actual_end\n{world['w8']},23/11/2026,22:30,00:15\n"
        later = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
        with session_scope(engine, "coord") as s:
            import_actuals(s, text, by="coord", now=later)
        assert visit(engine, world["w8"])[1] == at(0, 15, date(2026, 11, 24))


class TestAllOrNothing:
    @pytest.mark.parametrize(
        ("line", "words"),
        [
            (
                "{e8},23/11/2026,23/11/2026 08:05,23/11/2026 07:00",
                "row 3: the check-out is not after the check-in",
            ),
            ("999999,23/11/2026,08:05,08:40", "row 3: there is no visit 999999"),
            ("{e8},23/11/2026,nine,08:40", "row 3: the actual start 'nine' is not a time"),
            ("{e8},23/11/2026,,08:40", "row 3: a check-out with no check-in"),
            ("{e8},23/11/2026,21:05,21:40", "row 3: the check-in 21:05 23/11/2026 is in the "),
            ("{e12},23/11/2026,12:05,12:40", "row 3: the same visit as row 2"),
            ("V12x,23/11/2026,12:05,12:40", "row 3: visit reference 'V12x' is not a visit"),
            ("{e8},31/02/2026,08:05,08:40", "row 3: date '31/02/2026' is not a calendar date"),
        ],
    )
    def test_one_bad_row_refuses_the_file_in_one_line(self, engine, world, line, words):
        text = (
            "visit_id,date,actual_start,actual_end\n"
            f"{world['e12']},23/11/2026,12:05,12:40\n" + line.format(**world) + "\n"
        )
        with pytest.raises(ActualsImportError) as caught:
            run(engine, text)
        message = str(caught.value)
        assert "\n" not in message and words in message
        assert visit(engine, world["e12"])[0] is None  # the good row was not written

    def test_a_visit_named_by_customer_that_is_not_there(self, engine, world):
        text = (
            "customer,planned_start,actual_start\nEdith Crane,23/11/2026 09:00,23/11/2026 09:05\n"
        )
        with pytest.raises(ActualsImportError, match="no visit of that customer planned at 09:00"):
            run(engine, text)

    def test_the_wrong_customer_for_a_reference(self, engine, world):
        text = f"visit_id,customer,date,actual_start\n{world['e8']},Walter Hope,23/11/2026,08:05\n"
        with pytest.raises(ActualsImportError, match="is another customer's"):
            run(engine, text)

    @pytest.mark.parametrize(
        ("text", "words"),
        [
            ("visit_id,date,actual_start\n1,23/11/2026,08:00\x00\n", "NUL byte"),
            ('visit_id,date,actual_start\n1,"23/11/2026,08:00\n2,x,y\n', "quote"),
            ("visit_id,date,actual_start,Date\n1,23/11/2026,08:00,x\n", "more than once"),
            ("visit_id,when,actual_start\n", "no data rows"),
            ("customer,date\nEdith,23/11/2026\n", "no column for the actual start"),
            ("check in,clock in,visit_id\n08:00,08:00,1\n", "2 columns could be"),
            ("visit_id,actual_start\n1," + "9" * 140_000 + "\n", "longer than"),
        ],
    )
    def test_broken_files_are_refused_in_one_line(self, engine, world, text, words):
        with pytest.raises(ActualsImportError) as caught:
            run(engine, text)
        assert words in str(caught.value) and "\n" not in str(caught.value)


class TestReimport:
    TEXT = (
        'visit_id,date,check_in,check_out,source,notes\n{e8},23/11/2026,08:05,08:44,app,"{note}"\n'
    )

    def test_the_same_file_twice_changes_nothing(self, engine, world):
        text = self.TEXT.format(note="Found on the floor, bruised arm", **world)
        first = run(engine, text)
        with session_scope(engine, "t") as s:
            audit_rows = s.scalar(select(func.count()).select_from(AuditEvent))
            version = s.get(Visit, world["e8"]).version
        second = run(engine, text)
        assert (first.recorded, second.recorded, second.unchanged) == (1, 0, 1)
        with session_scope(engine, "t") as s:
            assert s.get(Visit, world["e8"]).version == version
            # only the import's own note is added to the trail
            assert s.scalar(select(func.count()).select_from(AuditEvent)) == audit_rows + 1

    def test_the_import_is_audited_without_names(self, engine, world):
        run(engine, self.TEXT.format(note="fine", **world))
        with session_scope(engine, "t") as s:
            events = s.scalars(select(AuditEvent).where(AuditEvent.table_name == "visit")).all()
            note = [e for e in events if e.action == "note"][-1]
            assert "call-monitoring import" in note.changes and "Edith" not in note.changes
            assert any(e.action == "update" and e.actor == "coord" for e in events)

    def test_a_dry_run_writes_nothing(self, engine, world):
        result = run(engine, self.TEXT.format(note="", **world), dry_run=True)
        assert result.recorded == 1 and "dry run" in result.summary()
        assert visit(engine, world["e8"])[0] is None

    def test_a_visit_recorded_missed_takes_the_check_in(self, engine, world):
        with session_scope(engine, "t") as s:
            gv.record_missed(s, world["e8"], None, reason="no_access", by="coord")
        result = run(engine, self.TEXT.format(note="", **world))
        assert result.replaced_missed == 1
        assert visit(engine, world["e8"])[2] == "done"


class TestTheDaysViewAndTheKpiPack:
    def test_late_and_short_from_imported_times(self, engine, world):
        run(
            engine,
            "visit_id,date,check_in,check_out,source\n"
            f"{world['e8']},23/11/2026,08:45,09:00,app\n"  # 45 min late, 15 of 40 min
            f"{world['w8']},23/11/2026,08:00,08:40,app\n",
        )
        with session_scope(engine, "t") as s:
            rows = {v.id: v for v in gv.day_visits(s, DAY, at(19))}
        assert rows[world["e8"]].state.late and rows[world["e8"]].state.short
        assert rows[world["w8"]].words() == "on time"
        assert rows[world["e12"]].state.missed is False
        with session_scope(engine, "t") as s:
            late = gv.day_visits(s, DAY, at(23, 30))
        assert {v.id for v in late if v.state.missed} == {world["e12"], world["e17"]}

    def test_call_logging_compliance_comes_out_where_actuals_exist(self, engine, world):
        def pack():
            with session_scope(engine, "t") as s:
                return kpi.kpi_pack(s, DAY, now=NOW, definitions=KpiDefinitions())

        assert pack().line("call_logging").value_text() == "not recorded"
        run(
            engine,
            "visit_id,date,check_in,check_out,source\n"
            f"{world['e8']},23/11/2026,08:05,08:44,app\n"
            f"{world['e12']},23/11/2026,12:05,12:40,IVR\n"
            f"{world['e17']},23/11/2026,17:00,17:40,office\n"  # typed by the office
            f"{world['w8']},23/11/2026,08:00,08:40,NFC\n",
        )
        line = pack().line("call_logging")
        assert line.recorded and (line.count, line.base) == (3, 4)
        assert pack().line("late15").base == 4


class TestNoteFlags:
    @pytest.mark.parametrize(
        ("note", "flags"),
        [
            ("All well, had her tea", ""),
            ("Bruised left arm", "safeguarding: bruised"),
            ("She fell in the night, found on floor", "clinical: fell, found on floor"),
            ("Refused  medication again", "clinical: refused  medication"),
            (
                "Says money missing from purse; confused",
                "safeguarding: money missing; clinical: confused",
            ),
            ("Fitted a new hoist sling", ""),  # 'fit' is not a term; 'fall' not in 'fitted'
        ],
    )
    def test_words_from_the_reference_list(self, note, flags):
        assert flag_words(note) == flags

    def test_an_imported_note_is_flagged(self, engine, world):
        result = run(
            engine,
            "visit_id,date,check_in,check_out,notes\n"
            f"{world['e8']},23/11/2026,08:05,08:44,Red heel and a bruise on her hip\n",
        )
        assert result.flagged == 1
        assert visit(engine, world["e8"])[5] == "clinical: red heel; safeguarding: bruise"


# -- the parser never crashes: any text is rows or one refusal ---------------------------

CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.lists(
        st.sampled_from(
            ["visit_id", "date", "check in", "check out", "customer", "planned start", "notes", "x"]
        ),
        min_size=1,
        max_size=6,
    ),
    rows=st.lists(st.lists(CELL, max_size=7), max_size=4),
    raw=st.text(max_size=40),
)
def test_any_file_is_read_or_refused_with_row_numbers(header, rows, raw):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    for text in (buffer.getvalue(), buffer.getvalue() + raw, raw):
        try:
            read, count, columns = read_actuals(text)
        except ActualsImportError as exc:
            assert exc.problems and all(
                p.startswith(("row ", "line ", "the file")) for p in exc.problems
            )
        else:
            assert count >= len(read) and "actual_start" in columns


# -- the command line ----------------------------------------------------------------------


def test_the_command_line(engine, world, db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("COORDINATOR_TUI_TODAY", "2026-11-24")
    runner = CliRunner()
    good = tmp_path / "ecm.csv"
    good.write_text(f"Visit ID,Date,Check In,Check Out\n{world['e8']},23/11/2026,08:05,08:44\n")
    dry = runner.invoke(
        cli_app, ["visits", "import-actuals", str(good), "--db", str(db_path), "--dry-run"]
    )
    assert dry.exit_code == 0 and "would be recorded" in dry.stdout
    assert visit(engine, world["e8"])[0] is None
    done = runner.invoke(
        cli_app, ["visits", "import-actuals", str(good), "--db", str(db_path), "--json"]
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["recorded"] == 1
    assert visit(engine, world["e8"])[0] == at(8, 5)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"Visit ID,Date,Check In\n{world['e8']},23/11/2026,8 ish\n")
    refused = runner.invoke(cli_app, ["visits", "import-actuals", str(bad), "--db", str(db_path)])
    assert refused.exit_code == 2
    assert refused.stderr.strip().count("\n") == 0 and "row 2" in refused.stderr
