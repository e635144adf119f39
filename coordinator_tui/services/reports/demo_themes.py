"""Demo learning themes (issue 16 §4): tag the demo's concerns, incidents, complaints and
referrals with themes that fit what each record is, so the themes view has something to
show, including one change that stands out: staffing and workload as a contributing factor
rises in the latest quarters.

Uses its own ``random.Random(seed)``: it takes no draws from the demo's generator, so
wiring it into the demo changes nothing else the demo makes. Tags are written in one bulk
insert (the demo's way; the audit hook records them).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from coordinator_tui.models import Complaint, Concern, Incident, Referral, utcnow
from coordinator_tui.models.themes import RecordTheme
from coordinator_tui.services.reports.themes import _shift

DEMO_USER = "demo"

# What a record is -> the themes it may carry (the first most often).
CONCERN_THEMES = {
    "domestic_abuse": ("adult_domestic", "factor_communication"),
    "emotional": ("child_emotional", "adult_psychological"),
    "exploitation": ("adult_modern_slavery", "child_sexual", "adult_financial"),
    "financial": ("adult_financial",),
    "neglect": ("child_neglect", "adult_neglect"),
    "self_neglect": ("adult_self_neglect", "factor_person"),
    "physical": ("child_physical", "adult_physical"),
    "sexual": ("child_sexual", "adult_sexual"),
}
INCIDENT_THEMES = {
    "fall": ("factor_person", "factor_equipment", "factor_conditions"),
    "medication": ("factor_task", "factor_communication", "factor_training"),
    "missed_visit": ("adult_neglect", "factor_conditions"),
    "late_visit": ("factor_conditions", "factor_communication"),
    "pressure_damage": ("adult_neglect", "factor_training"),
    "abuse": ("adult_physical", "adult_psychological", "adult_financial"),
    "behaviour": ("factor_person",),
    "property": ("adult_financial",),
}
REFERRAL_THEMES = {
    "MARAC": ("adult_domestic",),
    "MASH": ("child_neglect", "child_emotional", "child_physical", "child_sexual"),
    "MARF": ("child_neglect", "child_emotional"),
    "S42": ("adult_neglect", "adult_financial", "adult_physical", "adult_self_neglect"),
    "EARLY_HELP": ("child_neglect", "factor_communication"),
}
COMPLAINT_THEMES = ("factor_communication", "factor_conditions", "factor_individual")
RISING = "factor_conditions"  # staffing and workload: the demo's special cause


def tag_demo_themes(
    session: Session,
    *,
    seed: int,
    today: date | None = None,
    write: Callable[[type, list[dict]], object] | None = None,
) -> int:
    """Tag about three in four of the demo's records with one or two fitting themes; from
    the start of the last complete quarter before ``today`` most incidents and complaints
    also carry staffing and workload. Returns the number of tags written.

    Tagging again replaces the demo's own tags (a coordinator's are kept): the demo tags
    its records when it is built, and a test or a new seed re-tags the same records.

    ``write(model, rows)`` writes the tags (the demo build passes its bulk writer, which
    audits a table's rows with one note); without it they go through the session, audited
    row by row. The old tags go in one audited statement either way."""
    session.execute(delete(RecordTheme).where(RecordTheme.tagged_by == DEMO_USER))
    rnd = random.Random(seed)
    today = today or utcnow().date()
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    recent = _shift(quarter, -3)  # the last complete quarter, and the running one
    rows: list[dict] = []
    now = utcnow()

    def add(kind: str, record_id: int, choices: tuple[str, ...], on: date) -> None:
        if not choices or rnd.random() >= 0.75:
            return
        chosen = {choices[0] if rnd.random() < 0.6 else rnd.choice(choices)}
        if rnd.random() < 0.3:
            chosen.add(rnd.choice(choices))
        if kind in ("incident", "complaint") and on >= recent and rnd.random() < 0.7:
            chosen.add(RISING)
        for theme in sorted(chosen):
            rows.append(
                {
                    "record_kind": kind,
                    "record_id": record_id,
                    "theme": theme,
                    "tagged_by": DEMO_USER,
                    "tagged_at": now,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )

    for record_id, category, on in session.execute(
        select(Concern.id, Concern.category, Concern.raised_on).order_by(Concern.id)
    ):
        add("concern", record_id, CONCERN_THEMES.get(category, ("factor_person",)), on)
    for record_id, kind, at in session.execute(
        select(Incident.id, Incident.kind, Incident.occurred_at).order_by(Incident.id)
    ):
        add("incident", record_id, INCIDENT_THEMES.get(kind, ("factor_task",)), at.date())
    for record_id, on in session.execute(
        select(Complaint.id, Complaint.received_on).order_by(Complaint.id)
    ):
        add("complaint", record_id, COMPLAINT_THEMES, on)
    for record_id, kind, at in session.execute(
        select(Referral.id, Referral.referral_type, Referral.drafted_at).order_by(Referral.id)
    ):
        add("referral", record_id, REFERRAL_THEMES.get(kind, ("factor_communication",)), at.date())
    if rows and write is not None:
        write(RecordTheme, rows)
    elif rows:
        session.execute(insert(RecordTheme), rows)
    return len(rows)
