"""The coding audit (issue 15 section 1): code lists, the import, the reconciliation and
the one-key actions on its findings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.demo.seed import demo_nhs_numbers
from coordinator_tui.models import (
    Action,
    ActionStatus,
    AuditEvent,
    CodingAuditRun,
    CodingFinding,
    EntryStatus,
    FindingKind,
    FindingStatus,
    Person,
    PersonLink,
    Practice,
    RegisterCategory,
    RegisterEntry,
    RegisterReview,
)
from coordinator_tui.services.reference import (
    ReferenceDataError,
    load_register_categories,
    sync_register_categories,
)
from coordinator_tui.services.reports import ReportsConflictError, ReportsError
from coordinator_tui.services.reports import coding_audit as ca
from coordinator_tui.services.reports.code_lists import (
    CODE_LISTS_FILE,
    load_code_lists,
    membership,
    sctid_problem,
)

TODAY = date(2026, 11, 23)
DATA = Path(__file__).parents[1] / "data"
CPP_ON, CPP_OFF = "342191000000101", "342891000000105"
LAC_ON, LAC_OFF = "764841000000100", "764951000000107"
ADULT_ON, ADULT_OFF = "417430008", "766601000000109"
FAMILY = "375041000000100"
HEADER = "NHS Number,SNOMED CT Concept ID,Term,Effective Date\n"


# -- code lists -------------------------------------------------------------------------


class TestCodeLists:
    def test_every_shipped_code_is_a_checked_concept_with_its_source_and_date(self):
        lists = load_code_lists()
        assert lists.version
        codes = [code for item in lists.lists for code in (*item.on, *item.off)]
        assert len(codes) == 8
        for code in codes:
            assert sctid_problem(code.sctid) is None
            assert code.term and code.source and code.added
        about = json.loads((DATA / CODE_LISTS_FILE).read_text())["about"]
        assert "must verify" in about.lower()
        assert "local safeguarding coding guidance" in about.lower()

    def test_every_register_category_is_in_exactly_one_list(self):
        """Each register of register_categories.json has its list (the adult registers
        share one: one code puts an adult at risk on the clinical record)."""
        lists = load_code_lists()
        for spec in load_register_categories():
            holding = [item.id for item in lists.lists if spec.code in item.registers]
            assert len(holding) == 1, spec.code
            item = lists.get(holding[0])
            if spec.snomed_on:  # the category's own code is among its list's
                assert spec.snomed_on in {c.sctid for c in item.on}
            if spec.snomed_off:
                assert spec.snomed_off in {c.sctid for c in item.off}

    def test_the_lists_the_audit_checks(self):
        lists = load_code_lists()
        assert [item.id for item in lists.audited] == ["CPP", "FAMILY_CP", "LAC", "CFC", "ADULT"]
        assert lists.get("FAMILY_CP").family_of == "CPP"
        assert lists.get("LAC").looked_after
        assert lists.get("ADULT").registers == ("S42E", "S42P", "AAR")

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("342191000000101", None),
            ("417430008", None),
            ("342191000000102", "check digit"),  # one digit wrong
            ("0417430008", "6 to 18 digits"),
            ("12345", "6 to 18 digits"),
            ("abc", "6 to 18 digits"),
            ("", "6 to 18 digits"),
            ("1000011000000117", "not a concept"),  # partition 11: a description id
        ],
    )
    def test_sctid_checks(self, text, problem):
        found = sctid_problem(text)
        if problem is None:
            assert found is None
        else:
            assert found is not None and problem in found

    def test_a_practice_file_extends_a_list_adds_one_and_may_replace(self, tmp_path):
        own = {
            "version": "practice 3",
            "lists": [
                {
                    "id": "CIN",
                    "on": [
                        {
                            "sctid": "836881000000105",
                            "term": "Child is cause for safeguarding concern",
                            "source": "ICB guidance 2026",
                            "date": "2026-11-01",
                        }
                    ],
                },
                {"id": "CFC", "replace": True, "name": "CFC", "registers": ["CFC"]},
            ],
        }
        (tmp_path / CODE_LISTS_FILE).write_text(json.dumps(own))
        lists = load_code_lists(tmp_path)
        assert lists.get("CIN").audited and lists.get("CIN").from_practice
        assert lists.get("CIN").registers == ("CIN",)  # kept from the shipped list
        assert not lists.get("CFC").audited  # replaced by a list with no codes
        assert lists.get("CPP").on[0].sctid == CPP_ON  # untouched
        assert "practice file (practice 3)" in lists.version

    @pytest.mark.parametrize(
        ("entry", "message"),
        [
            (
                {
                    "id": "CIN",
                    "on": [
                        {
                            "sctid": "342191000000102",
                            "term": "x",
                            "source": "s",
                            "date": "2026-01-01",
                        }
                    ],
                },
                "list CIN 'on' code 1 (342191000000102): its check digit is wrong",
            ),
            (
                {
                    "id": "CIN",
                    "on": [{"sctid": CPP_ON, "term": "x", "source": "s", "date": "2026-01-01"}],
                },
                f"code {CPP_ON} is in list CPP and list CIN",
            ),
            (
                {"id": "NEW", "name": "New", "registers": ["NOPE"]},
                "list NEW names register 'NOPE'",
            ),
            (
                {
                    "id": "CIN",
                    "on": [
                        {
                            "sctid": "836881000000105",
                            "term": "x",
                            "source": "s",
                            "date": "01/11/2026",
                        }
                    ],
                },
                "'date' must be YYYY-MM-DD",
            ),
        ],
    )
    def test_a_bad_practice_file_is_refused_naming_file_and_entry(self, tmp_path, entry, message):
        (tmp_path / CODE_LISTS_FILE).write_text(json.dumps({"lists": [entry]}))
        with pytest.raises(ReferenceDataError) as caught:
            load_code_lists(tmp_path)
        assert str(tmp_path / CODE_LISTS_FILE) in str(caught.value)
        assert message in str(caught.value)


D = date


@pytest.mark.parametrize(
    ("events", "member", "since", "off_on"),
    [
        # the latest "on" code with no later "off" code (DESIGN.md section 4)
        ([(D(2024, 1, 1), True)], True, D(2024, 1, 1), None),
        ([(D(2024, 1, 1), True), (D(2024, 6, 1), True)], True, D(2024, 1, 1), None),
        ([(D(2024, 1, 1), True), (D(2024, 6, 1), False)], False, None, D(2024, 6, 1)),
        ([(D(2024, 6, 1), False), (D(2024, 1, 1), True)], False, None, D(2024, 6, 1)),
        (
            [(D(2023, 1, 1), True), (D(2023, 5, 1), False), (D(2024, 2, 1), True)],
            True,
            D(2024, 2, 1),
            D(2023, 5, 1),
        ),
        ([(D(2024, 1, 1), False)], False, None, D(2024, 1, 1)),
        ([(D(2024, 1, 1), True), (D(2024, 1, 1), False)], False, None, D(2024, 1, 1)),
    ],
)
def test_membership_follows_the_clinical_system_rule(events, member, since, off_on):
    state = membership([(day, on, "x") for day, on in events])
    assert (state.member, state.since, state.off_on) == (member, since, off_on)


def test_no_events_is_no_membership():
    assert membership([]) is None


# -- the fixture: one person per mismatch class, and people who match ---------------------


@dataclass
class Fixture:
    engine: object
    ids: dict[str, int]
    nhs: dict[str, str]


def _export(fx: Fixture, rows: list[tuple[str, str, date]], extra: str = "") -> str:
    lines = [f"{fx.nhs[who]},{code},term,{day:%d/%m/%Y}" for who, code, day in rows]
    return HEADER + "\n".join(lines) + "\n" + extra


@pytest.fixture
def fx(engine) -> Fixture:
    numbers = iter(demo_nhs_numbers(30))
    ids: dict[str, int] = {}
    nhs: dict[str, str] = {}
    with session_scope(engine, "setup") as s:
        sync_register_categories(s, load_register_categories(), TODAY)
        p1 = Practice(ods_code="Y00001", name="One Surgery", short_name="One")
        p2 = Practice(ods_code="Y00002", name="Two Surgery", short_name="Two")
        s.add_all([p1, p2])
        s.flush()
        cat = {c.code: c.id for c in s.exec(select(RegisterCategory))}

        def person(key: str, born: date, practice: Practice = p1, household=None) -> int:
            number = next(numbers)
            row = Person(
                nhs_number=number,
                given_name=key.title(),
                family_name="Fixture",
                date_of_birth=born,
                practice_id=practice.id,
                household_id=household,
            )
            s.add(row)
            s.flush()
            ids[key], nhs[key] = row.id, number
            return row.id

        def entry(key: str, code: str, start: date, **values) -> None:
            s.add(
                RegisterEntry(
                    person_id=ids[key],
                    category_id=cat[code],
                    practice_id=s.get(Person, ids[key]).practice_id,
                    start_date=start,
                    **{"next_review_due": TODAY + timedelta(days=10), **values},
                )
            )

        child = date(2018, 5, 1)
        adult = date(1980, 5, 1)
        person("agreed", child)  # on CPP and coded: no finding
        person("parent", adult)  # its parent: no family-member code (family_not_coded)
        person("sibling", child)  # its sibling: coded family member
        person("coded", child)  # coded CPP, not on ours (coded_not_registered)
        person("uncoded", child)  # on our CPP, not coded (registered_not_coded)
        person("dated", adult)  # our S42E from 01/05, coded from 01/04 (dates_disagree)
        person("looked", child)  # on our LAC, coded off (lac_not_coded)
        person("both", adult)  # on S42E and AAR, coded once: no finding
        person("elsewhere", child, p2)  # practice Two, not in the export: not audited
        person("nobody", adult)  # coded with a code of no list only
        s.add_all(
            [
                PersonLink(
                    person_id=ids["agreed"], related_person_id=ids["parent"], relationship="parent"
                ),
                PersonLink(
                    person_id=ids["parent"], related_person_id=ids["agreed"], relationship="child"
                ),
                PersonLink(
                    person_id=ids["agreed"],
                    related_person_id=ids["sibling"],
                    relationship="sibling",
                ),
                PersonLink(
                    person_id=ids["sibling"],
                    related_person_id=ids["agreed"],
                    relationship="sibling",
                ),
            ]
        )
        entry("agreed", "CPP", date(2026, 1, 10))
        entry("uncoded", "CPP", date(2026, 2, 1))
        entry("dated", "S42E", date(2025, 5, 1))
        entry("looked", "LAC", date(2025, 9, 1))
        entry("both", "S42E", date(2025, 1, 1))
        entry("both", "AAR", date(2025, 3, 1))
        entry("elsewhere", "CPP", date(2026, 1, 1))
        entry(  # ended before: the later "off" code agrees with it
            "coded",
            "CPP",
            date(2024, 1, 1),
            status=EntryStatus.ENDED,
            end_date=date(2024, 6, 1),
            end_reason="plan ended",
            next_review_due=None,
        )
    return Fixture(engine, ids, nhs)


def fixture_rows(fx: Fixture) -> list[tuple[str, str, date]]:
    return [
        ("agreed", CPP_ON, date(2026, 1, 10)),
        ("agreed", CPP_ON, date(2026, 4, 10)),  # re-coded at review: still from 10/01
        ("sibling", FAMILY, date(2026, 1, 10)),
        ("coded", CPP_ON, date(2024, 1, 1)),
        ("coded", CPP_OFF, date(2024, 6, 1)),
        ("coded", CPP_ON, date(2026, 3, 1)),  # on again, not on ours
        ("dated", ADULT_ON, date(2025, 4, 1)),
        ("looked", LAC_ON, date(2025, 9, 1)),
        ("looked", LAC_OFF, date(2026, 2, 1)),
        ("both", ADULT_ON, date(2025, 1, 1)),
        ("nobody", "836881000000105", date(2026, 1, 1)),
    ]


def audit(fx: Fixture, text: str | None = None, **kw) -> ca.AuditOutcome:
    with session_scope(fx.engine, "coordinator") as s:
        outcome = ca.run_coding_audit(
            s, text or _export(fx, fixture_rows(fx)), today=TODAY, by="coordinator", **kw
        )
        s.expunge_all()
        return outcome


class TestReconciliation:
    def test_each_mismatch_class_is_found_once_and_only_once(self, fx):
        outcome = audit(fx)
        found = sorted((f.kind, f.person_id, f.list_id) for f in outcome.reconciliation.findings)
        ids = fx.ids
        assert found == sorted(
            [
                (FindingKind.CODED_NOT_REGISTERED, ids["coded"], "CPP"),
                (FindingKind.REGISTERED_NOT_CODED, ids["uncoded"], "CPP"),
                (FindingKind.DATES_DISAGREE, ids["dated"], "ADULT"),
                (FindingKind.FAMILY_NOT_CODED, ids["parent"], "FAMILY_CP"),
                (FindingKind.LAC_NOT_CODED, ids["looked"], "LAC"),
            ]
        )
        assert outcome.reconciliation.counts() == dict.fromkeys(FindingKind, 1)

    def test_the_findings_say_why_with_the_dates(self, fx):
        by_kind = {f.kind: f for f in audit(fx).reconciliation.findings}
        assert by_kind[FindingKind.CODED_NOT_REGISTERED].coded_since == date(2026, 3, 1)
        assert "from 01/03/2026; not on our CPP register" in (
            by_kind[FindingKind.CODED_NOT_REGISTERED].detail
        )
        assert "no code in the clinical system" in by_kind[FindingKind.REGISTERED_NOT_CODED].detail
        dated = by_kind[FindingKind.DATES_DISAGREE]
        assert (dated.our_start, dated.coded_since) == (date(2025, 5, 1), date(2025, 4, 1))
        looked = by_kind[FindingKind.LAC_NOT_CODED]
        assert looked.coded_off_on == date(2026, 2, 1)
        assert "coded off 'No longer looked after' on 01/02/2026" in looked.detail
        family = by_kind[FindingKind.FAMILY_NOT_CODED].detail
        assert "(parent)" in family and FAMILY in family
        assert "Agreed" not in family  # the child on the plan is not named

    def test_counts_and_scope_per_practice(self, fx):
        outcome = audit(fx)
        with session_scope(fx.engine, "t") as s:
            one = s.exec(select(Practice.id).where(Practice.ods_code == "Y00001")).one()
        assert outcome.reconciliation.practice_ids == [one]  # practice Two not in the file
        run = outcome.run
        assert (run.rows, run.coded_rows, run.people_coded) == (11, 10, 6)
        assert outcome.export.other_codes == 1
        assert "CIN" in run.not_audited and "CPP" not in run.not_audited

    def test_a_practice_given_narrows_the_audit_to_it(self, fx):
        outcome = audit(fx, practice="Two")
        kinds = [(f.kind, f.person_id) for f in outcome.reconciliation.findings]
        assert kinds == [(FindingKind.REGISTERED_NOT_CODED, fx.ids["elsewhere"])]

    def test_a_tolerance_lets_close_dates_agree(self, fx):
        outcome = audit(fx, tolerance_days=31)
        assert FindingKind.DATES_DISAGREE not in {f.kind for f in outcome.reconciliation.findings}

    def test_unknown_nhs_numbers_are_counted_not_found(self, fx):
        unknown = demo_nhs_numbers(40)[-1]
        text = _export(fx, fixture_rows(fx), f"{unknown},{CPP_ON},x,01/01/2026\n")
        outcome = audit(fx, text)
        assert outcome.run.unknown_people == 1
        assert len(outcome.reconciliation.findings) == 5

    def test_the_run_and_its_findings_are_saved_and_audited(self, fx):
        run_id = audit(fx).run.id
        with session_scope(fx.engine, "t") as s:
            assert s.exec(select(func.count()).select_from(CodingFinding)).one() == 5
            summary = ca.run_summary(s, run_id)
            assert summary.practices == ["One"] and summary.open_count == 5
            assert summary.by_practice["One"][FindingKind.DATES_DISAGREE] == 1
            events = s.exec(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.table_name == "coding_finding", AuditEvent.action == "insert")
            ).one()
            assert events == 5
            assert ca.count_findings(s, run_id) == 5
            assert ca.count_findings(s, run_id, kind=FindingKind.LAC_NOT_CODED) == 1
            page = ca.findings_page(s, run_id, 0, 3)
            assert len(page) == 3 and page[0].practice == "One"


# -- the import -------------------------------------------------------------------------


def refused(fx: Fixture, text: str, **kw) -> str:
    with pytest.raises(ca.CodingImportError) as caught:
        audit(fx, text, **kw)
    with session_scope(fx.engine, "t") as s:  # all or nothing
        assert s.exec(select(func.count()).select_from(CodingAuditRun)).one() == 0
    return str(caught.value)


class TestImport:
    def test_systmone_columns_are_recognised(self, fx):
        text = "NHS number,Clinical code,Rubric,Date recorded\n" + "\n".join(
            f"{fx.nhs[w]},{c},x,{d:%d %b %Y}" for w, c, d in fixture_rows(fx)
        )
        outcome = audit(fx, text)
        assert outcome.export.system == "SystmOne"
        assert len(outcome.reconciliation.findings) == 5

    def test_emis_columns_spaced_numbers_and_lines_before_the_header(self, fx):
        lines = [
            "Search: safeguarding codes,,,,",
            "Run on 23-Nov-2026,,,,",
            "NHS Number,SNOMED CT Concept ID,Term,Effective Date,ODS Code",
        ]
        for who, code, day in fixture_rows(fx):
            n = fx.nhs[who]
            lines.append(f"{n[:3]} {n[3:6]} {n[6:]},{code},x,{day:%d-%b-%Y} 10:30,Y00001")
        outcome = audit(fx, "\n".join(lines) + "\n")
        assert outcome.export.system == "EMIS Web"
        assert outcome.export.columns["practice"] == "ODS Code"
        assert len(outcome.reconciliation.findings) == 5

    def test_a_mapping_file_reads_any_other_columns(self, fx):
        text = "Patient,Concept,When\n" + "\n".join(
            f"{fx.nhs[w]},{c},{d:%Y-%m-%d}" for w, c, d in fixture_rows(fx)
        )
        mapping = json.dumps({"nhs_number": "Patient", "code": "Concept", "date": "When"})
        outcome = audit(fx, text, mapping_text=mapping)
        assert outcome.export.system == "mapped columns"
        assert len(outcome.reconciliation.findings) == 5
        with pytest.raises(ca.CodingImportError, match="no column for the NHS number"):
            audit(fx, text)

    @pytest.mark.parametrize(
        ("mapping", "message"),
        [
            ("{", "not valid JSON"),
            ('{"nhs": "A", "code": "B", "date": "C"}', "unknown field 'nhs'"),
            ('{"nhs_number": "A", "code": "B"}', "no column given for date"),
        ],
    )
    def test_a_bad_mapping_file_is_one_line(self, fx, mapping, message):
        with pytest.raises(ReportsError, match=message):
            audit(fx, HEADER, mapping_text=mapping)

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ("{nhs},{code},x,31/02/2026\n", "row 3: date '31/02/2026' is not a calendar date"),
            ("{nhs},{code},x,01/01/26\n", "row 3: date '01/01/26': write the year in full"),
            ("{nhs},{code},x,01/12/2026\n", "row 3: date 01/12/2026 is in the future"),
            ("{nhs},{code},x,\n", "row 3: the date is empty"),
            ("{nhs},,x,01/01/2026\n", "row 3: the code is empty"),
            ("9990000019,{code},x,01/01/2026\n", "row 3: the NHS number fails its check digit"),
            ("12345,{code},x,01/01/2026\n", "row 3: the NHS number is not 10 digits"),
            ("{nhs},{code},x,01/01/2026,extra\n", "row 3: more values than columns"),
            ("{nhs},{code},x,soon\n", "row 3: date 'soon' is not a date"),
        ],
    )
    def test_a_bad_row_refuses_the_whole_file_with_its_row(self, fx, body, message):
        good = f"{fx.nhs['agreed']},{CPP_ON},x,10/01/2026\n"
        bad = body.format(nhs=fx.nhs["coded"], code=CPP_ON)
        text = refused(fx, HEADER + good + bad)
        assert message in text
        assert fx.nhs["coded"] not in text  # no NHS number in a message

    def test_every_bad_row_is_listed_in_one_line_each(self, fx):
        rows = "".join(f"{fx.nhs['coded']},{CPP_ON},x,bad{i}\n" for i in range(25))
        text = refused(fx, HEADER + rows)
        assert text.count("\n  row ") == 20 and "... and 5 more" in text

    def test_hostile_files_are_refused_in_one_line(self, fx):
        good = f"{fx.nhs['agreed']},{CPP_ON},x,10/01/2026\n"
        assert "NUL byte" in refused(fx, HEADER + good + "\x00\n")
        opened = refused(fx, HEADER + good + f'{fx.nhs["coded"]},"{CPP_ON},x,01/01/2026\n' + good)
        assert "quote" in opened and "row 3" in opened
        twice = "NHS Number,Date,SNOMED CT Concept ID,Date\n" + good
        assert "row 1: 2 columns could be the date of the coded event" in refused(fx, twice)
        notes = "NHS Number,Notes,SNOMED CT Concept ID,Date,Notes\n" + good
        assert "row 1: column(s) Notes named more than once" in refused(fx, notes)
        huge = HEADER + f'{fx.nhs["coded"]},{CPP_ON},"' + "x" * 200_000 + '",01/01/2026\n'
        assert "longer than the" in refused(fx, huge)

    def test_two_columns_that_could_be_the_code_need_a_mapping_file(self, fx):
        text = "NHS Number,Code,SNOMED CT Concept ID,Date\n"
        text += f"{fx.nhs['agreed']},X1,{CPP_ON},10/01/2026\n"
        assert "2 columns could be the SNOMED CT concept id" in refused(fx, text)

    def test_a_file_without_any_code_of_the_lists_says_which_column_was_read(self, fx):
        text = HEADER + f"{fx.nhs['agreed']},836881000000105,x,10/01/2026\n"
        assert "none of the 1 rows holds a code of the code lists" in refused(fx, text)

    def test_an_unknown_practice_code_is_a_bad_row(self, fx):
        text = "NHS Number,Code,Date,ODS Code\n"
        text += f"{fx.nhs['agreed']},{CPP_ON},10/01/2026,Y99999\n"
        assert "row 2: practice 'Y99999' is not one of ours" in refused(fx, text)

    def test_a_header_it_cannot_read_says_what_it_looked_for(self, fx):
        text = refused(fx, "Patient,Concept\n1,2\n")
        assert "no column for the NHS number" in text and "mapping file" in text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=12), max_size=5),
        max_size=6,
    )
)
def test_any_text_is_read_or_refused_in_lines_never_a_crash(engine, rows):
    """Whatever the file holds, the import reads it or refuses it with a CodingImportError."""
    text = HEADER + "\n".join(",".join(row) for row in rows)
    codes = load_code_lists()
    try:
        ca.read_export(text, codes, today=TODAY)
    except ca.CodingImportError as exc:
        assert exc.problems and all("\n" not in p for p in exc.problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30/11/2026", date(2026, 11, 30)),
        ("30-Nov-2026", date(2026, 11, 30)),
        ("30 November 2026", date(2026, 11, 30)),
        ("2026-11-30", date(2026, 11, 30)),
        ("2026-11-30T09:15:00", date(2026, 11, 30)),
        ("30/11/2026 09:15", date(2026, 11, 30)),
        ("20261130", date(2026, 11, 30)),
        ("1.2.2026", date(2026, 2, 1)),
    ],
)
def test_the_clinical_systems_date_forms(text, expected):
    assert ca.parse_event_date(text) == expected


# -- actions on findings -----------------------------------------------------------------


def findings(fx: Fixture) -> dict[str, CodingFinding]:
    with session_scope(fx.engine, "t") as s:
        rows = s.exec(select(CodingFinding)).all()
        s.expunge_all()
    return {row.kind: row for row in rows}


class TestActions:
    def test_add_to_our_register_with_the_codes_date(self, fx):
        audit(fx)
        finding = findings(fx)[FindingKind.CODED_NOT_REGISTERED]
        with session_scope(fx.engine, "coordinator") as s:
            entry = ca.add_to_register(s, finding.id, finding.version, today=TODAY, by="sc")
            entry_id = entry.id
        with session_scope(fx.engine, "t") as s:
            entry = s.get(RegisterEntry, entry_id)
            assert entry.person_id == fx.ids["coded"] and entry.start_date == date(2026, 3, 1)
            assert entry.status == EntryStatus.ACTIVE
            again = s.get(CodingFinding, finding.id)
            assert again.status == FindingStatus.ADDED and again.entry_id == entry_id
            assert again.resolved_by == "sc"

    def test_end_ours_from_the_day_it_was_coded_off(self, fx):
        audit(fx)
        finding = findings(fx)[FindingKind.LAC_NOT_CODED]
        with session_scope(fx.engine, "coordinator") as s:
            ca.end_ours(s, finding.id, finding.version, today=TODAY, by="sc")
        with session_scope(fx.engine, "t") as s:
            entry = s.get(RegisterEntry, finding.entry_id)
            assert entry.status == EntryStatus.ENDED and entry.end_date == date(2026, 2, 1)
            assert "Coded off in the clinical system on 01/02/2026" in entry.end_reason

    def test_take_the_codes_date(self, fx):
        audit(fx)
        finding = findings(fx)[FindingKind.DATES_DISAGREE]
        with session_scope(fx.engine, "coordinator") as s:
            ca.use_coded_date(s, finding.id, finding.version, today=TODAY, by="sc")
        with session_scope(fx.engine, "t") as s:
            assert s.get(RegisterEntry, finding.entry_id).start_date == date(2025, 4, 1)
            review = s.exec(
                select(RegisterReview).where(RegisterReview.entry_id == finding.entry_id)
            ).one()
            assert "01/05/2025 -> 01/04/2025" in review.note

    def test_code_to_be_corrected_is_an_action_chased_in_the_tracker(self, fx):
        from coordinator_tui.services.meetings.actions import open_actions

        audit(fx)
        finding = findings(fx)[FindingKind.FAMILY_NOT_CODED]
        with session_scope(fx.engine, "coordinator") as s:
            action = ca.mark_for_correction(s, finding.id, finding.version, today=TODAY, by="sc")
            action_id = action.id
        with session_scope(fx.engine, "t") as s:
            rows = open_actions(s, today=TODAY)
            assert [row.id for row in rows] == [action_id]
            assert rows[0].owner == "Safeguarding administrator"
            assert rows[0].due_date == TODAY + timedelta(days=ca.CORRECTION_DAYS)
            assert "Correct the clinical-system coding (FAMILY_CP" in rows[0].description
            assert s.get(CodingFinding, finding.id).action_id == action_id

    def test_a_new_run_keeps_the_correction_being_chased(self, fx):
        audit(fx)
        finding = findings(fx)[FindingKind.REGISTERED_NOT_CODED]
        with session_scope(fx.engine, "coordinator") as s:
            action_id = ca.mark_for_correction(
                s, finding.id, finding.version, today=TODAY, by="sc", owner="PM"
            ).id
        run_id = audit(fx).run.id
        with session_scope(fx.engine, "t") as s:
            again = s.exec(
                select(CodingFinding).where(
                    CodingFinding.run_id == run_id,
                    CodingFinding.kind == FindingKind.REGISTERED_NOT_CODED,
                )
            ).one()
            assert again.status == FindingStatus.CORRECTION and again.action_id == action_id
            assert s.exec(select(func.count()).select_from(Action)).one() == 1
            action = s.get(Action, action_id)
            action.status = ActionStatus.DONE  # corrected: a later run asks again
        run_id = audit(fx).run.id
        with session_scope(fx.engine, "t") as s:
            assert ca.count_findings(s, run_id, open_only=True) == 5

    def test_a_stale_finding_is_refused_naming_the_change(self, fx):
        audit(fx)
        finding = findings(fx)[FindingKind.CODED_NOT_REGISTERED]
        with session_scope(fx.engine, "colleague") as s:
            ca.mark_for_correction(s, finding.id, finding.version, today=TODAY, by="colleague")
        with (
            session_scope(fx.engine, "coordinator") as s,
            pytest.raises(ReportsConflictError, match="colleague changed this coding finding"),
        ):
            ca.add_to_register(s, finding.id, finding.version, today=TODAY, by="sc")
        with session_scope(fx.engine, "t") as s:
            assert s.exec(select(func.count()).select_from(RegisterEntry)).one() == 8

    def test_an_entry_changed_since_the_audit_is_not_ended(self, fx):
        from coordinator_tui.services.registers import mark_reviewed

        audit(fx)
        finding = findings(fx)[FindingKind.REGISTERED_NOT_CODED]
        with session_scope(fx.engine, "colleague") as s:
            mark_reviewed(s, finding.entry_id, finding.entry_version, today=TODAY, by="c")
        with (
            session_scope(fx.engine, "coordinator") as s,
            pytest.raises(ReportsConflictError, match="Import the export again"),
        ):
            ca.end_ours(s, finding.id, finding.version, today=TODAY, by="sc")
        with session_scope(fx.engine, "t") as s:
            assert s.get(RegisterEntry, finding.entry_id).status == EntryStatus.ACTIVE
            assert s.get(CodingFinding, finding.id).status == FindingStatus.OPEN

    def test_an_action_that_does_not_fit_or_a_second_one_is_refused(self, fx):
        audit(fx)
        found = findings(fx)
        family = found[FindingKind.FAMILY_NOT_CODED]
        with (
            session_scope(fx.engine, "coordinator") as s,
            pytest.raises(ReportsError, match="does not fit this finding"),
        ):
            ca.add_to_register(s, family.id, family.version, today=TODAY, by="sc")
        dated = found[FindingKind.DATES_DISAGREE]
        with session_scope(fx.engine, "coordinator") as s:
            ca.use_coded_date(s, dated.id, dated.version, today=TODAY, by="sc")
        with (
            session_scope(fx.engine, "coordinator") as s,
            pytest.raises(ReportsError, match="already dealt with"),
        ):
            ca.mark_for_correction(s, dated.id, None, today=TODAY, by="sc")

    def test_every_action_is_in_the_audit_trail(self, fx):
        audit(fx)
        found = findings(fx)
        with session_scope(fx.engine, "sc") as s:
            ca.end_ours(s, found[FindingKind.REGISTERED_NOT_CODED].id, 1, today=TODAY, by="sc")
        with session_scope(fx.engine, "t") as s:
            actors = s.exec(
                select(AuditEvent.table_name).where(
                    AuditEvent.actor == "sc", AuditEvent.action == "update"
                )
            ).all()
            assert {"coding_finding", "register_entry"} <= set(actors)


class TestDemoExport:
    def test_the_small_demo_export_plants_every_class_and_the_audit_finds_exactly_them(
        self, small_demo_engine
    ):
        from coordinator_tui.demo.coding import demo_export

        with session_scope(small_demo_engine, "t") as s:
            demo = demo_export(s, today=TODAY, rows=3000)
            assert demo.rows == 3000
            outcome = ca.run_coding_audit(s, demo.text, today=TODAY, by="t", save=False)
        found: dict[str, set] = {kind: set() for kind in FindingKind}
        for finding in outcome.reconciliation.findings:
            key = (finding.person_id, finding.list_id)
            assert key not in found[finding.kind]  # once and only once
            found[finding.kind].add(key)
        for kind in FindingKind:
            assert demo.planted[kind], kind  # every class is planted
            assert found[kind] == demo.planted[kind], kind
        assert outcome.run.unknown_people == 3 and outcome.export.other_codes > 0
