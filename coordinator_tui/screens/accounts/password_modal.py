"""The base of the small password prompts asked over the current screen: the step-up
before an export or print and the change of password (``sign_in``), and the export
password's prompt (``export_password``).

Public and in its own module so each prompt imports it from here rather than one
reaching into another's private class. Each prompt composes its own fields; this gives
them the one-line message under the fields (``#signin-message``, styled by
``accounts.tcss``), ``esc`` to cancel, and the app typed as ``CoordinatorApp``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

if TYPE_CHECKING:
    from coordinator_tui.app import CoordinatorApp


class SaysOneLine:
    """For the account screens, full (``sign_in``'s) and modal (below): the app typed as
    ``CoordinatorApp``, and the one-line message under the fields (``#signin-message``)."""

    app: Any
    query_one: Any

    @property
    def coordinator(self) -> CoordinatorApp:
        return self.app

    def say(self, message: str, *, error: bool = True) -> None:
        """One line under the fields: a problem (``error``) or where the check is."""
        line = self.query_one("#signin-message", Static)
        line.update(message)
        line.set_class(error, "-error")


class PasswordModal(SaysOneLine, ModalScreen[bool]):
    """A small prompt over the current screen, dismissed with True once its password is
    given (and checked), False on ``esc``."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="password_modal.cancel")]

    def action_cancel(self) -> None:
        self.dismiss(False)
