"""Command-palette providers: jump to a person, jump to a section.

The people provider searches the database on each keystroke through
``services.people.search_people`` (index range scans, a few milliseconds on 100,000
people), run in a thread so typing never waits for SQLite.
"""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from coordinator_tui.widgets.navbar import SECTIONS


class PeopleProvider(Provider):
    """Find a person by name ("smith jo"), NHS number (any spacing) or date of birth."""

    async def search(self, query: str) -> Hits:
        app = self.app
        if getattr(app, "engine", None) is None or len(query.strip()) < 2:
            return
        from coordinator_tui.services.people import search_people

        def run() -> list:
            with app.session() as session:  # type: ignore[attr-defined]
                return search_people(session, query, limit=15)

        hits = await asyncio.to_thread(run)
        for rank, hit in enumerate(hits):
            yield Hit(
                score=1.0 - rank / 100,
                match_display=f"Person: {hit.label}",
                command=partial(app.open_person, hit.id),  # type: ignore[attr-defined]
                text=f"Person: {hit.label}",
                help="Open the person record",
            )


class SectionsProvider(Provider):
    """Go to any top-level section by name, and the commands usable from anywhere."""

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
                "Browse all people",
                app.open_people,  # type: ignore[attr-defined]
                "Every registered person, A to Z; / to narrow",
            )
        )
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
