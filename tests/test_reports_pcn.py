"""The PCN safeguarding report (issue 16 §1) and the small-number rule it shares."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordinator_tui.services.reports.pcn import _nearest_rank
from coordinator_tui.services.reports.small_numbers import (
    suppress,
    suppress_derived,
    suppress_row,
)


class TestSmallNumbers:
    """NHS small-number practice: 1 to 4 withheld as ``*``; 0 and 5+ shown."""

    @pytest.mark.parametrize(
        ("value", "shown"),
        [(0, 0), (1, "*"), (2, "*"), (4, "*"), (5, 5), (120, 120), (None, None)],
    )
    def test_suppressed_by_default(self, value, shown) -> None:
        assert suppress(value, show_small=False) == shown

    @pytest.mark.parametrize("value", [0, 1, 3, 4, 5, None])
    def test_shown_for_internal_use(self, value) -> None:
        assert suppress(value, show_small=True) == value

    @pytest.mark.parametrize(
        ("parts", "total", "shown"),
        [
            ([2, 0, 5], 7, ["*", 0, "*", 7]),  # one withheld: the next smallest too
            ([2, 3, 9], 14, ["*", "*", 9, 14]),  # two withheld: nothing to work out
            ([2, 0, 0], 2, ["*", 0, 0, "*"]),  # the total withheld itself
            ([6, 7, 8], 21, [6, 7, 8, 21]),
            ([1, 6, 9, 7], 23, ["*", "*", 9, 7, 23]),
            ([0, 0], 0, [0, 0, 0]),
        ],
    )
    def test_secondary_suppression(self, parts, total, shown) -> None:
        from coordinator_tui.services.reports.small_numbers import suppress_row

        assert suppress_row(parts, total, show_small=False) == shown
        assert suppress_row(parts, total, show_small=True) == [*parts, total]

    @given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=8))
    def test_no_withheld_part_can_be_worked_out(self, parts) -> None:
        """Property: whatever the counts, a row shown with its total never has exactly one
        part withheld; nothing from 1 to 4 is shown; shown parts are the real ones."""
        total = sum(parts)
        cells = suppress_row(parts, total, show_small=False)
        assert not any(isinstance(c, int) and 1 <= c <= 4 for c in cells)
        if cells[-1] != "*":
            assert cells[-1] == total
            assert cells[:-1].count("*") != 1
        for part, cell in zip(parts, cells, strict=False):
            assert cell in ("*", part)

    @given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=50))
    def test_nearest_rank_percentile(self, days) -> None:
        """The 90th percentile is an observed value with at least 90% at or below it and
        less than 90% strictly below it."""
        p90 = _nearest_rank(days, 0.9)
        assert p90 in days
        assert sum(d <= p90 for d in days) >= 0.9 * len(days)
        assert sum(d < p90 for d in days) < 0.9 * len(days)

    def test_derived_figure_follows_its_base(self) -> None:
        assert suppress_derived(7.5, 3, show_small=False) == "*"
        assert suppress_derived(7.5, 5, show_small=False) == 7.5
        assert suppress_derived(7.5, 3, show_small=True) == 7.5
        assert suppress_derived(None, 0, show_small=False) is None


# -- the hand-counted fixture ---------------------------------------------------------------
# October 2026 (no bank holiday in England), two practices, records placed on and around
# the period's edges. Every expected figure below is counted by hand from these rows;
# the comment beside each row says where it counts.

FROM, TO, TODAY = date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 23)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def build_fixture(engine) -> dict[str, int]:
    from coordinator_tui.db import session_scope
    from coordinator_tui.models import (
        Action,
        CaseConference,
        CodingAuditRun,
        CodingFinding,
        Concern,
        Meeting,
        MeetingAttendee,
        Person,
        Practice,
        Referral,
        ReferralChase,
        RegisterCategory,
        RegisterEntry,
        RegisterReview,
        SharingRecord,
        Staff,
    )

    d = date
    with session_scope(engine, "fixture") as s:
        alder = Practice(
            ods_code="A00001", name="Alder Surgery", short_name="Alder", pcn_name="Test PCN"
        )
        birch = Practice(
            ods_code="B00002", name="Birch Surgery", short_name="Birch", pcn_name="Test PCN"
        )
        cp = RegisterCategory(
            code="CP", name="CP plan", age_band="child", review_interval_days=90, sort_order=1
        )
        va = RegisterCategory(
            code="VA",
            name="Adult at risk",
            age_band="adult",
            review_interval_days=180,
            sort_order=2,
        )
        s.add_all([alder, birch, cp, va])
        s.flush()
        people = []
        for n, practice in enumerate([alder, alder, alder, birch, birch, birch]):
            person = Person(
                nhs_number=f"99900000{n:02d}",
                given_name=f"Given{n}",
                family_name=f"Family{n}",
                date_of_birth=d(2015, 1, 1 + n),
                practice_id=practice.id,
            )
            s.add(person)
            people.append(person)
        s.flush()
        pa, pa2, pa3, pb, pb2, pb3 = people
        A, B = alder.id, birch.id

        def entry(person, category, start, end=None, due=None):
            row = RegisterEntry(
                person_id=person.id,
                category_id=category.id,
                practice_id=person.practice_id,
                start_date=start,
                end_date=end,
                next_review_due=due,
                status="ended" if end else "active",
            )
            s.add(row)
            s.flush()
            return row

        def review(row, on, due_before, next_due=None, action="reviewed"):
            s.add(
                RegisterReview(
                    entry_id=row.id,
                    reviewed_on=on,
                    due_before=due_before,
                    next_review_due=next_due,
                    action=action,
                )
            )

        e1 = entry(pa, cp, d(2026, 6, 1), due=d(2026, 12, 1))  # CP open A
        review(e1, d(2026, 10, 10), d(2026, 10, 15), d(2026, 12, 1))  # on time A
        entry(pa2, cp, d(2026, 10, 5), due=d(2027, 1, 3))  # CP open A, joined A
        e3 = entry(pa3, va, d(2025, 1, 1), end=d(2026, 10, 20))  # VA left A
        review(e3, d(2026, 10, 2), d(2026, 9, 30), d(2026, 11, 30))  # late A
        e4 = entry(pb, cp, d(2026, 3, 1), due=d(2026, 12, 20))  # CP open B, overdue B
        review(e4, d(2026, 11, 10), d(2026, 9, 15), d(2026, 12, 20))  # after the period
        e5 = entry(pb2, va, d(2026, 9, 1), end=d(2026, 11, 5))  # VA open B, overdue B
        review(e5, d(2026, 11, 5), d(2026, 10, 20), None, action="ended")
        entry(pb3, va, d(2026, 11, 2), due=d(2027, 5, 1))  # after the period: nowhere

        def concern(person, on, role, status):
            s.add(
                Concern(
                    person_id=person.id,
                    practice_id=person.practice_id,
                    raised_by="x",
                    raised_by_role=role,
                    raised_on=on,
                    category="neglect",
                    status=status,
                )
            )

        concern(pa, d(2026, 10, 3), "GP", "nfa")
        concern(pa2, d(2026, 10, 12), "GP", "referred")
        concern(pb, d(2026, 10, 30), "Practice nurse", "untriaged")
        concern(pb2, d(2026, 9, 29), "GP", "referred")  # before the period

        def referral(person, kind, sent=None, outcome=None):
            row = Referral(
                person_id=person.id,
                practice_id=person.practice_id,
                referral_type=kind,
                drafted_at=noon(d(2026, 9, 1)),
                sent_at=noon(sent) if sent else None,
                outcome_received_at=noon(outcome) if outcome else None,
                state="outcome_received" if outcome else "sent",
            )
            s.add(row)
            s.flush()
            return row

        def chase(row, on):
            s.add(ReferralChase(referral_id=row.id, chased_at=noon(on)))

        referral(pa, "MASH", d(2026, 10, 1), d(2026, 10, 5))  # A sent, 2 working days
        referral(pa2, "MASH", d(2026, 10, 6), d(2026, 10, 20))  # A sent, 10 working days
        referral(pb, "MASH", d(2026, 9, 28), d(2026, 10, 2))  # B outcome only, 4 days
        f4 = referral(pb2, "MASH", d(2026, 10, 15))  # B sent
        chase(f4, d(2026, 10, 22))  # B chased
        f5 = referral(pa3, "S42", d(2026, 10, 7))  # A sent
        chase(f5, d(2026, 10, 14))  # A chased (once, whatever the chases)
        chase(f5, d(2026, 10, 21))
        f6 = referral(pa, "MASH", d(2026, 10, 2), d(2026, 11, 2))  # A sent; outcome after
        chase(f6, d(2026, 9, 30))  # before the period
        referral(pb3, "S42")  # drafted only: nowhere

        def conference(person, kind, due, held=None):
            s.add(CaseConference(person_id=person.id, kind=kind, due_date=due, held_on=held))

        conference(pa, "initial_cp", d(2026, 10, 10), d(2026, 10, 9))  # A due, held
        conference(pb, "initial_cp", d(2026, 10, 20), d(2026, 10, 22))  # B due, held late
        conference(pb2, "review_cp", d(2026, 10, 25))  # B due, not held
        conference(pa2, "review_cp", d(2026, 9, 20), d(2026, 10, 5))  # A held late
        conference(pa3, "strategy", d(2026, 11, 10))  # after the period

        staff = [Staff(name=f"Staff {n}") for n in range(7)]
        s.add_all(staff)
        s.flush()

        def meeting(practice_id, on, status):
            row = Meeting(
                practice_id=practice_id,
                title="Safeguarding meeting",
                starts_at=noon(on),
                status=status,
            )
            s.add(row)
            s.flush()
            return row

        m1 = meeting(None, d(2026, 10, 6), "finished")  # PCN-wide
        for n, attendance in enumerate(["present"] * 5 + ["apologies", "absent"]):
            s.add(MeetingAttendee(meeting_id=m1.id, staff_id=staff[n].id, attendance=attendance))
        m2 = meeting(A, d(2026, 10, 20), "finished")  # A
        for n in range(2):
            s.add(MeetingAttendee(meeting_id=m2.id, staff_id=staff[n].id, attendance="present"))
        meeting(None, d(2026, 11, 3), "planned")  # after the period
        meeting(B, d(2026, 10, 13), "cancelled")  # not held

        def action(meeting_row, person, due, status="open", completed=None):
            s.add(
                Action(
                    meeting_id=meeting_row.id if meeting_row else None,
                    person_id=person.id if person else None,
                    description="do it",
                    due_date=due,
                    status=status,
                    completed_at=noon(completed) if completed else None,
                )
            )

        action(m1, pa, d(2026, 10, 10), "done", d(2026, 10, 9))  # A on time
        action(m1, pb, d(2026, 10, 15), "done", d(2026, 10, 16))  # B late
        action(m1, None, d(2026, 10, 20))  # PCN-wide overdue
        action(m2, None, d(2026, 10, 31))  # A open, due on the last day: not yet due
        action(m1, pa, d(2026, 10, 25), "cancelled")  # nowhere
        action(m1, pb, d(2026, 11, 5))  # after the period
        action(None, pa, d(2026, 10, 10))  # not a meeting's action

        old = CodingAuditRun(imported_at=noon(d(2026, 9, 1)))
        run = CodingAuditRun(imported_at=noon(d(2026, 11, 1)))
        s.add_all([old, run])
        s.flush()

        def finding(run_row, person, kind, status="open"):
            s.add(
                CodingFinding(
                    run_id=run_row.id,
                    person_id=person.id,
                    practice_id=person.practice_id,
                    kind=kind,
                    list_id="CP",
                    status=status,
                )
            )

        finding(old, pa, "coded_not_registered")  # an older import: not counted
        finding(run, pa, "coded_not_registered")  # A open
        finding(run, pa2, "coded_not_registered")  # A open
        finding(run, pb, "registered_not_coded")  # B open
        finding(run, pa3, "dates_disagree", "redated")  # resolved
        finding(run, pb2, "registered_not_coded", "correction")  # B for correction

        def shared(person, on, direction="disclosure", decision="shared", consent="given"):
            s.add(
                SharingRecord(
                    person_id=person.id,
                    direction=direction,
                    occurred_on=on,
                    organisation="County MASH",
                    what="safeguarding",
                    decision=decision,
                    consent=consent if decision == "shared" else "",
                )
            )

        shared(pa, d(2026, 10, 10))  # A disclosure, consent given
        shared(pa2, d(2026, 10, 20), consent="not_sought")  # A disclosure, without consent
        shared(pa3, d(2026, 10, 25), "request", "pending")  # A request, pending
        shared(pb, d(2026, 10, 15), "request", "refused")  # B request, refused
        shared(pb2, d(2026, 10, 16), "request", consent="overridden")  # B request, shared
        shared(pb3, d(2026, 9, 30))  # before the period: not counted
        shared(pb3, d(2026, 11, 1), consent="overridden")  # after it: not counted
        return {"A": A, "B": B}


@pytest.fixture(scope="module")
def fixture_engine(tmp_path_factory):
    """The fixture built once for the module (the tests only read it)."""
    from coordinator_tui.db import open_database

    opened = open_database(str(tmp_path_factory.mktemp("pcn") / "pcn.db"))
    build_fixture(opened.engine)
    yield opened.engine
    opened.engine.dispose()


@pytest.fixture(scope="module")
def report(fixture_engine):
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.reports.pcn import pcn_report

    with session_scope(fixture_engine, "test.user") as s:
        return pcn_report(s, FROM, TO, TODAY)


COLUMNS = ("Alder", "Birch", "PCN-wide", "PCN total")
# (section, item, measure): (Alder, Birch, PCN-wide, PCN total), counted by hand above.
EXPECTED = {
    ("registers", "CP plan", "open"): (2, 1, 0, 3),
    ("registers", "CP plan", "joined"): (1, 0, 0, 1),
    ("registers", "CP plan", "left"): (0, 0, 0, 0),
    ("registers", "Adult at risk", "open"): (0, 1, 0, 1),
    ("registers", "Adult at risk", "joined"): (0, 0, 0, 0),
    ("registers", "Adult at risk", "left"): (1, 0, 0, 1),
    ("reviews", "All registers", "done on time"): (1, 0, 0, 1),
    ("reviews", "All registers", "done late"): (1, 0, 0, 1),
    ("reviews", "All registers", "overdue"): (0, 2, 0, 2),
    ("concerns", "All concerns", "raised"): (2, 1, 0, 3),
    ("concerns", "Raised by", "GP"): (2, 0, 0, 2),
    ("concerns", "Raised by", "Practice nurse"): (0, 1, 0, 1),
    ("concerns", "Where it stands", "no further action"): (1, 0, 0, 1),
    ("concerns", "Where it stands", "referred"): (1, 0, 0, 1),
    ("concerns", "Where it stands", "not triaged yet"): (0, 1, 0, 1),
    ("concerns", "Where it stands", "put on a register"): (0, 0, 0, 0),
    ("referrals", "MASH / children's social care", "sent"): (3, 1, 0, 4),
    ("referrals", "MASH / children's social care", "outcome received"): (2, 1, 0, 3),
    ("referrals", "MASH / children's social care", "median working days"): (6.0, 4.0, None, 4.0),
    ("referrals", "MASH / children's social care", "90th percentile"): (10, 4, None, 10),
    ("referrals", "MASH / children's social care", "chased"): (0, 1, 0, 1),
    ("referrals", "Adult Section 42 concern", "sent"): (1, 0, 0, 1),
    ("referrals", "Adult Section 42 concern", "outcome received"): (0, 0, 0, 0),
    ("referrals", "Adult Section 42 concern", "median working days"): (None, None, None, None),
    ("referrals", "Adult Section 42 concern", "chased"): (1, 0, 0, 1),
    ("conferences", "Initial CP conference", "due"): (1, 1, 0, 2),
    ("conferences", "Initial CP conference", "held"): (1, 1, 0, 2),
    ("conferences", "Initial CP conference", "held late"): (0, 1, 0, 1),
    ("conferences", "Initial CP conference", "not held"): (0, 0, 0, 0),
    ("conferences", "CP review conference", "due"): (0, 1, 0, 1),
    ("conferences", "CP review conference", "held"): (1, 0, 0, 1),
    ("conferences", "CP review conference", "held late"): (1, 0, 0, 1),
    ("conferences", "CP review conference", "not held"): (0, 1, 0, 1),
    ("conferences", "Strategy discussion", "due"): (0, 0, 0, 0),
    ("meetings", "Meetings", "held"): (1, 0, 1, 2),
    ("meetings", "Attendance", "present"): (2, 0, 5, 7),
    ("meetings", "Attendance", "apologies"): (0, 0, 1, 1),
    ("meetings", "Attendance", "absent"): (0, 0, 1, 1),
    ("meetings", "Actions due in the period", "done on time"): (1, 0, 0, 1),
    ("meetings", "Actions due in the period", "done late"): (0, 1, 0, 1),
    ("meetings", "Actions due in the period", "overdue"): (0, 0, 1, 1),
    ("meetings", "Actions due in the period", "open, not yet due"): (1, 0, 0, 1),
    ("coding", "Open findings", "coded, not on our register"): (2, 0, 0, 2),
    ("coding", "Open findings", "on our register, not coded"): (0, 1, 0, 1),
    ("coding", "Open findings", "dates disagree"): (0, 0, 0, 0),
    ("coding", "Marked for correction", "in the clinical system"): (0, 1, 0, 1),
    ("sharing", "Disclosures and requests", "disclosures"): (2, 0, 0, 2),
    ("sharing", "Disclosures and requests", "requests"): (1, 2, 0, 3),
    ("sharing", "Disclosures and requests", "requests refused"): (0, 1, 0, 1),
    ("sharing", "Disclosures and requests", "shared without consent"): (1, 1, 0, 2),
}


class TestPcnFigures:
    """Every figure of the report against the hand count of the fixture."""

    def test_columns_are_the_practices_then_pcn_wide_and_total(self, report) -> None:
        assert report.columns == COLUMNS
        assert report.pcn_name == "Test PCN"
        assert report.as_of == TO

    @pytest.mark.parametrize(("key", "expected"), list(EXPECTED.items()), ids=str)
    def test_figure(self, report, key, expected) -> None:
        assert report.figure(*key).values == expected

    def test_no_row_beyond_the_hand_count_is_non_zero(self, report) -> None:
        """A figure the fixture did not expect is zero or empty (nothing counted twice)."""
        for section in report.sections:
            for figure in section.figures:
                if (section.key, figure.item, figure.measure) not in EXPECTED:
                    assert set(figure.values) <= {0, None}, (section.key, figure)

    def test_no_withheld_count_can_be_worked_out_from_the_total(self, report) -> None:
        """Every row shown to the outside with a total has 0 or at least 2 parts withheld."""
        for section in report.sections:
            for figure in section.figures:
                if figure.base is None:
                    cells = figure.cells(show_small=False)
                    if cells[-1] != "*":
                        assert cells[:-1].count("*") != 1, figure

    def test_practices_add_up_to_the_total(self, report) -> None:
        for section in report.sections:
            for figure in section.figures:
                if figure.base is None and None not in figure.values:
                    assert sum(figure.values[:-1]) == figure.values[-1], figure

    def test_small_numbers_suppressed_by_default(self, report) -> None:
        present = report.figure("meetings", "Attendance", "present")
        # 2 withheld; 5 withheld too, else 7 - 5 - 0 would give the 2 away
        assert present.cells(show_small=False) == ["*", 0, "*", 7]
        assert present.cells(show_small=True) == [2, 0, 5, 7]
        median = report.figure("referrals", "MASH / children's social care", "median working days")
        assert median.cells(show_small=False) == ["*", "*", None, "*"]
        assert median.cells(show_small=True) == [6.0, 4.0, None, 4.0]

    def test_pcn_wide_column_only_when_used(self, fixture_engine) -> None:
        from coordinator_tui.db import session_scope
        from coordinator_tui.services.reports.pcn import pcn_report

        with session_scope(fixture_engine, "test.user") as s:
            september = pcn_report(s, date(2026, 9, 1), date(2026, 9, 30), TODAY)
        assert september.columns == ("Alder", "Birch", "PCN total")
        assert september.value("registers", "CP plan", "open") == 2  # e1, e4
        assert september.value("referrals", "MASH / children's social care", "sent") == 1

    def test_no_coding_audit_yet_is_blank_not_zero(self, engine) -> None:
        """Before any import there is nothing to count: the figures are blank, the note
        says why (a zero would claim the registers were checked)."""
        from coordinator_tui.db import session_scope
        from coordinator_tui.services.reports.pcn import pcn_report

        with session_scope(engine, "test.user") as s:
            empty = pcn_report(s, FROM, TO, TODAY)
        coding = empty.section("coding")
        assert coding.note.startswith("No clinical system export imported yet")
        assert {f.values for f in coding.figures} == {(None,)}
        assert empty.value("meetings", "Meetings", "held") == 0

    def test_period_refused_when_backwards(self, fixture_engine) -> None:
        from coordinator_tui.db import session_scope
        from coordinator_tui.services.reports import ReportsError
        from coordinator_tui.services.reports.pcn import pcn_report

        with pytest.raises(ReportsError), session_scope(fixture_engine, "test.user") as s:
            pcn_report(s, TO, FROM, TODAY)


class TestExports:
    """The same figures in CSV, XLSX (a sheet per section) and Word, read back."""

    @pytest.mark.parametrize("show_small", [False, True])
    def test_csv(self, fixture_engine, report, tmp_path, show_small) -> None:
        import csv

        from coordinator_tui.db import session_scope
        from coordinator_tui.services.reports.pcn import export_report

        path = tmp_path / "out" / "report.csv"
        with session_scope(fixture_engine, "test.user") as s:
            export_report(s, report, "csv", path, show_small=show_small)
        assert path.stat().st_mode & 0o777 == 0o600
        lines = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        assert lines[0] == ["Section", "Item", "Measure", *COLUMNS]
        expected = [
            [section.title, *(_text(cell) for cell in row)]
            for section in report.sections
            for row in report.rows(section, show_small)
        ]
        assert lines[1:] == expected

    @pytest.mark.parametrize("show_small", [False, True])
    def test_xlsx(self, fixture_engine, report, tmp_path, show_small) -> None:
        from openpyxl import load_workbook

        from coordinator_tui.db import session_scope
        from coordinator_tui.services.reports.pcn import export_report

        path = tmp_path / "report.xlsx"
        with session_scope(fixture_engine, "test.user") as s:
            export_report(s, report, "xlsx", path, show_small=show_small)
        assert path.stat().st_mode & 0o777 == 0o600
        book = load_workbook(path)
        assert book.sheetnames == ["About", *(section.title for section in report.sections)]
        for section in report.sections:
            sheet = book[section.title]
            values = [list(row) for row in sheet.iter_rows(values_only=True)]
            assert values[0] == report.header
            assert values[1:] == report.rows(section, show_small)
        about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
        assert about["Period"] == "01/10/2026 to 31/10/2026"

    @pytest.mark.parametrize("show_small", [False, True])
    def test_docx(self, fixture_engine, report, tmp_path, show_small) -> None:
        from docx import Document

        from coordinator_tui.db import session_scope
        from coordinator_tui.services.reports.pcn import export_report

        path = tmp_path / "report.docx"
        with session_scope(fixture_engine, "test.user") as s:
            export_report(s, report, "docx", path, show_small=show_small)
        document = Document(str(path))
        assert len(document.tables) == len(report.sections)
        for table, section in zip(document.tables, report.sections, strict=True):
            cells = [[cell.text for cell in row.cells] for row in table.rows]
            assert cells[0] == report.header
            assert cells[1:] == [
                [_text(value) for value in row] for row in report.rows(section, show_small)
            ]
        text = "\n".join(p.text for p in document.paragraphs)
        assert ("shown as *" in text) is not show_small

    def test_export_and_view_are_audited_without_figures(self, tmp_path) -> None:
        import json

        from sqlalchemy import select

        from coordinator_tui.db import open_database, session_scope
        from coordinator_tui.models import AuditEvent
        from coordinator_tui.services.reports.pcn import export_report, pcn_report

        opened = open_database(str(tmp_path / "a.db"))
        build_fixture(opened.engine)
        with session_scope(opened.engine, "j.bloggs") as s:
            shown = pcn_report(s, FROM, TO, TODAY)
            export_report(s, shown, "xlsx", tmp_path / "r.xlsx", show_small=False)
        with session_scope(opened.engine, "read") as s:
            events = s.execute(
                select(
                    AuditEvent.actor, AuditEvent.action, AuditEvent.table_name, AuditEvent.changes
                )
                .where(AuditEvent.action.in_(("read", "export")))
                .order_by(AuditEvent.id)
            ).all()
        opened.engine.dispose()
        assert [(a, b, c) for a, b, c, _ in events] == [
            ("j.bloggs", "read", "pcn_report"),
            ("j.bloggs", "export", "report"),
        ]
        assert json.loads(events[1][3]) == {"export": "pcn report", "files": 1, "formats": ["xlsx"]}

    def test_bad_format_and_folder_refused(self, fixture_engine, report, tmp_path) -> None:
        from coordinator_tui.db import session_scope
        from coordinator_tui.services.reports import ReportsError
        from coordinator_tui.services.reports.pcn import export_report

        with pytest.raises(ReportsError), session_scope(fixture_engine, "t") as s:
            export_report(s, report, "pdf", tmp_path / "r.pdf", show_small=False)
        with pytest.raises(ReportsError), session_scope(fixture_engine, "t") as s:
            export_report(s, report, "csv", tmp_path, show_small=False)

    def test_formula_start_in_a_label_is_escaped(self, fixture_engine, tmp_path) -> None:
        """A concern source typed as ``=HYPERLINK(...)`` reaches the CSV as text."""
        from coordinator_tui.db import session_scope
        from coordinator_tui.models import Concern
        from coordinator_tui.services.reports.pcn import csv_document, pcn_report

        with session_scope(fixture_engine, "t") as s:
            s.add(
                Concern(
                    person_id=1,
                    practice_id=1,
                    raised_by="x",
                    raised_by_role="=HYPERLINK(1)",
                    raised_on=date(2026, 6, 3),
                    category="neglect",
                )
            )
        with session_scope(fixture_engine, "t") as s:
            june = pcn_report(s, date(2026, 6, 1), date(2026, 6, 30), TODAY)
        assert "'=HYPERLINK(1)" in csv_document(june, False)


def test_a_control_character_in_a_label_does_not_stop_the_word_export(report) -> None:
    """XML cannot hold most control characters and python-docx refuses them: a label
    holding one (typed or imported) is written without it."""
    import dataclasses
    import io

    from docx import Document

    from coordinator_tui.services.reports.pcn import docx_document

    section = report.sections[2]
    hostile = dataclasses.replace(section.figures[1], measure="GP\x0b\x01 surgery")
    sections = list(report.sections)
    sections[2] = dataclasses.replace(section, figures=(section.figures[0], hostile))
    shown = dataclasses.replace(report, sections=tuple(sections), pcn_name="PCN\x02")
    document = Document(io.BytesIO(docx_document(shown, False)))
    texts = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "GP surgery" in texts


def _text(value) -> str:
    """A cell as CSV and Word write it."""
    return "" if value is None else str(value)


# -- the screen, driven as a coordinator drives it -------------------------------------------


@pytest.fixture
def app_engine(tmp_path):
    """The hand-counted fixture in a database of the test's own (the app writes to it)."""
    from coordinator_tui.db import open_database

    opened = open_database(str(tmp_path / "app.db"))
    build_fixture(opened.engine)
    yield opened.engine
    opened.engine.dispose()


def app_settings(engine, **changes):
    from coordinator_tui.settings import load_settings

    settings = load_settings(str(engine.url.database))
    settings.today = TODAY
    for name, value in changes.items():
        setattr(settings, name, value)
    return settings


def figure_cells(screen, section: str, item: str, measure: str) -> tuple:
    """What the table shows on a figure's row (after its label)."""
    from coordinator_tui.widgets.lazy_table import LazyTable

    table = screen.query_one(LazyTable)
    for row in table.source.rows(0, table.row_count):
        if row.key == ("figure", section, item, measure):
            return tuple(str(cell) for cell in row.cells[1:])
    raise AssertionError(f"no row {section}/{item}/{measure}")


async def open_pcn(pilot, app):
    from pilot_helpers import wait_for

    from coordinator_tui.screens.reports.pcn import PcnReportScreen
    from coordinator_tui.screens.reports.reports import ReportsScreen

    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen.loaded)
    await pilot.press("p")
    await wait_for(pilot, lambda: isinstance(app.screen, PcnReportScreen) and app.screen.loaded)
    return app.screen


class TestPcnScreen:
    async def test_period_small_numbers_and_export(self, app_engine) -> None:
        from openpyxl import load_workbook
        from pilot_helpers import shown_text, wait_for
        from sqlalchemy import select

        from coordinator_tui.app import make_app
        from coordinator_tui.db import session_scope
        from coordinator_tui.models import AuditEvent

        settings = app_settings(app_engine)
        app = make_app(settings, app_engine)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_pcn(pilot, app)
            # The last whole month before today, small numbers withheld.
            assert (screen.report.date_from, screen.report.date_to) == (FROM, TO)
            summary = shown_text(screen.query_one("#pcn-summary"))
            assert "Test PCN safeguarding report  01/10/2026 to 31/10/2026" in summary
            assert "Counts of 1 to 4 shown as *" in summary
            assert figure_cells(screen, "meetings", "Attendance", "present") == ("*", "0", "*", "7")
            # A month back: September has no PCN-wide records.
            await pilot.press("left_square_bracket")
            await wait_for(pilot, lambda: screen.report.date_from == date(2026, 9, 1))
            assert screen.report.columns == ("Alder", "Birch", "PCN total")
            assert "01/09/2026 to 30/09/2026" in shown_text(screen.query_one("#pcn-summary"))
            await pilot.press("right_square_bracket")
            await wait_for(pilot, lambda: screen.report.date_from == FROM)
            # Small numbers shown for internal use.
            await pilot.press("n")
            await pilot.pause()
            assert figure_cells(screen, "meetings", "Attendance", "present") == ("2", "0", "5", "7")
            assert figure_cells(
                screen, "referrals", "MASH / children's social care", "median working days"
            ) == ("6.0", "4.0", "", "4.0")
            assert "Small numbers shown" in shown_text(screen.query_one("#pcn-summary"))
            # E: the three files, owner-only, with the figures as on screen.
            await pilot.press("E")
            await wait_for(pilot, lambda: len(screen.last_export) == 3)
            paths = {path.suffix: path for path in screen.last_export}
            assert set(paths) == {".csv", ".xlsx", ".docx"}
            assert all(path.parent == settings.export_dir for path in paths.values())
            assert all(path.stat().st_mode & 0o777 == 0o600 for path in paths.values())
            sheet = load_workbook(paths[".xlsx"])["Meetings and actions"]
            rows = {(r[0], r[1]): list(r[2:]) for r in sheet.iter_rows(values_only=True)}
            assert rows[("Attendance", "present")] == [2, 0, 5, 7]
        with session_scope(app_engine, "t") as s:
            events = s.execute(
                select(AuditEvent.actor, AuditEvent.action, AuditEvent.table_name)
                .where(AuditEvent.action.in_(("read", "export")))
                .order_by(AuditEvent.id)
            ).all()
        assert events[-1] == ("test.user", "export", "report")
        assert events.count(("test.user", "read", "pcn_report")) == 3  # Oct, Sep, Oct

    async def test_sharing_figures_and_keys_to_the_sharing_report_and_coding_audit(
        self, app_engine
    ) -> None:
        """The Information sharing rows (hand-counted above); ``s`` opens the sharing
        report on the same period, ``c`` the coding audit, ``esc`` comes back."""
        from pilot_helpers import shown_text, wait_for
        from sqlalchemy import func, select

        from coordinator_tui.app import make_app
        from coordinator_tui.db import session_scope
        from coordinator_tui.models import SharingRecord
        from coordinator_tui.screens.reports.coding_audit import CodingAuditScreen
        from coordinator_tui.screens.reports.sharing import SharingReportScreen

        app = make_app(app_settings(app_engine, show_small_numbers=True), app_engine)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_pcn(pilot, app)
            item = "Disclosures and requests"
            assert figure_cells(screen, "sharing", item, "disclosures") == ("2", "0", "0", "2")
            assert figure_cells(screen, "sharing", item, "requests") == ("1", "2", "0", "3")
            assert figure_cells(screen, "sharing", item, "requests refused") == (
                "0",
                "1",
                "0",
                "1",
            )
            assert figure_cells(screen, "sharing", item, "shared without consent") == (
                "1",
                "1",
                "0",
                "2",
            )
            await pilot.press("s")
            await wait_for(
                pilot, lambda: isinstance(app.screen, SharingReportScreen) and app.screen.loaded
            )
            sharing = app.screen
            assert (sharing.date_from, sharing.date_to) == (FROM, TO)
            with session_scope(app_engine, "t") as s:
                in_period = s.scalar(
                    select(func.count())
                    .select_from(SharingRecord)
                    .where(SharingRecord.occurred_on.between(FROM, TO))
                )
            assert len(sharing.rows) == in_period == 5
            summary = shown_text(sharing.query_one("#sharing-summary"))
            assert "2 shared, 3 requests (1 refused, 1 pending), 2 without consent" in summary
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
            await pilot.press("c")
            await wait_for(
                pilot, lambda: isinstance(app.screen, CodingAuditScreen) and app.screen.loaded
            )
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)

    async def test_setting_starts_with_small_numbers_shown(self, app_engine) -> None:
        from coordinator_tui.app import make_app

        app = make_app(app_settings(app_engine, show_small_numbers=True), app_engine)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_pcn(pilot, app)
            assert figure_cells(screen, "meetings", "Attendance", "present") == ("2", "0", "5", "7")

    async def test_period_dialog(self, app_engine) -> None:
        """``p``: a period ending before it starts is refused in the dialog (what was
        typed stays); a good one loads."""
        from pilot_helpers import shown_text, wait_for
        from textual.widgets import Input

        from coordinator_tui.app import make_app
        from coordinator_tui.screens.form_dialog import FormDialog

        app = make_app(app_settings(app_engine), app_engine)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_pcn(pilot, app)
            await pilot.press("p")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            dialog = app.screen
            start, end = dialog.query(Input)[:2]
            start.value = "1/11/2026"
            end.value = "30/9/2026"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is dialog
            assert "ends before it starts" in shown_text(dialog.query_one("#form-error"))
            end.value = "22/11/2026"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: screen.report.date_from == date(2026, 11, 1))
            assert screen.report.date_to == date(2026, 11, 22)
            # November: the planned meeting is not held; its action due 05/11 is overdue.
            assert screen.report.columns == ("Alder", "Birch", "PCN total")
            overdue = ("meetings", "Actions due in the period", "overdue")
            assert screen.report.figure(*overdue).values == (0, 1, 1)


class TestCli:
    """``report pcn``: the same figures as the service, as JSON, text or a file."""

    def run(self, engine, *args: str):
        from typer.testing import CliRunner

        from coordinator_tui.cli import app as cli_app

        return CliRunner().invoke(
            cli_app,
            ["report", "pcn", "--db", str(engine.url.database), *args],
            env={"COORDINATOR_TUI_TODAY": TODAY.isoformat()},
        )

    def test_json_default_period_is_last_month(self, app_engine) -> None:
        import json

        from coordinator_tui.db import session_scope
        from coordinator_tui.services.reports.pcn import pcn_report

        result = self.run(app_engine, "--json")
        # The command line brings the shipped registers in first: compare with the
        # service on the database as the command left it.
        with session_scope(app_engine, "t") as s:
            report = pcn_report(s, FROM, TO, TODAY)
        assert result.exit_code == 0, result.output
        document = json.loads(result.output)
        assert (document["from"], document["to"]) == ("2026-10-01", "2026-10-31")
        assert document["columns"] == list(COLUMNS)
        assert document["small_numbers"] == "suppressed"
        sections = {s["key"]: s for s in document["sections"]}
        rows = {(r["item"], r["measure"]): r["values"] for r in sections["meetings"]["rows"]}
        assert rows[("Attendance", "present")] == ["*", 0, "*", 7]
        for section in report.sections:
            assert [r["values"] for r in sections[section.key]["rows"]] == [
                f.cells(False) for f in section.figures
            ]

    def test_small_numbers_and_period(self, app_engine) -> None:
        import json

        result = self.run(
            app_engine,
            "--from",
            "1/10/2026",
            "--to",
            "31/10/2026",
            "--show-small-numbers",
            "--json",
        )
        document = json.loads(result.output)
        rows = {
            (r["item"], r["measure"]): r["values"] for s in document["sections"] for r in s["rows"]
        }
        assert rows[("Attendance", "present")] == [2, 0, 5, 7]
        assert rows[("MASH / children's social care", "90th percentile")] == [10, 4, None, 10]

    def test_out_writes_the_format(self, app_engine, tmp_path) -> None:
        from docx import Document

        path = tmp_path / "pcn.docx"
        result = self.run(app_engine, "--out", str(path))
        assert result.exit_code == 0, result.output
        assert "Wrote the PCN report (01/10/2026 to 31/10/2026)" in result.output
        assert path.stat().st_mode & 0o777 == 0o600
        assert len(Document(str(path)).tables) == 8  # a table per section
        csv_path = tmp_path / "pcn.txt"
        result = self.run(app_engine, "--out", str(csv_path), "--format", "csv")
        assert result.exit_code == 0 and csv_path.read_text().startswith("Section,Item,Measure")

    def test_text_and_refusals(self, app_engine) -> None:
        result = self.run(app_engine)
        assert result.exit_code == 0
        assert "Test PCN safeguarding report, 01/10/2026 to 31/10/2026" in result.output
        assert "REFERRALS" in result.output
        bad = self.run(app_engine, "--from", "31/10/2026", "--to", "1/10/2026")
        assert bad.exit_code == 2 and "ends before it starts" in bad.output
        bad = self.run(app_engine, "--out", "x.pdf")
        assert bad.exit_code == 2


class TestSetting:
    """``show_small_numbers`` in the settings file (false unless set)."""

    def test_read_from_the_settings_file(self, tmp_path) -> None:
        from coordinator_tui.settings import load_settings

        path = tmp_path / "settings.toml"
        assert load_settings(str(tmp_path / "x.db"), path).show_small_numbers is False
        path.write_text("show_small_numbers = true\n")
        assert load_settings(str(tmp_path / "x.db"), path).show_small_numbers is True

    def test_not_a_boolean_is_refused(self, tmp_path) -> None:
        from coordinator_tui.settings import SettingsError, load_settings

        path = tmp_path / "settings.toml"
        path.write_text('show_small_numbers = "yes"\n')
        with pytest.raises(SettingsError, match="show_small_numbers"):
            load_settings(str(tmp_path / "x.db"), path)
