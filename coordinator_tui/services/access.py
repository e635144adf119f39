"""Who is signed in, and what their roles allow: the one permission check (issue 17 §2).

Roles and activities are reference data (``data/roles.json``): a role lists activities,
an activity may include others (``edit_register`` includes ``view_register``), and an
account's activities are the closure of its roles' activities. The signed-in account is a
:class:`Principal`, carried on every unit of work as ``session.info["principal"]``
(:func:`coordinator_tui.db.session_scope` puts it there), so a service checks the activity
itself with :func:`require` whatever called it (a screen, the palette, the CLI, a test):
hiding a key is never the only guard.

Three kinds of principal:

- ``account``: someone signed in with their password (and TOTP code, if set);
- ``demo``: the demo user of ``coordinator-tui demo`` (and tests), signed in by the code
  that started the app, never by a setting or the environment;
- ``operator``: a headless command run by the operating-system user who owns the database
  file (``db``, ``rota``, ``report`` commands: the file is theirs anyway, readable by them
  alone). It is trusted with every activity until the CLI signs in (``user`` commands and
  §5's encryption will ask for the password); it is named in the audit trail by the OS
  login, as before. Nothing in the app makes one: the app passes its signed-in principal.

A unit of work without any principal is refused by :func:`require`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from coordinator_tui.clock import utcnow
from coordinator_tui.services.errors import CoordinatorError

PRINCIPAL_KEY = "principal"
"""Where a unit of work carries its principal (``session.info``)."""

STEP_UP_WINDOW = timedelta(minutes=5)
"""Exporting or printing asks for the password again when it was last given longer ago
than this (issue 17 §3)."""

# Activity names used by the services (the keys of data/roles.json's "activities").
VIEW_REGISTER = "view_register"
EDIT_REGISTER = "edit_register"
VIEW_SENSITIVE = "view_sensitive"
BREAK_GLASS = "break_glass"
MEETINGS = "meetings"
VIEW_CUSTOMERS = "view_customers"
ROTA = "rota"
GOVERNANCE = "governance"
REPORTS = "reports"
CARE_REPORTS = "care_reports"
EXPORT = "export"
AUDIT_REVIEW = "audit_review"
MANAGE_USERS = "manage_users"

ADMINISTRATOR = "administrator"


class NotPermittedError(CoordinatorError):
    """The signed-in account's roles do not allow this (or nobody is signed in)."""


class StepUpRequiredError(NotPermittedError):
    """Allowed, but the password (or TOTP code) must be given again first."""


# -- roles as data ----------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    name: str
    label: str
    includes: tuple[str, ...]


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    activities: frozenset[str]
    """Every activity the role allows, nested ones included."""


@dataclass(frozen=True)
class RoleCatalogue:
    activities: dict[str, Activity]
    roles: dict[str, Role]

    def activities_of(self, roles: Iterable[str]) -> frozenset[str]:
        """What an account holding ``roles`` may do (unknown role names give nothing)."""
        found: set[str] = set()
        for name in roles:
            role = self.roles.get(name)
            if role is not None:
                found |= role.activities
        return frozenset(found)

    def role_label(self, name: str) -> str:
        role = self.roles.get(name)
        return role.label if role else name.replace("_", " ")

    def find_role(self, text: str) -> str | None:
        """The role named by ``text``: its key or its label, any case, spaces or ``_``."""
        wanted = text.strip().lower().replace(" ", "_").replace("-", "_")
        for name, role in self.roles.items():
            if wanted in (name, role.label.lower().replace(" ", "_")):
                return name
        return None


def _closure(name: str, activities: dict[str, dict[str, Any]], seen: tuple[str, ...]) -> set[str]:
    if name not in activities:
        raise ValueError(f"roles.json: unknown activity {name!r}")
    if name in seen:
        raise ValueError(f"roles.json: activity {name!r} includes itself")
    found = {name}
    for inner in activities[name].get("includes", []):
        found |= _closure(inner, activities, (*seen, name))
    return found


def parse_roles(raw: dict[str, Any]) -> RoleCatalogue:
    """The catalogue from the JSON's content (checked: every activity named exists, no
    activity includes itself)."""
    acts = raw["activities"]
    activities = {
        name: Activity(name, spec["label"], tuple(spec.get("includes", [])))
        for name, spec in acts.items()
    }
    roles = {}
    for name, spec in raw["roles"].items():
        allowed: set[str] = set()
        for activity in spec["activities"]:
            allowed |= _closure(activity, acts, ())
        roles[name] = Role(name, spec["label"], frozenset(allowed))
    return RoleCatalogue(activities, roles)


@cache
def catalogue() -> RoleCatalogue:
    """The shipped ``data/roles.json``, read once."""
    from coordinator_tui.services.shipped import shipped_text

    text = shipped_text("roles.json")
    return parse_roles(json.loads(text))


def permission_matrix() -> dict[str, list[str]]:
    """Role -> the activities it allows, sorted (what the access report and the tests show)."""
    return {name: sorted(role.activities) for name, role in catalogue().roles.items()}


# -- the principal ------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """Who a unit of work acts for. ``practice_ids`` None: every practice (PCN-wide)."""

    username: str
    display_name: str = ""
    account_id: int | None = None
    roles: frozenset[str] = frozenset()
    activities: frozenset[str] = frozenset()
    practice_ids: frozenset[int] | None = None
    authenticated_at: datetime | None = None
    """When the password was last given (sign-in, unlock or step-up)."""
    kind: str = "account"  # account | demo | operator | anonymous (signing in)
    must_change_password: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        """How the screens name them: their name, else their username."""
        return self.display_name or self.username

    def can(self, activity: str) -> bool:
        return activity in self.activities

    def sees_practice(self, practice_id: int | None) -> bool:
        """Whether a record of ``practice_id`` is in scope (a record of no practice, a
        homecare customer, is in every scope)."""
        return self.practice_ids is None or practice_id is None or practice_id in self.practice_ids

    def authenticated(self, now: datetime) -> Principal:
        """The same principal, having just given the password again."""
        return replace(self, authenticated_at=now)


def make_principal(
    username: str,
    roles: Iterable[str],
    *,
    display_name: str = "",
    account_id: int | None = None,
    practice_ids: Iterable[int] | None = None,
    authenticated_at: datetime | None = None,
    kind: str = "account",
    must_change_password: bool = False,
) -> Principal:
    """A principal whose activities are those of ``roles`` (``catalogue()``)."""
    role_set = frozenset(roles)
    return Principal(
        username=username,
        display_name=display_name,
        account_id=account_id,
        roles=role_set,
        activities=catalogue().activities_of(role_set),
        practice_ids=None if practice_ids is None else frozenset(practice_ids),
        authenticated_at=authenticated_at,
        kind=kind,
        must_change_password=must_change_password,
    )


DEMO_ROLES = ("safeguarding_lead", "homecare_coordinator", "administrator")


def demo_principal(
    username: str = "demo", now: datetime | None = None, display_name: str = "Demo user"
) -> Principal:
    """The demo user of ``coordinator-tui demo`` (and of tests that do not sign in):
    every role's activities, every practice; not asked for a password again (it has
    none). Made only by code that starts the app, never from a setting."""
    return make_principal(
        username,
        DEMO_ROLES,
        display_name=display_name,
        authenticated_at=now or utcnow(),
        kind="demo",
    )


def operator_principal(os_user: str) -> Principal:
    """A headless command run by the owner of the database file (see the module notes)."""
    every = frozenset(catalogue().activities)
    return Principal(username=os_user, activities=every, kind="operator")


def current_principal(session: Any) -> Principal | None:
    """The principal of this unit of work, if any."""
    found = session.info.get(PRINCIPAL_KEY)
    return found if isinstance(found, Principal) else None


def describe_activity(activity: str) -> str:
    found = catalogue().activities.get(activity)
    return found.label if found else activity.replace("_", " ")


def require(session: Any, activity: str, *, practice_id: int | None = None) -> Principal:
    """Refuse (:class:`NotPermittedError`, one line) unless the signed-in principal may do
    ``activity`` (and, with ``practice_id``, the record's practice is in their scope).

    The one check every service calls: ``require(session, EXPORT)``."""
    principal = current_principal(session)
    if principal is None or principal.kind == "anonymous":
        raise NotPermittedError("Nobody is signed in: sign in first.")
    if activity not in catalogue().activities:
        raise ValueError(f"unknown activity {activity!r}")
    if not principal.can(activity):
        roles = ", ".join(sorted(catalogue().role_label(r) for r in principal.roles)) or "none"
        raise NotPermittedError(
            f"Not permitted: your roles ({roles}) do not allow you to "
            f"{describe_activity(activity)}. An administrator can grant it."
        )
    if practice_id is not None and not principal.sees_practice(practice_id):
        raise NotPermittedError(
            "Not permitted: this record belongs to a practice outside your access. "
            "An administrator can widen it."
        )
    return principal


def require_any(session: Any, activities: Sequence[str]) -> tuple[str, ...]:
    """Of ``activities``, those the signed-in principal may do, in order; refused as
    :func:`require` refuses the first of them when they may do none (nobody signed in
    included). For a list that shows what the user may see of several kinds (the action
    tracker's meetings', incidents' and cover's actions, each under its own activity)."""
    principal = current_principal(session)
    unknown = [activity for activity in activities if activity not in catalogue().activities]
    if unknown:
        raise ValueError(f"unknown activity {unknown[0]!r}")
    found = tuple(
        activity
        for activity in activities
        if principal is not None and principal.kind != "anonymous" and principal.can(activity)
    )
    if not found:
        require(session, activities[0])  # raises: nobody signed in, or not permitted
    return found


BREAK_GLASS_MIN_REASON = 10
"""Characters a break-glass reason needs at least: a sentence the lead can review, not 'x'."""


class BreakGlassRequired(NotPermittedError):
    """May be opened, but only with a typed reason (break-glass, issue 17 §2): nothing of
    the record is read until one is given. ``why``: outside the practices, sensitive."""

    def __init__(self, why: str) -> None:
        self.why = why
        super().__init__(
            f"This record is {why}. Give a reason to open it (break-glass): "
            "it is recorded for the safeguarding lead's review."
        )


def open_record(
    session: Any,
    table_name: str,
    row_id: int | None,
    *,
    practice_id: int | None,
    sensitive: bool = False,
    reason: str | None = None,
) -> str | None:
    """The check before a record is shown: ``view_register``, and then, for a record
    outside the principal's practices or a sensitive one (MARAC, sealed entries) they may
    not view, break-glass: refused (:class:`BreakGlassRequired`) without a typed reason of
    :data:`BREAK_GLASS_MIN_REASON` characters, allowed with one and flagged in the audit
    trail. Returns why break-glass was used, or None when the record was simply in scope.
    A principal without the ``break_glass`` activity is refused outright."""
    principal = require(session, VIEW_REGISTER)
    whys = []
    if not principal.sees_practice(practice_id):
        whys.append("outside your practices")
    if sensitive and not principal.can(VIEW_SENSITIVE):
        whys.append("sensitive (MARAC or sealed entries)")
    if not whys:
        return None
    why = " and ".join(whys)
    if not principal.can(BREAK_GLASS):
        raise NotPermittedError(
            f"Not permitted: this record is {why}, and your roles do not allow "
            "break-glass. An administrator can widen your access."
        )
    text = " ".join((reason or "").split())
    if len(text) < BREAK_GLASS_MIN_REASON:
        raise BreakGlassRequired(why)
    from coordinator_tui import audit

    audit.record_break_glass(session, table_name, row_id, reason=text, why=why)
    return why


def in_scope_clause(session: Any, column: Any) -> Any:
    """A WHERE clause keeping rows whose practice ``column`` is in the principal's scope
    (None when every practice is: add nothing). For lists: ``query.where(clause)``."""
    from sqlalchemy import false, or_

    principal = current_principal(session)
    if principal is None:
        return false()
    if principal.practice_ids is None:
        return None
    return or_(column.is_(None), column.in_(sorted(principal.practice_ids)))


def recent_authentication(
    session: Any, within: timedelta = STEP_UP_WINDOW, now: datetime | None = None
) -> Principal:
    """Refuse with :class:`StepUpRequiredError` unless the password was given within
    ``within`` (exports, printing, closed historic records: issue 17 §3). A headless
    command's operator is not asked (there is no one at a screen to ask), nor the demo
    user (no password to give)."""
    principal = current_principal(session)
    if principal is None:
        raise NotPermittedError("Nobody is signed in: sign in first.")
    if principal.kind in ("operator", "demo"):
        return principal
    moment = now or utcnow()
    given = principal.authenticated_at
    if given is None or moment - given > within:
        minutes = int(within.total_seconds() // 60)
        raise StepUpRequiredError(
            f"Confirm it is you: give your password again (it is asked for exports when "
            f"not given in the last {minutes} minutes), then try again."
        )
    return principal


def require_export(session: Any, now: datetime | None = None) -> Principal:
    """Exporting: the ``export`` activity and a password given in the last few minutes."""
    require(session, EXPORT)
    return recent_authentication(session, now=now)
