"""Issue 23 §2: the people list's first frame painted before Textual has started.

``coordinator-tui people`` signed in from the start (``demo``) paints the list's first
frame from the launcher with the standard library alone (``people_frame``): the rows
read by the stdlib reader, the layout and colours from a template of the app's own first
frame kept from an earlier launch. These hold that what is painted early is exactly the
frame the app then draws (at 80x24 and 120x40, and for rows other than the template's),
that the template holds no one's details, that nothing is painted when it could differ
or the list may not be read, and that the app's first frame draws its rows in colour.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pilot_helpers import wait_for
from sqlmodel import select

from coordinator_tui.app import make_app
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import Person
from coordinator_tui.screens.registers import people_frame
from coordinator_tui.services import access
from coordinator_tui.services.people_quick import QuickPeople
from coordinator_tui.textual_private import full_frame

SIZES = [(80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def _fresh_frame_state(monkeypatch) -> None:
    """No early paint carried over from another test (module state of one process)."""
    monkeypatch.setattr(people_frame, "PAINTED", None)
    monkeypatch.setattr(people_frame, "LAST_CHECK", None)
    monkeypatch.setattr(people_frame, "_EARLY", None)


async def _first_frame(settings, size: tuple[int, int]) -> tuple[str, str]:
    """The app opened on the list as ``coordinator-tui demo people`` opens it: its first
    frame with the rows (as the template is made from it) and, once the database is open
    and every style sheet read, the frame then; after the template is kept."""
    app = make_app(settings, start="people", principal=access.demo_principal())
    frames: list[str] = []
    keep = people_frame.remember

    def remember(frame: str, *args, **kwargs) -> bool:
        kept = keep(frame, *args, **kwargs)
        frames.append(frame)
        return kept

    people_frame.remember = remember  # type: ignore[assignment]
    try:
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: bool(frames) and app.screen.loaded, timeout=60)
            for _ in range(5):
                await pilot.pause()
            later = full_frame(app.screen)
    finally:
        people_frame.remember = keep  # type: ignore[assignment]
    return frames[0], later


def _early(settings, size: tuple[int, int]) -> str | None:
    found = people_frame.early_frame(Path(settings.db), size, settings.theme)
    if found is None:
        return None
    frame, quick = found
    quick.close()
    return frame


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_early_frame_is_the_apps_first_frame(demo_settings, size):
    """A first launch keeps the template; the next launch's early frame is the app's
    first frame to the byte (the app compares them itself: ``LAST_CHECK``); with the top
    rows changed (a person renamed to the top of the list), the early frame from the same
    template is again exactly what the app draws."""
    assert _early(demo_settings, size) is None  # no template yet: nothing painted
    first, later = await _first_frame(demo_settings, size)
    assert first == later  # the first frame is the settled look (rows in colour)
    early = _early(demo_settings, size)
    assert early == first

    people_frame.PAINTED = early
    again, _later = await _first_frame(demo_settings, size)
    assert people_frame.LAST_CHECK == "same" and again == early

    opened = open_database(demo_settings.db)
    try:
        with session_scope(opened.engine, "test.user") as session:
            last = session.exec(select(Person).order_by(Person.id.desc())).first()
            last.family_name, last.given_name = "Aardvark", "Ada"
            last.search_name = "aardvark ada"  # as the services keep it
    finally:
        opened.engine.dispose()
    renamed = _early(demo_settings, size)
    assert renamed is not None and renamed != early and "AARDVARK, Ada" in renamed
    people_frame.PAINTED = renamed
    drawn, _later = await _first_frame(demo_settings, size)
    assert people_frame.LAST_CHECK == "same" and drawn == renamed


async def test_the_template_holds_no_ones_details(demo_settings):
    """The kept template has the layout and colours, not the names, NHS numbers, dates
    of birth or postcodes it was made with, nor the count."""
    first, _later = await _first_frame(demo_settings, (120, 40))
    kept = people_frame._templates_path().read_text(encoding="utf-8")
    (template,) = json.loads(kept).values()
    quick = QuickPeople.open(Path(demo_settings.db))
    assert quick is not None
    try:
        shown = [hit for _key, hit in quick.by_key(None, limit=template["rows"])]
        total = quick.count()
    finally:
        quick.close()
    for hit in shown:
        assert hit.family_name.upper() in first  # on the screen...
        for detail in (hit.family_name.upper(), hit.nhs_number[3:6] + " " + hit.nhs_number[6:]):
            assert detail not in kept  # ...but not in the template
    assert len(shown) > 20 and f"{total:,}" not in kept
    assert oct(people_frame._templates_path().stat().st_mode)[-3:] == "600"


def _set_top_name(settings, given: str, family: str) -> None:
    opened = open_database(settings.db)
    try:
        with session_scope(opened.engine, "test.user") as session:
            last = session.exec(select(Person).order_by(Person.id.desc())).first()
            last.family_name, last.given_name = family, given
            last.search_name = f"{family} {given}".lower()
    finally:
        opened.engine.dispose()


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("Ada", "Aardvark-" + "x" * 60),  # cut with an ellipsis at 80 columns: Rich's to cut
        ("Zoë", "Aabel"),  # not ASCII: Rich's to measure
    ],
    ids=["too long", "not ascii"],
)
async def test_nothing_is_painted_when_a_row_could_be_drawn_otherwise(demo_settings, given, family):
    await _first_frame(demo_settings, (80, 24))
    assert _early(demo_settings, (80, 24)) is not None
    _set_top_name(demo_settings, given, family)
    assert _early(demo_settings, (80, 24)) is None


async def test_nothing_is_painted_for_another_size_or_count(demo_settings):
    await _first_frame(demo_settings, (80, 24))
    assert _early(demo_settings, (80, 24)) is not None
    assert _early(demo_settings, (81, 24)) is None
    assert _early(demo_settings, (80, 25)) is None
    opened = open_database(demo_settings.db)
    try:
        with session_scope(opened.engine, "test.user") as session:
            session.add(
                Person(
                    nhs_number="9999999998",
                    given_name="Yan",
                    family_name="Zed",
                    search_name="zed yan",
                    date_of_birth=date(1950, 1, 1),
                )
            )
    finally:
        opened.engine.dispose()
    assert _early(demo_settings, (80, 24)) is None  # the scroll bar's thumb may differ


def test_no_stdlib_reader_no_early_paint(tmp_path):
    """PostgreSQL (no file) and a file the stdlib cannot read (an encrypted database
    reads as this does: not a database) are never painted early."""
    assert people_frame.early_frame(None, (80, 24), "textual-dark") is None
    scrambled = tmp_path / "encrypted.db"
    scrambled.write_bytes(b"\x8f" * 8192)
    assert people_frame.early_frame(scrambled, (80, 24), "textual-dark") is None


def test_paint_early_asks_for_a_terminal_and_someone_who_may_read(demo_settings, monkeypatch):
    """Not a terminal: nothing. Nobody signed in (the sign-in screen comes first), or a
    role that may not view the registers: nothing either, terminal or not."""
    assert people_frame.paint_early(demo_settings.db, demo_settings.theme, demo=True) is None
    monkeypatch.setattr(people_frame.os, "isatty", lambda _fd: True)
    written: list[bytes] = []
    monkeypatch.setattr(people_frame.os, "write", lambda _fd, data: written.append(data))
    assert people_frame.paint_early(demo_settings.db, demo_settings.theme) is None
    carer = access.make_principal("carer", ["homecare_coordinator"])
    assert not carer.can(access.VIEW_REGISTER)
    assert people_frame.paint_early(demo_settings.db, demo_settings.theme, carer) is None
    assert written == []


def test_the_apps_driver_does_not_enter_the_alternate_screen_twice():
    class Recording:
        def __init__(self) -> None:
            self.written: list[str] = []

        def write(self, data: str) -> None:
            self.written.append(data)

    driver = people_frame.keep_screen(Recording)()
    for data in ("\x1b[?1049h", "\x1b[?25l", "\x1b[?1049h", "x"):
        driver.write(data)
    assert driver.written == ["\x1b[?25l", "\x1b[?1049h", "x"]
