"""The administrators' users screen (issue 17 §1): every account, its roles and state.

``a`` add an account, ``r`` roles and practices, ``d`` disable or enable, ``p`` a
temporary password, ``esc`` back. The services refuse what the signed-in account may not
do (``manage_users``), so this screen opened by anyone else shows one line and nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, Input, Label, Static

from coordinator_tui.formatting import uk_datetime
from coordinator_tui.screens.accounts.sign_in import FieldInput
from coordinator_tui.screens.background_write import BackgroundWrites
from coordinator_tui.screens.base import CoordinatorScreen
from coordinator_tui.screens.dialog_base import BackgroundSave, DialogBase
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.footer import Footer

if TYPE_CHECKING:
    from coordinator_tui.services.accounts import AccountRow


def _now() -> datetime:
    return datetime.now(UTC)


class AccountForm(DialogBase, ModalScreen[Any]):
    """A few fields for an account, saved by ``save``.

    Laid out as every other form (``FormDialog``'s ``#form-box``, one-line fields, the
    keys in the border): at 80x24 the six fields of a new account fit, and a form taller
    than the terminal scrolls, the error line of a refused save scrolled into view.

    A ``DialogBase`` form like every other: ``esc`` asks before throwing away what was
    typed, and a :class:`BackgroundSave` writes in a worker thread (the screen live,
    "Saving…" said, a second ``ctrl+s`` not saving twice); a refusal (a
    ``CoordinatorError``: the two passwords differ, a conflict, a locked database) is one
    line in the form with what was typed kept."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="account_form.cancel"),
        Binding("ctrl+s,f2", "save", "Save", id="account_form.save"),
    ]
    AUTO_FOCUS = "FieldInput"

    def __init__(
        self,
        title: str,
        fields: list[tuple[str, str, str, bool]],
        save: BackgroundSave | Callable[[dict[str, str]], str | None],
    ) -> None:
        """``fields``: (key, label, value, secret). ``save``: a ``BackgroundSave`` (its
        ``write`` given the values), or a callable that writes nothing and returns an
        error line or None (``DialogBase.submit``)."""
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box") as box:
            box.border_title = self.form_title
            box.border_subtitle = "enter next · ctrl+s/f2 save · esc cancel"
            for key, label, value, secret in self.fields:
                yield Label(label, classes="form-label")
                # No select-all on focus: a key typed fast after ``enter`` reaches the next
                # field before its focus event, which would then select what was typed.
                yield FieldInput(
                    value=value,
                    password=secret,
                    id=f"account-{key}",
                    compact=True,
                    select_on_focus=False,
                )
            yield Static("", id="form-error")

    def values(self) -> dict[str, str]:
        return {key: self.query_one(f"#account-{key}", Input).value for key, *_ in self.fields}

    def field_entered(self, field: Input) -> None:
        inputs = list(self.query(FieldInput))
        index = inputs.index(field)  # type: ignore[arg-type]
        if index + 1 < len(inputs):
            self.set_focus(inputs[index + 1])
        else:
            self.action_save()

    def action_save(self) -> None:
        self.submit(self.save, self.values(), result=True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class UsersScreen(BackgroundWrites, CoordinatorScreen):
    """Every account: user name, name, roles, practices, TOTP, active, last sign-in.

    Every change is written off the UI thread: the forms' saves in the form's worker
    (``BackgroundSave``), ``d`` in this screen's (``BackgroundWrites``), so the screen
    stays live while the database waits on a lock held elsewhere."""

    SAVING_LINE = "#users-message"  # "Saving…" while ``d`` waits on the database

    BINDINGS = [
        Binding("a", "add", "Add", id="users.add"),
        Binding("r", "roles", "Roles", id="users.roles"),
        Binding("d", "toggle_active", "Disable/enable", id="users.disable"),
        Binding("p", "reset", "Reset password", id="users.reset"),
        Binding("escape", "back", "Back", id="users.back"),
    ]
    HELP = (
        "Every account of this database. a adds one (a temporary password, changed at "
        "its first sign-in), r changes its roles and practices, d disables a leaver's "
        "account (it stays: the audit trail names it) or enables it again, p sets a "
        "temporary password. Every change is in the audit trail."
    )

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AccountRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Users", id="users-title")
        yield DataTable(id="users-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="users-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(
            "User name", "Name", "Roles", "Practices", "TOTP", "State", "Last sign-in"
        )
        self.load()

    def say(self, message: str) -> None:
        self.query_one("#users-message", Static).update(message)

    def load(self) -> None:
        from coordinator_tui.clock import to_local
        from coordinator_tui.services.access import catalogue
        from coordinator_tui.services.accounts import list_accounts
        from coordinator_tui.services.errors import CoordinatorError

        try:
            with self.coordinator.session() as session:
                self.rows = list_accounts(session)
        except CoordinatorError as exc:
            self.say(str(exc))
            return
        table = self.query_one(DataTable)
        at = table.cursor_row
        table.clear()
        roles = catalogue()
        for row in self.rows:
            table.add_row(
                row.username,
                row.display_name,
                ", ".join(roles.role_label(r) for r in row.roles),
                "all" if row.all_practices else str(row.practices),
                "yes" if row.totp else "",
                "active" if row.active else "DISABLED",
                uk_datetime(to_local(row.last_sign_in_at)) if row.last_sign_in_at else "never",
                key=str(row.id),
            )
        if self.rows:
            table.move_cursor(row=min(at, len(self.rows) - 1))

    def current(self) -> AccountRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def _write(self, work: Callable[[Any], object]) -> None:
        """A service call in its own unit of work, in a worker thread (a form's or this
        screen's): a refusal is the ``CoordinatorError`` it raises."""
        with self.coordinator.session() as session:
            work(session)

    def _saved(self, message: str) -> Callable[..., None]:
        """After a form's save, on the UI thread: the list read again, ``message`` said."""

        def then(*_: object) -> None:
            self.load()
            self.say(message)

        return then

    def action_add(self) -> None:
        from coordinator_tui.services.accounts import create_account, practice_ids_for

        def write(values: dict[str, str]) -> None:
            if values["password"] != values["again"]:
                raise CoordinatorError("The two passwords differ.")
            codes = [c for c in values["practices"].replace(",", " ").split() if c]
            self._write(
                lambda s: create_account(
                    s,
                    values["username"],
                    values["name"],
                    values["password"],
                    values["roles"].split(","),
                    _now(),
                    practice_ids=practice_ids_for(s, codes),
                    all_practices=not codes,
                )
            )

        def then(values: dict[str, str], _result: object) -> None:
            self._saved(f"{values['username']} added.")()

        self.app.push_screen(
            AccountForm(
                "Add an account",
                [
                    ("username", "User name", "", False),
                    ("name", "Name", "", False),
                    ("roles", "Roles (comma between): e.g. safeguarding coordinator", "", False),
                    ("practices", "Practices' ODS codes (blank: every practice)", "", False),
                    ("password", "Temporary password", "", True),
                    ("again", "Temporary password again", "", True),
                ],
                BackgroundSave(write, then),
            )
        )

    def action_roles(self) -> None:
        from coordinator_tui.services.access import catalogue
        from coordinator_tui.services.accounts import practice_ids_for, set_roles

        row = self.current()
        if row is None:
            return
        labels = ", ".join(catalogue().role_label(r) for r in row.roles)

        def write(values: dict[str, str]) -> None:
            codes = [c for c in values["practices"].replace(",", " ").split() if c]
            self._write(
                lambda s: set_roles(
                    s,
                    row.id,
                    values["roles"].split(","),
                    row.version,
                    practice_ids=practice_ids_for(s, codes) if codes else None,
                    all_practices=not codes,
                )
            )

        self.app.push_screen(
            AccountForm(
                f"Roles of {row.username}",
                [
                    ("roles", "Roles (comma between)", labels, False),
                    ("practices", "Practices' ODS codes (blank: every practice)", "", False),
                ],
                BackgroundSave(write, self._saved(f"Roles of {row.username} changed.")),
            )
        )

    def action_toggle_active(self) -> None:
        """``d``: disable or enable, in a worker thread (``BackgroundWrites``); a refusal
        is the one line under the list, the list as it was."""
        from coordinator_tui.services.accounts import set_active

        row = self.current()
        if row is None:
            return
        done = "enabled" if not row.active else "disabled"

        def write() -> None:
            self._write(lambda s: set_active(s, row.id, not row.active, row.version))

        def then(_result: None) -> None:
            self.load()
            self.say(f"{row.username} {done}.")

        self.write_in_background(write, then, refused=lambda exc: self.say(str(exc)))

    def action_reset(self) -> None:
        from coordinator_tui.services.accounts import reset_password

        row = self.current()
        if row is None:
            return

        def write(values: dict[str, str]) -> None:
            if values["password"] != values["again"]:
                raise CoordinatorError("The two passwords differ.")
            self._write(
                lambda s: reset_password(s, row.id, values["password"], _now(), row.version)
            )

        self.app.push_screen(
            AccountForm(
                f"Temporary password for {row.username}",
                [
                    ("password", "Temporary password", "", True),
                    ("again", "Temporary password again", "", True),
                ],
                BackgroundSave(
                    write, self._saved(f"A temporary password was set for {row.username}.")
                ),
            )
        )

    def action_back(self) -> None:
        self.dismiss()
