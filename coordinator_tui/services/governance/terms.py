"""The words and codes of governance, each with the rule it comes from.

Kept apart from the services so the screens and the command line can show them without
loading the database layer.
"""

from __future__ import annotations

INCIDENT_KINDS: dict[str, str] = {
    "fall": "Fall",
    "medication": "Medication error",
    "missed_visit": "Missed visit",
    "pressure_damage": "Pressure damage",
    "injury": "Injury",
    "abuse": "Abuse or allegation",
    "behaviour": "Behaviour",
    "property": "Property",
    "late_visit": "Late visit",
    "other": "Other",
}
"""What happened. ``late_visit`` is kept for incidents logged before issue 14."""

HARM_LEVELS: dict[str, str] = {
    "none": "No harm",
    "low": "Low harm",
    "moderate": "Moderate harm",
    "severe": "Severe harm",
    "death": "Death",
}
"""The harm level as the NHS and CQC grade it (no, low, moderate, severe harm, death)."""

NOTIFIABLE_THRESHOLDS: dict[str, str] = {
    "death": "Death relating directly to the incident",
    "impairment": "Impairment of sensory, motor or intellectual functions lasting 28 days+",
    "body_structure": "Change to the structure of the body",
    "prolonged_harm": "Pain or psychological harm lasting 28 days or more",
    "life_expectancy": "Shortened life expectancy",
    "treatment": "Treatment needed to prevent death or one of these",
}
"""The harm that makes a notifiable safety incident for a registered person that is not a
health service body: SI 2014/2936 reg 20(9) (prolonged: a continuous 28 days, 20(7))."""

CQC_NOTIFICATIONS: dict[str, str] = {
    "death": "Death of a person using the service (reg 16)",
    "serious_injury": "Serious injury (reg 18(2)(a), (b))",
    "abuse": "Abuse or allegation of abuse (reg 18(2)(e))",
    "police": "Incident reported to or investigated by the police (reg 18(2)(f))",
    "dols": "Deprivation of Liberty request or application, and outcome (reg 18(2)(c), (d))",
    "service": "Event stopping the service running safely (reg 18(2)(g))",
}
"""Notifications to the CQC: Care Quality Commission (Registration) Regulations 2009
regs 16 and 18."""

REGULATION_SOURCES: dict[str, str] = {
    "notifiable": "SI 2014/2936 reg 20(9)",
    "cqc": "SI 2009/3112 regs 16, 18",
    "safeguarding": "Care Act 2014 s42",
    "commissioner": "the commissioner's contract",
}

TRIAGE_QUESTIONS: dict[str, str] = {
    "notifiable": "Notifiable safety incident (Duty of Candour)",
    "cqc": "CQC notification",
    "safeguarding": "Safeguarding concern",
    "commissioner": "Local authority or commissioner notification",
}

COMPLAINT_CHANNELS: dict[str, str] = {
    "phone": "Phone",
    "in_person": "In person",
    "email": "E-mail",
    "letter": "Letter",
    "online": "Online form",
}
ORAL_CHANNELS = ("phone", "in_person")
"""The channels of an oral complaint: one resolved by the next working day is outside the
formal process (SI 2009/309 reg 8(1)(b))."""

COMPLAINT_OUTCOMES: dict[str, str] = {
    "upheld": "Upheld",
    "partly": "Partly upheld",
    "not_upheld": "Not upheld",
}

COMPLAINT_STEPS: dict[str, str] = {
    "received": "Received",
    "acknowledged": "Acknowledged",
    "discussion": "Discussion",
    "investigation": "Investigation",
    "extension": "Extension",
    "response": "Response sent",
    "closed": "Closed",
    "resolved": "Resolved orally",
    "note": "Note",
}

OMBUDSMEN: dict[str, tuple[str, str]] = {
    "LGSCO": (
        "the Local Government and Social Care Ombudsman",
        "www.lgo.org.uk, telephone 0300 061 0614, PO Box 4771, Coventry CV4 0EH",
    ),
    "PHSO": (
        "the Parliamentary and Health Service Ombudsman",
        "www.ombudsman.org.uk, telephone 0345 015 4033, Citygate, Mosley Street, Manchester M2 3HQ",
    ),
}
"""Where a complainant can go next (SI 2009/309 reg 14(1)(d)): the LGSCO for social care,
the PHSO for care funded by the NHS."""


def ombudsman_for(nhs_funded: bool) -> str:
    """``PHSO`` for NHS-funded care, else ``LGSCO``."""
    return "PHSO" if nhs_funded else "LGSCO"


def label(table: dict[str, str], code: str) -> str:
    """The words for ``code`` (the code itself when it is not in the table)."""
    return table.get(code, code.replace("_", " "))
