"""Command-palette providers: jump to a person, jump to a section.

The people provider searches the database on each keystroke through
``services.people.search_people`` (index range scans, a few milliseconds on 100,000
people), run in a thread so typing never waits for SQLite.
"""

from __future__ import annotations

import asyncio
from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from coordinator_tui.widgets.navbar import SECTIONS


def _nothing() -> None:
    """What a refusal line in the palette does when chosen."""


class PeopleProvider(Provider):
    """Find a person by name ("smith jo"), NHS number (any spacing) or date of birth."""

    async def search(self, query: str) -> Hits:
        app = self.app
        if getattr(app, "engine", None) is None or len(query.strip()) < 2:
            return
        from coordinator_tui.services.errors import CoordinatorError
        from coordinator_tui.services.people import current_register_codes, search_people

        def run() -> tuple[list, dict[int, list[str]]]:
            with app.session() as session:  # type: ignore[attr-defined]
                hits = search_people(session, query, limit=15)
                return hits, current_register_codes(session, [hit.id for hit in hits])

        try:
            hits, registers = await asyncio.to_thread(run)
        except CoordinatorError as exc:
            # The service refused (a homecare role, nobody signed in): its one line, in
            # the palette where the names would have been; choosing it does nothing.
            line = str(exc)
            yield Hit(score=1.0, match_display=Text(line, style="bold red"), command=_nothing)
            return
        for rank, hit in enumerate(hits):
            # One line a person (issue 22 §5): who, and the registers they are on now, so
            # the right record is picked at a glance.
            codes = registers.get(hit.id)
            text = f"{hit.label}  [{' '.join(codes)}]" if codes else hit.label
            yield Hit(
                score=1.0 - rank / 100,
                match_display=Text(text),
                command=partial(app.open_person, hit.id),  # type: ignore[attr-defined]
                text=text,
            )


class SectionsProvider(Provider):
    """Go to any top-level section by name, and the commands usable from anywhere.

    The app's palette holds only the app's own commands: Textual's system commands
    (Screenshot writes the screen, patient details included, to a file; Maximize, Keys)
    are not offered on a practice PC (``CoordinatorApp.COMMANDS`` leaves them out)."""

    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        commands: list[tuple[str, object, str]] = [
            (f"Go to {label}", partial(app.switch_mode, mode), f"Key {key}")
            for mode, label, key in SECTIONS
        ]
        commands.append(
            (
                "Log a safeguarding concern",
                app.open_concern_intake,  # type: ignore[attr-defined]
                "Quick-add a concern raised by a clinician or staff member",
            )
        )
        commands.append(
            (
                "Log an incident",
                app.action_log_incident,  # type: ignore[attr-defined]
                "Key f4: a fall, a medication error, a missed visit... from anywhere",
            )
        )
        commands.append(
            (
                "Browse all people",
                app.open_people,  # type: ignore[attr-defined]
                "Every registered person, A to Z; / to narrow",
            )
        )
        commands.extend(app.account_commands())  # type: ignore[attr-defined]  # issue 17
        commands.append(("Help for this screen", app.action_help, "Key ? or f1"))  # type: ignore[attr-defined]
        commands.append(("Change the colour theme", app.action_change_theme, "Light, dark..."))
        commands.append(("Quit", app.action_quit, "Key ctrl+q"))
        return commands

    async def discover(self) -> Hits:
        for text, command, help_text in self._commands():
            yield DiscoveryHit(text, command, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, help=help_text)  # type: ignore[arg-type]
