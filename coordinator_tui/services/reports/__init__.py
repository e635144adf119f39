"""Reports (section 7, issue 15): the coding audit against the clinical system's codes,
and the record of what was shared with whom.

``code_lists``   the versioned SNOMED CT code lists (``data/code_lists.json``, extended by a
                 practice's own file beside the database), membership by the clinical
                 system's rule;
``coding_audit`` the CSV import of a SystmOne or EMIS export, the reconciliation both ways
                 and the one-key actions on each finding;
``demo_coding``  a demo export with deliberate mismatches of every class;
``sharing``      disclosures and requests with their lawful basis, the report per period,
                 recipient and decisions taken without consent.

Plain functions over a session, no Textual (``today`` is passed in).
"""

from __future__ import annotations

from coordinator_tui.services.errors import ConflictError, CoordinatorError


class ReportsError(CoordinatorError):
    """Bad input for a report or a refused action; the message is for the coordinator."""


class ReportsConflictError(ReportsError, ConflictError):
    """A finding, entry or record changed since the screen read it."""
