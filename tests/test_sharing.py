"""Information sharing (issue 15 section 2): disclosures and requests with their lawful
basis, the consent decision, the confidentiality flags, the chronology and the report."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from coordinator_tui.cli import app
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    AuditEvent,
    EntryStatus,
    Person,
    RegisterCategory,
    RegisterEntry,
    SharingRecord,
)
from coordinator_tui.services.chronology import chronology, to_csv
from coordinator_tui.services.reports import ReportsConflictError, ReportsError
from coordinator_tui.services.reports import sharing as sh

TODAY = date(2026, 11, 23)
SAFEGUARDING = sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", "given", "", "")
runner = CliRunner()


@pytest.fixture
def person_id(small_demo_engine) -> int:
    """A demo person on no register hidden from online access."""
    with session_scope(small_demo_engine, "t") as s:
        hidden = (
            select(RegisterEntry.person_id)
            .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
            .where(RegisterCategory.hide_from_online_access.is_(True))
        )
        return s.exec(select(Person.id).where(Person.id.not_in(hidden)).order_by(Person.id)).first()


def disclose(engine, person_id: int, basis: sh.Basis = SAFEGUARDING, **values) -> int:
    fields = {
        "today": TODAY,
        "by": "coordinator",
        "occurred_on": TODAY - timedelta(days=2),
        "organisation": "County MASH",
        "role": "Social worker",
        "recipient": "A Worker",
        "what": "health, safeg",
        "why": "Strategy discussion for a child at risk",
        "method": "secure_email",
        "basis": basis,
        **values,
    }
    with session_scope(engine, "coordinator") as s:
        return sh.record_disclosure(s, person_id, **fields).id


class TestDisclosure:
    def test_a_disclosure_is_recorded_with_its_basis_and_audited(
        self, small_demo_engine, person_id
    ):
        record_id = disclose(small_demo_engine, person_id)
        with session_scope(small_demo_engine, "t") as s:
            record = s.get(SharingRecord, record_id)
            assert record.what == "health, safeguarding"
            assert (record.article6, record.article9, record.dpa_condition) == (
                "6(1)(e)",
                "9(2)(g)",
                "sch1-18",
            )
            assert record.decision == "shared" and not record.hide_from_online_access
            event = s.exec(
                select(AuditEvent).where(
                    AuditEvent.table_name == "sharing_record", AuditEvent.row_id == record_id
                )
            ).one()
            assert event.actor == "coordinator" and event.action == "insert"

    @pytest.mark.parametrize(
        ("basis", "message"),
        [
            # UK GDPR art 6(1): processing is lawful only on one of its bases
            (sh.Basis("", "9(2)(g)", "sch1-18", "given"), "Refused: no lawful basis"),
            # UK GDPR art 9(1)-(2): health data needs an article 9 condition
            (sh.Basis("6(1)(e)", "", "", "given"), "special category data"),
            # DPA 2018 s10(3): 9(2)(g) only with a Sch 1 Part 2 condition (para 18)
            (sh.Basis("6(1)(e)", "9(2)(g)", "", "given"), "needs its DPA 2018 condition"),
            (sh.Basis("6(1)(e)", "9(2)(g)", "sch1-2", "given"), "needs its DPA 2018 condition"),
            # an override of consent is recorded with its reason and who decided
            (
                sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", "overridden", "", "Dr Lead"),
                "an override of consent needs its reason",
            ),
            (
                sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", "overridden", "risk of harm", ""),
                "needs who decided",
            ),
            # consent not sought: the reason (risk of harm, a crime) is recorded
            (
                sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", "not_sought"),
                "say why consent was not sought",
            ),
            # consent as the basis, without consent given, is no basis
            (sh.Basis("6(1)(a)", "9(2)(a)", "", "not_sought", "x"), "the basis chosen is consent"),
            (sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", ""), "Say whether consent was given"),
            (sh.Basis("6(1)(z)", "9(2)(g)", "sch1-18", "given"), "Article 6 basis must be"),
        ],
    )
    def test_refused_with_a_clear_message(self, small_demo_engine, person_id, basis, message):
        with pytest.raises(ReportsError, match=message):
            disclose(small_demo_engine, person_id, basis)
        with session_scope(small_demo_engine, "t") as s:
            assert s.exec(select(SharingRecord)).first() is None

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"organisation": " "}, "Say to whom"),
            ({"what": "gossip"}, "'gossip' is not one of the categories"),
            ({"what": ""}, "Say what was shared"),
            ({"why": ""}, "Say why it was shared"),
            ({"method": "pigeon"}, "Say how it was sent"),
            ({"occurred_on": TODAY + timedelta(days=1)}, "cannot be in the future"),
        ],
    )
    def test_what_to_whom_why_and_how_are_required(
        self, small_demo_engine, person_id, values, message
    ):
        with pytest.raises(ReportsError, match=message):
            disclose(small_demo_engine, person_id, **values)

    def test_an_override_with_reason_and_decider_is_recorded(self, small_demo_engine, person_id):
        basis = sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", "overridden", "risk of harm", "Dr L")
        record_id = disclose(small_demo_engine, person_id, basis)
        with session_scope(small_demo_engine, "t") as s:
            row = sh.sharing_rows(s, without_consent=True)[0]
        assert row.id == record_id and row.without_consent
        assert row.consent_text == "consent overridden: risk of harm (decided by Dr L)"

    def test_third_party_information_is_kept_from_online_access(self, small_demo_engine, person_id):
        record_id = disclose(small_demo_engine, person_id, what="health, third")
        with session_scope(small_demo_engine, "t") as s:
            assert s.get(SharingRecord, record_id).hide_from_online_access

    def test_someone_on_marac_is_kept_from_online_access(self, small_demo_engine):
        with session_scope(small_demo_engine, "t") as s:
            marac = s.exec(
                select(RegisterEntry.person_id)
                .join(RegisterCategory, RegisterCategory.id == RegisterEntry.category_id)
                .where(RegisterCategory.code == "MARAC", RegisterEntry.status == EntryStatus.ACTIVE)
            ).first()
        record_id = disclose(small_demo_engine, marac, safeguarding_team_only=True)
        with session_scope(small_demo_engine, "t") as s:
            record = s.get(SharingRecord, record_id)
            assert record.hide_from_online_access and record.safeguarding_team_only

    def test_a_referral_of_someone_else_is_refused(self, small_demo_engine, person_id):
        from coordinator_tui.models import Referral

        with session_scope(small_demo_engine, "t") as s:
            other = s.exec(select(Referral.id).where(Referral.person_id != person_id)).first()
        with pytest.raises(ReportsError, match="not this person's"):
            disclose(small_demo_engine, person_id, referral_id=other)


class TestRequests:
    def request(self, engine, person_id, **values) -> int:
        fields = {
            "today": TODAY,
            "by": "coordinator",
            "occurred_on": TODAY,
            "organisation": "Police",
            "recipient": "DC Jones",
            "what": "health",
            "decision": "pending",
            **values,
        }
        with session_scope(engine, "coordinator") as s:
            return sh.record_request(s, person_id, **fields).id

    def test_pending_then_decided_with_a_version_check(self, small_demo_engine, person_id):
        record_id = self.request(small_demo_engine, person_id)
        with session_scope(small_demo_engine, "colleague") as s:
            sh.decide_request(
                s, record_id, 1, decision="refused", decided_by="Dr L", reason="no basis given"
            )
        with (
            session_scope(small_demo_engine, "coordinator") as s,
            pytest.raises(ReportsConflictError, match="colleague changed this sharing record"),
        ):
            sh.decide_request(
                s,
                record_id,
                1,
                decision="shared",
                decided_by="Dr L",
                method="phone",
                basis=SAFEGUARDING,
            )
        with session_scope(small_demo_engine, "t") as s:
            record = s.get(SharingRecord, record_id)
            assert record.decision == "refused" and record.decision_reason == "no basis given"

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"decision": "refused", "decided_by": "Dr L"}, "say why the request was refused"),
            ({"decision": "refused", "reason": "x"}, "Say who decided"),
            (
                {"decision": "shared", "decided_by": "Dr L", "method": "phone"},
                "Refused: no lawful basis",
            ),
            ({"decision": "maybe", "decided_by": "Dr L"}, "shared, refused or pending"),
        ],
    )
    def test_a_decision_needs_its_reason_or_basis(
        self, small_demo_engine, person_id, values, message
    ):
        record_id = self.request(small_demo_engine, person_id)
        with session_scope(small_demo_engine, "t") as s, pytest.raises(ReportsError, match=message):
            sh.decide_request(s, record_id, 1, **values)

    def test_a_request_answered_by_sharing_is_a_disclosure_with_its_basis(
        self, small_demo_engine, person_id
    ):
        basis = sh.Basis("6(1)(c)", "9(2)(g)", "sch1-10", "not_sought", "would prejudice a crime")
        record_id = self.request(
            small_demo_engine,
            person_id,
            decision="shared",
            decided_by="Dr L",
            method="secure_email",
            basis=basis,
        )
        with session_scope(small_demo_engine, "t") as s:
            row = sh.sharing_rows(s)[0]
        assert row.id == record_id and row.without_consent and row.decided_by == "Dr L"


class TestChronologyAndReport:
    def test_the_sharing_history_is_in_the_chronology_with_its_flags(
        self, small_demo_engine, person_id
    ):
        disclose(small_demo_engine, person_id, what="health, third_party")
        with session_scope(small_demo_engine, "t") as s:
            items = [i for i in chronology(s, person_id) if i.source == "Sharing"]
        assert len(items) == 1
        text = items[0].text
        assert text.startswith("Shared with County MASH · Social worker · A Worker (secure e-mail)")
        assert "Basis 6(1)(e), 9(2)(g) + DPA 2018 Sch 1 para 18; consent sought and given" in text
        assert "[NOT FOR ONLINE ACCESS]" in text
        assert "NOT FOR ONLINE ACCESS" in to_csv(items)  # carried into the export

    def test_the_report_per_period_recipient_and_without_consent(
        self, small_demo_engine, person_id
    ):
        disclose(small_demo_engine, person_id, occurred_on=date(2026, 10, 1))
        disclose(small_demo_engine, person_id, organisation="School", what="contacts")
        override = sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", "overridden", "risk", "Dr L")
        disclose(small_demo_engine, person_id, override, what="health")
        with session_scope(small_demo_engine, "t") as s:
            november = sh.sharing_rows(s, date_from=date(2026, 11, 1), date_to=TODAY)
            everything = sh.sharing_rows(s)
        assert len(november) == 2 and len(everything) == 3
        summary = sh.sharing_summary(everything)
        assert (summary.disclosures, summary.without_consent) == (3, 1)
        assert [(r.organisation, r.disclosures) for r in summary.recipients] == [
            ("County MASH", 2),
            ("School", 1),
        ]
        csv_text = sh.sharing_csv(everything)
        header = csv_text.splitlines()[0]
        assert "not_for_online_access" in header and "safeguarding_team_only" in header


class TestCli:
    def test_sharing_list_json_and_text(self, small_demo_path, monkeypatch, person_id):
        from coordinator_tui.db import open_database

        monkeypatch.setenv("COORDINATOR_TUI_TODAY", "2026-11-23")
        opened = open_database(str(small_demo_path))
        try:
            disclose(opened.engine, person_id, occurred_on=date(2026, 10, 1))
            override = sh.Basis("6(1)(e)", "9(2)(g)", "sch1-18", "overridden", "risk", "Dr L")
            disclose(opened.engine, person_id, override)
        finally:
            opened.engine.dispose()
        db = str(small_demo_path)
        result = runner.invoke(app, ["sharing", "list", "--json", "--db", db])
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert [r["without_consent"] for r in rows] == [False, True]
        result = runner.invoke(app, ["sharing", "list", "--from", "01/11/2026", "--db", db])
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert len(lines) == 1 and "consent overridden: risk (decided by Dr L)" in lines[0]
        result = runner.invoke(app, ["sharing", "list", "--without-consent", "--db", db])
        assert len(result.stdout.splitlines()) == 1
        result = runner.invoke(app, ["sharing", "list", "--from", "someday", "--db", db])
        assert result.exit_code == 2 and "--from" in result.stderr
