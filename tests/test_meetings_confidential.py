"""Confidentiality flags in the minutes and the record entries (issue 15 section 2): a
line flagged ``[confidential]``, ``[third party]`` or ``[not for disclosure]`` is marked
in the INTERNAL minutes and the record entry, and withheld from the minutes that leave
the practice (Markdown and Word); a "not for disclosure" line is withheld from the record
entry too, and a flagged entry starts with the instruction to hide it from online
record access."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import wait_for
from test_meetings_services import TODAY, docx_text, running, world  # noqa: F401 (fixtures)

from coordinator_tui.db import session_scope
from coordinator_tui.services.meetings import confidential, minutes, minuting

SECRETS = {
    "confidential": "Mother disclosed to the GP that the partner has a knife",
    "third_party": "Her brother was released from prison last week",
    "not_for_disclosure": "Police operation under way, do not share",
}


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("[confidential] x", "confidential"),
        ("[C] x", "confidential"),
        ("  - [third party] x", "third_party"),
        ("[Third-Party] x", "third_party"),
        ("[3p] x", "third_party"),
        ("[not for disclosure] x", "not_for_disclosure"),
        ("[NFD] x", "not_for_disclosure"),
        ("x [confidential]", None),  # only at the start of the line
        ("[private] x", None),
        ("plain", None),
    ],
)
def test_line_flags(line: str, key: str | None) -> None:
    flag = confidential.line_flag(line)
    assert (flag.key if flag else None) == key


def test_f7_cycles_a_lines_flag() -> None:
    line, seen = "  - knife in the house", []
    for _ in range(4):
        line, flag = confidential.cycle_flag(line)
        seen.append((line, flag.key if flag else None))
    assert seen == [
        ("  - [confidential] knife in the house", "confidential"),
        ("  - [third party] knife in the house", "third_party"),
        ("  - [not for disclosure] knife in the house", "not_for_disclosure"),
        ("  - knife in the house", None),
    ]
    assert confidential.cycle_flag("[nfd] x") == ("x", None)


def test_each_version_of_a_text() -> None:
    text = "Seen at home.\n[c] knife\n[3p] brother\n[nfd] operation\nPlan agreed."
    assert confidential.for_circulation(text) == (
        "Seen at home.\n[withheld: confidential]\n[withheld: third-party information]\n"
        "[withheld: not for disclosure]\nPlan agreed."
    )
    assert confidential.for_internal(text) == (
        "Seen at home.\n[CONFIDENTIAL] knife\n[THIRD PARTY] brother\n"
        "[NOT FOR DISCLOSURE: safeguarding team only] operation\nPlan agreed."
    )
    assert confidential.for_record(text) == (
        "Seen at home.\n[CONFIDENTIAL] knife\n[THIRD PARTY] brother\n"
        "[withheld: not for disclosure]\nPlan agreed.",
        True,
    )
    assert confidential.for_record("Plan agreed.") == ("Plan agreed.", False)
    assert confidential.for_record("[nfd] operation") == ("[withheld: not for disclosure]", False)


@pytest.fixture
def flagged(engine, running):  # noqa: F811 (the fixture imported above)
    """December's meeting finished, its first item's notes, a decision and an action
    carrying each flag; the second item's notes unflagged."""
    with session_scope(engine, "t") as s:
        rows = minuting.minuting_items(s, running.december)
        first, second = rows[0], rows[1]
        minuting.save_notes(
            s,
            first.id,
            "Seen at home, children well.\n"
            f"[confidential] {SECRETS['confidential']}\n"
            f"[3p] {SECRETS['third_party']}",
        )
        minuting.add_decision(s, first.id, f"[nfd] {SECRETS['not_for_disclosure']}")
        minuting.add_decision(s, first.id, "Continue the plan")
        minuting.add_action_line(s, first.id, "HV +2w [c] check the knife was removed", today=TODAY)
        minuting.save_notes(s, second.id, "Attending school.")
        minuting.finish_meeting(s, running.december)
    return running, first, second


def test_external_minutes_hold_no_flagged_text(engine, flagged, tmp_path: Path) -> None:
    running_world, first, _ = flagged
    with session_scope(engine, "t") as s:
        out = {}
        for fmt in ("md", "docx"):
            out[fmt] = minutes.export_minutes(s, running_world.december, fmt, tmp_path / f"m.{fmt}")
            out[f"internal-{fmt}"] = minutes.export_minutes(
                s, running_world.december, fmt, tmp_path / f"m.{fmt}", internal=True
            )
    for fmt in ("md", "docx"):
        external = out[fmt].read_text() if fmt == "md" else docx_text(out[fmt])
        for secret in [*SECRETS.values(), "check the knife was removed"]:
            assert secret not in external, (fmt, secret)
        assert "[withheld: confidential]" in external
        assert "[withheld: third-party information]" in external
        assert "[withheld: not for disclosure]" in external
        assert "Seen at home, children well." in external and "Continue the plan" in external
        internal = out[f"internal-{fmt}"]
        text = internal.read_text() if fmt == "md" else docx_text(internal)
        assert f"[CONFIDENTIAL] {SECRETS['confidential']}" in text
        assert f"[THIRD PARTY] {SECRETS['third_party']}" in text
        assert f"[NOT FOR DISCLOSURE: safeguarding team only] {SECRETS['not_for_disclosure']}" in (
            text
        )
        assert "[CONFIDENTIAL] check the knife was removed" in text


def test_record_entries_mark_and_withhold(engine, flagged) -> None:
    running_world, first, second = flagged
    with session_scope(engine, "t") as s:
        entries = {e.person_id: e for e in minutes.record_entries(s, running_world.december)}
    entry = entries[first.person_id]
    assert entry.text.startswith(minutes.HIDE_ONLINE) and entry.hide_online
    assert f"[CONFIDENTIAL] {SECRETS['confidential']}" in entry.text
    assert f"[THIRD PARTY] {SECRETS['third_party']}" in entry.text
    assert SECRETS["not_for_disclosure"] not in entry.text
    assert "[withheld: not for disclosure]" in entry.text
    assert "[CONFIDENTIAL] check the knife was removed" in entry.text
    plain = entries[second.person_id]
    assert "Attending school." in plain.text
    assert not any(secret in plain.text for secret in SECRETS.values())


async def test_the_record_entries_screen_shows_the_flags(engine, flagged, db_path) -> None:
    from textual.widgets import OptionList, TextArea

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.meetings.entries import RecordEntriesScreen
    from coordinator_tui.settings import load_settings

    running_world, first, _ = flagged
    app = make_app(load_settings(str(db_path)), engine)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(RecordEntriesScreen(running_world.december))
        await wait_for(
            pilot, lambda: isinstance(app.screen, RecordEntriesScreen) and app.screen.loaded
        )
        screen = app.screen
        index = next(i for i, e in enumerate(screen.entries) if e.person_id == first.person_id)
        screen.query_one(OptionList).highlighted = index
        await pilot.pause()
        shown = screen.query_one(TextArea).text
        assert f"[CONFIDENTIAL] {SECRETS['confidential']}" in shown
        assert SECRETS["not_for_disclosure"] not in shown
        option = screen.query_one(OptionList).get_option_at_index(index)
        assert "hide from online access" in str(option.prompt)


def test_a_flagged_decision_reaches_the_chronology_with_its_flag(engine, flagged) -> None:
    from sqlmodel import select

    from coordinator_tui.models import ChronologyEntry

    _, first, _ = flagged
    with session_scope(engine, "t") as s:
        texts = list(
            s.exec(
                select(ChronologyEntry.text).where(
                    ChronologyEntry.person_id == first.person_id,
                    ChronologyEntry.source_table == "decision",
                )
            )
        )
    expected = f"[NOT FOR DISCLOSURE: safeguarding team only] {SECRETS['not_for_disclosure']}"
    assert any(text.endswith(expected) for text in texts), texts


async def test_f7_while_minuting_flags_the_line_and_the_export_withholds_it(
    demo_settings, small_demo_engine, tmp_path: Path
) -> None:
    """Type two lines, ``f7`` on the second: it is saved flagged; the minutes exported to
    circulate hold the first line and not the second, the INTERNAL ones both."""
    from textual.widgets import TextArea

    from coordinator_tui.app import make_app
    from coordinator_tui.screens.meetings.minuting import MinutingScreen

    december = 5  # the small demo's planned meeting, started here
    with session_scope(small_demo_engine, "t") as s:
        minuting.start_meeting(s, december)
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(MinutingScreen(december))
        await wait_for(pilot, lambda: isinstance(app.screen, MinutingScreen) and app.screen.loaded)
        screen = app.screen
        item_id = screen.item.id
        notes = screen.query_one("#min-notes", TextArea)
        notes.focus()
        notes.text = ""
        await pilot.press(*"Seen at home.", "enter", *"Partner has a knife", "f7")
        await wait_for(pilot, lambda: "[confidential] Partner has a knife" in notes.text)
        assert notes.text.splitlines()[0] == "Seen at home."
        await wait_for(
            pilot, lambda: any("marked confidential" in str(n.message) for n in app._notifications)
        )
        await pilot.press("ctrl+s")

        def saved() -> str:
            with session_scope(small_demo_engine, "t") as s:
                return minuting.notes_for(s, item_id)

        await wait_for(pilot, lambda: "[confidential] Partner has a knife" in saved())
    with session_scope(small_demo_engine, "t") as s:
        external = minutes.export_minutes(s, december, "md", tmp_path / "m.md").read_text()
        internal = minutes.export_minutes(
            s, december, "md", tmp_path / "m.md", internal=True
        ).read_text()
    assert "Seen at home." in external and "knife" not in external
    assert "[withheld: confidential]" in external
    assert "[CONFIDENTIAL] Partner has a knife" in internal
