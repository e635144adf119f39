"""One list of owner roles and one owner parser (issue 22 §1): the same word means the
same owner in a meeting's action line, the action tracker's reassign and a referral
outcome's follow-on; a word that means nobody is refused in all three."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordinator_tui.db import session_scope
from coordinator_tui.models import Action, Person, Practice, Referral, Staff
from coordinator_tui.services import owners, reference
from coordinator_tui.services.meetings import MeetingError
from coordinator_tui.services.meetings import actions as act
from coordinator_tui.services.meetings.minuting import parse_action_line
from coordinator_tui.services.owners import (
    OwnerCandidate,
    OwnerDirectory,
    match_owner_words,
    parse_owner,
    resolve_owner,
    role_for,
)
from coordinator_tui.services.reference import ReferenceDataError

TODAY = date(2026, 11, 23)
OWNERS = OwnerDirectory(
    (
        OwnerCandidate(1, "Hannah Vale", "HV", "Health visitor", True),
        OwnerCandidate(2, "Dr Ann Jones", "AJ", "GP", True),
        OwnerCandidate(3, "Suzanne Woodward", "SW", "District nurse", False),
        OwnerCandidate(4, "Pat Morgan", "PMO", "Practice manager", False),
        OwnerCandidate(5, "Dee Lane", "DL", "Designated safeguarding lead", False),
        OwnerCandidate(6, "Ivy Dale", "ID", "IDVA", False),
        OwnerCandidate(7, "Beth Brown", "BB", "Practice nurse", False),
        OwnerCandidate(8, "Bill Black", "BB", "Practice nurse", False),
    )
)


class TestRoles:
    def test_the_usual_safeguarding_roles_are_listed_with_their_codes(self) -> None:
        codes = {role.code: role.name for role in owners.owner_roles()}
        for code, name in {
            "PM": "Practice manager",
            "DSL": "Designated safeguarding lead",
            "IDVA": "Independent domestic violence adviser",
            "LADO": "Local authority designated officer",
            "HV": "Health visitor",
            "SN": "School nurse",
            "SW": "Social worker",
            "GP": "GP",
            "PN": "Practice nurse",
            "SGL": "Safeguarding lead",
        }.items():
            assert codes[code] == name
        assert all(role.source for role in owners.owner_roles())

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("PM", "PM"),
            ("pm", "PM"),
            ("Practice Manager", "PM"),
            ("  practice   manager. ", "PM"),
            ("dsl", "DSL"),
            ("CPN", "CMHN"),
            ("health visiting team", "HV"),
            ("idva", "IDVA"),
            ("lado", "LADO"),
            ("children's social care", "SW"),
            ("ZZ", None),
            ("", None),
            ("practice", None),  # whole words only
        ],
    )
    def test_role_for(self, text: str, code: str | None) -> None:
        role = role_for(text)
        assert (role.code if role else None) == code

    def test_external_roles_offered_for_a_new_professional(self) -> None:
        names = owners.external_roles()
        assert {
            "Health visitor",
            "School nurse",
            "Social worker",
            "Independent domestic violence adviser",
            "Local authority designated officer",
        } <= set(names)
        assert "Practice manager" not in names

    def test_a_practice_file_overrides_and_a_broken_one_is_refused(self, tmp_path) -> None:
        (tmp_path / owners.ROLES_FILE).write_text(
            json.dumps({"roles": [{"code": "FSW", "name": "Family support worker"}]})
        )
        reference.use_practice_dir(tmp_path)
        try:
            assert [r.code for r in owners.owner_roles()] == ["FSW"]
            assert parse_owner("FSW", OWNERS).label == "Family support worker"
            (tmp_path / owners.ROLES_FILE).write_text(
                json.dumps(
                    {
                        "roles": [
                            {"code": "A", "name": "One", "aliases": ["same"]},
                            {"code": "B", "name": "Two", "aliases": ["same"]},
                        ]
                    }
                )
            )
            owners._cached.cache_clear()
            with pytest.raises(ReferenceDataError, match="'same' names both A and B"):
                owners.owner_roles()
        finally:
            reference.use_practice_dir(None)
            owners._cached.cache_clear()


class TestParser:
    @pytest.mark.parametrize(
        ("text", "staff_id", "label"),
        [
            ("Hannah Vale", 1, "Hannah Vale"),
            ("hannah vale", 1, "Hannah Vale"),
            ("HV", 1, "Hannah Vale"),  # initials, and the one health visitor
            ("Vale", 1, "Hannah Vale"),  # a unique part of a name
            ("PM", 4, "Pat Morgan"),  # the one practice manager
            ("practice manager", 4, "Pat Morgan"),
            ("DSL", 5, "Dee Lane"),
            ("IDVA", 6, "Ivy Dale"),  # a staff role typed as the code
            ("GP", 2, "Dr Ann Jones"),
            ("SW", 3, "Suzanne Woodward"),  # initials first: the preview warns
            ("social worker", None, "Social worker"),  # nobody holds it: the role
            ("LADO", None, "Local authority designated officer"),
            ("PN", None, "Practice nurse"),  # two hold it: the role
        ],
    )
    def test_parse_owner(self, text: str, staff_id: int | None, label: str) -> None:
        match = parse_owner(text, OWNERS)
        assert match.ok, match.problem
        assert (match.staff_id, match.label) == (staff_id, label)

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("", "Say who owns the action"),
            ("   ", "Say who owns the action"),
            ("ZZQ", "not anyone's initials or a role"),
            ("Nobody Here", "not anyone's name, initials or a role"),
            ("BB", "matches 2 people"),
            ("B", "not anyone's"),
        ],
    )
    def test_refused(self, text: str, problem: str) -> None:
        match = parse_owner(text, OWNERS)
        assert not match.ok and problem in match.problem

    def test_initials_that_are_also_a_role_code_warn(self) -> None:
        match = resolve_owner("SW", OWNERS)
        assert match.label == "Suzanne Woodward"
        assert "type 'social worker'" in match.warning
        assert resolve_owner("HV", OWNERS).warning == ""  # her initials and her role agree

    def test_action_line_takes_a_name_or_role_of_several_words(self) -> None:
        match, used = match_owner_words(["practice", "manager", "+1w", "check", "rota"], OWNERS)
        assert (match.label, used) == ("Pat Morgan", 2)
        match, used = match_owner_words(["Hannah", "Vale", "fri", "visit"], OWNERS)
        assert (match.label, used) == ("Hannah Vale", 2)
        match, used = match_owner_words(["GP", "review", "meds"], OWNERS)
        assert (match.label, used) == ("Dr Ann Jones", 1)

    @pytest.mark.parametrize(
        ("line", "label", "text"),
        [
            ("PM +1w update the rota", "Pat Morgan", "update the rota"),
            ("DSL fri share plan with school", "Dee Lane", "share plan with school"),
            ("IDVA +2d safety plan", "Ivy Dale", "safety plan"),
            ("LADO +1w allegation follow up", "Local authority designated officer", None),
            ("social worker +1w strategy discussion", "Social worker", "strategy discussion"),
        ],
    )
    def test_action_line_knows_every_role(self, line: str, label: str, text: str | None) -> None:
        preview = parse_action_line(line, OWNERS, today=TODAY)
        assert preview.ok, preview.problems
        assert preview.owner_label == label
        if text is not None:
            assert preview.description == text

    @settings(max_examples=300, deadline=None)
    @given(st.text())
    def test_never_raises(self, text: str) -> None:
        match = parse_owner(text, OWNERS)
        assert match.ok or match.problem
        assert len(match.label) <= owners.MAX_LABEL
        resolve_owner(text, OWNERS)
        match_owner_words(text.split(), OWNERS)


@pytest.fixture
def staffed(engine):
    """A practice with a practice manager on the staff list and one open referral."""
    with session_scope(engine, "setup") as s:
        practice = Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha")
        s.add(practice)
        s.flush()
        manager = Staff(name="Pat Morgan", initials="PMO", role="Practice manager")
        person = Person(
            nhs_number="9990000101",
            given_name="Amy",
            family_name="Adams",
            search_name="adams amy",
            date_of_birth=date(2015, 1, 1),
            practice_id=practice.id,
        )
        s.add_all([manager, person])
        s.flush()
        referral = Referral(
            person_id=person.id,
            practice_id=practice.id,
            referral_type="MASH",
            state="outcome_received",
            reason="Concerns",
            drafted_at=datetime(2026, 11, 1, 10, tzinfo=UTC),
        )
        action = Action(person_id=person.id, owner_label="Someone", description="Call")
        s.add_all([referral, action])
        s.flush()
        return {"manager": manager.id, "referral": referral.id, "action": action.id}


def test_every_place_reads_the_owner_the_same_way(engine, staffed) -> None:
    """PM is the practice manager in the tracker's reassign and in a referral outcome's
    follow-on alike; a word naming nobody is refused in both."""
    from coordinator_tui.services.referrals import ReferralError, add_outcome_action

    with session_scope(engine, "t") as s:
        moved = act.reassign(s, staffed["action"], owner="PM")
        assert (moved.owner_staff_id, moved.owner_label) == (staffed["manager"], "Pat Morgan")
        follow = add_outcome_action(
            s, staffed["referral"], description="Flag the record", owner="pm", due=None, today=TODAY
        )
        assert (follow.owner_staff_id, follow.owner_label) == (staffed["manager"], "Pat Morgan")
        idva = add_outcome_action(
            s, staffed["referral"], description="Safety plan", owner="IDVA", due=None, today=TODAY
        )
        assert (idva.owner_staff_id, idva.owner_label) == (
            None,
            "Independent domestic violence adviser",
        )
        with pytest.raises(MeetingError, match="not anyone's"):
            act.reassign(s, staffed["action"], owner="ZZQ")
        with pytest.raises(ReferralError, match="not anyone's"):
            add_outcome_action(
                s, staffed["referral"], description="x", owner="ZZQ", due=None, today=TODAY
            )
