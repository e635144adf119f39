"""The export password's prompt (issue 17 §5): exports from an encrypted database are
encrypted, with a password the coordinator chooses here.

Not their sign-in password: the recipient of an e-mailed letter or report is told it
another way (by phone), as NHS practice is for files sent by e-mail. Typed twice (masked),
checked by the same rules as an account's password (``accounts.password_problem``), and
held in the app's memory only (``CoordinatorApp.hold_export_password``): never written,
logged or put in a crash report, forgotten on lock, switch user and sign-out. A problem
is one line, and what was typed stays. Once chosen, the export is pressed again (as after
the step-up prompt), so what is written is plainly what the coordinator asked for.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from coordinator_tui.screens.accounts.password_modal import PasswordModal
from coordinator_tui.screens.accounts.sign_in import FieldInput
from coordinator_tui.widgets.from_worker import call_from_worker

FIELDS = ("#export-password", "#export-again")


class ExportPasswordScreen(PasswordModal):
    """Choose the export password: masked, twice. Dismissed with True once held."""

    AUTO_FOCUS = "#export-password"

    def compose(self) -> ComposeResult:
        with Vertical(id="stepup-box") as box:
            box.border_title = "Export password"
            yield Static(
                "This database is encrypted, so its exports are too. Choose a password "
                "for them (not your sign-in one) and tell the recipient it by phone, never "
                "in the e-mail with the file. Asked again after a lock.",
                id="signin-intro",
            )
            yield Label("Export password", classes="signin-label")
            yield FieldInput(id="export-password", password=True)
            yield Label("Export password again", classes="signin-label")
            yield FieldInput(id="export-again", password=True)
            yield Static("", id="signin-message")
            yield Static("enter next · esc cancel", id="signin-keys")

    def field_entered(self, field: Input) -> None:
        """``enter``: on to the next empty field, then check both (in a worker: the
        comparison with the sign-in password is an Argon2id check) and hold it."""
        values = [self.query_one(key, Input).value for key in FIELDS]
        for key, value in zip(FIELDS, values, strict=True):
            if not value:
                self.set_focus(self.query_one(key, Input))
                return
        password, again = values
        if password != again:
            self.say("The two export passwords differ.")
            self.set_focus(self.query_one("#export-again", Input))
            return
        self.say("Checking…", error=False)
        self.check(password)

    @work(thread=True, exclusive=True, group="export-password")
    def check(self, password: str) -> None:
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.exporting import export_password_problem

        app = self.coordinator
        try:
            with app.session() as session:
                problem = export_password_problem(session, password)
        except CoordinatorError as exc:
            call_from_worker(self, self.say, str(exc))
            return
        call_from_worker(self, self.checked, password, problem)

    def checked(self, password: str, problem: str | None) -> None:
        if problem:
            self.say(problem)
            return
        self.coordinator.hold_export_password(password)
        self.coordinator.notify(
            "Export password kept until you lock or sign out: now export again.", timeout=8
        )
        self.dismiss(True)
