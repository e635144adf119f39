"""A one-key write whose screen is closed while the write runs (issue 12 §2): the write
still lands in its thread, so the app says so once, or says it was refused; the
coordinator is not left to guess whether to do it again."""

from __future__ import annotations

import threading

from pilot_helpers import wait_for
from textual.app import App
from textual.screen import Screen
from textual.widgets import Static

from coordinator_tui.screens.background_write import SAVED_AFTER_CLOSE, BackgroundWrites
from coordinator_tui.screens.type_ahead import PassesStrayKeys
from coordinator_tui.services.errors import ConflictError


class Writing(BackgroundWrites, PassesStrayKeys, Screen):
    SAVING_LINE = "#line"

    def compose(self):
        yield Static("", id="line")


class Host(App):
    def __init__(self) -> None:
        super().__init__()
        self.said: list[str] = []

    def notify(self, message, **kwargs) -> None:  # noqa: ANN001, ANN003
        self.said.append(str(message))
        super().notify(message, **kwargs)


async def _closed_mid_write(outcome) -> list[str]:  # noqa: ANN001
    gate = threading.Event()
    written: list[str] = []

    def write() -> str:
        gate.wait(10)
        written.append("done")
        return outcome()

    app = Host()
    async with app.run_test() as pilot:
        screen = Writing()
        await app.push_screen(screen)
        screen.write_in_background(write, lambda _r: app.notify("shown by the screen"))
        await pilot.pause()
        await app.pop_screen()  # closed while the write waits
        await pilot.pause()
        gate.set()
        await wait_for(pilot, lambda: bool(written) and len(app.said) >= 1)
        await pilot.pause()
    return app.said


async def test_a_write_that_lands_after_its_screen_closed_is_said_once():
    said = await _closed_mid_write(lambda: "ok")
    assert said.count(SAVED_AFTER_CLOSE) == 1
    assert "shown by the screen" not in said


async def test_a_write_refused_after_its_screen_closed_says_not_saved():
    def refused() -> str:
        raise ConflictError("Refused: someone changed this record")

    said = await _closed_mid_write(refused)
    assert said == ["Not saved: Refused: someone changed this record"]
