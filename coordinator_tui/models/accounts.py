"""Accounts, role grants and practice scope (issue 17 §1-2).

One :class:`Account` per person who signs in. Accounts are never deleted, only disabled
(a leaver's name must stay behind every audit row they wrote), and ``username`` never
changes: the audit trail's ``actor`` is the username of the signed-in account, so a
username always names the same account.

Roles are granted as rows (:class:`AccountRole`) and practices too
(:class:`AccountPractice`), so every grant and withdrawal is an insert or a delete in the
audit trail (who granted what, when). What a role allows is reference data
(``data/roles.json``), read by ``services.access``.

``password_hash`` (Argon2id, argon2-cffi's encoded form) and ``totp_secret`` never reach
the audit trail's values (``coordinator_tui.audit`` writes "(changed)" for them).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, UniqueConstraint

from coordinator_tui.models.base import Editable


class Account(Editable, table=True):
    """Someone who signs in. ``all_practices``: a PCN-wide account sees every practice's
    people; otherwise only those of the practices granted (``AccountPractice``)."""

    __tablename__ = "account"

    username: str = Field(max_length=60, unique=True, index=True)
    display_name: str = Field(default="", max_length=120)
    password_hash: str = Field(default="", max_length=200)
    totp_secret: str | None = Field(default=None, max_length=64)
    active: bool = Field(default=True)
    all_practices: bool = Field(default=False)
    agency: str = Field(default="", max_length=120)
    failed_attempts: int = Field(default=0)
    last_failed_at: datetime | None = Field(default=None)
    last_sign_in_at: datetime | None = Field(default=None)
    password_set_at: datetime | None = Field(default=None)
    must_change_password: bool = Field(default=False)
    """Set by an administrator's reset: the temporary password must be replaced at the
    next sign-in."""


class AccountRole(Editable, table=True):
    """One role (a key of ``data/roles.json``'s ``roles``) granted to an account."""

    __tablename__ = "account_role"
    __table_args__ = (UniqueConstraint("account_id", "role", name="uq_account_role"),)

    account_id: int = Field(foreign_key="account.id", index=True)
    role: str = Field(max_length=40)


class AccountPractice(Editable, table=True):
    """A practice whose people the account may see (when not ``all_practices``)."""

    __tablename__ = "account_practice"
    __table_args__ = (UniqueConstraint("account_id", "practice_id", name="uq_account_practice"),)

    account_id: int = Field(foreign_key="account.id", index=True)
    practice_id: int = Field(foreign_key="practice.id")
