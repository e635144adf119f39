"""The CQC evidence pack (issue 16 §3): the map as reference data, the pack for a quality
statement with its record ids and dates, pseudonymised names, the gaps, the exports read
back, and the audit of views and exports."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from coordinator_tui.db import open_database, session_scope
from coordinator_tui.services.reports import ReportsError
from coordinator_tui.services.reports.cqc import (
    evidence_pack,
    export_pack,
    item_rows,
    load_map,
    period_for,
)

TODAY = date(2026, 11, 23)


class TestMap:
    def test_the_framework_as_published(self) -> None:
        emap = load_map()
        assert len(emap.statements) == 34
        per_question = {}
        for s in emap.statements:
            per_question[s.key_question] = per_question.get(s.key_question, 0) + 1
        assert per_question == {
            "Safe": 8,
            "Effective": 6,
            "Caring": 5,
            "Responsive": 7,
            "Well-led": 8,
        }
        assert set(emap.categories.values()) == {
            "People's experience",
            "Feedback from staff and leaders",
            "Feedback from partners",
            "Observation",
            "Processes",
            "Outcomes",
        }

    def test_every_record_kind_the_issue_names_is_mapped(self) -> None:
        kinds = {k.key for k in load_map().kinds}
        assert {
            "register_reviews",
            "referrals",
            "meetings",
            "actions",
            "coding_audit",
            "incidents",
            "candour",
            "complaints",
            "training",
            "supervision",
            "care_plan_reviews",
            "kpi_packs",
        } <= kinds
        for kind in load_map().kinds:
            assert kind.statements and kind.categories, kind.key

    @pytest.mark.parametrize(
        ("typed", "key"),
        [
            ("safeguarding", "safeguarding"),
            ("Learning culture", "learning_culture"),
            ("medicines", "medicines"),
            ("safe and eff", "staffing"),
            ("GOVERNANCE", "governance"),
        ],
    )
    def test_statement_by_key_or_name(self, typed, key) -> None:
        assert load_map().statement(typed).key == key

    def test_unknown_or_ambiguous_statement_refused(self) -> None:
        with pytest.raises(ReportsError, match="No quality statement"):
            load_map().statement("parking")
        with pytest.raises(ReportsError):
            load_map().statement("safe")  # safe systems, safe environments, ...

    def test_a_practice_map_naming_an_unknown_statement_is_refused(self, tmp_path) -> None:
        from coordinator_tui.services.reference import ReferenceDataError

        shipped = json.loads(
            (Path(__file__).parents[1] / "data" / "cqc_evidence_map.json").read_text()
        )
        shipped["record_kinds"][0]["statements"] = ["parking"]
        (tmp_path / "cqc_evidence_map.json").write_text(json.dumps(shipped))
        with pytest.raises(ReferenceDataError, match="parking"):
            load_map(tmp_path)

    def test_period(self) -> None:
        assert period_for(12, TODAY) == (date(2025, 11, 24), TODAY)
        assert period_for(1, date(2026, 3, 31)) == (date(2026, 3, 1), date(2026, 3, 31))
        with pytest.raises(ReportsError):
            period_for(0, TODAY)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    """Register reviews, referrals and supervision placed around a six-month period
    (24/05/2026 to 23/11/2026)."""
    from coordinator_tui.models import (
        Carer,
        Person,
        Practice,
        Referral,
        RegisterCategory,
        RegisterEntry,
        RegisterReview,
        SupervisionRecord,
    )

    opened = open_database(str(tmp_path / "cqc.db"))
    with session_scope(opened.engine, "fixture") as s:
        practice = Practice(ods_code="A1", name="Alder", short_name="Alder")
        category = RegisterCategory(code="CP", name="CP plan", age_band="child")
        s.add_all([practice, category])
        s.flush()
        ann = Person(
            nhs_number="9990000001",
            given_name="Ann",
            family_name="Example",
            date_of_birth=date(2015, 1, 1),
            practice_id=practice.id,
        )
        s.add(ann)
        s.flush()
        entry = RegisterEntry(
            person_id=ann.id,
            category_id=category.id,
            practice_id=practice.id,
            start_date=date(2025, 1, 1),
        )
        s.add(entry)
        s.flush()
        for on, action in [
            (date(2026, 5, 20), "reviewed"),  # before the period
            (date(2026, 6, 1), "reviewed"),
            (date(2026, 9, 1), "snoozed"),  # not a review
            (date(2026, 10, 1), "reviewed"),
        ]:
            s.add(RegisterReview(entry_id=entry.id, reviewed_on=on, action=action))
        s.add(
            Referral(
                person_id=ann.id,
                practice_id=practice.id,
                referral_type="MASH",
                state="closed",
                drafted_at=noon(date(2026, 7, 1)),
                sent_at=noon(date(2026, 7, 2)),
            )
        )
        carer = Carer(name="Carol Carer")
        s.add(carer)
        s.flush()
        s.add(
            SupervisionRecord(
                carer_id=carer.id, kind="supervision", held_on=date(2026, 5, 10), supervisor="Sam"
            )
        )
        ids = {"person": ann.id, "entry": entry.id, "carer": carer.id}
    opened.engine.ids = ids  # type: ignore[attr-defined]
    yield opened.engine
    opened.engine.dispose()


class TestPack:
    def test_items_with_record_id_and_date_newest_first(self, engine) -> None:
        with session_scope(engine, "j.bloggs") as s:
            pack = evidence_pack(s, "safeguarding", 6, TODAY)
        assert (pack.date_from, pack.date_to) == (date(2026, 5, 24), TODAY)
        reviews = next(sec for sec in pack.sections if sec.kind.key == "register_reviews")
        assert [(i.on, i.record.split(" #")[0]) for i in reviews.items] == [
            (date(2026, 10, 1), "register review"),
            (date(2026, 6, 1), "register review"),
        ]
        assert [i.ref for i in reviews.items] == [f"{reviews.number}.1", f"{reviews.number}.2"]
        assert {i.summary for i in reviews.items} == {"CP plan"}  # the register reviewed
        referrals = next(sec for sec in pack.sections if sec.kind.key == "referrals")
        (item,) = referrals.items
        assert item.on == date(2026, 7, 2)
        assert item.summary == "MASH, closed"

    def test_people_pseudonymised_unless_asked(self, engine) -> None:
        person = engine.ids["person"]
        with session_scope(engine, "j.bloggs") as s:
            hidden = evidence_pack(s, "safeguarding", 6, TODAY)
            shown = evidence_pack(s, "safeguarding", 6, TODAY, names=True)
        about = {i.about for sec in hidden.sections for i in sec.items if i.about}
        assert about == {f"person #{person}"}
        assert "Ann" not in json.dumps([item_rows(sec) for sec in hidden.sections])
        assert {i.about for sec in shown.sections for i in sec.items if i.about} == {"Ann Example"}

    def test_gaps(self, engine) -> None:
        with session_scope(engine, "j.bloggs") as s:
            pack = evidence_pack(s, "staffing", 6, TODAY)
        assert "No supervision recorded since May 2026." in pack.gaps
        assert "No training completions recorded." in pack.gaps
        assert "No homecare KPI packs kept in Coordinator TUI: bring them from elsewhere." in (
            pack.gaps
        )
        with session_scope(engine, "j.bloggs") as s:
            year = evidence_pack(s, "staffing", 12, TODAY)
        supervision = next(sec for sec in year.sections if sec.kind.key == "supervision")
        assert [i.on for i in supervision.items] == [date(2026, 5, 10)]
        assert "No supervision recorded since May 2026." in year.gaps  # still due again

    def test_a_statement_nothing_evidences_says_so(self, engine) -> None:
        with session_scope(engine, "j.bloggs") as s:
            pack = evidence_pack(s, "sustainability", 12, TODAY)
        assert pack.sections == ()
        assert pack.gaps == ("No record kept in Coordinator TUI evidences this statement.",)


class TestExports:
    @pytest.fixture
    def pack(self, engine):
        with session_scope(engine, "j.bloggs") as s:
            return evidence_pack(s, "safeguarding", 6, TODAY)

    def test_docx_is_indexed_with_every_item(self, engine, pack, tmp_path) -> None:
        from docx import Document

        path = tmp_path / "pack.docx"
        with session_scope(engine, "j.bloggs") as s:
            export_pack(s, pack, path)
        assert path.stat().st_mode & 0o777 == 0o600
        document = Document(str(path))
        (index,) = document.tables
        rows = [[c.text for c in row.cells] for row in index.rows]
        assert rows[0] == ["Section", "Evidence", "Categories", "Items", "Latest"]
        assert [r[3] for r in rows[1:]] == [
            str(len(sec.items)) if sec.kept else "not kept in the app" for sec in pack.sections
        ]
        text = [p.text for p in document.paragraphs]
        for section in pack.sections:
            for item in section.items:
                assert any(line.startswith(f"{item.ref} · {item.record} · ") for line in text)
        for gap in pack.gaps:
            assert gap in text

    def test_xlsx_sheet_per_section(self, engine, pack, tmp_path) -> None:
        from openpyxl import load_workbook

        path = tmp_path / "pack.xlsx"
        with session_scope(engine, "j.bloggs") as s:
            export_pack(s, pack, path)
        book = load_workbook(path)
        assert book.sheetnames[0] == "Index"
        assert len(book.sheetnames) == 1 + len(pack.sections)
        for name, section in zip(book.sheetnames[1:], pack.sections, strict=True):
            values = [list(r) for r in book[name].iter_rows(values_only=True)][1:]
            assert values == [[c or None for c in row] for row in item_rows(section)]

    def test_csv_and_audit(self, engine, pack, tmp_path) -> None:
        import csv

        from sqlalchemy import select

        from coordinator_tui.models import AuditEvent

        path = tmp_path / "pack.csv"
        with session_scope(engine, "j.bloggs") as s:
            export_pack(s, pack, path)
        lines = list(csv.reader(path.read_text().splitlines()))
        assert len(lines) == 1 + pack.item_count
        with session_scope(engine, "read") as s:
            events = s.execute(
                select(
                    AuditEvent.actor, AuditEvent.action, AuditEvent.table_name, AuditEvent.changes
                )
                .where(AuditEvent.action.in_(("read", "export")))
                .order_by(AuditEvent.id)
            ).all()
        assert [(a, b, c) for a, b, c, _ in events] == [
            ("j.bloggs", "read", "cqc_evidence"),
            ("j.bloggs", "export", "report"),
        ]
        assert json.loads(events[-1][3])["export"] == "cqc evidence"

    def test_unknown_extension_refused(self, engine, pack, tmp_path) -> None:
        with pytest.raises(ReportsError), session_scope(engine, "j.bloggs") as s:
            export_pack(s, pack, tmp_path / "pack.pdf")


class TestScreen:
    async def test_statement_names_months_and_export(self, engine) -> None:
        from pilot_helpers import shown_text, wait_for
        from textual.widgets import Input

        from coordinator_tui.app import make_app
        from coordinator_tui.screens.form_dialog import FormDialog
        from coordinator_tui.screens.reports.cqc import CqcEvidenceScreen
        from coordinator_tui.screens.reports.reports import ReportsScreen
        from coordinator_tui.settings import load_settings
        from coordinator_tui.widgets.lazy_table import LazyTable

        settings = load_settings(str(engine.url.database))
        settings.today = TODAY
        app = make_app(settings, engine)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("7")
            await wait_for(
                pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded
            )
            await pilot.press("q")
            await wait_for(
                pilot, lambda: isinstance(app.screen, CqcEvidenceScreen) and app.screen.loaded
            )
            screen = app.screen
            summary = shown_text(screen.query_one("#cqc-summary"))
            assert "CQC evidence: Safe: Safeguarding" in summary
            assert "24/11/2025 to 23/11/2026 (12 months)" in summary
            assert "No supervision recorded since May 2026." in shown_text(
                screen.query_one("#cqc-gaps"), width=400
            )
            table = screen.query_one(LazyTable)

            def cells() -> list[tuple]:
                return [tuple(map(str, r.cells)) for r in table.source.rows(0, table.row_count)]

            person = engine.ids["person"]
            reviews = [c for c in cells() if c[1].startswith("register review #")]
            assert [c[2] for c in reviews] == ["01/10/2026", "01/06/2026", "20/05/2026"]
            assert {c[3] for c in reviews} == {f"person #{person}"}
            # n: names shown.
            await pilot.press("n")
            await wait_for(pilot, lambda: screen.pack.names)
            assert {c[3] for c in cells() if c[1].startswith("register review #")} == {
                "Ann Example"
            }
            # m: six months leaves out the review of 20/05.
            await pilot.press("m")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            app.screen.query_one(Input).value = "6"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: screen.pack.months == 6)
            assert [c[2] for c in cells() if c[1].startswith("register review #")] == [
                "01/10/2026",
                "01/06/2026",
            ]
            # ]: the next statement in the framework's order.
            await pilot.press("right_square_bracket")
            await wait_for(pilot, lambda: screen.pack.statement.key == "managing_risks")
            await pilot.press("left_square_bracket")
            await wait_for(pilot, lambda: screen.pack.statement.key == "safeguarding")
            # s: type a few letters of a statement, enter takes it, ctrl+s opens its pack.
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            await pilot.press(*"medicines", "enter", "ctrl+s")
            await wait_for(pilot, lambda: screen.pack.statement.key == "medicines")
            assert "CQC evidence: Safe: Medicines optimisation" in shown_text(
                screen.query_one("#cqc-summary")
            )
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            await pilot.press(*"safeguarding", "enter", "ctrl+s")
            await wait_for(pilot, lambda: screen.pack.statement.key == "safeguarding")
            # E: Word, Excel and CSV, owner-only.
            await pilot.press("E")
            await wait_for(pilot, lambda: len(screen.last_export) == 3)
            assert {p.suffix for p in screen.last_export} == {".docx", ".xlsx", ".csv"}
            assert all(p.stat().st_mode & 0o777 == 0o600 for p in screen.last_export)
            docx = next(p for p in screen.last_export if p.suffix == ".docx")
            from docx import Document

            text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
            assert "Ann Example" in text  # names were shown when exported


class TestCli:
    def run(self, engine, *args: str):
        from typer.testing import CliRunner

        from coordinator_tui.cli import app as cli_app

        return CliRunner().invoke(
            cli_app,
            ["report", "cqc", "--db", str(engine.url.database), *args],
            env={"COORDINATOR_TUI_TODAY": TODAY.isoformat()},
        )

    def test_docx_out_and_gaps(self, engine, tmp_path) -> None:
        from docx import Document

        path = tmp_path / "pack.docx"
        result = self.run(
            engine, "--statement", "safeguarding", "--months", "12", "--out", str(path)
        )
        assert result.exit_code == 0, result.output
        # 3 reviews, 1 referral and the supervision of 10/05/2026
        assert "Wrote 5 items (CQC evidence: Safe: Safeguarding)" in result.output
        assert "gap: No training completions recorded." in result.output
        assert path.stat().st_mode & 0o777 == 0o600
        assert "Ann" not in "\n".join(p.text for p in Document(str(path)).paragraphs)

    def test_json_with_names(self, engine) -> None:
        result = self.run(engine, "--statement", "Safeguarding", "--names", "--json")
        document = json.loads(result.output)
        assert document["statement"] == "safeguarding" and document["names"] is True
        items = [i for s in document["sections"] for i in s["items"]]
        assert {i["about"] for i in items if i["about"]} == {"Ann Example", "Carol Carer"}
        assert all(i["record"] and i["date"] for i in items)

    def test_unknown_statement_and_bad_file(self, engine) -> None:
        result = self.run(engine, "--statement", "parking")
        assert result.exit_code == 2 and "No quality statement 'parking'" in result.output
        result = self.run(engine, "--out", "pack.pdf")
        assert result.exit_code == 2


class TestBrokenMap:
    async def test_a_broken_practice_map_is_said_not_a_crash(self, engine, tmp_path) -> None:
        """A practice's own copy of the map that does not parse: the pack says so in a
        notification and the screen stays (nothing is shown from a map not understood)."""
        from pilot_helpers import wait_for

        from coordinator_tui.app import make_app
        from coordinator_tui.screens.reports.cqc import CqcEvidenceScreen
        from coordinator_tui.screens.reports.reports import ReportsScreen
        from coordinator_tui.services.reference import use_practice_dir
        from coordinator_tui.settings import load_settings

        folder = tmp_path / "practice"
        folder.mkdir()
        (folder / "cqc_evidence_map.json").write_text("{not json")
        settings = load_settings(str(engine.url.database))
        settings.today = TODAY
        app = make_app(settings, engine)
        use_practice_dir(folder)
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.press("7")
                await wait_for(
                    pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded
                )
                await pilot.press("q")

                def said() -> bool:
                    return any("cqc_evidence_map.json" in n.message for n in app._notifications)

                await wait_for(pilot, said)
                await pilot.press("s", "right_square_bracket")
                await pilot.pause()
                assert isinstance(app.screen, CqcEvidenceScreen)
                assert app.screen.pack is None
        finally:
            use_practice_dir(None)
