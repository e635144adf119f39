"""A worker's result shown from its thread, or dropped when nothing is left to show it on.

A screen reads in a thread worker (``@work(thread=True)``) and hands what it read to the
app's thread with ``App.call_from_thread(self.show, ...)``. If the screen is dismissed
(``esc`` while it loads) or the app quits meanwhile, Textual removes the screen's widgets
first and cancels the screen's workers only once the screen itself is unmounted: a result
landing in between met ``query_one`` with no widget, raised ``NoMatches`` in the worker,
and the worker's failure ended the app (457bd1d mended one such landing in the review
queue; this is the same mend for every screen).

:func:`call_from_worker` asks on the app's thread, just before the callback would run,
whether ``node`` is still there (:func:`still_shown`), and drops the callback if not. A
``NoMatches`` on a screen still shown is a real fault and still raised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode

from coordinator_tui.textual_private import being_removed


def still_shown(node: DOMNode) -> bool:
    """Whether ``node`` is in the app's DOM and not on its way out: False once the app is
    quitting (Textual's ``is_attached`` is False from ``App.exit`` on) and from the
    moment its screen (or the node) is being removed, when its widgets go one by one
    before the screen does."""
    return node.is_attached and not being_removed(node)


def call_from_worker(
    node: DOMNode, callback: Callable[..., Any], *args: Any, **kwargs: Any
) -> bool:
    """In a worker's thread: ``callback(*args, **kwargs)`` on the app's thread, as
    ``App.call_from_thread`` does, if ``node`` (the screen or widget that shows the
    result) is still shown when it would run; else nothing. True if it ran.

    Also False, nothing run, when the app's loop has stopped while the worker read."""
    app = node.app
    ran = False

    def land() -> None:
        nonlocal ran
        if still_shown(node):
            ran = True
            callback(*args, **kwargs)

    if not app.is_running:
        return False
    try:
        app.call_from_thread(land)
    except RuntimeError:
        if ran or app.is_running:
            raise  # the callback's own error, or a fault of the app's loop
        return False  # the app's loop stopped meanwhile: nothing to show it on
    return ran
