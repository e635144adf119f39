"""Safeguarding meetings, services: agenda builder, triage, minuting, invitations, minutes,
action tracker. Recurrence is in test_meetings_recurrence.py, the action-line parser in
test_meetings_action_line.py."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from coordinator_tui.clock import UK
from coordinator_tui.db import session_scope
from coordinator_tui.models import (
    Action,
    AgendaItem,
    CaseConference,
    ChronologyEntry,
    Concern,
    Meeting,
    MeetingStatus,
    MinuteNote,
    Person,
    Practice,
    Referral,
    RegisterCategory,
    RegisterEntry,
    Staff,
    TriageStatus,
)
from coordinator_tui.services.chronology import chronology
from coordinator_tui.services.dashboard import dashboard_counts
from coordinator_tui.services.meetings import (
    MeetingError,
    agenda,
    invites,
    minutes,
    minuting,
    triage,
)
from coordinator_tui.services.meetings import actions as act
from coordinator_tui.services.meetings import series as ser

TODAY = date(2026, 11, 23)
DEC_MEETING = date(2026, 12, 1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UK).astimezone(UTC)


def identifiers(person: Person) -> list[str]:
    """A person's name, NHS number and date of birth as they might be written."""
    nhs, dob = person.nhs_number, person.date_of_birth
    return [
        f"{person.given_name} {person.family_name}",
        f"{person.family_name}, {person.given_name}",
        f"{person.family_name.upper()}, {person.given_name}",
        nhs,
        f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
        f"{dob:%d/%m/%Y}",
        dob.isoformat(),
        f"{dob.day}/{dob.month}/{dob.year}",
    ]


def leaked(text: str, people: list[Person]) -> list[str]:
    lowered = text.lower()
    return [i for p in people for i in identifiers(p) if i.lower() in lowered]


def ics_text(data: bytes) -> str:
    """The calendar as text with line folding and escapes undone (a name split across a
    folded line must not slip past the check)."""
    return (
        data.decode("utf-8")
        .replace("\r\n ", "")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\n", "\n")
    )


@dataclass
class World:
    practice: int
    other_practice: int
    coordinator: int
    gp: int
    hv: int
    sw: int
    series: int
    november: int
    december: int
    people: dict[str, int]


def _person(s, practice_id: int, index: int, given: str, family: str, born: date) -> int:
    person = Person(
        nhs_number=f"99900001{index:02d}",
        given_name=given,
        family_name=family,
        search_name=f"{family} {given}".lower(),
        date_of_birth=born,
        practice_id=practice_id,
    )
    s.add(person)
    s.flush()
    return person.id


@pytest.fixture
def world(engine) -> World:
    """Practice A's monthly meeting (first Tuesday), November's held, December's to come,
    and one person for each reason the agenda builder knows."""
    with session_scope(engine, "setup") as s:
        pa = Practice(ods_code="A1", name="Alpha Surgery", short_name="Alpha")
        pb = Practice(ods_code="B2", name="Beta Surgery", short_name="Beta")
        cpp = RegisterCategory(
            code="CPP", name="Child Protection Plan", age_band="child", review_interval_days=30
        )
        cin = RegisterCategory(
            code="CIN", name="Child in Need", age_band="child", review_interval_days=90
        )
        s.add_all([pa, pb, cpp, cin])
        s.flush()
        coordinator = Staff(
            name="Sam Coordinator",
            initials="SC",
            role="Safeguarding coordinator",
            email="sc@example.nhs.uk",
        )
        gp = Staff(name="Dr Gill Price", initials="GLP", role="GP", practice_id=pa.id)
        s.add_all([coordinator, gp])
        s.flush()
        hv = ser.add_professional(
            s,
            name="Hannah Vale",
            role="Health visitor",
            organisation="Community health (test)",
            email="hv@example.org",
        )
        sw = ser.add_professional(
            s,
            name="Sid Walker",
            role="Social worker",
            organisation="Children's social care (test)",
            email="sw@example.org",
        )
        names = [
            ("new", "Amy", "Adams"),
            ("ended", "Ben", "Brown"),
            ("escalated", "Cara", "Clark"),
            ("waiting", "Dan", "Davis"),
            ("overdue", "Eve", "Evans"),
            ("concern", "Fay", "Fox"),
            ("conference", "Gus", "Green"),
            ("review", "Hal", "Hill"),
            ("action", "Jo", "Jones"),
        ]
        people = {
            key: _person(s, pa.id, i, given, family, date(2015, 1 + i, 10 + i))
            for i, (key, given, family) in enumerate(names)
        }
        people["elsewhere"] = _person(s, pb.id, 20, "Ida", "Irwin", date(2016, 6, 6))

        def entry(key, category, **values):
            values.setdefault("start_date", date(2026, 1, 5))
            values.setdefault("next_review_due", TODAY + timedelta(days=20))
            s.add(
                RegisterEntry(
                    person_id=people[key],
                    category_id=category.id,
                    practice_id=pb.id if key == "elsewhere" else pa.id,
                    **values,
                )
            )

        entry("new", cpp, start_date=date(2026, 11, 10), risk_level="high")
        entry(
            "ended",
            cin,
            status="ended",
            end_date=date(2026, 11, 12),
            end_reason="Stepped down",
            next_review_due=None,
        )
        entry("escalated", cpp, escalated_at=at(date(2026, 11, 20)), escalation_reason="No plan")
        entry("elsewhere", cpp, escalated_at=at(date(2026, 11, 20)), escalation_reason="X")
        entry("review", cin, next_review_due=TODAY - timedelta(days=9))
        for key, chase, sent in (
            ("waiting", TODAY + timedelta(days=3), date(2026, 11, 18)),
            ("overdue", TODAY - timedelta(days=2), date(2026, 10, 20)),
        ):
            s.add(
                Referral(
                    person_id=people[key],
                    practice_id=pa.id,
                    referral_type="MASH",
                    state="sent",
                    reason="Concerns",
                    drafted_at=at(sent),
                    sent_at=at(sent),
                    chase_by=chase,
                )
            )
        s.add(
            Concern(
                person_id=people["concern"],
                practice_id=pa.id,
                raised_by="Dr Gill Price",
                raised_on=date(2026, 11, 16),
                category="neglect",
                details="Missed appointments",
                status="for_meeting",
            )
        )
        s.add(
            CaseConference(
                person_id=people["conference"], kind="initial_cp", due_date=date(2026, 12, 20)
            )
        )
        s.add(
            CaseConference(
                person_id=people["conference"], kind="review_cp", due_date=date(2027, 6, 1)
            )
        )
        series = ser.create_series(
            s,
            name="Alpha safeguarding meeting",
            rule="FREQ=MONTHLY;BYDAY=1TU",
            start_time=time(12, 30),
            first_on=date(2026, 10, 1),
            practice_id=pa.id,
            organiser_staff_id=coordinator.id,
            location="Room 1",
        )
        november = ser.create_meeting(
            s,
            title="Alpha safeguarding meeting 3 November 2026",
            starts_at=datetime(2026, 11, 3, 12, 30),
            practice_id=pa.id,
            series_id=series.id,
        )
        november.status = MeetingStatus.FINISHED
        s.add(
            Action(
                meeting_id=november.id,
                person_id=people["action"],
                owner_staff_id=hv.id,
                owner_label="Hannah Vale",
                description="Home visit",
                due_date=TODAY - timedelta(days=1),
            )
        )
        (december,) = ser.materialise(s, series.id, today=TODAY, horizon_days=10)
        for staff_id in (coordinator.id, gp.id, hv.id, sw.id):
            ser.add_attendee(s, december.id, staff_id)
        s.flush()
        return World(
            pa.id,
            pb.id,
            coordinator.id,
            gp.id,
            hv.id,
            sw.id,
            series.id,
            november.id,
            december.id,
            people,
        )


def _items(s, meeting_id: int) -> dict[str, AgendaItem]:
    return {
        item.source_kind: item
        for item in s.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id))
    }


class TestAgendaBuilder:
    def test_each_source_proposed_with_its_reason(self, engine, world) -> None:
        with session_scope(engine, "t") as s:
            result = agenda.propose_agenda(s, world.december, today=TODAY)
            assert result.window.since == date(2026, 11, 3)
            assert result.window.next_meeting_day == date(2027, 1, 5)
            found = {(i.source_kind, i.person_id) for i in result.added}
            p = world.people
            assert found == {
                ("register_start", p["new"]),
                ("register_end", p["ended"]),
                ("escalation", p["escalated"]),
                ("referral_waiting", p["waiting"]),
                ("referral_overdue", p["overdue"]),
                ("concern", p["concern"]),
                ("conference", p["conference"]),  # the review conference in June is not due
                ("review_overdue", p["review"]),
                ("action", p["action"]),
            }
            assert all(item.reason.strip() for item in result.added)
            items = _items(s, world.december)
            assert items["escalation"].priority == 1
            assert items["escalation"].reason.endswith("No plan")
            assert items["register_start"].priority == 2  # high risk
            assert "Stepped down" in items["register_end"].reason
            assert "overdue" in items["referral_overdue"].reason
            assert "overdue" in items["action"].reason and "Hannah Vale" in items["action"].reason
            assert "20/12/2026" in items["conference"].reason
            assert all(i.triage_status == TriageStatus.PROPOSED for i in items.values())

    def test_idempotent(self, engine, world) -> None:
        with session_scope(engine, "t") as s:
            first = agenda.propose_agenda(s, world.december, today=TODAY)
            again = agenda.propose_agenda(s, world.december, today=TODAY)
            assert again.added == []
            assert again.already_there == len(first.added)
            assert len(agenda.agenda_rows(s, world.december)) == len(first.added)

    def test_manual_items(self, engine, world) -> None:
        with session_scope(engine, "t") as s:
            item = agenda.add_manual_item(
                s, world.december, title="Training update", reason="Level 3 training due"
            )
            assert item.triage_status == TriageStatus.PROPOSED
            assert agenda.propose_agenda(s, world.december, today=TODAY).added
            with pytest.raises(MeetingError):
                agenda.add_manual_item(s, world.december, title="No reason", reason=" ")

    def test_deferred_and_not_reached_are_carried_forward_not_proposed_anew(
        self, engine, world
    ) -> None:
        """Issue 22: an item deferred with d, or included but not reached, is on the next
        meeting of the series as carried forward (included, its priority kept, the note
        of why), not among the new proposals; an untriaged one is proposed afresh."""
        with session_scope(engine, "t") as s:
            agenda.propose_agenda(s, world.december, today=TODAY)
            items = _items(s, world.december)
            triage.defer(s, items["concern"].id, note="Waiting for the school's report")
            triage.include(s, items["register_start"].id)
            triage.include(s, items["escalation"].id, priority=1, minutes=15)
            for kind in ("register_end", "referral_waiting", "referral_overdue"):
                triage.drop(s, items[kind].id, reason="Covered elsewhere")
            # conference, review_overdue and action: left untriaged.
            minuting.start_meeting(s, world.december, now=at(DEC_MEETING, 12))
            minuting.save_notes(s, items["register_start"].id, "Plan agreed.")
            minuting.finish_meeting(s, world.december, now=at(DEC_MEETING, 13))
            (january,) = ser.materialise(s, world.series, today=DEC_MEETING, horizon_days=40)
            result = agenda.propose_agenda(s, january.id, today=date(2026, 12, 20))
            carried = {i.source_kind: i for i in result.carried}
            assert set(carried) == {"concern", "escalation"}
            concern, escalation = carried["concern"], carried["escalation"]
            assert concern.triage_status == escalation.triage_status == TriageStatus.INCLUDED
            assert concern.carried_note == (
                "Deferred at the triage for Alpha safeguarding meeting 1 December 2026 "
                "(01/12/2026): Waiting for the school's report"
            )
            assert escalation.carried_note == (
                "Not reached at Alpha safeguarding meeting 1 December 2026 (01/12/2026)"
            )
            assert (escalation.priority, escalation.minutes_allotted) == (1, 15)
            assert concern.reason == items["concern"].reason  # the original why, unchanged
            assert concern.deferred_from_item_id == items["concern"].id
            new = [i.source_kind for i in result.added]
            assert "concern" not in new and "escalation" not in new  # not "new" as well
            assert "register_start" not in new  # discussed in December
            assert "register_end" not in new  # dropped in December
            assert "conference" in new  # untriaged in December: proposed afresh
            history = agenda.item_history(s, concern.id)
            assert [row.id for row in history] == [items["concern"].id]
            assert history[0].drop_reason == "Waiting for the school's report"
            rows = {r.id: r for r in agenda.agenda_rows(s, january.id)}
            assert rows[concern.id].carried and not rows[result.added[0].id].carried
            assert triage.totals(s, january.id).carried == 2
            # Carried once only, however often the agenda is built or the screen opened.
            assert agenda.carry_forward(s, january.id) == []
            assert agenda.propose_agenda(s, january.id, today=date(2026, 12, 20)).carried == []

    def test_carried_to_the_next_meeting_only_and_taken_back_when_reopened(
        self, engine, world
    ) -> None:
        with session_scope(engine, "t") as s:
            later = ser.materialise(s, world.series, today=TODAY, horizon_days=80)
            january, february = sorted(
                (m for m in later if m.id != world.december), key=lambda m: m.starts_at
            )
            agenda.propose_agenda(s, world.december, today=TODAY)
            concern = _items(s, world.december)["concern"]
            triage.defer(s, concern.id)
            assert agenda.carry_forward(s, february.id) == []  # January comes first
            (copy,) = agenda.carry_forward(s, january.id)
            assert copy.carried_note.startswith("Deferred at the triage for Alpha")
            # Decided in December after all: the copy leaves January's agenda.
            triage.include(s, concern.id)
            assert s.get(AgendaItem, copy.id) is None
            triage.defer(s, concern.id)
            (copy,) = agenda.carry_forward(s, january.id)
            minuting.start_meeting(s, january.id)
            with pytest.raises(MeetingError, match="has started"):
                triage.reopen(s, concern.id)

    def test_ranked_by_risk_and_capped_to_the_time_free(self, engine, world) -> None:
        """Issue 22: propose ranks by risk and proposes only what fits the meeting's
        time (urgent always); the rest is held back and proposed on request."""
        with session_scope(engine, "t") as s:
            meeting = s.get(Meeting, world.december)
            meeting.duration_minutes = 20
            agenda.add_manual_item(s, world.december, title="Training", reason="Level 3")
            result = agenda.propose_agenda(s, world.december, today=TODAY)
            assert result.minutes_free == 15  # 20 less the 5 of the manual item
            kinds = [i.source_kind for i in result.added]
            # The urgent escalation always; then the high-risk new registration and the
            # next by priority while the 15 minutes last.
            assert kinds == ["escalation", "register_start", "conference", "referral_overdue"]
            assert result.held_back == 9 - len(kinds)
            rest = agenda.propose_agenda(s, world.december, today=TODAY, fit_to_time=False)
            assert rest.held_back == 0 and len(rest.added) == 9 - len(kinds)
            assert rest.already_there == len(kinds)

    def test_rank_puts_the_highest_risk_person_first_within_a_priority(self, engine, world) -> None:
        with session_scope(engine, "t") as s:
            a = agenda.Proposal("review_overdue", 1, world.people["review"], "A", "why", 3)
            b = agenda.Proposal("review_overdue", 2, world.people["new"], "B", "why", 3)
            c = agenda.Proposal("action", 3, None, "C", "why", 3)
            d = agenda.Proposal("escalation", 4, world.people["review"], "D", "why", 1)
            ranked = agenda.rank(s, [c, a, b, d])
            # D urgent; B's person is high risk (CPP), A's medium; C is about nobody.
            assert [p.title for p in ranked] == ["D", "B", "A", "C"]

    def test_refused_once_started(self, engine, world) -> None:
        with session_scope(engine, "t") as s:
            minuting.start_meeting(s, world.december)
            with pytest.raises(MeetingError):
                agenda.propose_agenda(s, world.december, today=TODAY)


class TestTriage:
    def test_order_and_totals(self, engine, world) -> None:
        with session_scope(engine, "t") as s:
            agenda.propose_agenda(s, world.december, today=TODAY)
            items = _items(s, world.december)
            plan = {
                "review_overdue": (1, 10),
                "escalation": (1, 15),
                "action": (3, 5),
                "concern": (2, 10),
                "register_start": (2, 10),
                "conference": (3, 5),
                "referral_overdue": (2, 10),
            }
            for kind, (priority, minutes_) in plan.items():
                triage.include(
                    s,
                    items[kind].id,
                    priority=priority,
                    minutes=minutes_,
                    presenter_staff_id=world.hv,
                )
            triage.drop(s, items["register_end"].id, reason="Nothing to add")
            triage.defer(s, items["referral_waiting"].id)
            order = [row.source_kind for row in triage.ordered_agenda(s, world.december)]
            assert order == [
                "escalation",
                "review_overdue",
                "referral_overdue",
                "concern",
                "register_start",
                "conference",
                "action",
            ]
            totals = triage.totals(s, world.december)
            assert (totals.included, totals.dropped, totals.deferred, totals.proposed) == (
                7,
                1,
                1,
                0,
            )
            assert totals.by_priority == {1: 2, 2: 3, 3: 2}
            assert totals.minutes_planned == 65
            assert totals.meeting_minutes == 60
            assert not totals.fits and totals.minutes_over == 5
            assert totals.describe() == "65 of 60 min planned: 5 over"
            triage.update_item(s, items["action"].id, minutes=1)
            assert triage.totals(s, world.december).describe() == "61 of 60 min planned: 1 over"
            rows = triage.renumber(s, world.december)
            assert [r.position for r in rows] == list(range(1, 8))
            assert rows[0].presenter == "Hannah Vale"

    def test_same_priority_and_kind_orders_by_reason(self, engine, world) -> None:
        with session_scope(engine, "t") as s:
            b = agenda.add_manual_item(s, world.december, title="B", reason="Beta")
            a = agenda.add_manual_item(s, world.december, title="A", reason="alpha")
            for item in (b, a):
                triage.include(s, item.id, priority=2)
            assert [r.title for r in triage.ordered_agenda(s, world.december)] == ["A", "B"]

    def test_rules(self, engine, world) -> None:
        with session_scope(engine, "t") as s:
            agenda.propose_agenda(s, world.december, today=TODAY)
            items = _items(s, world.december)
            item = items["concern"]
            with pytest.raises(MeetingError, match="why"):
                triage.drop(s, item.id, reason="  ")
            with pytest.raises(MeetingError):
                triage.include(s, item.id, priority=4)
            with pytest.raises(MeetingError):
                triage.include(s, item.id, minutes=0)
            with pytest.raises(MeetingError, match="F5"):
                triage.include(s, item.id, item.version + 1)
            triage.include(s, item.id, item.version, priority=1)
            triage.reopen(s, item.id)
            assert item.triage_status == TriageStatus.PROPOSED
            triage.include(s, items["escalation"].id)
            minuting.start_meeting(s, world.december)
            # Triage closes when the meeting starts; untriaged proposals are deferred.
            assert item.triage_status == TriageStatus.DEFERRED
            assert item.drop_reason == "not triaged before the meeting"
            with pytest.raises(MeetingError, match="started"):
                triage.include(s, item.id)
            with pytest.raises(MeetingError):
                triage.update_item(s, items["escalation"].id, priority=2)


@pytest.fixture
def running(engine, world) -> World:
    """December's agenda built, four items included, the meeting started."""
    with session_scope(engine, "t") as s:
        agenda.propose_agenda(s, world.december, today=TODAY)
        items = _items(s, world.december)
        for kind in ("escalation", "register_start", "referral_waiting", "action"):
            triage.include(s, items[kind].id)
        minuting.start_meeting(s, world.december, now=at(DEC_MEETING, 12))
    return world


class TestMinuting:
    def test_notes_are_a_cheap_upsert(self, engine, running) -> None:
        with session_scope(engine, "t") as s:
            item = minuting.minuting_items(s, running.december)[0]
            note = minuting.save_notes(s, item.id, "First words")
            version = note.version
            assert minuting.save_notes(s, item.id, "First words").version == version
            minuting.save_notes(s, item.id, "First words, then more")
            assert note.version == version + 1
            count = s.scalar(select(MinuteNote.id).where(MinuteNote.agenda_item_id == item.id))
            assert count is not None
        with session_scope(engine, "reopen") as s:  # reopened: the last save is there
            assert minuting.notes_for(s, item.id) == "First words, then more"
            assert minuting.minuting_items(s, running.december)[0].notes == (
                "First words, then more"
            )

    def test_key_facts(self, engine, running) -> None:
        with session_scope(engine, "t") as s:
            facts = minuting.key_facts(s, running.people["waiting"], today=TODAY)
            assert facts.display_name == "DAVIS, Dan"
            assert facts.last_referral is not None
            assert (facts.last_referral.referral_type, facts.last_referral.state) == (
                "MASH",
                "sent",
            )
            assert not facts.last_referral.overdue
            facts = minuting.key_facts(s, running.people["escalated"], today=TODAY)
            assert facts.registers == ["Child Protection Plan (medium risk, review 13/12/2026)"]
            facts = minuting.key_facts(s, running.people["action"], today=TODAY)
            assert [(a.description, a.owner, a.overdue) for a in facts.open_actions] == [
                ("Home visit", "Hannah Vale", True)
            ]

    def test_action_line_saved_against_the_person(self, engine, running) -> None:
        with session_scope(engine, "t") as s:
            item = next(
                i
                for i in minuting.minuting_items(s, running.december)
                if i.person_id == running.people["escalated"]
            )
            owners = minuting.owner_directory(s, running.december)
            preview = minuting.parse_action_line(
                "HV +2w chase school nurse re attendance", owners, today=TODAY
            )
            assert preview.ok and preview.owner_staff_id == running.hv
            action = minuting.save_action(s, item.id, preview, today=TODAY)
            assert (action.person_id, action.meeting_id, action.due_date) == (
                running.people["escalated"],
                running.december,
                date(2026, 12, 7),
            )
            bad = minuting.parse_action_line("XYZ chase", owners, today=TODAY)
            with pytest.raises(MeetingError):
                minuting.save_action(s, item.id, bad, today=TODAY)
            sw = minuting.add_action_line(s, item.id, "SW fri strategy discussion", today=TODAY)
            assert sw.owner_staff_id == running.sw

    def test_finish_writes_the_chronology(self, engine, running) -> None:
        with session_scope(engine, "t") as s:
            rows = minuting.minuting_items(s, running.december)
            assert [r.number for r in rows] == [1, 2, 3, 4]
            by_person = {r.person_id: r for r in rows}
            cara = by_person[running.people["escalated"]]
            minuting.save_notes(s, cara.id, "Plan reviewed with social care.")
            minuting.add_decision(s, cara.id, "Continue the plan")
            minuting.add_action_line(s, cara.id, "SC +1w update the coding", today=TODAY)
            amy = by_person[running.people["new"]]
            minuting.add_decision(s, amy.id, "Invite to initial conference")
            summary = minuting.finish_meeting(s, running.december, now=at(DEC_MEETING, 13))
            assert (summary.discussed, summary.not_reached) == (2, 2)
            assert summary.decisions_in_chronology == 2
            texts = [c.text for c in chronology(s, running.people["escalated"])]
            title = "Alpha safeguarding meeting 1 December 2026"
            assert f"Discussed at {title}: Plan reviewed with social care." in texts
            assert f"Decision at {title}: Continue the plan" in texts
            assert any("update the coding" in t for t in texts)
            assert any(t.startswith("Decision at") for t in chronology_texts(s, running, "new"))
            # Items nobody reached go to the next meeting.
            waiting = by_person[running.people["waiting"]]
            assert s.get(AgendaItem, waiting.id).triage_status == TriageStatus.DEFERRED
            with pytest.raises(MeetingError):
                minuting.finish_meeting(s, running.december)
            with pytest.raises(MeetingError):
                minuting.save_notes(s, cara.id, "too late")
            entries = s.scalars(
                select(ChronologyEntry).where(ChronologyEntry.source_table == "decision")
            ).all()
            assert len(entries) == 2


def chronology_texts(s, world: World, key: str) -> list[str]:
    return [c.text for c in chronology(s, world.people[key])]


class TestInvites:
    def test_no_identifiers_in_invite_or_email(self, engine, running) -> None:
        with session_scope(engine, "t") as s:
            meeting = s.get(Meeting, running.december)
            people = [
                s.get(Person, pid)
                for pid in s.scalars(
                    select(AgendaItem.person_id).where(AgendaItem.meeting_id == meeting.id)
                )
            ]
            # Staff typed a name into the title or an NHS number into the place: no
            # invitation is built, and the refusal says which field and why.
            meeting.title = "Alpha meeting re Cara Clark"
            for build in (invites.email_body, invites.email_subject, invites.to_ics):
                with pytest.raises(invites.InvitationRefused, match="title holds 'Cara Clark'"):
                    build(s, meeting.id)
            meeting.title = "Alpha meeting"
            meeting.location = f"Room 1 (bring notes for {people[0].nhs_number})"
            with pytest.raises(invites.InvitationRefused, match="place holds .* NHS number"):
                invites.to_ics(s, meeting.id)
            meeting.location = "Room 1"
            body = invites.email_body(s, meeting.id)
            subject = invites.email_subject(s, meeting.id)
            ics = ics_text(invites.to_ics(s, meeting.id))
            for text in (body, subject, ics):
                assert leaked(text, people) == []
            assert "Item  1" in body and "4 items" in body

    def test_calendar_event(self, engine, running, tmp_path) -> None:
        from icalendar import Calendar

        with session_scope(engine, "t") as s:
            path = invites.write_ics(s, running.december, tmp_path / "invite.ics")
            calendar = Calendar.from_ical(path.read_bytes())
            events = calendar.walk("VEVENT")
            assert len(events) == 1
            event = events[0]
            assert str(event["organizer"]) == "mailto:sc@example.nhs.uk"
            attendees = sorted(str(a) for a in event["attendee"])
            assert attendees == [
                "mailto:hv@example.org",
                "mailto:sc@example.nhs.uk",
                "mailto:sw@example.org",
            ]  # the GP has no e-mail address
            start = event.decoded("dtstart")
            assert (start.hour, start.minute, start.date()) == (12, 30, DEC_MEETING)
            assert event.decoded("dtend") - start == timedelta(minutes=60)
            assert str(event["location"]) == "Room 1"
            uid = str(event["uid"])
        with session_scope(engine, "again") as s:
            again = Calendar.from_ical(invites.to_ics(s, running.december))
            assert str(again.walk("VEVENT")[0]["uid"]) == uid

    def test_demo_invite_carries_no_identifiers(self, small_demo_engine) -> None:
        with session_scope(small_demo_engine, "t") as s:
            meeting = ser.list_meetings(s, upcoming_from=TODAY)[0]
            agenda.propose_agenda(s, meeting.id, today=TODAY, fit_to_time=False)
            for row in agenda.agenda_rows(s, meeting.id)[:10]:
                triage.include(s, row.id)
            people = list(
                s.scalars(
                    select(Person).where(
                        Person.id.in_(
                            select(AgendaItem.person_id).where(AgendaItem.meeting_id == meeting.id)
                        )
                    )
                )
            )
            assert len(people) > 20
            body = invites.email_body(s, meeting.id)
            ics = ics_text(invites.to_ics(s, meeting.id))
            assert leaked(body, people) == []
            assert leaked(ics, people) == []
            assert "Item 10" in body


class TestMinutes:
    def test_person_entry_holds_only_that_person(self, engine, running) -> None:
        with session_scope(engine, "t") as s:
            rows = {r.person_id: r for r in minuting.minuting_items(s, running.december)}
            amy = s.get(Person, running.people["new"])
            cara = s.get(Person, running.people["escalated"])
            minuting.save_notes(
                s,
                rows[amy.id].id,
                f"Amy's cousin Cara Clark ({cara.nhs_number}, born {cara.date_of_birth:%d/%m/%Y})"
                " was also discussed.",
            )
            minuting.add_decision(s, rows[amy.id].id, "Share with CLARK, Cara's social worker")
            entry = minutes.person_entry(s, rows[amy.id].id, recorded_by="Sam Coordinator")
            assert "ADAMS, Amy" in entry and "999 000 0100" in entry
            assert leaked(entry, [cara]) == []
            assert minutes.OTHER_PERSON in entry
            entries = minutes.person_entries(s, running.december)
            assert set(entries) == {r for r in rows if r is not None}
            for person_id, text in entries.items():
                others = [s.get(Person, pid) for pid in entries if pid != person_id]
                assert leaked(text, others) == [], person_id

    def test_demo_entries_carry_no_other_person(self, small_demo_engine) -> None:
        with session_scope(small_demo_engine, "t") as s:
            meeting = ser.list_meetings(s, upcoming_from=TODAY)[0]
            agenda.propose_agenda(s, meeting.id, today=TODAY)
            for row in agenda.agenda_rows(s, meeting.id)[:10]:
                triage.include(s, row.id)
            minuting.start_meeting(s, meeting.id)
            rows = minuting.minuting_items(s, meeting.id)
            people = {r.person_id: s.get(Person, r.person_id) for r in rows if r.person_id}
            names = "; ".join(
                f"{p.given_name} {p.family_name} {p.nhs_number}" for p in people.values()
            )
            for row in rows:
                minuting.save_notes(s, row.id, f"Discussed alongside {names}.")
            entries = minutes.person_entries(s, meeting.id)
            assert len(entries) == len(people)
            for person_id, text in entries.items():
                assert leaked(text, [people[person_id]])  # their own details are there
                others = [p for pid, p in people.items() if pid != person_id]
                assert leaked(text, others) == []

    def test_marac_entry_is_marked_hidden_from_online_access(self, engine, running) -> None:
        """Issue 22: the MARAC register says its entries are hidden from online record
        access (register_categories.json), so the meeting's entry for that person starts
        with the instruction to hide it; nobody else's does."""
        with session_scope(engine, "t") as s:
            marac = RegisterCategory(
                code="MARAC",
                name="MARAC (victim)",
                age_band="any",
                review_interval_days=30,
                hide_from_online_access=True,
            )
            s.add(marac)
            s.flush()
            cara = running.people["escalated"]
            s.add(
                RegisterEntry(
                    person_id=cara,
                    category_id=marac.id,
                    practice_id=running.practice,
                    start_date=date(2026, 11, 1),
                    next_review_due=TODAY + timedelta(days=10),
                )
            )
            s.flush()
            entries = minutes.person_entries(s, running.december)
            assert entries[cara].startswith(minutes.HIDE_ONLINE)
            others = [text for pid, text in entries.items() if pid != cara]
            assert others and not any(minutes.HIDE_ONLINE in text for text in others)
            # A MARAC referral on the agenda marks the entry too.
            amy = running.people["new"]
            referral = Referral(
                person_id=amy,
                practice_id=running.practice,
                referral_type="MARAC",
                state="sent",
                reason="DASH 16",
                drafted_at=at(date(2026, 11, 20)),
                sent_at=at(date(2026, 11, 20)),
                chase_by=TODAY - timedelta(days=1),
            )
            s.add(referral)
            s.flush()
            item = next(
                i for i in minuting.minuting_items(s, running.december) if i.person_id == amy
            )
            s.get(AgendaItem, item.id).source_kind = "referral_overdue"
            s.get(AgendaItem, item.id).source_id = referral.id
            s.flush()
            assert minutes.person_entry(s, item.id).startswith(minutes.HIDE_ONLINE)
            for row in minuting.minuting_items(s, running.december):
                if row.person_id in (cara, amy):
                    minuting.save_notes(s, row.id, "Discussed.")
            minuting.finish_meeting(s, running.december)
            listed = {e.person_id: e for e in minutes.record_entries(s, running.december)}
            assert listed[cara].hide_online and listed[amy].hide_online

    def test_exports(self, engine, running, tmp_path: Path) -> None:
        from docx import Document

        with session_scope(engine, "t") as s:
            rows = minuting.minuting_items(s, running.december)
            ser.set_attendance(s, running.december, running.hv, "present")
            ser.set_attendance(s, running.december, running.sw, "apologies")
            minuting.save_notes(s, rows[0].id, "Notes | with a pipe")
            minuting.add_decision(s, rows[0].id, "Continue the plan")
            minuting.add_action_line(s, rows[0].id, "HV +2w chase school nurse", today=TODAY)
            minuting.finish_meeting(s, running.december)
            md = minutes.export_minutes(s, running.december, "md", tmp_path / "out" / "m.md")
            docx = minutes.export_minutes(s, running.december, "docx", tmp_path / "m.docx")
            with pytest.raises(MeetingError):
                minutes.export_minutes(s, running.december, "pdf", tmp_path / "m.pdf")
        for path in (md, docx):
            assert path.exists() and path.stat().st_size > 0
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = md.read_text()
        assert text.startswith("# Alpha safeguarding meeting 1 December 2026")
        assert "**Present:** Hannah Vale (Health visitor, Community health (test))" in text
        assert "**Apologies:** Sid Walker" in text
        assert "| 1 | Hannah Vale | 07/12/2026 | chase school nurse | open |" in text
        assert "## Not discussed" in text  # what was not discussed: counted, not named
        assert "- Carried forward to the next meeting: 3 items." in text
        document = Document(str(docx))
        paragraphs = [p.text for p in document.paragraphs]
        assert paragraphs[0] == "Alpha safeguarding meeting 1 December 2026"
        assert "Decision: Continue the plan" in paragraphs
        assert document.tables[1].rows[1].cells[3].text == "chase school nurse"


def docx_text(path: Path) -> str:
    """Every word of a Word document: paragraphs, tables, headers and the properties."""
    from docx import Document

    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    props = document.core_properties
    parts += [props.title or "", props.subject or "", props.keywords or "", props.comments or ""]
    return "\n".join(parts)


class TestMinutesPrivacy:
    """Issue 22: minutes go to external attendees, so they hold only the items discussed;
    a proposal nobody discussed is counted, never named (name, NHS number), in Markdown
    and in Word. The coordinator's INTERNAL version lists it, and says INTERNAL in its
    heading and its file name."""

    def test_untriaged_proposal_is_absent_from_external_minutes(
        self, engine, running, tmp_path: Path
    ) -> None:
        with session_scope(engine, "t") as s:
            rows = {r.person_id: r for r in minuting.minuting_items(s, running.december)}
            amy = running.people["new"]
            minuting.save_notes(s, rows[amy].id, "Plan agreed.")
            minuting.finish_meeting(s, running.december)
            hidden = [
                s.get(Person, running.people[key])
                for key in ("concern", "conference", "review", "overdue", "ended")
            ]  # proposed in December, never triaged, never discussed
            waiting = s.get(Person, running.people["waiting"])  # included, not reached
            for item in s.scalars(
                select(AgendaItem).where(AgendaItem.meeting_id == running.december)
            ):
                if item.person_id in {p.id for p in hidden}:
                    assert item.drop_reason == triage.UNTRIAGED_NOTE
            out = {}
            for fmt in ("md", "docx"):
                out[fmt] = minutes.export_minutes(s, running.december, fmt, tmp_path / f"m.{fmt}")
                out[f"internal-{fmt}"] = minutes.export_minutes(
                    s, running.december, fmt, tmp_path / f"m.{fmt}", internal=True
                )
            discussed = s.get(Person, amy)
        external = {"md": out["md"].read_text(), "docx": docx_text(out["docx"])}
        for fmt, text in external.items():
            assert leaked(text, [*hidden, waiting]) == [], fmt
            assert "ADAMS, Amy" in text, fmt  # the item discussed is there
            assert "Carried forward to the next meeting: 3 items." in text, fmt
            assert "Proposed but not triaged before the meeting: 5 items." in text, fmt
            assert "INTERNAL" not in text, fmt
        for fmt in ("md", "docx"):
            path = out[f"internal-{fmt}"]
            assert path.name == f"m-INTERNAL.{fmt}"
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            text = path.read_text() if fmt == "md" else docx_text(path)
            assert text.splitlines()[0].endswith("(INTERNAL)")
            assert minutes.INTERNAL_BANNER in text
            for person in (*hidden, waiting):
                assert f"{person.family_name.upper()}, {person.given_name}" in text
            assert leaked(text, [discussed])

    def test_internal_path_says_internal_once(self) -> None:
        assert minutes.internal_path(Path("/x/minutes-5.md")) == Path("/x/minutes-5-INTERNAL.md")
        assert minutes.internal_path(Path("/x/internal.docx")) == Path("/x/internal.docx")


class TestActionTracker:
    def test_list_chase_done_reassign_redate(self, engine, running) -> None:
        with session_scope(engine, "t") as s:
            row = minuting.minuting_items(s, running.december)[0]
            new = minuting.add_action_line(s, row.id, "SW +3d call duty team", today=TODAY)
            rows = act.open_actions(s, today=TODAY)
            assert [r.description for r in rows] == ["Home visit", "call duty team"]
            assert rows[0].is_overdue(TODAY) and not rows[1].is_overdue(TODAY)
            assert act.overdue_count(s, TODAY) == 1
            assert dashboard_counts(s, TODAY).actions_overdue == 1
            assert [r.description for r in act.open_actions(s, today=TODAY, owner="hv")] == [
                "Home visit"
            ]
            assert [r.description for r in act.open_actions(s, today=TODAY, owner="sid")] == [
                "call duty team"
            ]
            assert [r.description for r in act.open_actions(s, today=TODAY, overdue_only=True)] == [
                "Home visit"
            ]
            assert [
                r.description for r in act.open_actions(s, today=TODAY, meeting_id=running.december)
            ] == ["call duty team"]
            assert set(act.group_by_owner(rows)) == {"Hannah Vale", "Sid Walker"}
            old = rows[0]
            with pytest.raises(MeetingError):
                act.chase(s, old.id, note=" ", by="sc")
            chase = act.chase(s, old.id, old.version, note="Phoned HV, visit booked", by="sc")
            assert chase.note == "Phoned HV, visit booked"
            with pytest.raises(MeetingError, match="F5"):
                act.redate(s, old.id, old.version, due=TODAY, today=TODAY)
            with pytest.raises(MeetingError):
                act.redate(s, old.id, due=TODAY - timedelta(days=1), today=TODAY)
            act.redate(s, old.id, due=TODAY + timedelta(days=7), today=TODAY)
            assert act.overdue_count(s, TODAY) == 0
            act.reassign(s, new.id, owner_staff_id=running.gp)
            assert new.owner_label == "Dr Gill Price"
            with pytest.raises(MeetingError):
                act.complete(s, new.id, outcome="")
            act.complete(s, new.id, outcome="Duty team confirmed the plan")
            assert [r.id for r in act.open_actions(s, today=TODAY)] == [old.id]
            with pytest.raises(MeetingError, match="already done"):
                act.chase(s, new.id, note="again", by="sc")
            assert len(act.chases(s, old.id)) == 1

    def test_open_actions_come_back_on_the_next_agenda(self, engine, world) -> None:
        with session_scope(engine, "t") as s:
            (january,) = [
                m
                for m in ser.materialise(s, world.series, today=TODAY, horizon_days=60)
                if m.starts_at.date() >= date(2027, 1, 1)
            ]
            result = agenda.propose_agenda(s, january.id, today=TODAY)
            assert [i.person_id for i in result.added if i.source_kind == "action"] == [
                world.people["action"]
            ]


def test_demo_agenda_proposals(small_demo_engine) -> None:
    """Issue 22: the demo's December meeting (60 minutes) would get some 150 proposals;
    p proposes what fits the time free, most at risk first (every escalation), and the
    rest on request."""
    with session_scope(small_demo_engine, "t") as s:
        meeting = ser.list_meetings(s, upcoming_from=TODAY)[0]
        before = len(agenda.agenda_rows(s, meeting.id))
        fitted = agenda.propose_agenda(s, meeting.id, today=TODAY)
        totals = triage.totals(s, meeting.id)
        urgent = sum(1 for i in fitted.added if i.priority == 1)
        assert fitted.held_back > 100
        assert totals.minutes_planned <= max(totals.meeting_minutes, fitted.minutes_free) + (
            urgent * 5
        )
        assert [i.priority for i in fitted.added] == sorted(i.priority for i in fitted.added)
        rest = agenda.propose_agenda(s, meeting.id, today=TODAY, fit_to_time=False)
        assert len(rest.added) == fitted.held_back and rest.held_back == 0
        result = agenda.ProposalResult(rest.window, fitted.added + rest.added, 0)
        kinds = {i.source_kind for i in result.added}
        assert {"escalation", "action", "review_overdue", "referral_overdue", "concern"} <= kinds
        assert all(i.reason for i in result.added)
        assert agenda.propose_agenda(s, meeting.id, today=TODAY).added == []
        assert len(agenda.agenda_rows(s, meeting.id)) == before + len(result.added)
        escalated = set(
            s.scalars(
                select(RegisterEntry.id).where(
                    RegisterEntry.escalated_at.is_not(None), RegisterEntry.status == "active"
                )
            )
        )
        proposed = {i.source_id for i in result.added if i.source_kind == "escalation"}
        assert proposed == escalated


def test_pcn_wide_one_off_looks_at_every_practice(engine, world) -> None:
    with session_scope(engine, "t") as s:
        meeting = ser.create_meeting(
            s, title="PCN extraordinary meeting", starts_at=datetime(2026, 11, 26, 9, 0)
        )
        result = agenda.propose_agenda(s, meeting.id, today=TODAY)
        escalated = {i.person_id for i in result.added if i.source_kind == "escalation"}
        assert escalated == {world.people["escalated"], world.people["elsewhere"]}
        assert result.window.since == date(2026, 11, 26) - timedelta(days=35)
        assert result.window.next_meeting_day == date(2026, 12, 27)


def test_cancelled_meeting_invite_and_items_deferred(engine, world) -> None:
    from icalendar import Calendar

    with session_scope(engine, "t") as s:
        agenda.propose_agenda(s, world.december, today=TODAY)
        ser.cancel_meeting(s, world.december)
        statuses = {row.triage_status for row in agenda.agenda_rows(s, world.december)}
        assert statuses == {TriageStatus.DEFERRED}
        calendar = Calendar.from_ical(invites.to_ics(s, world.december))
        assert str(calendar["method"]) == "CANCEL"
        assert str(calendar.walk("VEVENT")[0]["status"]) == "CANCELLED"
        assert invites.email_subject(s, world.december).startswith("Cancelled: ")
        with pytest.raises(MeetingError):
            minuting.start_meeting(s, world.december)


def test_minuting_writes_are_audited(engine, running) -> None:
    from coordinator_tui.audit import events_for

    with session_scope(engine, "coordinator") as s:
        item = minuting.minuting_items(s, running.december)[0]
        note = minuting.save_notes(s, item.id, "Audited words")
    with session_scope(engine, "reader") as s:  # the trail is written as the unit commits
        assert [e.actor for e in events_for(s, "minute_note", note.id)] == ["coordinator"]


def test_practice_template_overrides_the_shipped_one(engine, running, tmp_path) -> None:
    from coordinator_tui.services import reference

    (tmp_path / minutes.TEMPLATE_FILE).write_text("Ours: $person_name at $meeting_title\n")
    reference.use_practice_dir(tmp_path)
    try:
        with session_scope(engine, "t") as s:
            item = next(
                i
                for i in minuting.minuting_items(s, running.december)
                if i.person_id == running.people["new"]
            )
            assert minutes.person_entry(s, item.id) == (
                "Ours: ADAMS, Amy at Alpha safeguarding meeting 1 December 2026\n"
            )
    finally:
        reference.use_practice_dir(None)
