"""Issue 22 §2: the registers and concern categories coordinators must record, LAC and CiC
as one register, CHC renamed (it means NHS Continuing Healthcare), older databases brought
in line through the audited reference-data sync."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AuditEvent,
    Person,
    RegisterCategory,
    RegisterEntry,
)
from coordinator_tui.services import concerns, reference
from coordinator_tui.services import registers as reg

TODAY = date(2026, 11, 23)


def shipped() -> dict:
    from pathlib import Path

    return json.loads(
        (Path(__file__).parents[1] / "data" / "register_categories.json").read_text("utf-8")
    )


@pytest.mark.parametrize(
    ("code", "words", "hidden_online"),
    [
        # (register code, words its name holds, hidden from online record access)
        ("FGM", "female genital mutilation", True),  # FGM Act 2003 s5B
        ("PREV", "prevent", True),  # Counter-Terrorism and Security Act 2015 s26
        ("MSL", "modern slavery", True),  # Modern Slavery Act 2015
        ("SN", "self-neglect", False),  # Care Act 2014 statutory guidance 14.17
        ("DA", "domestic abuse", True),  # Domestic Abuse Act 2021
        ("CSE", "child sexual exploitation", True),  # Working Together
        ("CCE", "child criminal exploitation", True),  # Working Together
        ("MARAC", "marac", True),  # SafeLives
        ("LAC", "looked after child / child in care", False),  # Children Act 1989 s22
        ("CFC", "child in family or household of concern", False),
    ],
)
def test_shipped_registers(code, words, hidden_online):
    specs = {spec.code: spec for spec in reference.load_register_categories()}
    assert words in specs[code].name.lower()
    assert specs[code].hide_from_online_access is hidden_online
    assert specs[code].source  # every register says where its rule comes from
    assert "CHC" not in specs and "CIC" not in specs


@pytest.mark.parametrize(
    "code",
    [
        # Care Act 2014 statutory guidance 14.17, all ten
        "physical",
        "domestic_abuse",
        "sexual",
        "emotional",
        "financial",
        "modern_slavery",
        "discriminatory",
        "organisational",
        "neglect",
        "self_neglect",
        # and what Working Together and the other duties add
        "fgm",
        "radicalisation",
        "cse",
        "cce",
        # kept for concerns logged before CSE and CCE were apart
        "exploitation",
    ],
)
def test_shipped_concern_categories(code):
    assert code in concerns.category_labels()


def test_lac_and_cic_are_one_register_found_by_either_term():
    lac = next(s for s in reference.load_register_categories() if s.code == "LAC")
    for term in ("cic", "child in care", "looked after", "lac"):
        assert term in lac.search_text
    assert lac.replaces == ("CIC",)


@pytest.fixture
def old_database(engine):
    """A database as the previous version left it: LAC and CIC apart, CHC for a child in
    a family of concern; one child on both LAC and CIC, one on CIC only, one on CHC."""
    with session_scope(engine, "setup") as s:
        lac = RegisterCategory(code="LAC", name="Looked After Child", age_band="child")
        cic = RegisterCategory(code="CIC", name="Child in Care", age_band="child")
        chc = RegisterCategory(code="CHC", name="Child in household of concern", age_band="child")
        s.add_all([lac, cic, chc])
        s.flush()
        people = []
        for i in range(3):
            person = Person(
                nhs_number=f"999000010{i}",
                given_name="Kid",
                family_name=f"Old{i}",
                search_name=f"old{i} kid",
                date_of_birth=date(2016, 1, 1),
            )
            s.add(person)
            s.flush()
            people.append(person.id)

        def on(person_id: int, category: RegisterCategory) -> None:
            s.add(
                RegisterEntry(
                    person_id=person_id,
                    category_id=category.id,
                    start_date=date(2026, 1, 1),
                    next_review_due=date(2026, 12, 1),
                )
            )

        on(people[0], lac)
        on(people[0], cic)
        on(people[1], cic)
        on(people[2], chc)
    return engine


def _entries(engine) -> list[tuple[str, str, str]]:
    with session_scope(engine, "t") as s:
        return sorted(
            s.exec(
                select(Person.family_name, RegisterCategory.code, RegisterEntry.status)
                .join(Person, Person.id == RegisterEntry.person_id)
                .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
            ).all()
        )


def test_sync_renames_chc_and_merges_cic_into_lac_audited(old_database):
    with session_scope(old_database, "t") as s:
        chc_id = s.exec(select(RegisterCategory.id).where(RegisterCategory.code == "CHC")).one()
    with session_scope(old_database, "upgrade") as s:
        reference.apply_reference_data(s, TODAY)
    assert _entries(old_database) == [
        ("Old0", "LAC", "active"),
        ("Old0", "LAC", "ended"),  # on both: one register now, the CiC spell ended
        ("Old1", "LAC", "active"),
        ("Old2", "CFC", "active"),
    ]
    with session_scope(old_database, "t") as s:
        cfc = s.exec(select(RegisterCategory).where(RegisterCategory.code == "CFC")).one()
        assert cfc.id == chc_id  # renamed in place: entries and history keep their ids
        cic = s.exec(select(RegisterCategory).where(RegisterCategory.code == "CIC")).one()
        assert cic.active is False
        ended = s.exec(select(RegisterEntry).where(RegisterEntry.status == "ended")).one()
        assert (ended.end_date, ended.end_reason) == (TODAY, "Merged into the LAC register")
        actors = {
            (a.table_name, a.action)
            for a in s.exec(select(AuditEvent).where(AuditEvent.actor == "upgrade"))
        }
        assert ("register_entry", "update") in actors and ("register_category", "update") in actors
        # The old codes still find their registers (a follow-on written with "CHC").
        assert reg.category_id_for_code(s, "CHC") == chc_id
        assert reg.category_id_for_code(s, "CIC") == reg.category_id_for_code(s, "LAC")
        # Choosers list LAC/CiC once, found by either term, and not the merged CIC row.
        choices = reg.register_choices(s)
        assert [c.code for c in choices if "cic" in c.search_text] == ["LAC"]
    # A second start changes nothing.
    with session_scope(old_database, "again") as s:
        reference.apply_reference_data(s, TODAY)
    with session_scope(old_database, "t") as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.actor == "again")).all() == []


def test_a_practice_file_may_keep_lac_and_cic_apart(old_database, tmp_path):
    data = shipped()
    data["categories"].append(
        {"code": "CIC", "name": "Child in Care", "age_band": "child", "review_interval_days": 30}
    )
    (tmp_path / "register_categories.json").write_text(json.dumps(data))
    with session_scope(old_database, "upgrade") as s:
        reference.sync_register_categories(s, reference.load_register_categories(tmp_path), TODAY)
    codes = _entries(old_database)
    assert ("Old1", "CIC", "active") in codes and ("Old0", "CIC", "active") in codes
    # Its concern categories come from the shipped file when it has none of its own.
    del data["concern_categories"]
    (tmp_path / "register_categories.json").write_text(json.dumps(data))
    assert {c.code for c in reference.load_concern_categories(tmp_path)} >= {"fgm", "cce"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"aliases": "CiC"}, "'aliases' must be a list"),
        ({"replaces": [""]}, "'replaces' must be a list"),
    ],
)
def test_bad_terms_are_refused_naming_the_entry(tmp_path, entry, message):
    data = {
        "categories": [
            {"code": "X", "name": "X", "age_band": "any", "review_interval_days": 30, **entry}
        ]
    }
    (tmp_path / "register_categories.json").write_text(json.dumps(data))
    with pytest.raises(reference.ReferenceDataError, match=f"entry 1 {message}"):
        reference.load_register_categories(tmp_path)


def test_a_concern_in_a_new_category_is_logged(engine):
    with session_scope(engine, "setup") as s:
        person = Person(
            nhs_number="9990000200",
            given_name="Ann",
            family_name="New",
            search_name="new ann",
            date_of_birth=date(2012, 5, 5),
        )
        s.add(person)
        s.flush()
        person_id = person.id
    for code in ("fgm", "radicalisation", "modern_slavery", "cce"):
        with session_scope(engine, "me") as s:
            concerns.log_concern(
                s,
                person_id=person_id,
                raised_by="me",
                raised_by_role="",
                raised_on=TODAY,
                category=code,
                details="seen",
                today=TODAY,
            )
    with session_scope(engine, "t") as s:
        assert len(concerns.untriaged(s)) == 4
