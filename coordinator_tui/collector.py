"""Python's cyclic garbage collector paused around bulk work that makes no cycles.

A bulk read or build (a rota week of 10,000 visits, a clinical system's export, the demo)
allocates tens of thousands to millions of tuples, lists and small objects that hold no
reference cycles and live as long as the result. The collector runs every 700 new
container objects and, every so often, walks every live object in the process again: at
ten times the large demo that is a third of the demo build's CPU, 0.6 s of the coding
audit's import and up to 30 ms of a 70 ms rota week load (issue 23). Reference counting
still frees everything; pausing only stops the collector looking for cycles that are not
there, and it looks again once the work is done.

:func:`paused_collection` is one mechanism for all of them. Pauses nest and may overlap
across threads (the rota loads its week in a worker while the UI thread runs): the
collector is turned off by the first pause to start and back on by the last to end, and
only if it was on when the first started. The app's start-up hold (``launch.open_app``,
turned back on by the app itself once its database is open) is not one of these: it spans
the app's whole run, so a pause nested in it would never turn the collector off.
"""

from __future__ import annotations

import gc
import threading
from contextlib import ContextDecorator

_lock = threading.Lock()
_depth = 0
_resume = False


class paused_collection(ContextDecorator):  # noqa: N801 - used as a context manager and decorator
    """``with paused_collection(): ...`` or ``@paused_collection()``: the cyclic collector
    off for the block (see the module's docstring)."""

    def __enter__(self) -> paused_collection:
        global _depth, _resume
        with _lock:
            if _depth == 0:
                _resume = gc.isenabled()
                gc.disable()
            _depth += 1
        return self

    def __exit__(self, *exc: object) -> bool:
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
        return False
