"""CSV import of carers, customers and visits: all or nothing, with row numbers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AuditEvent,
    Carer,
    CarerSkill,
    Customer,
    CustomerCarerPreference,
    Visit,
)
from coordinator_tui.services.reference import load_skills, sync_skills
from coordinator_tui.services.rota_import import COLUMNS, RotaImportError, import_csv

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def skills(engine):
    with session_scope(engine, "setup") as s:
        sync_skills(s, load_skills())
    return engine


def sample(kind: str) -> str:
    return (DATA / f"sample_{kind}.csv").read_text()


def count(engine, table) -> int:
    with session_scope(engine, "t") as s:
        return s.exec(select(func.count()).select_from(table)).one()


def load(engine, kind, text, dry_run=False):
    with session_scope(engine, "importer") as s:
        return import_csv(s, kind, text, dry_run=dry_run, today=date(2026, 11, 23))


def test_the_samples_import_in_order(skills):
    engine = skills
    assert load(engine, "carers", sample("carers")).added == 3
    assert load(engine, "customers", sample("customers")).added == 2
    assert load(engine, "visits", sample("visits")).added == 3
    with session_scope(engine, "t") as s:
        one = s.exec(select(Carer).where(Carer.name == "Sample Carer One")).one()
        assert one.contracted_hours == 37.5 and one.transport_mode == "drive"
        assert one.date_of_birth == date(1988, 3, 14)
        assert (
            s.exec(
                select(func.count()).select_from(CarerSkill).where(CarerSkill.carer_id == one.id)
            ).one()
            == 3
        )
        prefs = s.exec(select(CustomerCarerPreference.kind)).all()
        assert sorted(prefs) == ["excluded", "preferred", "preferred"]
        visit = s.exec(select(Visit).order_by(Visit.start_at)).first()
        assert visit.start_at.astimezone(UK).time() == time(8, 0)
        assert visit.required_skills == "HOIST,MED" and visit.carers_required == 2
    assert count(engine, AuditEvent) > 0  # every write audited

    # The same file again updates by name rather than duplicating.
    again = load(engine, "carers", sample("carers"))
    assert (again.added, again.updated) == (0, 3)
    assert count(engine, Carer) == 3


def test_dry_run_writes_nothing(skills):
    result = load(skills, "carers", sample("carers"), dry_run=True)
    assert result.added == 3 and "dry run" in result.summary()
    assert count(skills, Carer) == 0


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("carers", "name,shoe_size\nA,9\n", "row 1: unknown column(s) shoe_size"),
        ("customers", "name,lat\nA,53\n", "row 1: missing column(s) lon"),
        ("carers", "name\n", "no data rows"),
        ("carers", "name,transport_mode\nA,bike\n", "row 2: transport_mode must be walk or drive"),
        ("carers", "name,skills\nA,MED\nB,JUGGLING\n", "row 3: unknown skill 'JUGGLING'"),
        ("carers", "name,skills\nA,MED:31/02/2027\n", "row 2: expiry of MED"),
        ("carers", "name\nA\na\n", "row 3: 'a' is also on row 2"),
        ("carers", "name,wtr_opt_out\nA,maybe\n", "row 2: wtr_opt_out must be yes or no"),
        ("customers", "name,lat,lon\nA,53.6,-2.1\nB,95,-2.1\n", "row 3: lat must be between"),
        ("customers", "name,lat,lon,preferred_carers\nA,53.6,-2.1,Nobody\n", "no carer called"),
        ("visits", "customer,date,start,end\nNobody,1/12/2026,08:00,09:00\n", "no customer"),
        ("carers", "name\nA,extra\n", "row 2: more values than columns"),
    ],
)
def test_a_bad_row_rejects_the_whole_file(skills, kind, text, expected):
    before = count(skills, AuditEvent)
    with pytest.raises(RotaImportError) as caught:
        load(skills, kind, text)
    assert expected in str(caught.value)
    assert "nothing imported" in str(caught.value)
    assert count(skills, Carer) == count(skills, Customer) == count(skills, Visit) == 0
    assert count(skills, AuditEvent) == before


def test_visit_rows_checked(skills):
    load(skills, "carers", sample("carers"))
    load(skills, "customers", sample("customers"))
    text = (
        "customer,date,start,end,required_skills\n"
        "Sample Customer One,1/12/2026,09:00,09:00,\n"
        "Sample Customer One,1/12/2026,9am,10:00,\n"
        "Sample Customer Two,1/12/2026,09:00,10:00,NOPE\n"
        "Sample Customer Two,1/12/2026,09:00,10:00,MED\n"
    )
    with pytest.raises(RotaImportError) as caught:
        load(skills, "visits", text)
    problems = caught.value.problems
    assert problems == [
        "row 2: end must differ from start",
        "row 3: start must be a time like 08:30, not '9am'",
        "row 4: unknown skill(s) NOPE",
    ]
    assert count(skills, Visit) == 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["carers", "customers", "visits"]),
    cells=st.lists(st.text(max_size=12), min_size=1, max_size=8),
)
def test_any_row_either_imports_or_is_rejected_cleanly(skills, kind, cells):
    """Whatever is typed in a row, the import never crashes: it imports or it says why."""
    header = ",".join(COLUMNS[kind][: len(cells)])
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    before = count(skills, AuditEvent)
    try:
        load(skills, kind, header + "\n" + buffer.getvalue())
    except RotaImportError as exc:
        assert str(exc)
        assert count(skills, AuditEvent) == before


# -- broken and hostile files (issue 12 section 6, issue 21 section 1) -----------------------


def test_a_visit_ending_before_it_starts_ends_the_next_day(skills):
    """A night visit: 22:00 to 07:00 is nine hours ending the next morning (issue 21)."""
    load(skills, "carers", sample("carers"))
    load(skills, "customers", sample("customers"))
    text = (
        "customer,date,start,end\n"
        "Sample Customer One,1/12/2026,22:00,07:00\n"
        "Sample Customer One,24/10/2026,23:30,03:00\n"  # the clocks go back at 02:00
    )
    assert load(skills, "visits", text).added == 2
    with session_scope(skills, "t") as s:
        night, change = s.exec(select(Visit).order_by(Visit.visit_date.desc())).all()
    assert night.visit_date == date(2026, 12, 1)
    assert night.start_at.astimezone(UK).replace(tzinfo=None) == datetime(2026, 12, 1, 22, 0)
    assert night.end_at.astimezone(UK).replace(tzinfo=None) == datetime(2026, 12, 2, 7, 0)
    assert night.end_at - night.start_at == timedelta(hours=9)
    # Times are the UK wall clock as written: 23:30 BST to 03:00 GMT is 4.5 hours worked.
    assert change.end_at.astimezone(UK).replace(tzinfo=None) == datetime(2026, 10, 25, 3, 0)
    assert change.end_at - change.start_at == timedelta(hours=4, minutes=30)


def rejected(engine, kind: str, text: str) -> list[str]:
    before = count(engine, AuditEvent)
    with pytest.raises(RotaImportError) as caught:
        load(engine, kind, text)
    assert count(engine, AuditEvent) == before
    assert count(engine, Carer) == count(engine, Customer) == count(engine, Visit) == 0
    return caught.value.problems


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        # A quote opened on row 3 and never closed: not rows 3 and 4 merged into one value.
        (
            "carers",
            'name,home_postcode\nA,GL1 1AA\nB,"GL2\nC,GL3 3CC\nD,GL4 4DD\n',
            [
                'row 3 (line 3): a quote (") is opened and never closed, so every line after '
                "it would be read into one value"
            ],
        ),
        # ... closed again further down: still refused, naming the row and the column.
        (
            "carers",
            'name,home_postcode\nA,"GL1\nB,GL2 2BB"\nC,GL3 3CC\n',
            [
                'row 2: the home_postcode value runs over 2 lines: a quote (") opened in it is '
                "not closed where the value ends"
            ],
        ),
        (
            "visits",
            'customer,date,start,end,tasks\nX,1/12/2026,08:00,09:00,"meds\n'
            'X,1/12/2026,10:00,11:00,lunch"\n',
            [
                'row 2: the tasks value runs over 2 lines: a quote (") opened in it is not '
                "closed where the value ends"
            ],
        ),
        (
            "carers",
            'name,home_postcode\nA,"GL1"x\n',
            [
                'row 2: a quote (") ends in the middle of a value: put the whole value in quotes '
                'and double any quote inside it ("")'
            ],
        ),
        (
            "carers",
            "name,gender,name\nA,female,B\n",
            ["row 1: column(s) name named more than once"],
        ),
        (
            "carers",
            "name\nA\nB\x00C\n",
            [
                "line 3: the file holds a NUL byte, so it is not a text CSV file (save it from "
                "the spreadsheet as CSV UTF-8)"
            ],
        ),
        (
            "carers",
            "name,home_postcode\nA," + "x" * 140_000 + "\n",
            [
                "row 2: a value is longer than the 131,072 characters a CSV value may hold "
                "(is a quote left open?)"
            ],
        ),
    ],
    ids=[
        "open-quote",
        "closed-later",
        "merged-rows",
        "quote-mid-value",
        "column-twice",
        "nul",
        "field-limit",
    ],
)
def test_a_broken_file_is_one_line_per_problem(skills, kind, text, expected):
    problems = rejected(skills, kind, text)
    assert problems == expected
    assert all("\n" not in problem for problem in problems)


def test_a_multi_line_note_is_still_one_value(skills):
    load(skills, "carers", sample("carers"))
    text = 'name,lat,lon,access_notes\nMs Lines,53.1,-2.2,"Key safe 1234\nDog in kitchen"\n'
    assert load(skills, "customers", text).added == 1
    with session_scope(skills, "t") as s:
        notes = s.exec(select(Customer.access_notes).where(Customer.name == "Ms Lines")).one()
    assert notes == "Key safe 1234\nDog in kitchen"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("+3d", "not '+3d' (a date counted from today, or one without its year)"),
        ("-40y", "not '-40y' (a date counted from today"),
        ("today", "not 'today'"),
        ("fri", "not 'fri'"),
        ("14/3", "not '14/3' (a date counted from today, or one without its year)"),
        ("14/03/88", "write the year in full (14/03/1988), not '14/03/88'"),
        ("14/03/2199", "date_of_birth 14/03/2199 is in the future"),
    ],
)
def test_a_date_of_birth_must_be_a_calendar_date(skills, written, expected):
    (problem,) = rejected(skills, "carers", f"name,date_of_birth\nA,{written}\n")
    assert problem.startswith("row 2: date_of_birth") and expected in problem


def test_a_control_character_in_a_name_is_not_stored(skills):
    load(skills, "carers", "name\nEve\x1b]0;pwned\x07 Example\n")
    with session_scope(skills, "t") as s:
        assert s.exec(select(Carer.name)).one() == "Eve]0;pwned Example"


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_bytes_import_or_fail_in_one_line_per_problem(skills, text):
    """Whatever the file holds (NUL bytes, stray quotes, control codes), the import never
    crashes: it imports or refuses, each problem one line."""
    for kind in ("carers", "visits"):
        try:
            load(skills, kind, "name,home_postcode\n" + text if kind == "carers" else text)
        except RotaImportError as exc:
            assert exc.problems and all("\n" not in p for p in exc.problems)
