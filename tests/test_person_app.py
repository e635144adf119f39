"""The person record's first frame: the record itself when the data comes quickly, the
loading line first when it does not (a slow shared database), then the record."""

from __future__ import annotations

import re
import time

from pilot_helpers import wait_for

from coordinator_tui.app import make_app
from coordinator_tui.screens.person import PersonScreen
from coordinator_tui.screens.registers import RegistersScreen

_ESCAPES = re.compile(r"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b.")


def record_frames(app) -> list[str]:
    """The text of every frame the app paints of a person record from now on."""
    frames: list[str] = []
    display = app._display

    def recording(screen, renderable) -> None:
        display(screen, renderable)
        if isinstance(screen, PersonScreen) and hasattr(renderable, "render_segments"):
            frames.append(_ESCAPES.sub("", renderable.render_segments(app.console)))

    app._display = recording
    return frames


async def open_first_person(pilot, app) -> PersonScreen:
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen) and app.screen.loaded)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, PersonScreen) and app.screen.loaded)
    await pilot.pause()
    return app.screen


async def test_first_frame_is_the_record(demo_settings, small_demo_engine):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        frames = record_frames(app)
        person = await open_first_person(pilot, app)
        name = person.summary.display_name
        assert frames and name in frames[0]
        assert not any("Loading…" in frame for frame in frames)


async def test_slow_data_shows_loading_first(demo_settings, small_demo_engine, monkeypatch):
    from coordinator_tui.services import people

    summary = people.person_summary

    def slow_summary(session, person_id):
        time.sleep(0.3)  # well past the 50 ms the first frame waits
        return summary(session, person_id)

    monkeypatch.setattr(people, "person_summary", slow_summary)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        frames = record_frames(app)
        person = await open_first_person(pilot, app)
        name = person.summary.display_name
        assert "Loading…" in frames[0] and name not in frames[0]
        assert name in frames[-1]
