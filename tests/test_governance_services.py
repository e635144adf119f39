"""Governance services: incidents logged, triaged (each decision who and when), investigated
and closed only when complete; the Duty of Candour record element by element; complaints
from receipt to closure; letters; stale writes refused with the one conflict message."""

from __future__ import annotations

import contextlib
import stat
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from coordinator_tui.db import session_scope
from coordinator_tui.models import Action, AuditEvent, Carer, Concern, Customer, Person, Staff
from coordinator_tui.models.governance import (
    CandourRecord,
    Complaint,
    Incident,
    IncidentDecision,
)
from coordinator_tui.services.errors import ConflictError, CoordinatorError
from coordinator_tui.services.governance import GovernanceError
from coordinator_tui.services.governance import candour as cd
from coordinator_tui.services.governance import complaints as cp
from coordinator_tui.services.governance import incidents as inc
from coordinator_tui.services.governance.agency import agency_settings, save_agency_settings
from coordinator_tui.services.governance.letters import build_letter, write_letter

TODAY = date(2026, 11, 23)  # a Monday
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def ids(engine):
    """A customer with a person record, one without, a carer and a staff member."""
    with session_scope(engine, "setup") as s:
        person = Person(
            nhs_number="9990000018",
            given_name="Edith",
            family_name="Crane",
            date_of_birth=date(1931, 5, 2),
        )
        s.add(person)
        s.flush()
        with_person = Customer(name="Edith Crane", person_id=person.id, address="1 Mill Lane")
        without = Customer(name="Albert Fox")
        carer = Carer(name="Nia Rowe")
        staff = Staff(name="Priya Manager", initials="PMG", role="Registered manager")
        s.add_all([with_person, without, carer, staff])
        s.flush()
        return {
            "person": person.id,
            "customer": with_person.id,
            "bare_customer": without.id,
            "carer": carer.id,
            "staff": staff.id,
        }


def _log(engine, ids, **over):
    values = dict(
        occurred_at=NOW - timedelta(hours=5),
        found_at=NOW - timedelta(hours=4),
        kind="fall",
        severity="moderate",
        description="Found on the floor by the bed",
        immediate_action="Ambulance called",
        customer_id=ids["customer"],
        carer_id=ids["carer"],
        by="coord",
        now=NOW,
    )
    values.update(over)
    with session_scope(engine, "coord") as s:
        incident = inc.log_incident(s, **values)
        return incident.id, incident.version


def _triage(engine, incident_id, version, **over):
    values = dict(
        notifiable="prolonged_harm",
        cqc="serious_injury",
        safeguarding="no",
        commissioner="no",
        by="coord",
        today=TODAY,
        now=NOW,
    )
    values.update(over)
    with session_scope(engine, "coord") as s:
        return inc.triage_incident(s, incident_id, version, **values)


def _version(engine, model, row_id):
    with session_scope(engine, "t") as s:
        return s.get(model, row_id).version


class TestLogging:
    def test_log_links_the_customers_person_and_awaits_triage(self, engine, ids):
        incident_id, _ = _log(engine, ids)
        with session_scope(engine, "t") as s:
            incident = s.get(Incident, incident_id)
            assert incident.person_id == ids["person"]
            assert incident.logged_by == "coord" and incident.triaged_at is None
            rows = inc.incident_list(s, "triage", TODAY)
        assert [r.id for r in rows] == [incident_id]
        assert rows[0].customer == "Edith Crane" and rows[0].carer == "Nia Rowe"

    @pytest.mark.parametrize(
        ("over", "message"),
        [
            ({"occurred_at": None}, "when it happened"),
            ({"occurred_at": NOW + timedelta(hours=1)}, "future"),
            ({"found_at": NOW - timedelta(hours=6)}, "found before it happened"),
            ({"kind": "weather"}, "what kind"),
            ({"severity": "awful"}, "harm level"),
            ({"description": "  "}, "what happened"),
            ({"customer_id": None, "carer_id": None}, "who was involved"),
        ],
    )
    def test_bad_input_is_refused_in_words(self, engine, ids, over, message):
        with pytest.raises(GovernanceError, match=message):
            _log(engine, ids, **over)
        with session_scope(engine, "t") as s:
            assert s.scalars(select(Incident)).all() == []

    @settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(kind=st.text(max_size=12), severity=st.text(max_size=12), text=st.text(max_size=50))
    def test_any_text_is_logged_or_refused_never_a_crash(self, engine, ids, kind, severity, text):
        with contextlib.suppress(CoordinatorError):
            _log(engine, ids, kind=kind, severity=severity, description=text)


class TestTriage:
    def test_each_decision_recorded_with_who_and_when_and_candour_opened(self, engine, ids):
        incident_id, version = _log(engine, ids)
        result = _triage(engine, incident_id, version, commissioner="Brent commissioning")
        assert sorted(result.decided) == ["commissioner", "cqc", "notifiable", "safeguarding"]
        with session_scope(engine, "t") as s:
            decisions = s.scalars(
                select(IncidentDecision).where(IncidentDecision.incident_id == incident_id)
            ).all()
            assert {(d.question, d.answer, d.detail) for d in decisions} == {
                ("notifiable", "yes", "prolonged_harm"),
                ("cqc", "yes", "serious_injury"),
                ("safeguarding", "no", ""),
                ("commissioner", "yes", "Brent commissioning"),
            }
            assert all(d.decided_by == "coord" and d.decided_at == NOW for d in decisions)
            record = s.scalars(select(CandourRecord)).one()
            # 10 working days from Monday 23 November 2026 (the default limit)
            assert (record.opened_on, record.due_on, record.status) == (
                TODAY,
                date(2026, 12, 7),
                "open",
            )
            assert [r.id for r in inc.incident_list(s, "notifiable", TODAY)] == [incident_id]
            assert inc.incident_list(s, "triage", TODAY) == []

    def test_agency_limit_sets_the_clock(self, engine, ids):
        with session_scope(engine, "t") as s:
            save_agency_settings(
                s, None, agency_name="Kind Care Ltd", candour_limit_days=5, response_months=6
            )
        incident_id, version = _log(engine, ids)
        _triage(engine, incident_id, version)
        with session_scope(engine, "t") as s:
            assert s.scalars(select(CandourRecord.due_on)).one() == date(2026, 11, 30)

    def test_an_unchanged_decision_is_not_recorded_again(self, engine, ids):
        incident_id, version = _log(engine, ids)
        result = _triage(engine, incident_id, version)
        again = _triage(engine, incident_id, result.incident.version, cqc="no")
        assert again.decided == ["cqc"]

    def test_safeguarding_raises_a_concern_on_the_persons_record_once(self, engine, ids):
        incident_id, version = _log(engine, ids, kind="abuse")
        result = _triage(
            engine, incident_id, version, safeguarding="yes", safeguarding_category="physical"
        )
        assert result.concern_id is not None
        _triage(engine, incident_id, result.incident.version, safeguarding="yes")
        with session_scope(engine, "t") as s:
            concern = s.scalars(select(Concern)).one()
            assert concern.person_id == ids["person"] and concern.category == "physical"
            assert concern.status == "untriaged"
            assert f"incident {incident_id}" in concern.details

    def test_safeguarding_without_a_person_record_says_so(self, engine, ids):
        incident_id, version = _log(engine, ids, customer_id=ids["bare_customer"])
        with pytest.raises(GovernanceError, match="no person record"):
            _triage(engine, incident_id, version, safeguarding="yes")
        with session_scope(engine, "t") as s:
            assert s.get(Incident, incident_id).triaged_at is None

    def test_not_notifiable_after_all_withdraws_an_untouched_record(self, engine, ids):
        incident_id, version = _log(engine, ids)
        result = _triage(engine, incident_id, version)
        _triage(engine, incident_id, result.incident.version, notifiable="no")
        with session_scope(engine, "t") as s:
            assert s.scalars(select(CandourRecord.status)).one() == "not_required"
            assert not s.get(Incident, incident_id).notifiable

    def test_two_writers_the_second_is_refused_naming_who(self, engine, ids):
        incident_id, version = _log(engine, ids)
        _triage(engine, incident_id, version)
        with pytest.raises(ConflictError, match="coord changed this incident"):
            _triage(engine, incident_id, version, cqc="no")


class TestClosure:
    def test_closure_refused_naming_everything_missing(self, engine, ids):
        incident_id, version = _log(engine, ids)
        with session_scope(engine, "t") as s, pytest.raises(inc.IncidentClosureRefused) as refused:
            inc.close_incident(s, incident_id, version, by="coord")
        assert refused.value.missing == [
            "triage",
            "the cause",
            "at least one action, or the reason for none",
            "a learning note",
        ]

    def test_closed_with_cause_action_learning(self, engine, ids):
        incident_id, version = _log(engine, ids)
        result = _triage(engine, incident_id, version, notifiable="no", cqc="no")
        with session_scope(engine, "t") as s:
            incident = inc.record_investigation(
                s, incident_id, result.incident.version, cause="Bed rail left down", learning=""
            )
            version = incident.version
        with session_scope(engine, "t") as s:
            action = inc.add_incident_action(
                s,
                incident_id,
                version,
                description="Refresher on bed rails",
                owner="Priya Manager",
                due=TODAY + timedelta(days=14),
                today=TODAY,
            )
            assert action.owner_staff_id == ids["staff"]
        with (
            session_scope(engine, "t") as s,
            pytest.raises(inc.IncidentClosureRefused, match="a learning note"),
        ):
            inc.close_incident(s, incident_id, version, by="coord")
        with session_scope(engine, "t") as s:
            version = inc.record_investigation(
                s, incident_id, version, cause="Bed rail left down", learning="Check rails"
            ).version
        with session_scope(engine, "t") as s:
            inc.close_incident(s, incident_id, version, by="coord", now=NOW)
        with session_scope(engine, "t") as s:
            incident = s.get(Incident, incident_id)
            assert incident.status == "closed" and incident.closed_by == "coord"
            # the action is in the shared tracker as an incident's, saying where it came
            # from (Governance's ``F`` lists these; the meetings' own leave it out)
            from coordinator_tui.services.meetings.actions import INCIDENT, KINDS, open_actions

            rows = open_actions(s, today=TODAY, kinds=tuple(KINDS))
            assert [(r.description, r.kind) for r in rows] == [
                (f"Incident {incident_id}: Refresher on bed rails", INCIDENT)
            ]
            assert open_actions(s, today=TODAY) == []
            assert [r.id for r in inc.incident_list(s, "closed", TODAY)] == [incident_id]

    def test_a_reason_for_no_action_stands_for_one(self, engine, ids):
        incident_id, version = _log(engine, ids)
        version = _triage(engine, incident_id, version, notifiable="no", cqc="no").incident.version
        with session_scope(engine, "t") as s:
            version = inc.record_investigation(
                s,
                incident_id,
                version,
                cause="Unavoidable",
                learning="None beyond the care plan",
                no_action_reason="Care plan already covers it",
            ).version
        with session_scope(engine, "t") as s:
            assert inc.close_incident(s, incident_id, version, by="coord").status == "closed"

    def test_a_notifiable_incident_needs_its_candour_record_complete(self, engine, ids):
        incident_id, version = _log(engine, ids)
        version = _triage(engine, incident_id, version).incident.version
        with session_scope(engine, "t") as s:
            version = inc.record_investigation(
                s, incident_id, version, cause="c", learning="l", no_action_reason="r"
            ).version
        with session_scope(engine, "t") as s, pytest.raises(inc.IncidentClosureRefused) as refused:
            inc.close_incident(s, incident_id, version, by="coord")
        assert refused.value.missing == ["the Duty of Candour record complete"]

    def test_owner_naming_nobody_is_refused(self, engine, ids):
        incident_id, version = _log(engine, ids)
        with session_scope(engine, "t") as s, pytest.raises(CoordinatorError, match="not anyone"):
            inc.add_incident_action(
                s, incident_id, version, description="x", owner="Zed", due=TODAY, today=TODAY
            )

    def test_a_carer_can_own_an_action(self, engine, ids):
        incident_id, version = _log(engine, ids)
        with session_scope(engine, "t") as s:
            action = inc.add_incident_action(
                s,
                incident_id,
                version,
                description="Reflect",
                owner="nia rowe",
                due=TODAY,
                today=TODAY,
            )
            assert action.owner_label == "Nia Rowe" and action.owner_staff_id is None

    def test_overdue_actions_view_and_counts(self, engine, ids):
        incident_id, version = _log(engine, ids)
        with session_scope(engine, "t") as s:
            inc.add_incident_action(
                s,
                incident_id,
                version,
                description="Review",
                owner="PMG",
                due=TODAY,
                today=TODAY,
            )
        later = TODAY + timedelta(days=1)
        with session_scope(engine, "t") as s:
            assert [r.id for r in inc.incident_list(s, "actions", later)] == [incident_id]
            assert inc.incident_list(s, "actions", TODAY) == []
            counts = inc.governance_counts(s, later)
        assert counts.awaiting_triage == 1 and counts.incident_actions_overdue == 1


def _record(engine, ids):
    incident_id, version = _log(engine, ids)
    _triage(engine, incident_id, version)
    with session_scope(engine, "t") as s:
        record = s.scalars(select(CandourRecord)).one()
        return incident_id, record.id, record.version


ELEMENT_VALUES = {
    "in_person": {
        "relevant_person": "Mary Crane",
        "relation": "daughter",
        "notified_on": TODAY,
        "notified_by": "Priya Manager",
    },
    "support": {"support_offered": "Named contact; GP follow-up arranged"},
    "account": {"account": "Edith fell from bed at 10:00; rail down."},
    "enquiries": {"enquiries": "Review of the visit notes and the rail"},
    "apology": {"apology_on": TODAY, "apology_by": "Priya Manager"},
    "record": {"record_kept_on": TODAY, "record_location": "Incident file, office safe"},
    "written": {"written_sent_on": TODAY, "written_method": "post"},
    "results": {"results_shared_on": TODAY, "results": "The rail was not fixed after a visit"},
}


class TestCandour:
    def test_complete_refused_naming_each_missing_element(self, engine, ids):
        _, record_id, version = _record(engine, ids)
        with session_scope(engine, "t") as s:
            cd.record_element(
                s, record_id, version, "apology", ELEMENT_VALUES["apology"], today=TODAY
            )
            version = s.get(CandourRecord, record_id).version
        with session_scope(engine, "t") as s, pytest.raises(cd.CandourIncomplete) as refused:
            cd.complete_candour(s, record_id, version, by="coord", today=TODAY)
        assert refused.value.missing == [
            "Notified in person",
            "Support offered",
            "A true account of the facts known",
            "Advice on further enquiries",
            "The written record kept securely",
            "The written notification sent",
            "The results of enquiries shared",
        ]
        assert "Notified in person" in str(refused.value)

    def test_every_element_then_complete_then_the_incident_closes(self, engine, ids):
        incident_id, record_id, version = _record(engine, ids)
        for element, values in ELEMENT_VALUES.items():
            with session_scope(engine, "t") as s:
                version = cd.record_element(
                    s, record_id, version, element, values, today=TODAY
                ).version
        with session_scope(engine, "t") as s:
            record = cd.complete_candour(s, record_id, version, by="coord", today=TODAY)
            assert record.status == "complete" and record.completed_by == "coord"

    def test_written_before_in_person_is_refused(self, engine, ids):
        _, record_id, version = _record(engine, ids)
        with (
            session_scope(engine, "t") as s,
            pytest.raises(GovernanceError, match="in person first"),
        ):
            cd.record_element(
                s, record_id, version, "written", ELEMENT_VALUES["written"], today=TODAY
            )

    def test_future_date_and_missing_field_refused(self, engine, ids):
        _, record_id, version = _record(engine, ids)
        with session_scope(engine, "t") as s:
            with pytest.raises(GovernanceError, match="future"):
                cd.record_element(
                    s,
                    record_id,
                    version,
                    "apology",
                    {"apology_on": TODAY + timedelta(days=1), "apology_by": "x"},
                    today=TODAY,
                )
            with pytest.raises(GovernanceError, match="by whom is required"):
                cd.record_element(
                    s, record_id, version, "apology", {"apology_on": TODAY}, today=TODAY
                )

    def test_could_not_contact_is_the_record_instead(self, engine, ids):
        _, record_id, version = _record(engine, ids)
        with session_scope(engine, "t") as s:
            version = cd.record_element(
                s,
                record_id,
                version,
                "unable",
                {"unable": "declined", "contact_attempts": "Phoned 23/11 10:00; declined"},
                today=TODAY,
            ).version
        with session_scope(engine, "t") as s:
            assert cd.complete_candour(s, record_id, version, by="c", today=TODAY).status == (
                "complete"
            )

    def test_overdue_after_the_limit_until_notified(self, engine, ids):
        _, record_id, version = _record(engine, ids)
        late = date(2026, 12, 8)
        with session_scope(engine, "t") as s:
            assert cd.overdue_candour_count(s, date(2026, 12, 7)) == 0
            assert cd.overdue_candour_count(s, late) == 1
            assert inc.incident_list(s, "notifiable", late)[0].candour_overdue(late)
            cd.record_element(
                s, record_id, version, "in_person", ELEMENT_VALUES["in_person"], today=TODAY
            )
        with session_scope(engine, "t") as s:
            assert cd.overdue_candour_count(s, late) == 0

    def test_two_writers_on_the_record(self, engine, ids):
        _, record_id, version = _record(engine, ids)
        with session_scope(engine, "first") as s:
            cd.record_element(
                s, record_id, version, "support", ELEMENT_VALUES["support"], today=TODAY
            )
        with (
            session_scope(engine, "t") as s,
            pytest.raises(ConflictError, match="first changed this candour record"),
        ):
            cd.record_element(
                s, record_id, version, "account", ELEMENT_VALUES["account"], today=TODAY
            )

    def test_letter_as_text_and_word_owner_only_and_audited(self, engine, ids, tmp_path):
        incident_id, record_id, version = _record(engine, ids)
        for element in ("in_person", "account", "apology", "enquiries"):
            with session_scope(engine, "t") as s:
                version = cd.record_element(
                    s, record_id, version, element, ELEMENT_VALUES[element], today=TODAY
                ).version
        with session_scope(engine, "t") as s:
            save_agency_settings(
                s, None, agency_name="Kind Care Ltd", candour_limit_days=10, response_months=6
            )
        with session_scope(engine, "t") as s:
            text = build_letter(s, "candour", incident_id, TODAY).text()
            docx = write_letter(s, "candour", incident_id, tmp_path / "l.docx", TODAY)
            txt = write_letter(s, "candour", incident_id, tmp_path / "l.txt", TODAY)
        assert text.startswith("Kind Care Ltd\n") and "Dear Mary Crane" in text
        assert "Edith fell from bed" in text and "truly sorry" in text
        assert "Regulation 20" in text
        assert "not recorded yet" in text  # support offered is still missing
        for path in (docx, txt):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert docx.read_bytes()[:2] == b"PK"
        with session_scope(engine, "t") as s:
            exports = s.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
        assert len(exports) == 2 and all("Crane" not in (e.changes or "") for e in exports)


def _complaint(engine, ids, **over):
    values = dict(
        received_on=TODAY,
        channel="letter",
        complainant="Mary Crane",
        relation="daughter",
        summary="Visits later than agreed",
        outcome_wanted="Visits on time",
        customer_id=ids["customer"],
        by="coord",
        today=TODAY,
    )
    values.update(over)
    with session_scope(engine, "coord") as s:
        complaint = cp.log_complaint(s, **values)
        return complaint.id, complaint.version


class TestComplaints:
    def test_clocks_set_on_receipt(self, engine, ids):
        complaint_id, _ = _complaint(engine, ids, received_on=date(2026, 11, 20))
        with session_scope(engine, "t") as s:
            complaint = s.get(Complaint, complaint_id)
            assert complaint.acknowledge_due == date(2026, 11, 25)
            assert complaint.response_due == date(2027, 5, 20)
            assert [r.id for r in cp.complaint_list(s, "acknowledge", TODAY)] == [complaint_id]
            assert cp.complaint_counts(s, date(2026, 11, 26)) == (1, 1)

    def test_receipt_to_closure_with_an_extension(self, engine, ids):
        complaint_id, version = _complaint(engine, ids)
        day = TODAY + timedelta(days=1)
        with session_scope(engine, "t") as s:
            with pytest.raises(GovernanceError, match="reg 13"):
                cp.acknowledge(
                    s, complaint_id, version, on=day, discussion_offered=False, by="c", today=day
                )
            version = cp.acknowledge(
                s, complaint_id, version, on=day, discussion_offered=True, by="c", today=day
            ).version
        with session_scope(engine, "t") as s:
            cp.add_step(
                s,
                complaint_id,
                version,
                kind="discussion",
                on=day,
                note="Agreed by phone",
                by="c",
                today=day,
            )
            cp.add_step(
                s,
                complaint_id,
                version,
                kind="investigation",
                on=day,
                note="Rota checked",
                by="c",
                today=day,
            )
        with session_scope(engine, "t") as s:
            with pytest.raises(GovernanceError, match="why"):
                cp.extend(
                    s,
                    complaint_id,
                    version,
                    new_due=date(2027, 6, 30),
                    reason=" ",
                    told_on=day,
                    by="c",
                    today=day,
                )
            version = cp.extend(
                s,
                complaint_id,
                version,
                new_due=date(2027, 6, 30),
                reason="Waiting for GP",
                told_on=day,
                by="c",
                today=day,
            ).version
        with session_scope(engine, "t") as s:
            with pytest.raises(cp.ComplaintClosureRefused, match="the response sent"):
                cp.close_complaint(
                    s, complaint_id, version, on=day, learning="x", by="c", today=day
                )
            version = cp.send_response(
                s, complaint_id, version, on=day, outcome="partly", by="c", today=day
            ).version
        with session_scope(engine, "t") as s:
            with pytest.raises(cp.ComplaintClosureRefused, match="the learning"):
                cp.close_complaint(s, complaint_id, version, on=day, learning="", by="c", today=day)
            cp.close_complaint(
                s, complaint_id, version, on=day, learning="Rounds re-planned", by="c", today=day
            )
        with session_scope(engine, "t") as s:
            complaint = s.get(Complaint, complaint_id)
            assert complaint.status == "closed" and complaint.response_due == date(2027, 6, 30)
            kinds = [step.kind for step in cp.timeline(s, complaint_id)]
            assert kinds == [
                "received",
                "acknowledged",
                "discussion",
                "investigation",
                "extension",
                "response",
                "closed",
            ]
            letter = build_letter(s, "complaint", complaint_id, day).text()
        assert "Local Government and Social Care Ombudsman" in letter
        assert "partly upheld" in letter and "Rota checked" in letter

    def test_nhs_funded_names_the_phso(self, engine, ids):
        complaint_id, _ = _complaint(engine, ids, nhs_funded=True)
        with session_scope(engine, "t") as s:
            letter = build_letter(s, "complaint", complaint_id, TODAY).text()
        assert "Parliamentary and Health Service Ombudsman" in letter
        assert "Local Government" not in letter

    def test_oral_resolution_only_by_the_next_working_day(self, engine, ids):
        complaint_id, version = _complaint(
            engine, ids, channel="phone", received_on=date(2026, 11, 20)
        )
        with session_scope(engine, "t") as s:
            with pytest.raises(GovernanceError, match="next working day"):
                cp.resolve_orally(
                    s,
                    complaint_id,
                    version,
                    on=date(2026, 11, 24),
                    note="ok",
                    by="c",
                    today=date(2026, 11, 25),
                )
            assert (
                cp.resolve_orally(
                    s,
                    complaint_id,
                    version,
                    on=date(2026, 11, 23),
                    note="Apologised",
                    by="c",
                    today=TODAY,
                ).status
                == "resolved"
            )
        written_id, version = _complaint(engine, ids)
        with session_scope(engine, "t") as s, pytest.raises(GovernanceError, match="orally"):
            cp.resolve_orally(s, written_id, version, on=TODAY, note="x", by="c", today=TODAY)

    def test_extension_must_move_the_date_on(self, engine, ids):
        complaint_id, version = _complaint(engine, ids)
        with session_scope(engine, "t") as s, pytest.raises(GovernanceError, match="must be after"):
            cp.extend(
                s,
                complaint_id,
                version,
                new_due=TODAY,
                reason="r",
                told_on=TODAY,
                by="c",
                today=TODAY,
            )

    def test_two_writers_on_a_complaint(self, engine, ids):
        complaint_id, version = _complaint(engine, ids)
        with session_scope(engine, "first") as s:
            cp.acknowledge(
                s, complaint_id, version, on=TODAY, discussion_offered=True, by="f", today=TODAY
            )
        with (
            session_scope(engine, "t") as s,
            pytest.raises(ConflictError, match="first changed this complaint"),
        ):
            cp.extend(
                s,
                complaint_id,
                version,
                new_due=date(2027, 9, 1),
                reason="r",
                told_on=TODAY,
                by="c",
                today=TODAY,
            )

    def test_a_late_complaint_is_logged_with_a_warning(self, engine, ids):
        complaint_id, _ = _complaint(engine, ids, event_date=date(2025, 10, 1))
        with session_scope(engine, "t") as s:
            assert "12 months" in cp.late_note(s.get(Complaint, complaint_id))

    def test_compliments(self, engine, ids):
        with session_scope(engine, "t") as s:
            cp.log_compliment(
                s,
                received_on=TODAY,
                from_whom="Mr Fox",
                summary="Lovely carers",
                carer_id=ids["carer"],
                by="c",
                today=TODAY,
            )
            rows = cp.compliment_list(s)
        assert [(r.from_whom, r.carer) for r in rows] == [("Mr Fox", "Nia Rowe")]


class TestAgency:
    def test_defaults_then_saved_then_stale_refused(self, engine):
        with session_scope(engine, "t") as s:
            assert agency_settings(s).candour_limit_days == 10
            saved = save_agency_settings(
                s, None, agency_name="Kind Care", candour_limit_days=7, response_months=6
            )
        with session_scope(engine, "other") as s:
            save_agency_settings(
                s,
                saved.version,
                agency_name="Kind Care Ltd",
                candour_limit_days=7,
                response_months=6,
            )
        with session_scope(engine, "t") as s:
            with pytest.raises(ConflictError):
                save_agency_settings(
                    s, saved.version, agency_name="X", candour_limit_days=7, response_months=6
                )
            with pytest.raises(GovernanceError, match="working days"):
                save_agency_settings(
                    s, None, agency_name="X", candour_limit_days=0, response_months=6
                )


def test_every_write_is_audited(engine, ids):
    incident_id, version = _log(engine, ids)
    _triage(engine, incident_id, version)
    with session_scope(engine, "t") as s:
        tables = set(s.scalars(select(AuditEvent.table_name)))
    assert {"incident", "incident_decision", "candour_record"} <= tables
    assert Action  # the tracker's table is the one incidents use (see TestClosure)
