"""The account form behaves like every other form (issue 13 §2, the 80x24 review): one-line
fields, the keys in the border, all six fields of a new account on an 80x24 screen, and a
form taller than the screen scrolls with a refused save's error line scrolled into view."""

from __future__ import annotations

from pilot_helpers import shown_text, wait_for

from coordinator_tui.app import make_app
from coordinator_tui.screens.accounts.sign_in import FieldInput
from coordinator_tui.screens.accounts.users import AccountForm, UsersScreen


def _inside(inner, outer) -> bool:
    return (
        outer.x <= inner.x
        and outer.y <= inner.y
        and inner.right <= outer.right
        and inner.bottom <= outer.bottom
    )


async def test_the_new_account_form_fits_80x24_and_shows_a_refusal(
    demo_settings, small_demo_engine
):
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HomeScreen")
        app.open_users()
        await wait_for(pilot, lambda: isinstance(app.screen, UsersScreen))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AccountForm) and app.screen.focused)
        form = app.screen
        box = form.query_one("#form-box")
        fields = list(form.query(FieldInput))
        assert len(fields) == 6
        assert all(field.outer_size.height == 1 for field in fields)  # not 3 lines tall
        await wait_for(pilot, lambda: box.region.height > 0)
        screen = app.screen.region
        assert _inside(box.region, screen)
        assert all(_inside(field.region, box.content_region) for field in fields)
        assert "ctrl+s/f2 save · esc cancel" in str(box.border_subtitle)
        await pilot.press(*"kim.sup", "ctrl+s")  # no role: refused, in the form
        error = form.query_one("#form-error")
        await wait_for(pilot, lambda: "✗" in shown_text(error, width=70))
        assert isinstance(app.screen, AccountForm)
        assert _inside(error.region, box.content_region)
        assert fields[0].value == "kim.sup"  # what was typed stays


async def test_a_form_taller_than_the_screen_scrolls_its_error_into_view(
    demo_settings, small_demo_engine
):
    fields = [(f"f{n}", f"Field {n}", "", False) for n in range(10)]
    problem = "Refused: " + "a long reason that wraps over several lines " * 4
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HomeScreen")
        app.push_screen(AccountForm("Tall", fields, lambda _values: problem))
        await wait_for(pilot, lambda: isinstance(app.screen, AccountForm) and app.screen.focused)
        form = app.screen
        box = form.query_one("#form-box")
        await wait_for(pilot, lambda: box.max_scroll_y > 0)  # taller than 80x24: it scrolls
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error")
        await wait_for(
            pilot,
            lambda: (
                "✗ Refused" in shown_text(error, width=70)
                and box.scroll_y > 0
                and _inside(error.region, box.content_region)
            ),
        )


async def test_every_form_dialog_scrolls_a_wrapped_error_fully_into_view(
    demo_settings, small_demo_engine
):
    """The same for the generic form (``FormDialog``, through ``DialogBase.show_error``):
    scrolled to after the new text is laid out, so all of a message that wraps is shown,
    not only its first line (at 80x24, a 10-field form showed 1 of 3 lines)."""
    from datetime import date

    from coordinator_tui.screens.form_dialog import Field, FormDialog

    fields = [Field(f"f{n}", f"Field {n}") for n in range(10)]
    problem = "Refused: " + "a long reason that wraps over several lines " * 4 + "END"
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HomeScreen")
        app.push_screen(FormDialog("Tall", fields, date(2026, 11, 23), save=lambda _v: problem))
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused)
        form = app.screen
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error")
        box = error.parent
        await wait_for(
            pilot,
            lambda: (
                "END" in shown_text(error, width=70)
                and error.region.height >= 3
                and _inside(error.region, box.content_region)
            ),
        )
