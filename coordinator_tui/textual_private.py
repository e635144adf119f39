"""Every use of Textual's private API, named in one place (issue 13 §3).

The app needs a few things Textual has no public API for. Each call goes through a
function here, and each private method the app *overrides* is listed in
:data:`OVERRIDDEN` with the class that overrides it and why. ``tests/test_textual_private.py``
checks that every name still exists on Textual's classes with the signature used, and
scans the package so that no other module reaches into Textual's private names: a Textual
upgrade that changes any of them fails that test loudly, instead of silently bringing
back a dropped key or a traceback with a person's details. ``pyproject.toml`` pins
Textual to the minor version these were checked against.

Nothing here imports Textual at module level: the CLI imports ``crash``, which calls
:func:`end_app_with_error` only once an app is running.
"""

from __future__ import annotations

from typing import Any

CALLED: dict[str, str] = {
    "App._check_bindings": "a key passed on to the screen now on top runs its priority "
    "bindings first, as a key read by the app would (type_ahead.pass_on)",
    "Widget._forward_event": "a key typed for a screen or field that has since "
    "moved on is delivered where the coordinator meant it (type_ahead, person picker)",
    "App._init_mode": "a section's screen is built in the background before it is first "
    "opened (app._prepare_sections)",
    "App._screen_stacks": "whether a section's screen is built yet",
    "App._css_update_count": "a screen built from the current stylesheet is marked so; "
    "otherwise Textual re-applies all the CSS (about 120 ms) when it is first shown",
    "textual._context.active_app": "the running app, when a section's screen is built",
    "App._return_code": "the app's exit code after the redacted crash report",
    "App._exception": "the error that ended the app (run_test re-raises it in tests)",
    "App._exception_event": "tells Textual's run loop the app ended on an error",
    "Screen._compositor": "the people list's first frame as Textual writes it, kept as "
    "the template of the early paint (screens/registers/people_frame.py, issue 23 §2)",
    "Compositor._render_chops": "the same: the screen's lines, without clearing the "
    "regions waiting to be drawn (render_full_update would)",
    "textual._compositor.LayoutUpdate": "the same: a full frame's escape sequences",
    "App._batch_count": "whether the app holds frames (``App.delay_update``, "
    "``App.batch_update``): a section screen draws no frame then (screens/base.py)",
    "DOMNode._pruning": "a screen being removed (dismissed, or the app quitting) loses "
    "its widgets before its workers are cancelled: a worker's result landing then is "
    "dropped (widgets/from_worker.py)",
}
"""Private names the app calls or sets, and why (through the functions below)."""

OVERRIDDEN: dict[str, str] = {
    "App._handle_exception": "CoordinatorApp: Textual prints every frame's local "
    "variables; the redacted crash report is written instead (crash.py)",
    "App._fatal_error": "CoordinatorApp: the same, for Textual's fatal path",
    "App._on_key": "CoordinatorApp: keys typed ahead of a screen or dialog are held or "
    "passed on before the app's bindings (type_ahead)",
    "Widget._on_key": "the person picker (and the sign-in form): a key read for a box "
    "the focus has left goes where the focus is now",
    "Widget._on_focus": "CellGrid: the cursor cell drawn when the grid has the focus",
    "Widget._on_blur": "CellGrid: and undrawn when it loses it",
    "Screen._compositor_refresh": "SectionScreen: no frame drawn while the app holds "
    "frames (Textual draws it and throws it away: a cold section's first layout during "
    "switch_mode's 50 ms hold, issue 23); the screen is drawn whole when they are let go",
    "Input._watch_value": "FilterInput: each keystroke filters, without the Changed "
    "message's extra round trip",
}
"""Private methods the app's classes override, and why."""


async def run_priority_bindings(app: Any, key: str) -> bool:
    """The app's and screen's priority bindings for ``key``; True if one ran."""
    return bool(await app._check_bindings(key, priority=True))


def forward_key(target: Any, event: Any) -> None:
    """Deliver a key event to ``target`` as the app delivers a key it reads."""
    target._forward_event(event)


def mode_built(app: Any, mode: str) -> bool:
    """Whether the screen of section ``mode`` has been built (its stack is not empty)."""
    return bool(app._screen_stacks.get(mode))


def modes_with_screens(app: Any) -> list[str]:
    """The sections whose screens have been built."""
    return list(app._screen_stacks)


def build_mode(app: Any, mode: str) -> None:
    """Build the screen of section ``mode`` without switching to it."""
    app._init_mode(mode)


def mark_styled(screen: Any) -> None:
    """Mark a screen made now as styled from the running app's current stylesheet."""
    from textual._context import active_app

    screen._css_update_count = active_app.get()._css_update_count


def frames_held(app: Any) -> bool:
    """Whether the app holds every frame now (``delay_update`` or ``batch_update``)."""
    return bool(app._batch_count)


def end_app_with_error(app: Any, error: BaseException) -> None:
    """Record ``error`` as what ended the app, exit code 1, as Textual's own path does."""
    app._return_code = 1
    if app._exception is None:
        app._exception = error
        app._exception_event.set()


def being_removed(node: Any) -> bool:
    """Whether ``node`` is being removed from the DOM: ``App._prune`` marks every node of
    the subtree at once, before removing any, and Textual has no public word for it."""
    return bool(node._pruning)


def full_frame(screen: Any) -> str:
    """The whole of ``screen`` as the escape sequences Textual writes for a full frame
    (its first frame is one), without disturbing what it has yet to draw."""
    from textual._compositor import LayoutUpdate

    compositor = screen._compositor
    region = compositor.size.region
    chops = compositor._render_chops(region, lambda _y: True)
    return LayoutUpdate([chop.values() for chop in chops], region).render_segments(
        screen.app.console
    )
