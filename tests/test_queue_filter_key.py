"""Issue 23: one ``/`` key in the review queue to its rows on the screen within 30 ms.

The key's text and its rows go out in one frame (``FilterInput(hold_paint=...)``: a frame
of the text alone put the rows 17-33 ms later); once the search list read since ``/`` is
in, the rows are read on the UI thread (SQLite in WAL mode: a read never waits on a
writer), only those not read at an earlier key of the same search list; and the table
draws a row it has drawn before from its cache. These tests hold each of those to what
the coordinator sees."""

from __future__ import annotations

import html
import re

from pilot_helpers import wait_for
from rich.style import Style
from rich.text import Text
from sqlmodel import select
from test_registers_app import app, open_queue, seeded  # noqa: F401 (fixtures)
from textual.app import App, ComposeResult
from textual.widgets import Static

from coordinator_tui.db import session_scope
from coordinator_tui.models import Person, RegisterEntry
from coordinator_tui.services import registers as reg
from coordinator_tui.widgets.filter_input import FilterInput
from coordinator_tui.widgets.lazy_table import Column, LazyTable, ListSource, Row


def screen_text(running: App) -> str:
    """Everything drawn on the terminal now, as text (the app's own screenshot)."""
    svg = running.export_screenshot()
    svg = re.sub(r"<(style|title)[^>]*>.*?</\1>", "", svg, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def names_on_screen(running: App) -> set[str]:
    return set(re.findall(r"FAMILY\d\d, Kid", screen_text(running)))


def names_in_database(engine, prefix: str) -> set[str]:
    """The people with a register entry whose family name starts with ``prefix`` (the
    fixture's 25 entries are all due within the horizon)."""
    with session_scope(engine, "t") as s:
        families = s.exec(
            select(Person.family_name)
            .join(RegisterEntry, RegisterEntry.person_id == Person.id)
            .where(Person.family_name.startswith(prefix))
        ).all()
    return {f"{family.upper()}, Kid" for family in families}


async def test_each_key_narrows_the_rows_on_screen_to_the_database(app, seeded, monkeypatch):  # noqa: F811
    by_id: list[int] = []
    real_rows = reg.queue_rows

    def counted(session, today, filters, entry_ids):
        by_id.append(len(entry_ids))
        return real_rows(session, today, filters, entry_ids)

    monkeypatch.setattr(reg, "queue_rows", counted)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        threads: list[str] = []
        thread_read = screen._read_queue

        def read_in_thread(filters, text, *args):
            threads.append(text)
            return thread_read(filters, text, *args)

        screen._read_queue = read_in_thread
        assert names_on_screen(app) == names_in_database(seeded, "Family")  # all 25

        before = screen.source
        await pilot.press("slash", "f")  # waits for the search list, read since "/"
        await wait_for(pilot, lambda: screen.source is not before)
        await pilot.press(*"amily1")
        wanted = names_in_database(seeded, "Family1")
        assert len(wanted) == 10
        await wait_for(pilot, lambda: names_on_screen(app) == wanted)
        assert "10 due of 25" in screen_text(app)
        # The first key went to a thread only if the search list read since "/" was not
        # in yet (it waits for it there); the next ones did not.
        first = list(threads)
        assert first in ([], ["f"])
        assert by_id[0] == 25  # "f": the page shown, by id; later keys: only new rows
        assert sum(by_id[1:]) == 0  # "family1"'s rows were all read at "f"

        await pilot.press("2")
        await wait_for(pilot, lambda: names_on_screen(app) == {"FAMILY12, Kid"})
        assert names_on_screen(app) == names_in_database(seeded, "Family12")
        assert threads == first and sum(by_id[1:]) == 0
        box = screen.query_one(FilterInput)
        await wait_for(pilot, lambda: not box.holding)  # let go with the rows, not held on

        await pilot.press("escape")  # cleared: the whole queue again, read in a thread
        await wait_for(pilot, lambda: names_on_screen(app) == names_in_database(seeded, "F"))
        assert threads == [*first, ""]


async def test_a_saved_change_is_shown_when_the_filter_is_typed_again(app, seeded):  # noqa: F811
    """Rows kept from key to key belong to one search list: after a reload (here F5
    after a colleague's change) the next ``/`` reads the rows again, not the kept ones."""
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, app)
        await pilot.press("slash", *"family12")
        await wait_for(pilot, lambda: names_on_screen(app) == {"FAMILY12, Kid"})
        assert "MED" in screen_text(app)
        with session_scope(seeded, "colleague") as s:
            family12 = s.exec(
                select(RegisterEntry).join(Person).where(Person.family_name == "Family12")
            ).one()
            family12.risk_level = "high"
            s.add(family12)
        await pilot.press("escape", "f5")
        await wait_for(pilot, lambda: len(screen.shown_rows) == 25)
        await pilot.press("slash", *"family1", "2")
        await wait_for(
            pilot,
            lambda: (
                names_on_screen(app) == {"FAMILY12, Kid"}
                and [r.risk_level for r in screen.shown_rows] == ["high"]
            ),
        )
        assert "HIGH" in screen_text(app)


class OneFilter(App[None]):
    """A filter box whose screen says rows are on their way (``on_value`` returns True)."""

    def __init__(self, hold: float) -> None:
        super().__init__()
        self.hold = hold
        self.seen: list[str] = []

    def compose(self) -> ComposeResult:
        yield FilterInput(self.asked, hold_paint=self.hold, id="f")
        yield Static("rows", id="rows")

    def asked(self, text: str) -> bool:
        self.seen.append(text)
        return text not in ("", "x")  # "x" and no text: nothing asked for, nothing held


async def test_the_text_waits_for_its_rows_until_they_are_shown():
    ui = OneFilter(hold=30.0)
    async with ui.run_test() as pilot:
        box = ui.query_one(FilterInput)
        box.focus()
        await pilot.press("a")
        assert box.holding  # the frame with "a" waits for the rows
        await pilot.press("b")  # a second key while held: still one hold
        assert box.holding and ui.seen == ["a", "ab"]
        box.rows_shown()
        assert not box.holding
        box.rows_shown()  # twice is harmless
        await pilot.press("ctrl+u", "x")
        assert ui.seen[-1] == "x" and not box.holding
        await pilot.press("c")
        assert box.holding
        await box.remove()  # a box that goes lets go of the frames
        assert not box.holding
        ui.query_one("#rows", Static).update("after")
        await pilot.pause()
        assert "after" in screen_text(ui)


async def test_the_text_is_painted_alone_after_the_limit():
    ui = OneFilter(hold=0.05)
    async with ui.run_test() as pilot:
        box = ui.query_one(FilterInput)
        box.value = "a"  # as a key does, without waiting for anything
        assert box.holding
        await wait_for(pilot, lambda: not box.holding, timeout=30)
        assert ui.seen == ["a"]


async def test_a_plain_filter_input_holds_nothing():
    """``hold_paint`` is off unless asked for (the meetings triage filter)."""

    class Plain(App[None]):
        def compose(self) -> ComposeResult:
            yield FilterInput(lambda _text: True, id="f")

    ui = Plain()
    async with ui.run_test() as pilot:
        ui.query_one(FilterInput).focus()
        await pilot.press("a")
        assert not ui.query_one(FilterInput).holding


# -- the table's drawing ------------------------------------------------------------------


class OneTable(App[None]):
    def __init__(self, rows: list[Row]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield LazyTable([Column("Status", 9), Column("Name")], ListSource(self.rows))


def cells(strip) -> list[tuple[str, Style | None]]:
    """A drawn line as (text, style) pairs, adjacent ones of one style joined."""
    joined: list[tuple[str, Style | None]] = []
    for segment in strip:
        if joined and joined[-1][1] == segment.style:
            joined[-1] = (joined[-1][0] + segment.text, segment.style)
        else:
            joined.append((segment.text, segment.style))
    return joined


async def test_a_one_style_cell_is_drawn_as_rich_draws_it():
    """A status cell of one style (no spans) skips Rich's Text machinery: the same text
    and styles as the same cell drawn through it (made with a span), cut or not."""
    rows = [
        Row(0, ("cursor", "here")),
        Row(1, (Text("OVERDUE", style="bold red"), "SMITH, Ann")),
        Row(2, (Text.assemble(("OVERDUE  ", "bold red")), "SMITH, Ann")),  # padded: 9
        Row(3, (Text("ESCALATED NOW", style="bold magenta"), "JONES, Bo")),
        Row(4, (Text.assemble(("ESCALATED NOW", "bold magenta")), "JONES, Bo")),
    ]
    ui = OneTable(rows)
    async with ui.run_test(size=(40, 10)):
        table = ui.query_one(LazyTable)
        assert cells(table.render_line(2)) == cells(table.render_line(3))
        assert cells(table.render_line(4)) == cells(table.render_line(5))
        assert "ESCALATE… JONES, Bo" in "".join(t for t, _s in cells(table.render_line(4)))


async def test_a_row_drawn_before_is_drawn_again_only_when_it_changes():
    first = Row(1, ("due", "SMITH, Ann"))
    ui = OneTable([Row(0, ("due", "JONES, Bo")), first])
    async with ui.run_test(size=(40, 10)) as pilot:
        table = ui.query_one(LazyTable)
        drawn = table.render_line(2)
        assert table.render_line(2) is drawn  # the same row object: from the cache
        # The same row in a new source (as the queue hands it on from key to key).
        table.set_source(ListSource([Row(2, ("due", "BROWN, Cy")), first]))
        assert table.render_line(2) is drawn
        table.cursor_row = 1  # the cursor on it: drawn again, highlighted
        await pilot.pause()
        highlighted = table.render_line(2)
        assert highlighted is not drawn
        assert cells(highlighted) != cells(drawn)
        # A new row object for the same entry (read again after a save): drawn anew.
        table.set_source(ListSource([Row(2, ("due", "BROWN, Cy")), Row(1, ("OVERDUE", "X"))]))
        assert "OVERDUE" in "".join(t for t, _s in cells(table.render_line(2)))


async def test_after_repaint_runs_once_the_table_has_handed_its_repaint_over():
    """The filter box lets go of the frames from here (not when the rows are set), so
    the frame that follows has them: once, after the table's next idle."""
    ui = OneTable([Row(0, ("due", "JONES, Bo"))])
    async with ui.run_test(size=(40, 10)) as pilot:
        table = ui.query_one(LazyTable)
        called: list[int] = []
        table.set_source(ListSource([Row(1, ("due", "BROWN, Cy"))]))
        table.after_repaint(lambda: called.append(len(called)))
        assert called == []  # not while the rows are being set
        await wait_for(pilot, lambda: called == [0])
        await pilot.pause()
        assert called == [0]  # once
        assert "BROWN, Cy" in screen_text(ui)
