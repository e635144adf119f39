"""Sign-in, first administrator, lock, blank and step-up screens (issue 17 §1, §3).

Each is a full, opaque screen (the step-up prompt excepted: it asks over the screen that
is exporting), and none shows anything of any person: they are pushed over the screens
being worked on, which stay as they are beneath, so what was being typed is there again
after the same user signs back in. The password check (Argon2id, about a quarter of a
second) runs in a worker so the screen keeps answering keys.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from coordinator_tui.screens.accounts.password_modal import PasswordModal, SaysOneLine
from coordinator_tui.widgets.from_worker import call_from_worker

if TYPE_CHECKING:
    from coordinator_tui.services.access import Principal
    from coordinator_tui.services.accounts import SignInOutcome


HELD_KEYS = "_keys_held_while_loading"
"""Where a screen keeps the keys the app holds for it (``type_ahead.hold_for_busy``)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _local_now() -> datetime:
    """The wall clock the lock screen names (tests pin it for snapshots)."""
    return datetime.now().astimezone()


class FieldInput(Input):
    """A field of these forms. ``enter`` goes to the screen's ``field_entered`` at once
    (not through a message), and a key that reaches this field after the focus moved on
    is passed to the field now focused: a password typed straight after the user name and
    ``enter`` lands in the password field, however fast it was typed."""

    def __init__(self, *args: Any, select_on_focus: bool = False, **kwargs: Any) -> None:
        # Not selected on focus: the field's focus event arrives after keys typed fast
        # behind the enter that moved it here, and selecting them then let the next key
        # replace the whole password typed so far.
        super().__init__(*args, select_on_focus=select_on_focus, **kwargs)

    async def action_submit(self) -> None:
        entered = getattr(self.screen, "field_entered", None)
        if entered is not None:
            entered(self)

    async def _on_key(self, event: events.Key) -> None:
        # ctrl+j too: enter typed before the app has put the terminal in raw mode (the
        # user name and password typed as it starts) arrives as a line feed.
        if event.key in ("enter", "ctrl+j") and self.app.focused is self:
            # Here, in the order typed: the keys behind it are already in this field's
            # queue, and must find the focus moved on.
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        focused = self.app.focused
        if (
            focused is not self
            and isinstance(focused, FieldInput)
            and focused.screen is self.screen
        ):
            event.stop()
            event.prevent_default()
            # At once, not through its queue: an enter among them moves the focus on
            # before the keys after it are looked at.
            await focused._on_key(events.Key(event.key, event.character))
            return
        await super()._on_key(event)


class _AccountScreen(SaysOneLine, Screen[None]):
    """A full screen of the sign-in flow: typed access to the app, the message line."""


class SignInScreen(_AccountScreen):
    """User name, password and (once the password is right, if the account has one) the
    authenticator code. Shown at once at start, over everything; the form waits for the
    database to open."""

    AUTO_FOCUS = "#signin-user"
    TITLE_TEXT = "Sign in"

    def __init__(self, ready: bool = False) -> None:
        super().__init__()
        self.ready = ready
        self.busy = False
        self.pending = False
        if not ready:
            # Keys typed while "Opening the database…" shows wait here (the app's
            # ``hold_for_busy`` takes them, ctrl+q aside) and are read again, in the
            # order typed, once the form is ready with its field focused: under load
            # some were read before any field had the focus and were lost.
            self.__dict__[HELD_KEYS] = []

    def compose(self) -> ComposeResult:
        with Center(id="signin-centre"), Vertical(id="signin-box") as box:
            box.border_title = f"Coordinator TUI · {self.TITLE_TEXT}"
            yield Static(self.intro(), id="signin-intro")
            yield Label("User name", classes="signin-label")
            yield FieldInput(
                id="signin-user", placeholder="e.g. j.bloggs", value=self.initial_user()
            )
            yield Label("Password", classes="signin-label")
            yield FieldInput(id="signin-password", password=True)
            yield Label("Authenticator code", classes="signin-label -code")
            yield FieldInput(
                id="signin-code", classes="-code", placeholder="6 digits", max_length=8
            )
            yield Static("" if self.ready else "Opening the database…", id="signin-message")
            yield Static("enter sign in · ctrl+q quit", id="signin-keys")

    def intro(self) -> str:
        return "Sign in to see the registers, referrals, meetings and rota."

    def initial_user(self) -> str:
        return ""

    def on_mount(self) -> None:
        if self.initial_user():
            self.set_focus(self.query_one("#signin-password", Input))

    def show_form(self) -> None:
        """The database is open: signing in can go ahead."""
        self.ready = True
        self.call_later(self._form_ready)  # it may not be mounted yet

    def _form_ready(self) -> None:
        self.say("", error=False)
        if self.pending:
            self.pending = False
            self.field_entered(self.query_one("#signin-password", Input))
        self.release_keys()

    def release_keys(self) -> None:
        """The keys held while the database opened, read again in the order typed, ahead
        of any typed from now on (they are posted before those reach the app), starting
        in the field the form focuses first."""
        held = self.__dict__.pop(HELD_KEYS, None)
        if not held:
            return
        focused = self.app.focused
        if focused is None or focused.screen is not self:
            self.set_focus(self.query_one(self.AUTO_FOCUS, Input))
        for key in held:
            self.app.post_message(key)

    def on_unmount(self) -> None:
        """Gone before it was ready (an empty database asks for the first administrator
        instead): what was typed goes on to the screen that replaced it."""
        self.release_keys()

    def show_code(self) -> None:
        self.set_class(True, "-with-code")
        self.set_focus(self.query_one("#signin-code", Input))

    def field_entered(self, field: Input) -> None:
        user = self.query_one("#signin-user", Input)
        password = self.query_one("#signin-password", Input)
        if field is user and not password.value:
            self.set_focus(password)
            return
        if not user.value.strip():
            self.set_focus(user)
            return
        if not self.ready:
            self.pending = True  # signed in as soon as the database is open
            self.say("Still opening the database: a moment…", error=False)
            return
        if self.busy:
            return
        self.busy = True
        self.say("Checking…", error=False)
        self.check(user.value, password.value, self.query_one("#signin-code", Input).value)

    @work(thread=True, exclusive=True, group="sign-in")
    def check(self, username: str, password: str, code: str) -> None:
        from coordinator_tui.services.accounts import sign_in_again_on_a_race
        from coordinator_tui.services.errors import CoordinatorError

        app = self.coordinator
        locked = app.locked_database()
        if locked is not None:
            # An encrypted database not yet unlocked in this process (issue 17 §5): the
            # name and password unwrap its key, then it opens and the sign-in goes on.
            from coordinator_tui import keyslots

            try:
                keyslots.unlock(locked, username, password)
            except keyslots.EncryptionError as exc:
                call_from_worker(self, self.refused, str(exc), False)
                return
            if not app.open_database_now():
                return
        try:
            outcome = sign_in_again_on_a_race(app.sign_in_session, username, password, _now(), code)
        except CoordinatorError as exc:
            # Not an answer about the password (the database was locked, say): what was
            # typed stays, as the line says, to try again with one key.
            call_from_worker(self, self.refused, str(exc), False, True)
            return
        call_from_worker(self, self.answered, outcome)

    def answered(self, outcome: SignInOutcome) -> None:
        self.busy = False
        if outcome.principal is not None:
            self.accepted(outcome.principal)
            return
        self.refused(outcome.message, outcome.needs_code)

    def refused(self, message: str, needs_code: bool, keep_typed: bool = False) -> None:
        self.busy = False
        self.say(message)
        if needs_code:
            self.show_code()
            return
        if keep_typed:
            return
        self.query_one("#signin-password", Input).value = ""
        self.query_one("#signin-code", Input).value = ""
        self.set_focus(self.query_one("#signin-password", Input))

    def accepted(self, principal: Principal) -> None:
        app = self.coordinator
        self.dismiss()
        app.signed_in(principal)


class LockScreen(SignInScreen):
    """The app locked (idle, asked for, signed out): nothing of anyone shows. The same user
    signs in to go back to exactly where they were; someone else may sign in here instead
    (a quick switch on a shared PC), which closes the previous user's screens."""

    TITLE_TEXT = "Locked"

    def __init__(self, principal: Principal, signed_out: bool = False) -> None:
        super().__init__(ready=True)
        self.locked_for = principal
        self.signed_out = signed_out
        self.locked_at = _local_now()

    def intro(self) -> str:
        who = self.locked_for.display_name or self.locked_for.username
        if self.signed_out:
            return f"{who} signed out at {self.locked_at:%H:%M}. Sign in to carry on."
        carry_on = (
            "enter to carry on where you were (no password: the demo has no accounts)"
            if self._without_password()
            else "sign in to carry on where you were"
        )
        return (
            f"Locked at {self.locked_at:%H:%M} for {who}: {carry_on}. Someone else may "
            "sign in here instead (the screens left open then close, and anything not "
            "saved in them is lost)."
        )

    def initial_user(self) -> str:
        return self.locked_for.username

    def _without_password(self) -> bool:
        """The locked user has no account to sign in to (``coordinator-tui demo``'s demo
        user, or the operator of a command; ``accounts.asks_password``, which step-up
        asks too): the lock hides the screen, and enter with their name brings it back.
        Before, the lock asked the demo user for a password no account holds, and the
        only way out was to quit."""
        from coordinator_tui.services.accounts import asks_password

        return not asks_password(self.locked_for) and not self.signed_out

    def field_entered(self, field: Input) -> None:
        user = self.query_one("#signin-user", Input).value.strip()
        if self._without_password() and user == self.locked_for.username and not self.busy:
            self.accepted(self.locked_for.authenticated(_now()))
            return
        super().field_entered(field)

    def accepted(self, principal: Principal) -> None:
        self.coordinator.unlocked(principal)


class BlankScreen(_AccountScreen):
    """Nothing at all on the screen (a patient walked in): the blank key again brings the
    screen back; enter asks for the password instead."""

    BINDINGS = [Binding("enter", "lock", "Sign in", show=False, id="blank.sign_in")]

    def compose(self) -> ComposeResult:
        yield Static("", id="blank")

    def action_lock(self) -> None:
        self.coordinator.lock("blank")


class FirstAdminScreen(_AccountScreen):
    """An empty database: the first account, administrator and safeguarding lead."""

    AUTO_FOCUS = "#first-user"

    def compose(self) -> ComposeResult:
        with Center(id="signin-centre"), Vertical(id="signin-box") as box:
            box.border_title = "Coordinator TUI · first administrator"
            yield Static(
                "No one has an account on this database yet. Create the first one: it can "
                "add the others (administrator and safeguarding lead, every practice).",
                id="signin-intro",
            )
            yield Label("User name", classes="signin-label")
            yield FieldInput(id="first-user", placeholder="e.g. j.bloggs")
            yield Label("Your name", classes="signin-label")
            yield FieldInput(id="first-name", placeholder="as colleagues know you")
            yield Label("Password (12 characters or more, or three words)", classes="signin-label")
            yield FieldInput(id="first-password", password=True)
            yield Label("Password again", classes="signin-label")
            yield FieldInput(id="first-again", password=True)
            yield Static("", id="signin-message")
            yield Static("enter next · ctrl+q quit", id="signin-keys")

    def field_entered(self, field: Input) -> None:
        order = ["#first-user", "#first-name", "#first-password", "#first-again"]
        values = {key: self.query_one(key, Input).value for key in order}
        for key in order:
            if not values[key].strip():
                self.set_focus(self.query_one(key, Input))
                return
        if values["#first-password"] != values["#first-again"]:
            self.say("The two passwords differ: type them again.")
            self.query_one("#first-again", Input).value = ""
            self.set_focus(self.query_one("#first-password", Input))
            return
        self.say("Creating…", error=False)
        self.create(values["#first-user"], values["#first-name"], values["#first-password"])

    @work(thread=True, exclusive=True, group="sign-in")
    def create(self, username: str, name: str, password: str) -> None:
        from coordinator_tui.services.accounts import create_first_administrator
        from coordinator_tui.services.errors import CoordinatorError

        app = self.coordinator
        try:
            with app.sign_in_session() as session:
                principal = create_first_administrator(session, username, name, password, _now())
        except CoordinatorError as exc:
            call_from_worker(self, self.refused, exc)
            return
        call_from_worker(self, self.created, principal)

    def refused(self, exc: Exception) -> None:
        """One line; a refused password is typed again from its first field."""
        from coordinator_tui.services.accounts import PasswordPolicyError

        self.say(str(exc))
        if isinstance(exc, PasswordPolicyError):
            for key in ("#first-password", "#first-again"):
                self.query_one(key, Input).value = ""
            self.set_focus(self.query_one("#first-password", Input))
        else:
            self.set_focus(self.query_one("#first-user", Input))

    def created(self, principal: Principal) -> None:
        app = self.coordinator
        self.dismiss()
        app.signed_in(principal)
        app.notify(f"Signed in as {principal.username}, the first administrator.")


class StepUpScreen(PasswordModal):
    """Exporting or printing: the password (and code) again if not given in the last few
    minutes. Dismissed with True once given."""

    AUTO_FOCUS = "#stepup-password"

    def compose(self) -> ComposeResult:
        with Vertical(id="stepup-box") as box:
            box.border_title = "Confirm it is you"
            yield Static(
                "Exporting and printing ask for your password when it was not given in the "
                "last few minutes.",
                id="signin-intro",
            )
            yield Label("Password", classes="signin-label")
            yield FieldInput(id="stepup-password", password=True)
            yield Label("Authenticator code", classes="signin-label -code")
            yield FieldInput(
                id="stepup-code", classes="-code", placeholder="6 digits", max_length=8
            )
            yield Static("", id="signin-message")
            yield Static("enter confirm · esc cancel", id="signin-keys")

    def field_entered(self, field: Input) -> None:
        password = self.query_one("#stepup-password", Input).value
        if not password:
            return
        self.say("Checking…", error=False)
        self.check(password, self.query_one("#stepup-code", Input).value)

    @work(thread=True, exclusive=True, group="step-up")
    def check(self, password: str, code: str) -> None:
        from coordinator_tui.services.accounts import confirm_identity
        from coordinator_tui.services.errors import CoordinatorError

        app = self.coordinator
        principal = app.principal
        if principal is None:
            return
        try:
            with app.sign_in_session() as session:
                outcome = confirm_identity(session, principal, password, _now(), code)
        except CoordinatorError as exc:
            call_from_worker(self, self.say, str(exc))
            return
        call_from_worker(self, self.answered, outcome)

    def answered(self, outcome: SignInOutcome) -> None:
        if outcome.principal is not None:
            self.coordinator.principal = outcome.principal
            self.coordinator.notify("Thank you: now do it again (export, print).")
            self.dismiss(True)
            return
        self.say(outcome.message)
        if outcome.needs_code:
            self.set_class(True, "-with-code")
            self.set_focus(self.query_one("#stepup-code", Input))
        else:
            self.query_one("#stepup-password", Input).value = ""


class ChangePasswordScreen(PasswordModal):
    """Replace a temporary password (after an administrator's reset) or one's own."""

    AUTO_FOCUS = "#change-current"

    def compose(self) -> ComposeResult:
        with Vertical(id="stepup-box") as box:
            box.border_title = "Choose a new password"
            yield Static(
                "12 characters or more, or three words; not a common password.",
                id="signin-intro",
            )
            yield Label("Current password", classes="signin-label")
            yield FieldInput(id="change-current", password=True)
            yield Label("New password", classes="signin-label")
            yield FieldInput(id="change-new", password=True)
            yield Label("New password again", classes="signin-label")
            yield FieldInput(id="change-again", password=True)
            yield Static("", id="signin-message")
            yield Static("enter next · esc later", id="signin-keys")

    def field_entered(self, field: Input) -> None:
        order = ["#change-current", "#change-new", "#change-again"]
        values = [self.query_one(key, Input).value for key in order]
        for key, value in zip(order, values, strict=True):
            if not value:
                self.set_focus(self.query_one(key, Input))
                return
        if values[1] != values[2]:
            self.say("The two new passwords differ.")
            return
        self.change(values[0], values[1])

    @work(thread=True, exclusive=True, group="change-password")
    def change(self, current: str, new: str) -> None:
        from coordinator_tui.services.accounts import change_own_password
        from coordinator_tui.services.errors import CoordinatorError

        app = self.coordinator
        try:
            with app.session() as session:
                change_own_password(session, current, new, _now())
        except CoordinatorError as exc:
            call_from_worker(self, self.say, str(exc))
            return
        call_from_worker(self, self.changed)

    def changed(self) -> None:
        from dataclasses import replace

        app = self.coordinator
        if app.principal is not None:
            app.principal = replace(app.principal, must_change_password=False)
        app.notify("Password changed.")
        self.dismiss(True)
