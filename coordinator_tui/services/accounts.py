"""Accounts: creating, disabling, roles, password resets, signing in (issue 17 §1, §3).

Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher``, its RFC 9106
low-memory profile) and must be at least 12 characters or three words, and not a common
password (``data/common_passwords.txt``); they never expire (NCSC guidance). After
:data:`FREE_ATTEMPTS` failures in a row, each further attempt must wait a growing delay
(:func:`delay_after`), computed from the time passed in, so it is tested without sleeping.
An optional TOTP second factor (RFC 6238, pyotp) is asked for after the password.

Signing in does not raise on a wrong password: it returns a :class:`SignInOutcome`, so the
unit of work commits the failure count and the audit row ("sign-fail") with it. Every
sign-in, sign-out, failure, lock, unlock and step-up is in the audit trail
(``audit.record_access``), on the account's row, named by the account's username.

Managing accounts needs the ``manage_users`` activity (``access.require``), except the
first administrator of an empty database (:func:`create_first_administrator`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordinator_tui import audit, keyslots
from coordinator_tui.models.accounts import Account, AccountPractice, AccountRole
from coordinator_tui.services import access
from coordinator_tui.services.errors import ConflictError as ConflictError  # callers catch it here
from coordinator_tui.services.errors import CoordinatorError, check_version

MIN_LENGTH = 12
MIN_WORDS = 3
MAX_LENGTH = 256
"""Longer is refused: hashing megabytes of "password" is a way to tie the machine up."""
FREE_ATTEMPTS = 5
FIRST_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=15)
NOT_SIGNED_IN = "(not signed in)"
"""The audit actor of a failed sign-in: nobody is signed in yet."""
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
NOT_RECOGNISED = "User name or password not recognised."


class AccountError(CoordinatorError):
    """A refused account change (bad user name, last administrator, unknown account)."""


class PasswordPolicyError(AccountError):
    """The password is too short, too common, or holds the user name."""


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # Argon2id, RFC 9106 low-memory profile


@cache
def _dummy_hash() -> str:
    """Hash checked for an unknown user name, so it takes as long as a known one."""
    return _hasher().hash("no such account: a dummy password")


# -- the password policy ----------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    """The deny-list (lower case), read once."""
    from coordinator_tui.services.reference import shipped_text

    lines = shipped_text("common_passwords.txt").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def words_in(password: str) -> list[str]:
    """The words of a passphrase: runs of three letters or more between anything else."""
    runs = "".join(ch if ch.isalpha() else " " for ch in password).split()
    return [run for run in runs if len(run) >= 3]


_TRAILING = re.compile(r"[\W\d_]+$", re.UNICODE)
_LEADING = re.compile(r"^[\W\d_]+", re.UNICODE)


def _listed_with_a_tail(lowered: str, deny: frozenset[str]) -> bool:
    """A listed password with digits or symbols added after it ("abcd12345" + "000")."""
    for end in range(len(lowered) - 1, 3, -1):
        if lowered[:end] in deny and not any(ch.isalpha() for ch in lowered[end:]):
            return True
    return False


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` is refused, in one line, or None when it is acceptable.

    At least 12 characters, or three words (of three letters or more, apart by spaces,
    digits or punctuation: "red fox sky"); not a common password, nor one with digits or symbols
    added at either end ("Password123!"); not holding the user name."""
    if len(password) > MAX_LENGTH:
        return f"The password is too long (at most {MAX_LENGTH} characters)."
    if len(password) < MIN_LENGTH and len(words_in(password)) < MIN_WORDS:
        return (
            f"The password is too short: use at least {MIN_LENGTH} characters, "
            f"or {MIN_WORDS} random words."
        )
    lowered = password.strip().lower()
    squashed = " ".join(lowered.split())
    bare = _LEADING.sub("", _TRAILING.sub("", lowered))
    deny = common_passwords()
    if (
        lowered in deny
        or squashed in deny
        or squashed.replace(" ", "") in deny
        or bare in deny
        or _listed_with_a_tail(lowered, deny)
        or not bare  # digits and symbols only: a date, a phone number, a PIN
        or len(set(lowered)) <= 2
    ):
        return "That password is too common (it is on lists attackers try first): choose another."
    if username and len(username) >= 3 and username.lower() in lowered:
        return "The password must not contain the user name."
    return None


def check_password(password: str, username: str = "") -> None:
    problem = password_problem(password, username)
    if problem:
        raise PasswordPolicyError(problem)


# -- the delay after failures -------------------------------------------------------------


def delay_after(failures: int) -> timedelta:
    """How long the next attempt must wait after ``failures`` failures in a row: nothing
    for the first :data:`FREE_ATTEMPTS`, then 5 s, doubling each time, at most 15 min."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(FIRST_DELAY * (2 ** min(failures - FREE_ATTEMPTS, 12)), MAX_DELAY)


def wait_remaining(account: Account, now: datetime) -> timedelta:
    """How long before ``account`` may try again (zero: now)."""
    if account.last_failed_at is None:
        return timedelta(0)
    last = account.last_failed_at
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    left = last + delay_after(account.failed_attempts) - now
    return max(left, timedelta(0))


def _seconds(span: timedelta) -> str:
    total = int(span.total_seconds() + 0.999)
    if total < 90:
        return f"{total} s"
    return f"{(total + 59) // 60} min"


# -- reading ---------------------------------------------------------------------------------


def account_count(session: Session) -> int:
    """How many accounts exist (none: the app asks for the first administrator)."""
    return session.scalar(select(func.count()).select_from(Account)) or 0


def find_account(session: Session, username: str) -> Account | None:
    return session.scalar(select(Account).where(Account.username == username.strip().lower()))


def _get(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise AccountError("No such account.")
    return account


def roles_of(session: Session, account_id: int) -> list[str]:
    rows = session.scalars(select(AccountRole.role).where(AccountRole.account_id == account_id))
    return sorted(rows)


def practices_of(session: Session, account_id: int) -> list[int]:
    rows = session.scalars(
        select(AccountPractice.practice_id).where(AccountPractice.account_id == account_id)
    )
    return sorted(rows)


def practice_ids_for(session: Session, ods_codes: Iterable[str]) -> list[int]:
    """The practices named by ODS code (refused, naming it, if one is unknown)."""
    from coordinator_tui.models.people import Practice

    found = []
    for code in ods_codes:
        practice_id = session.scalar(
            select(Practice.id).where(Practice.ods_code == code.strip().upper())
        )
        if practice_id is None:
            raise AccountError(f"No practice has the ODS code {code.strip()[:10]}.")
        found.append(practice_id)
    return found


def principal_for(session: Session, account: Account, now: datetime) -> access.Principal:
    """The principal of ``account`` signed in at ``now``."""
    assert account.id is not None
    return access.make_principal(
        account.username,
        roles_of(session, account.id),
        display_name=account.display_name,
        account_id=account.id,
        practice_ids=None if account.all_practices else practices_of(session, account.id),
        authenticated_at=now,
        must_change_password=account.must_change_password,
    )


@dataclass(frozen=True)
class AccountRow:
    """One line of the administrators' users screen."""

    id: int
    version: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    active: bool
    totp: bool
    all_practices: bool
    practices: int
    last_sign_in_at: datetime | None
    failed_attempts: int


def list_accounts(session: Session) -> list[AccountRow]:
    """Every account, by username (``manage_users``)."""
    access.require(session, access.MANAGE_USERS)
    rows = []
    for account in session.scalars(select(Account).order_by(Account.username)):
        assert account.id is not None
        rows.append(
            AccountRow(
                account.id,
                account.version,
                account.username,
                account.display_name,
                tuple(roles_of(session, account.id)),
                account.active,
                account.totp_secret is not None,
                account.all_practices,
                len(practices_of(session, account.id)),
                account.last_sign_in_at,
                account.failed_attempts,
            )
        )
    return rows


# -- changing -------------------------------------------------------------------------------


def _check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_PATTERN.match(name):
        raise AccountError(
            "A user name is 2 to 60 characters: lower-case letters, digits, '.', '_' or '-' "
            "(for example j.bloggs)."
        )
    return name


def _check_roles(roles: Iterable[str]) -> list[str]:
    catalogue = access.catalogue()
    found = []
    for text in roles:
        if not text.strip():
            continue
        name = catalogue.find_role(text)
        if name is None:
            known = ", ".join(role.label for role in catalogue.roles.values())
            raise AccountError(f"Unknown role '{text.strip()[:40]}': one of {known}.")
        if name not in found:
            found.append(name)
    if not found:
        raise AccountError("Give the account at least one role.")
    return found


def _add_account(
    session: Session,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[str],
    now: datetime,
    *,
    practice_ids: Iterable[int] = (),
    all_practices: bool = False,
    must_change_password: bool = False,
) -> Account:
    name = _check_username(username)
    role_names = _check_roles(roles)
    check_password(password, name)
    if find_account(session, name) is not None:
        raise AccountError(f"The user name {name} is taken: choose another.")
    account = Account(
        username=name,
        display_name=display_name.strip()[:120],
        password_hash=_hasher().hash(password),
        all_practices=all_practices,
        password_set_at=now,
        must_change_password=must_change_password,
    )
    session.add(account)
    session.flush()
    keyslots.password_set(session, name, password)  # encrypted database: a key slot
    assert account.id is not None
    for role in role_names:
        session.add(AccountRole(account_id=account.id, role=role))
    for practice_id in sorted(set(practice_ids)):
        session.add(AccountPractice(account_id=account.id, practice_id=practice_id))
    session.flush()
    return account


def create_first_administrator(
    session: Session, username: str, display_name: str, password: str, now: datetime
) -> access.Principal:
    """The first account of an empty database: administrator and safeguarding lead, every
    practice; signed in at once. Refused once any account exists."""
    if account_count(session) > 0:
        raise AccountError("An administrator exists already: sign in.")
    account = _add_account(
        session,
        username,
        display_name,
        password,
        [access.ADMINISTRATOR, "safeguarding_lead"],
        now,
        all_practices=True,
    )
    account.last_sign_in_at = now
    session.info["actor"] = account.username
    session.flush()
    audit.record_access(session, "sign-in", account.id, how="first administrator")
    return principal_for(session, account, now)


def create_account(
    session: Session,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[str],
    now: datetime,
    *,
    practice_ids: Iterable[int] = (),
    all_practices: bool = False,
) -> int:
    """A new account (``manage_users``); its password is to be changed at first sign-in."""
    access.require(session, access.MANAGE_USERS)
    account = _add_account(
        session,
        username,
        display_name,
        password,
        roles,
        now,
        practice_ids=practice_ids,
        all_practices=all_practices,
        must_change_password=True,
    )
    assert account.id is not None
    return account.id


def _active_administrators(session: Session) -> set[int]:
    rows = session.scalars(
        select(Account.id)
        .join(AccountRole, AccountRole.account_id == Account.id)
        .where(AccountRole.role == access.ADMINISTRATOR, Account.active.is_(True))
    )
    return {row for row in rows if row is not None}


def set_active(
    session: Session, account_id: int, active: bool, expected_version: int | None = None
) -> None:
    """Disable a leaver's account (never deleted: the audit trail names it) or enable it
    again. The last active administrator cannot be disabled."""
    principal = access.require(session, access.MANAGE_USERS)
    account = _get(session, account_id)
    check_version(session, account, "account", expected_version, missing=AccountError)
    if not active and _active_administrators(session) == {account_id}:
        raise AccountError("This is the last active administrator: grant another first.")
    if not active and principal.account_id == account_id:
        raise AccountError("You cannot disable your own account.")
    account.active = active
    if not active:
        keyslots.password_set(session, account.username, None)  # encrypted: slot removed
    if active:
        account.failed_attempts = 0
        account.last_failed_at = None
    session.flush()


def set_roles(
    session: Session,
    account_id: int,
    roles: Iterable[str],
    expected_version: int | None = None,
    *,
    practice_ids: Iterable[int] | None = None,
    all_practices: bool | None = None,
) -> list[str]:
    """Replace the account's roles (and, if given, its practices): each grant and
    withdrawal is an audited row. The last administrator keeps ``administrator``."""
    access.require(session, access.MANAGE_USERS)
    account = _get(session, account_id)
    check_version(session, account, "account", expected_version, missing=AccountError)
    wanted = _check_roles(roles)
    if access.ADMINISTRATOR not in wanted and _active_administrators(session) == {account_id}:
        raise AccountError("This is the last active administrator: grant another first.")
    current = {
        row.role: row
        for row in session.scalars(select(AccountRole).where(AccountRole.account_id == account_id))
    }
    for role, row in current.items():
        if role not in wanted:
            session.delete(row)
    for role in wanted:
        if role not in current:
            session.add(AccountRole(account_id=account_id, role=role))
    if all_practices is not None:
        account.all_practices = all_practices
    if practice_ids is not None:
        have = {
            row.practice_id: row
            for row in session.scalars(
                select(AccountPractice).where(AccountPractice.account_id == account_id)
            )
        }
        wanted_practices = set(practice_ids)
        for practice_id, row in have.items():
            if practice_id not in wanted_practices:
                session.delete(row)
        for practice_id in sorted(wanted_practices - set(have)):
            session.add(AccountPractice(account_id=account_id, practice_id=practice_id))
    session.flush()
    return wanted


def reset_password(
    session: Session,
    account_id: int,
    new_password: str,
    now: datetime,
    expected_version: int | None = None,
) -> None:
    """An administrator sets a temporary password (to be changed at the next sign-in) and
    clears the failed attempts (``manage_users``)."""
    access.require(session, access.MANAGE_USERS)
    account = _get(session, account_id)
    check_version(session, account, "account", expected_version, missing=AccountError)
    check_password(new_password, account.username)
    account.password_hash = _hasher().hash(new_password)
    keyslots.password_set(session, account.username, new_password)
    account.password_set_at = now
    account.must_change_password = True
    account.failed_attempts = 0
    account.last_failed_at = None
    session.flush()


def change_own_password(
    session: Session, current_password: str, new_password: str, now: datetime
) -> None:
    """The signed-in account replaces its password (after a reset, or at will)."""
    principal = access.current_principal(session)
    if principal is None or principal.account_id is None:
        raise AccountError("Sign in first.")
    account = _get(session, principal.account_id)
    if not _verify(account.password_hash, current_password):
        raise AccountError("The current password is not right.")
    if new_password == current_password:
        raise PasswordPolicyError("Choose a new password, not the one given now.")
    check_password(new_password, account.username)
    account.password_hash = _hasher().hash(new_password)
    keyslots.password_set(session, account.username, new_password)
    account.password_set_at = now
    account.must_change_password = False
    session.flush()


def set_totp(session: Session, account_id: int, secret: str | None) -> None:
    """Turn the TOTP second factor on (``secret``: base32, from :func:`new_totp_secret`)
    or off (None). Yourself, or an administrator for anyone."""
    principal = access.current_principal(session)
    if principal is None or principal.account_id != account_id:
        access.require(session, access.MANAGE_USERS)
    account = _get(session, account_id)
    account.totp_secret = secret
    session.flush()


def new_totp_secret() -> str:
    import pyotp

    return pyotp.random_base32()


def totp_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app takes (typed in, or as a QR code)."""
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Coordinator TUI")


# -- signing in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInOutcome:
    """What a sign-in attempt came to: a principal, or one line to show."""

    principal: access.Principal | None = None
    message: str = ""
    needs_code: bool = False
    """The password was right and a TOTP code is needed (ask for it; not a failure)."""


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    if not password_hash or len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def is_own_password(session: Session, account_id: int, password: str) -> bool:
    """Whether ``password`` is the account's sign-in password: one Argon2id check, not
    counted or audited (it is not a sign-in). For a password that must differ from it
    (an export password is told to the recipient: ``services.exporting``)."""
    account = session.get(Account, account_id)
    return account is not None and _verify(account.password_hash, password)


def _code_ok(secret: str, code: str, now: datetime) -> bool:
    import pyotp

    digits = "".join(code.split())
    return bool(digits) and pyotp.TOTP(secret).verify(digits, for_time=now, valid_window=1)


def _fail(session: Session, account: Account, now: datetime, why: str) -> SignInOutcome:
    account.failed_attempts += 1
    account.last_failed_at = now
    session.flush()
    audit.record_access(session, "sign-fail", account.id, reason=why)
    wait = wait_remaining(account, now)
    if wait > timedelta(0):
        return SignInOutcome(
            message=f"{NOT_RECOGNISED} Too many failed attempts: wait {_seconds(wait)}."
        )
    return SignInOutcome(message=NOT_RECOGNISED)


def sign_in(
    session: Session, username: str, password: str, now: datetime, code: str = ""
) -> SignInOutcome:
    """Check a sign-in. A wrong user name, password or code is one line that does not say
    which was wrong; each failure counts, and after :data:`FREE_ATTEMPTS` the account
    waits (:func:`delay_after`) before the next attempt is even checked."""
    session.info["actor"] = NOT_SIGNED_IN
    account = find_account(session, username) if username.strip() else None
    if account is None:
        _verify(_dummy_hash(), password)  # as long as for a real account
        audit.record_access(session, "sign-fail", None, reason="unknown user name")
        return SignInOutcome(message=NOT_RECOGNISED)
    wait = wait_remaining(account, now)
    if wait > timedelta(0):
        audit.record_access(session, "sign-fail", account.id, reason="waiting")
        return SignInOutcome(message=f"Too many failed attempts: wait {_seconds(wait)}.")
    if not _verify(account.password_hash, password):
        return _fail(session, account, now, "password")
    if account.totp_secret:
        if not code.strip():
            return SignInOutcome(
                message="Enter the 6-digit code from your authenticator app.", needs_code=True
            )
        if not _code_ok(account.totp_secret, code, now):
            return _fail(session, account, now, "code")
    if not account.active:
        audit.record_access(session, "sign-fail", account.id, reason="disabled")
        return SignInOutcome(message="This account is disabled: ask an administrator.")
    account.failed_attempts = 0
    account.last_failed_at = None
    account.last_sign_in_at = now
    session.info["actor"] = account.username
    session.flush()
    keyslots.signed_in(session, account.username, password)  # encrypted: a key if none
    audit.record_access(session, "sign-in", account.id)
    return SignInOutcome(principal=principal_for(session, account, now))


#: Sign-ins of one account at the same moment (two tabs, two PCs): each writes the
#: account's row, so all but one meet a stale version. Each is checked again from the
#: start (the password too: nothing is carried over), up to this many times in all.
SIGN_IN_TRIES = 3


def sign_in_again_on_a_race(
    unit_of_work: Callable[[], AbstractContextManager[Session]],
    username: str,
    password: str,
    now: datetime,
    code: str = "",
) -> SignInOutcome:
    """:func:`sign_in` in a unit of work of its own, run again when another sign-in of
    the same account changed its row meanwhile. Saying "someone else changed this record"
    to a person signing in would be wrong: the other writer was the same person, or a
    colleague, signing in. Any other refusal (a locked database) is raised as it is."""
    for attempt in range(1, SIGN_IN_TRIES + 1):
        try:
            with unit_of_work() as session:
                return sign_in(session, username, password, now, code)
        except ConflictError:
            if attempt == SIGN_IN_TRIES:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def asks_password(principal: access.Principal) -> bool:
    """Whether ``principal`` gives a password to confirm who they are (step-up, unlock):
    an account holder does; the demo user and a command's operator have no account, so
    no password to give."""
    return principal.kind == "account" and principal.account_id is not None


def confirm_identity(
    session: Session, principal: access.Principal, password: str, now: datetime, code: str = ""
) -> SignInOutcome:
    """Step-up or unlock for the signed-in ``principal``: the password (and code) again.
    A failure counts towards the delay like a sign-in's. The demo user is not asked."""
    if not asks_password(principal):
        return SignInOutcome(principal=principal.authenticated(now))
    account = _get(session, principal.account_id)
    wait = wait_remaining(account, now)
    if wait > timedelta(0):
        return SignInOutcome(message=f"Too many failed attempts: wait {_seconds(wait)}.")
    if not _verify(account.password_hash, password):
        outcome = _fail(session, account, now, "password again")
        return SignInOutcome(message=outcome.message.replace(NOT_RECOGNISED, "Not right."))
    if account.totp_secret and not _code_ok(account.totp_secret, code, now):
        if not code.strip():
            return SignInOutcome(message="Enter the 6-digit code too.", needs_code=True)
        return _fail(session, account, now, "code again")
    if not account.active:
        return SignInOutcome(message="This account is disabled: ask an administrator.")
    account.failed_attempts = 0
    account.last_failed_at = None
    session.flush()
    audit.record_access(session, "step-up", account.id)
    return SignInOutcome(principal=principal_for(session, account, now))


def record_event(
    session: Session, principal: access.Principal, action: str, **details: str
) -> None:
    """A lock, unlock or sign-out of ``principal``, in the audit trail."""
    audit.record_access(session, action, principal.account_id, **details)
