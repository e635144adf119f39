"""Meetings (section 4): the list, series, agenda triage, attendees, minuting and record
entries. Domain logic in ``services.meetings``."""
