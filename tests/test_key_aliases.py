"""Keys that terminals eat, and a screen without colour (issue 20 §1).

Windows Terminal, conhost and PuTTY take some keys for themselves: ctrl+s (XOFF in some),
ctrl+enter and ctrl+j (sent as a plain enter or newline), alt+letters (menus). Every
binding of the app on one of those must have an F-key or plain-key alias for the same
action on the same screen or widget. ``NO_COLOR`` must leave a screen that still says
everything: Textual then draws in greys only, and statuses are words, not colours.
"""

from __future__ import annotations

import html
import importlib
import inspect
import pkgutil
import re

import pytest
from textual.binding import Binding
from textual.dom import DOMNode

import coordinator_tui
from coordinator_tui.app import make_app
from coordinator_tui.screens.registers.queue import RegistersScreen
from tests.pilot_helpers import wait_for

EATEN = re.compile(r"^(ctrl\+s|ctrl\+enter|ctrl\+j|alt\+[a-z0-9])$")
UI_PACKAGES = ("coordinator_tui.app", "coordinator_tui.commands", "coordinator_tui.screens")
UI_PACKAGES += ("coordinator_tui.widgets",)


def _alias(key: str) -> bool:
    """An F-key, or a key with no ctrl or alt (a terminal passes those through)."""
    return bool(re.fullmatch(r"f\d{1,2}", key)) or not re.search(r"(ctrl|alt|meta)\+", key)


def _ui_classes() -> list[type[DOMNode]]:
    """Every screen, widget and app class the package defines."""
    found: dict[str, type[DOMNode]] = {}
    for module in pkgutil.walk_packages(coordinator_tui.__path__, "coordinator_tui."):
        if not module.name.startswith(UI_PACKAGES):
            continue
        loaded = importlib.import_module(module.name)
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, DOMNode) and cls.__module__ == loaded.__name__:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[name] for name in sorted(found)]


def _keys_by_action(cls: type[DOMNode]) -> dict[str, set[str]]:
    """The keys bound to each action of ``cls``, its bases' bindings included."""
    keys: dict[str, set[str]] = {}
    for klass in reversed(cls.__mro__):
        for binding in klass.__dict__.get("BINDINGS", []):
            if not isinstance(binding, Binding):
                binding = Binding(*binding)
            for key in binding.key.split(","):
                keys.setdefault(binding.action, set()).add(key.strip())
    return keys


def test_every_key_a_terminal_may_eat_has_an_f_key_or_plain_alias() -> None:
    classes = _ui_classes()
    assert len(classes) > 50  # the walk found the package's screens and widgets
    eaten_seen = 0
    missing = []
    for cls in classes:
        for action, keys in _keys_by_action(cls).items():
            if any(EATEN.match(key) for key in keys):
                eaten_seen += 1
                if not any(_alias(key) for key in keys):
                    missing.append(f"{cls.__module__}.{cls.__qualname__}: {action} {keys}")
    assert eaten_seen > 0  # ctrl+s saves the forms: the rule was checked somewhere
    assert missing == []


def test_the_form_dialog_saves_with_f2_too() -> None:
    from coordinator_tui.screens.form_dialog import FormDialog

    assert {"ctrl+s", "f2"} <= _keys_by_action(FormDialog)["save"]


FILL = re.compile(r'fill="#([0-9a-fA-F]{6})"')
SVG_CHROME = {"ff5f57", "febc2e", "28c840", "c5c8c6"}
"""The screenshot's window buttons and its template's default text colour, not the app's."""


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_no_color_draws_greys_only_and_statuses_as_words(
    demo_settings, small_demo_engine, monkeypatch, size: tuple[int, int]
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.screen.counts is not None)
        await pilot.press("2")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, RegistersScreen)
                and app.screen.loaded
                and bool(app.screen.shown_rows)
            ),
        )
        await pilot.pause()
        svg = app.export_screenshot()
    assert app.no_color
    colours = {value.lower() for value in FILL.findall(svg)} - SVG_CHROME
    assert colours, "the screenshot has no fills to check"
    coloured = {c for c in colours if not c[0:2] == c[2:4] == c[4:6]}
    assert coloured == set(), "NO_COLOR left colours on the screen"
    text = html.unescape(svg).replace("\xa0", " ")
    assert "Review queue" in text
    # Each row's status is a word (OVERDUE, due, HA LATE, ⚑ ESC), not a colour.
    assert re.search(r"OVERDUE|HA LATE|ESC|\bdue\b", text)
