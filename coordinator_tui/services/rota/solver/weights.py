"""The solver's objective weights, and reading them from the settings file.

The objective is a sum of penalties, all in one unit ("points"); a plan with fewer points
is better. The defaults put continuity of carer first (NICE NG21: a customer's regular
carers), then travel, then wishes and hours: a carer who is not one of the customer's
regulars costs as much as 100 minutes of travel, so the solver sends a stranger only to
save more than that. An empty carer place costs more than anything else, so every visit
that can be staffed is.

The settings file (``settings.toml``, see ``coordinator_tui.settings``) may override any
of them in a ``[solver]`` table, e.g.::

    [solver]
    continuity = 150
    travel = 1.5
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from coordinator_tui.services.errors import CoordinatorError


class SolverSettingsError(CoordinatorError):
    """The ``[solver]`` table of the settings file cannot be used."""


@dataclass(frozen=True)
class Weights:
    """Points per unit of each part of the objective."""

    unstaffed: float = 100_000.0  # per carer place left empty
    continuity: float = 100.0  # per carer-visit by someone not a regular of the customer
    other_call: float = 5.0  # per carer-visit by a regular who did not do this call last week
    new_pair: float = 50.0  # per carer new to a customer this week (once per pair)
    travel: float = 1.0  # per minute of travel between visits of a day
    home_travel: float = 0.1  # per minute from home to the day's first visit and back
    preferred_carer: float = 60.0  # per visit of a customer with preferred carers, none on it
    gender: float = 30.0  # per carer-visit not of the customer's preferred gender
    weekly_rest: float = 60.0  # per carer whose weekly rest takes in a daily rest (reg 11(7))
    soft_rule: float = 300.0  # per other soft rule (a young worker at night, reg 6A)
    over_contract: float = 2.0  # per minute over the contracted hours
    under_contract: float = 0.05  # per minute under the contract (a fair spread of hours)
    change: float = 150.0  # per carer place changed from the current rota (fill, repair)

    def to_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULT_WEIGHTS = Weights()


def weights_from_table(table: object, where: str = "[solver]") -> Weights:
    """Weights from a ``[solver]`` table: every key a weight name, every value a number
    of zero or more. Anything else is refused with one line naming the key."""
    if table is None:
        return DEFAULT_WEIGHTS
    if not isinstance(table, dict):
        raise SolverSettingsError(f"{where} must be a table of weight = number")
    known = {f.name for f in fields(Weights)}
    values: dict[str, float] = {}
    for key, value in table.items():
        if key not in known:
            raise SolverSettingsError(
                f"{where}: unknown weight '{key}' (known: {', '.join(sorted(known))})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise SolverSettingsError(f"{where}: '{key}' must be a number of zero or more")
        values[key] = float(value)
    return replace(DEFAULT_WEIGHTS, **values)


def load_weights(path: Path | None = None) -> Weights:
    """The weights of the settings file's ``[solver]`` table (the defaults when the file
    or the table is not there)."""
    if path is None:
        from coordinator_tui.settings import user_config_path

        path = user_config_path()
    if not path.is_file():
        return DEFAULT_WEIGHTS
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SolverSettingsError(f"Could not read settings file {path}: {exc}") from None
    return weights_from_table(raw.get("solver"), f"settings file {path}: [solver]")
