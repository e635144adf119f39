"""``coordinator-tui user ...``: accounts managed from the command line (issue 17 §1).

``user add NAME --role R [--role R2] [--practice ODS] [--name "Full Name"]`` (no
``--practice``: every practice, PCN-wide; asks for a temporary password, twice, to be
changed at first sign-in), ``user disable NAME`` / ``user enable NAME``,
``user roles NAME [--role R ...]`` (shows the roles, or replaces them),
``user reset NAME`` (a new temporary password, failed attempts cleared), ``user list``.
Roles by key or label (``safeguarding_lead``, "Care supervisor").

Signed in like every command (``coordinator-tui --user ADMIN user add NAME``,
``cli.common``): the administrator's account is audited and its roles checked. On a
database with no accounts yet, the first ``user add`` is run by the operating-system user
who owns the file (``services.access.operator_principal``).

An encrypted database (issue 17 §5): adding or resetting an account gives it a slot in
the key file for its password, and disabling it takes the slot away (the services do it,
``keyslots.password_set``, so the app's screens do the same).
Nothing here imports Textual, and the database layer is imported inside each command.
"""

# No ``from __future__ import annotations``: typer reads the option annotations of the
# commands defined inside register(), where DbOption is a local name.
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from coordinator_tui.formatting import uk_datetime


def _password(prompt: str) -> str:
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def register(app: typer.Typer) -> None:
    """Add the ``user`` group to the main command line."""
    from coordinator_tui.cli.common import DbOption, run_job

    user_app = typer.Typer(help="Accounts: add, disable, enable, roles, reset, list.")
    app.add_typer(user_app, name="user")

    RoleOption = Annotated[
        list[str] | None,
        typer.Option("--role", help="A role (repeat for more): e.g. safeguarding_lead."),
    ]
    PracticeOption = Annotated[
        list[str] | None,
        typer.Option("--practice", help="A practice's ODS code it may see (repeat for more)."),
    ]
    AllOption = Annotated[
        bool, typer.Option("--all-practices", help="PCN-wide: every practice's people.")
    ]

    def _account(session: Any, username: str) -> Any:
        from coordinator_tui.services.accounts import AccountError, find_account

        account = find_account(session, username)
        if account is None:
            raise AccountError(f"No account {username.strip().lower()[:60]}.")
        return account

    @user_app.command("add")
    def add_command(
        username: str,
        db: DbOption = None,
        role: RoleOption = None,
        practice: PracticeOption = None,
        all_practices: AllOption = False,
        name: Annotated[str, typer.Option("--name", help="The person's name.")] = "",
    ) -> None:
        """Add an account (asks for a temporary password, to be changed at first sign-in)."""
        from coordinator_tui.services.accounts import (
            check_password,
            create_account,
            practice_ids_for,
        )
        from coordinator_tui.services.errors import CoordinatorError

        password = _password("Temporary password")
        try:
            check_password(password, username)
        except CoordinatorError as exc:
            from coordinator_tui.cli.common import fail

            fail(str(exc))

        def job(session: Any, _today: Any) -> int:
            practices = practice_ids_for(session, practice or [])
            return create_account(
                session,
                username,
                name,
                password,
                role or [],
                datetime.now(UTC),
                practice_ids=practices,
                all_practices=all_practices or not practices,  # none named: PCN-wide
            )

        account_id = run_job(db, job)
        typer.echo(f"Added {username.strip().lower()} (account #{account_id}).")

    def _set_active(username: str, db: Any, active: bool) -> None:
        from coordinator_tui.services.accounts import set_active

        def job(session: Any, _today: Any) -> None:
            set_active(session, _account(session, username).id, active)

        run_job(db, job)
        typer.echo(f"{username.strip().lower()} {'enabled' if active else 'disabled'}.")

    @user_app.command("disable")
    def disable_command(username: str, db: DbOption = None) -> None:
        """Disable a leaver's account (kept: the audit trail names it)."""
        _set_active(username, db, False)

    @user_app.command("enable")
    def enable_command(username: str, db: DbOption = None) -> None:
        """Enable an account again (its failed attempts cleared)."""
        _set_active(username, db, True)

    @user_app.command("roles")
    def roles_command(
        username: str,
        db: DbOption = None,
        role: RoleOption = None,
        practice: PracticeOption = None,
        all_practices: Annotated[
            bool | None,
            typer.Option("--all-practices/--own-practices", help="PCN-wide, or the listed."),
        ] = None,
    ) -> None:
        """Show the account's roles, or replace them with the --role options given."""
        from coordinator_tui.services import access
        from coordinator_tui.services.accounts import practice_ids_for, roles_of, set_roles

        def job(session: Any, _today: Any) -> list[str]:
            account = _account(session, username)
            if not role and practice is None and all_practices is None:
                return roles_of(session, account.id)
            practices = practice_ids_for(session, practice) if practice is not None else None
            return set_roles(
                session,
                account.id,
                role or roles_of(session, account.id),
                practice_ids=practices,
                all_practices=all_practices,
            )

        roles = run_job(db, job)
        labels = ", ".join(access.catalogue().role_label(r) for r in roles) or "none"
        typer.echo(f"{username.strip().lower()}: {labels}")

    @user_app.command("reset")
    def reset_command(username: str, db: DbOption = None) -> None:
        """Set a temporary password (to be changed at the next sign-in)."""
        from coordinator_tui.services.accounts import reset_password

        password = _password("Temporary password")

        def job(session: Any, _today: Any) -> None:
            reset_password(session, _account(session, username).id, password, datetime.now(UTC))

        run_job(db, job)
        typer.echo(f"{username.strip().lower()}: password reset; to be changed at sign-in.")

    @user_app.command("list")
    def list_command(db: DbOption = None) -> None:
        """Every account: user name, name, roles, active, TOTP, last sign-in."""
        from coordinator_tui.services import access
        from coordinator_tui.services.accounts import list_accounts

        rows = run_job(db, lambda session, _today: list_accounts(session))
        for row in rows:
            roles = ", ".join(access.catalogue().role_label(r) for r in row.roles)
            last = uk_datetime(row.last_sign_in_at) if row.last_sign_in_at else "never"
            state = "active" if row.active else "DISABLED"
            totp = " TOTP" if row.totp else ""
            typer.echo(f"{row.username:<20} {row.display_name:<24} {state}{totp}  {roles}  {last}")
