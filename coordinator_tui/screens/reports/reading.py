"""How a report screen reads its report in a worker thread, and says a refusal.

Every report (KPI pack, themes and a theme's records, CQC evidence, the PCN report) is
built by one service call in a worker thread; the role may not be allowed to run it
(issue 17), and the database may fail. Each screen said so in the same ten lines; they
are here once, so a report screen added later says a refusal and a failure as the others
do: a refusal in the summary's one line (the screen has nothing else to show), any other
failure as a notification (what was on screen stays).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

from rich.text import Text
from textual.widgets import Static

from coordinator_tui.services.access import NotPermittedError
from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.widgets.from_worker import call_from_worker

T = TypeVar("T")


class ReportReading:
    """Mixin for a report screen (before ``CoordinatorScreen`` in its bases, as
    ``BackgroundWrites``): ``read_report`` in its worker, ``refused`` on its thread.

    ``SUMMARY_ID`` names the ``Static`` holding the screen's summary line, where a refusal
    is said; ``loaded`` is set then, as ``show`` sets it (the tests wait on it)."""

    SUMMARY_ID: ClassVar[str] = ""

    def read_report(
        self,
        build: Callable[[], T],
        show: Callable[[T], object],
        errors: tuple[type[Exception], ...] = (CoordinatorError,),
    ) -> None:
        """In a worker thread: ``build()`` the report and ``show`` it on the app's thread;
        a refusal is said in the summary line, another of ``errors`` as a notification
        (a practice's own reference data, for one, can fail to read)."""
        try:
            report = build()
        except NotPermittedError as exc:  # issue 17: the role may not run it
            call_from_worker(self, self.refused, str(exc))
            return
        except errors as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        call_from_worker(self, show, report)

    def refused(self, message: str) -> None:
        """A refusal (issue 17: the role may not run it) in the summary's one line."""
        self.query_one(f"#{self.SUMMARY_ID}", Static).update(Text(message, style="bold red"))
        self.loaded = True
