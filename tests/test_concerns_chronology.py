"""Concern intake and triage; the merged chronology and its exports."""

from __future__ import annotations

import csv
import io
import stat
from datetime import date, timedelta

import pytest
from sqlmodel import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AuditEvent,
    Concern,
    Person,
    Practice,
    Referral,
    RegisterCategory,
    RegisterEntry,
)
from coordinator_tui.services import chronology as chron
from coordinator_tui.services import concerns

TODAY = date(2026, 11, 23)


@pytest.fixture
def person_id(engine) -> int:
    with session_scope(engine, "setup") as s:
        practice = Practice(ods_code="A1", name="Alpha", short_name="Alpha")
        s.add(practice)
        s.flush()
        s.add(
            RegisterCategory(
                code="CIN", name="Child in Need", age_band="child", review_interval_days=30
            )
        )
        person = Person(
            nhs_number="9990000018",
            given_name="Sam",
            family_name="Example",
            search_name="example sam",
            date_of_birth=date(2016, 3, 3),
            practice_id=practice.id,
        )
        s.add(person)
        s.flush()
        return person.id


def _log(engine, pid, **overrides):
    values = dict(
        person_id=pid,
        raised_by="Dr A",
        raised_by_role="GP",
        raised_on=TODAY,
        category="neglect",
        details="Unkempt, missed appointments",
        today=TODAY,
    )
    values.update(overrides)
    with session_scope(engine, "coord") as s:
        return concerns.log_concern(s, **values)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"person_id": None}, "person"),
        ({"raised_by": " "}, "who raised"),
        ({"raised_on": None}, "date"),
        ({"raised_on": TODAY + timedelta(days=1)}, "future"),
        ({"category": "gossip"}, "category"),
        ({"details": ""}, "Describe"),
    ],
)
def test_bad_concern_writes_nothing(engine, person_id, overrides, message):
    with session_scope(engine, "t") as s:
        before = len(s.exec(select(AuditEvent)).all())
    with pytest.raises(concerns.ConcernError, match=message):
        _log(engine, person_id, **overrides)
    with session_scope(engine, "t") as s:
        assert len(s.exec(select(AuditEvent)).all()) == before
        assert s.exec(select(Concern)).all() == []


def test_triage_outcomes(engine, person_id):
    ids = [_log(engine, person_id).id for _ in range(4)]
    with session_scope(engine, "t") as s:
        rows = concerns.untriaged(s)
        assert [r.id for r in rows] == ids
        versions = {r.id: r.version for r in rows}
        cin = s.exec(select(RegisterCategory)).one()
    with pytest.raises(concerns.ConcernError, match="reason"), session_scope(engine, "c") as s:
        concerns.triage_no_further_action(s, ids[0], versions[ids[0]], reason="", by="c")
    with session_scope(engine, "c") as s:
        concerns.triage_no_further_action(s, ids[0], versions[ids[0]], reason="seen, fine", by="c")
        referral = concerns.triage_refer(s, ids[1], versions[ids[1]], referral_type="MASH", by="c")
        entry_id = concerns.triage_register(
            s, ids[2], versions[ids[2]], category_id=cin.id, today=TODAY, by="c"
        )
        concerns.triage_for_meeting(s, ids[3], versions[ids[3]], by="c")
    with session_scope(engine, "t") as s:
        statuses = [s.get(Concern, i).status for i in ids]
        assert statuses == ["nfa", "referred", "registered", "for_meeting"]
        assert s.get(Referral, referral.id).state == "drafted"
        assert s.get(RegisterEntry, entry_id).person_id == person_id
        assert concerns.untriaged(s) == []
    with (
        pytest.raises(concerns.ConcernError, match="already|Someone"),
        session_scope(engine, "c") as s,
    ):
        concerns.triage_for_meeting(s, ids[0], versions[ids[0]], by="c")


def test_chronology_merges_in_date_order_and_exports(engine, person_id, tmp_path):
    _log(engine, person_id, raised_on=TODAY - timedelta(days=3), details="bruise | left arm")
    with session_scope(engine, "c") as s:
        chron.add_manual_entry(
            s,
            person_id,
            on=TODAY - timedelta(days=10),
            source="School",
            text="Attendance 60%",
            by="c",
            today=TODAY,
        )
        with pytest.raises(chron.ChronologyError, match="future"):
            chron.add_manual_entry(
                s,
                person_id,
                on=TODAY + timedelta(days=1),
                source="x",
                text="y",
                by="c",
                today=TODAY,
            )
        cin = s.exec(select(RegisterCategory)).one()
        s.add(
            RegisterEntry(
                person_id=person_id,
                category_id=cin.id,
                start_date=TODAY - timedelta(days=1),
                next_review_due=TODAY,
            )
        )
    with session_scope(engine, "c") as s:
        items = chron.chronology(s, person_id)
        chron.update_case_summary(s, person_id, "Known to CSC since 2025.")
    assert [i.source for i in items] == ["School", "Concerns", "Registers"]
    assert items == sorted(items, key=lambda i: i.on)
    markdown = chron.to_markdown("EXAMPLE, Sam", items)
    assert "bruise \\| left arm" in markdown and markdown.count("\n| ") == 5
    rows = list(csv.reader(io.StringIO(chron.to_csv(items))))
    assert rows[0] == ["date", "kind", "source", "text"] and len(rows) == 4
    with session_scope(engine, "t") as s:  # the export needs its session (audited)
        paths = chron.export_chronology(
            tmp_path / "out", "EXAMPLE, Sam", person_id, items, session=s
        )
    assert [p.suffix for p in paths] == [".md", ".csv"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in paths)
    assert all("Sam" not in p.name for p in paths)
    with session_scope(engine, "t") as s:
        person = s.get(Person, person_id)
        assert person.case_summary == "Known to CSC since 2025."
        assert person.case_summary_updated_at is not None
