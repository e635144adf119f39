"""Typing into the snooze dialog's date field (issue 23 §2): the dialog holds still.

The line under the date field says what was understood, and its longest messages (a text
that is not a date, echoed back with examples) used to wrap to two lines: the dialog grew
and, centred, jumped a line up and down while the coordinator typed. The line is now one
line, cut with "…", so the dialog's region and the field's place never change between
keys; and a key only repaints that line: no layout asked for by the status, no
stylesheet re-applied to the field.

Snapshots of the dialog with the longest message at 80x24 and 120x40: after an intended
change of look, ``pytest tests/test_snooze_typing.py --snapshot-update`` and review the
SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, Static

from coordinator_tui.app import make_app
from coordinator_tui.widgets.date_input import DateInput
from tests.pilot_helpers import wait_for

# Each prefix of this is typed, key by key: a bank holiday ("25/12/26": the longest line of
# a date understood), then a text that is not a date, echoed in the longest message of all
# ("Could not read '25/12/26 after lunch please' as a date: try today, +3d, ...").
TYPED = "25/12/26 after lunch please"
SIZES = [(80, 24), (120, 40)]
IDS = [f"{w}x{h}" for w, h in SIZES]


@pytest.fixture(autouse=True)
def _home_at_noon(monkeypatch):
    """Home's counts at noon on the pinned date, whatever the hour the suite runs."""
    from coordinator_tui.settings import NOW_ENV

    monkeypatch.setenv(NOW_ENV, "12:00")


def _loaded(pilot) -> bool:
    screen = pilot.app.screen
    return bool(getattr(screen, "loaded", True)) and getattr(screen, "counts", True) is not None


async def _snooze_dialog(pilot) -> DateInput:
    """``2`` to the review queue, ``s`` on its first entry: the dialog, its date field
    focused."""
    app = pilot.app
    await wait_for(pilot, lambda: _loaded(pilot), timeout=60)
    await pilot.press("2")
    await wait_for(
        pilot,
        lambda: type(app.screen).__name__ != "HomeScreen" and _loaded(pilot),
        timeout=60,
    )
    await pilot.press("s")
    await wait_for(
        pilot,
        lambda: (
            type(app.screen).__name__ == "FormDialog"
            and isinstance(app.screen.focused, Input)
            and isinstance(app.screen.focused.parent, DateInput)
        ),
        timeout=60,
    )
    await pilot.pause()
    field = app.screen.focused.parent
    assert isinstance(field, DateInput)
    return field


def _places(field: DateInput) -> dict[str, Any]:
    """Where the dialog, the field and its status line are on the screen."""
    return {
        "dialog": field.screen.query_one("#form-box").region,
        "date field": field.region,
        "input": field.query_one(Input).region,
        "status": field.query_one(".date-status", Static).region,
    }


async def _type_into(pilot, field: DateInput, text: str) -> None:
    """Type ``text`` key by key after what the field holds, each key until the field
    shows it (no sleeps)."""
    for key in text:
        wanted = field.text + key
        await pilot.press("space" if key == " " else key)
        await wait_for(pilot, lambda w=wanted: field.text == w)
        await pilot.pause()


async def test_the_dialog_holds_still_while_a_date_is_typed(demo_settings, small_demo_engine):
    """Issue 23 §2: at every key of a date with the longest messages, the dialog's region,
    the field's and its status line's are those before the first key; the status is one
    line, cut with "…" when longer than the dialog is wide."""
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        field = await _snooze_dialog(pilot)
        before = _places(field)
        assert before["status"].height == 1
        status = field.query_one(".date-status", Static)
        shown: dict[str, str] = {}
        for end in range(1, len(TYPED) + 1):
            await _type_into(pilot, field, TYPED[end - 1])
            assert field.text == TYPED[:end]
            assert _places(field) == before, f"moved at {TYPED[:end]!r}"
            shown[field.text] = str(status.render())
        assert shown["25/12/26"] == "✓ Fri 25 Dec 2026 · bank holiday (Christmas Day)"
        assert field.value is None and "Could not read" in field.error
        # The whole message would not fit: what is shown is its start, on one line.
        assert len(f"✗ {field.error}") > before["status"].width
        line = "".join(segment.text for segment in status.render_line(0)).rstrip()
        assert line.startswith("✗ Could not read '25/12/26 after")
        assert line.endswith("…")


async def test_a_key_repaints_only_the_status_line(demo_settings, small_demo_engine, monkeypatch):
    """Per key the status line is repainted without a layout (its height is fixed), is left
    alone when its text does not change, and the field's error class changes without
    re-applying the stylesheet to the field and its children (issue 23: these were most
    of a key's cost in the dialog beyond a bare Input)."""
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        field = await _snooze_dialog(pilot)
        status = field.query_one(".date-status", Static)
        layouts: list[str] = []
        restyled: list[Any] = []
        updates: list[str] = []

        original_refresh = status.refresh

        def refresh(*regions: Any, **kwargs: Any) -> Any:
            if kwargs.get("layout"):
                layouts.append(field.text)
            return original_refresh(*regions, **kwargs)

        original_update = status.update

        def update(content: Any = "", **kwargs: Any) -> None:
            updates.append(str(content))
            original_update(content, **kwargs)

        original_styles = app.update_styles

        def update_styles(node: Any, animate: bool = True) -> None:
            if node is field:
                restyled.append(field.text)
            original_styles(node, animate=animate)

        monkeypatch.setattr(status, "refresh", refresh)
        monkeypatch.setattr(status, "update", update)
        monkeypatch.setattr(app, "update_styles", update_styles)

        # "3" and "3/" say the same thing but for the echo; "3/1" is a date (valid: the
        # class goes), "3/12/" is not (it comes back), "3/12/2" is not either.
        await _type_into(pilot, field, "3/12/2")
        assert layouts == []
        assert restyled == []
        assert len(updates) == len(set(updates))  # a line is never re-sent unchanged
        assert field.has_class("-invalid")  # the marker is still kept
        assert field.styles.height is not None and field.styles.height.cells == DateInput.HEIGHT
        # The error's colour comes with its text: the theme's error colour, not muted.
        first = next(seg for seg in status.render_line(0) if seg.text.strip())
        assert first.text.startswith("✗")
        assert first.style is not None and first.style.color is not None
        error_colour = app.theme_variables["text-error"].lower()
        assert first.style.color.get_truecolor().hex.lower() == error_colour
        await _type_into(pilot, field, "6")
        assert field.value is not None and not field.has_class("-invalid")
        assert str(status.render()).startswith("✓ Thu 3 Dec 2026")

        # The status is read as the Input's value changes, in the same handling (no
        # message hop): its repaint joins the typed character's frame, not the next one.
        field.query_one(Input).value = "4/12/26"
        assert field.text == "4/12/26" and str(status.render()).startswith("✓ Fri 4 Dec 2026")
        changed: list[Any] = []
        post = field.post_message

        def record(message: Any) -> bool:
            if isinstance(message, DateInput.Changed):
                changed.append(message)
            return post(message)

        monkeypatch.setattr(field, "post_message", record)
        field.query_one(Input).value = "5/12/26"
        assert len(changed) == 1  # posted at once
        await pilot.pause()
        await pilot.pause()
        assert len(changed) == 1  # the Input's own Changed, handled later, adds nothing


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_snapshot_snooze_dialog_with_the_longest_message(
    snap_compare, demo_settings, small_demo_engine, size
):
    """The snooze dialog with the longest message under the date field: one line, "…"."""
    app = make_app(demo_settings, small_demo_engine)

    async def typed(pilot) -> None:
        field = await _snooze_dialog(pilot)
        await _type_into(pilot, field, TYPED)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=typed)
