"""The rota rules: one function per rule, each naming its regulation (``base.rule``).

Importing this package registers every rule in ``RULES``, in the order the modules are
imported here: what a carer can do on a visit, then the sequence of a shift, the rules per
shift, night work, the week, and last the staffing of each visit.
"""

from coordinator_tui.services.rota.rules import (  # noqa: F401 - imported to register
    care_changes,
    care_staff,
    daily,
    night,
    on_visit,
    sequence,
    staffing,
    weekly,
)
from coordinator_tui.services.rota.rules.base import RULES, CarerWeek, Rule, rules_for

__all__ = ["RULES", "CarerWeek", "Rule", "rules_for"]
