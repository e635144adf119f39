"""CSV import of carers, customers and visits: all or nothing, with row numbers."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AuditEvent,
    Carer,
    CarerSkill,
    Customer,
    CustomerCarerPreference,
    Visit,
)
from coordinator_tui.services.clock import UK
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
        return import_csv(s, kind, text, dry_run=dry_run)


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
        "Sample Customer One,1/12/2026,09:00,08:00,\n"
        "Sample Customer One,1/12/2026,9am,10:00,\n"
        "Sample Customer Two,1/12/2026,09:00,10:00,NOPE\n"
        "Sample Customer Two,1/12/2026,09:00,10:00,MED\n"
    )
    with pytest.raises(RotaImportError) as caught:
        load(skills, "visits", text)
    problems = caught.value.problems
    assert problems == [
        "row 2: end must be after start",
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
