"""Issue 23: the review queue and the referrals read a page at a time by key.

The pages read one after another, from the top or backwards from the bottom, are the
old full query's rows in its order, for every filter, sort view and typed text (checked
on the small demo, and as a hypothesis property over random filters); the screens read
only the page on screen and a margin and the next as the cursor goes down; a queue
refused by access control shows its one refusal line on the screen (issue 17).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from conftest import DEMO_TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pilot_helpers import wait_for
from queue_oracle import referral_list, review_queue

from coordinator_tui.db import session_scope
from coordinator_tui.services import access
from coordinator_tui.services import referrals as ref
from coordinator_tui.services import registers as reg
from coordinator_tui.services.referral_terms import VIEWS
from coordinator_tui.widgets.lazy_table import KeysetSource, Row

# -- the service: pages concatenated are the full query -------------------------------------


def _all_pages(read: Callable[..., object], limit: int) -> tuple[list, list]:
    """Every row by pages of ``limit`` from the top, and every row by pages from the
    bottom (each page read before the one after it), in list order."""
    forward: list = []
    key = None
    while True:
        page = read(key=key, backward=False, limit=limit)
        forward += page.rows
        if len(page.rows) < limit:
            break
        key = page.keys[-1]
    backward: list = []
    key = None
    while True:
        page = read(key=key, backward=True, limit=limit)
        backward[:0] = page.rows
        if len(page.rows) < limit:
            break
        key = page.keys[0]
    return forward, backward


QUEUE_FILTERS = [
    reg.QueueFilter(),
    reg.QueueFilter(horizon_days=-1),  # the overdue view
    reg.QueueFilter(escalated_only=True),
    reg.QueueFilter(horizon_days=60, risk_level="high"),
    reg.QueueFilter(horizon_days=365),
]


@pytest.mark.parametrize("filters", QUEUE_FILTERS, ids=lambda f: repr(f)[12:60])
def test_queue_pages_are_the_full_query_in_order(small_demo_engine, filters):
    with session_scope(small_demo_engine, "t") as s:
        full = review_queue(s, DEMO_TODAY, filters)

        def read(**kw):
            return reg.queue_page(s, DEMO_TODAY, filters, **kw)

        forward, backward = _all_pages(read, 3)
        counts = reg.queue_counts(s, DEMO_TODAY, filters)
    assert len(full) > 3  # more than one page, or the test proves nothing
    assert forward == full
    assert backward == full
    assert counts.total == counts.shown == len(full)
    assert counts.overdue == sum(r.is_overdue(DEMO_TODAY) for r in full)
    late = sum(1 for r in full if r.health_assessment_due and r.health_assessment_due < DEMO_TODAY)
    assert counts.health_assessments_late == late


def test_queue_pages_keep_the_old_order_of_odd_rows(small_demo_engine):
    """An escalated entry with no due date (not overdue; SQLite sorts NULL first) and an
    entry whose risk is none of high, medium, low (sorted after them) page in the place the
    full query puts them."""
    from coordinator_tui.models import RegisterEntry

    with session_scope(small_demo_engine, "setup") as s:
        escalated = review_queue(s, DEMO_TODAY, reg.QueueFilter(escalated_only=True))
        s.get(RegisterEntry, escalated[0].entry_id).next_review_due = None
        s.get(RegisterEntry, escalated[1].entry_id).risk_level = "unknown"
        due = review_queue(s, DEMO_TODAY, reg.QueueFilter())
        s.get(RegisterEntry, due[0].entry_id).risk_level = "unknown"
    for filters in (reg.QueueFilter(escalated_only=True), reg.QueueFilter()):
        with session_scope(small_demo_engine, "t") as s:
            full = review_queue(s, DEMO_TODAY, filters)

            def read(filters=filters, s=s, **kw):
                return reg.queue_page(s, DEMO_TODAY, filters, **kw)

            forward, backward = _all_pages(read, 2)
        assert forward == full and backward == full
        assert any(r.risk_level == "unknown" for r in full)


def test_queue_locate_finds_an_entry_and_its_page_starts_there(small_demo_engine):
    filters = reg.QueueFilter(horizon_days=365)
    with session_scope(small_demo_engine, "t") as s:
        full = review_queue(s, DEMO_TODAY, filters)
        wanted = full[len(full) // 2]
        gone = -1  # no such entry: skipped, the next one is found
        index, key = reg.queue_locate(s, DEMO_TODAY, filters, [gone, wanted.entry_id])
        page = reg.queue_page(s, DEMO_TODAY, filters, key=key, inclusive=True, limit=5)
        assert reg.queue_locate(s, DEMO_TODAY, filters, [gone]) is None
    assert index == len(full) // 2
    assert page.rows == full[index : index + 5]


def test_queue_text_in_sql_matches_the_old_filter(small_demo_engine):
    """Names (any case, any order of words), NHS digits with or without spaces, and a date
    of birth padded or not: the rows the in-memory filter kept."""
    filters = reg.QueueFilter(horizon_days=365)
    with session_scope(small_demo_engine, "t") as s:
        full = review_queue(s, DEMO_TODAY, filters)
        sample = full[3]
        dob = sample.date_of_birth
        needles = [
            sample.family_name[:3].upper(),
            f"{sample.given_name[:2]} {sample.family_name[-3:]}".lower(),
            sample.nhs_number[2:7],
            f"{sample.nhs_number[:3]} {sample.nhs_number[3:6]}",
            f"{dob.day}/{dob.month}/",
            f"{dob:%d/%m}",
            "zzzz",
        ]
        for needle in needles:
            page = reg.queue_page(s, DEMO_TODAY, filters, text=needle, limit=1000)
            counts = reg.queue_counts(s, DEMO_TODAY, filters, text=needle)
            expected = reg.filter_by_text(full, needle)
            assert page.rows == expected, needle
            assert (counts.shown, counts.total) == (len(expected), len(full)), needle


@pytest.mark.parametrize("view", list(VIEWS))
def test_referral_pages_are_the_full_query_in_order(small_demo_engine, view):
    with session_scope(small_demo_engine, "t") as s:
        full = referral_list(s, view, DEMO_TODAY)

        def read(**kw):
            return ref.referral_page(s, view, DEMO_TODAY, **kw)

        forward, backward = _all_pages(read, 4)
        first = ref.referral_page(s, view, DEMO_TODAY, with_counts=True)
    assert forward == full
    assert backward == full
    assert first.counts.shown == first.counts.total == len(full)
    assert first.counts.overdue == sum(r.is_overdue(DEMO_TODAY) for r in full)


def _referral_text_filter(rows, needle: str) -> list:
    """The Referrals screen's filter as it was, in memory (before issue 23)."""
    needle = needle.strip().lower()
    digits = needle.replace(" ", "")
    return [
        r
        for r in rows
        if (digits.isdigit() and digits in r.nhs_number)
        or all(w in f"{r.family_name} {r.given_name}".lower() for w in needle.split())
    ]


# -- hypothesis: random filters, sorts (views) and text -------------------------------------

_SLOW = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_SLOW
@given(data=st.data())
def test_queue_paging_property(small_demo_engine, data):
    """For random filters (practice, register, lead, risk, view, horizon), typed text and
    page size, pages read forwards and backwards are the full query filtered as before."""
    with session_scope(small_demo_engine, "t") as s:
        options = reg.filter_options(s)
        view = data.draw(st.sampled_from(["due", "overdue", "escalated"]))
        filters = reg.QueueFilter(
            practice_id=data.draw(st.none() | st.sampled_from([p for p, _ in options.practices])),
            category_id=data.draw(st.none() | st.sampled_from([c for c, _ in options.categories])),
            lead_staff_id=data.draw(st.none() | st.sampled_from([x for x, _ in options.leads])),
            risk_level=data.draw(st.sampled_from([None, "high", "medium", "low"])),
            escalated_only=view == "escalated",
            horizon_days=-1 if view == "overdue" else data.draw(st.integers(0, 400)),
        )
        full = review_queue(s, DEMO_TODAY, filters)
        text = data.draw(
            st.sampled_from(["", "a", "e ", "ma", "9", "99 9", "/0", "1/", "zq"])
            | st.text(alphabet="abelmnorst/0129 ", max_size=4)
        )
        limit = data.draw(st.integers(1, 40))

        def read(**kw):
            return reg.queue_page(s, DEMO_TODAY, filters, text=text, **kw)

        forward, backward = _all_pages(read, limit)
        counts = reg.queue_counts(s, DEMO_TODAY, filters, text=text)
    expected = reg.filter_by_text(full, text)
    assert forward == expected
    assert backward == expected
    assert (counts.total, counts.shown) == (len(full), len(expected))


@_SLOW
@given(
    view=st.sampled_from(list(VIEWS)),
    text=st.sampled_from(["", "a", "an ", "99", "999 0", "o e"])
    | st.text(alphabet="aeinorst90 ", max_size=3),
    limit=st.integers(1, 60),
)
def test_referral_paging_property(small_demo_engine, view, text, limit):
    with session_scope(small_demo_engine, "t") as s:
        full = referral_list(s, view, DEMO_TODAY)

        def read(**kw):
            return ref.referral_page(s, view, DEMO_TODAY, text=text, **kw)

        forward, backward = _all_pages(read, limit)
    expected = _referral_text_filter(full, text)
    assert forward == expected
    assert backward == expected


# -- the table's source: only what is on screen, and the right rows ---------------------------


def _list_fetch(items: list[int], calls: list[tuple]) -> Callable[..., list]:
    """A fetch over ``items`` (the item is its own key), recording each call."""

    def fetch(key, backward, limit):
        calls.append((key, backward, limit))
        if backward:
            end = len(items) if key is None else items.index(key)
            chosen = items[max(end - limit, 0) : end]
        else:
            begin = 0 if key is None else items.index(key) + 1
            chosen = items[begin : begin + limit]
        return [(i, i) for i in chosen]

    return fetch


def _source(items: list[int], calls: list[tuple], first: int = 50) -> KeysetSource:
    return KeysetSource(
        len(items),
        _list_fetch(items, calls),
        lambda i: Row(i, (str(i),)),
        first=[(i, i) for i in items[:first]],
        page_size=50,
        margin=20,
    )


@given(
    size=st.integers(0, 3000),
    windows=st.lists(st.tuples(st.integers(0, 3100), st.integers(1, 45)), max_size=12),
)
@settings(max_examples=80, deadline=None)
def test_source_rows_are_the_list_whatever_the_scrolling(size, windows):
    items = list(range(1000, 1000 + size))
    calls: list[tuple] = []
    source = _source(items, calls)
    for start, height in windows:
        rows = source.rows(start, start + height)
        assert [r.key for r in rows] == items[start : start + height]
    assert list(source.items) == items


def test_source_page_down_reads_a_page_at_a_time_and_end_reads_the_last():
    items = list(range(100_000))
    calls: list[tuple] = []
    source = _source(items, calls)
    screen = 38
    top = 0
    for _ in range(20):  # pagedown twenty times
        top += screen
        assert [r.key for r in source.rows(top, top + screen)] == items[top : top + screen]
    read = sum(1 for _ in source.loaded())
    assert len(calls) <= 20 and read < top + screen + 200  # not the list: what was shown
    calls.clear()
    last = source.rows(len(items) - screen, len(items))
    assert [r.key for r in last] == items[-screen:]
    assert calls == [(None, True, calls[0][2])] and calls[0][2] < 200  # one read backwards


# -- the screens ---------------------------------------------------------------------------


async def test_queue_screen_reads_pages_as_the_cursor_goes_down(
    demo_settings, small_demo_engine, monkeypatch
):
    """With a page of 8 rows, the queue opens on its first page only; pagedown and end
    read on by key and show the entries the full query has at those places."""
    from coordinator_tui.app import make_app
    from coordinator_tui.screens.registers import queue
    from coordinator_tui.widgets.lazy_table import LazyTable

    monkeypatch.setattr(queue, "QUEUE_PAGE", 8)
    with session_scope(small_demo_engine, "t") as s:
        full = review_queue(s, DEMO_TODAY, reg.QueueFilter(horizon_days=14))
    assert len(full) > 60
    app = make_app(demo_settings, small_demo_engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, queue.RegistersScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded and screen.source is not None, 20)
        source = screen.source
        assert len(source) == len(full) and source.fetches <= 1  # one page and its margin
        assert sum(1 for _ in source.loaded()) < 8 + source.margin + 40
        table = screen.query_one(LazyTable)
        for _ in range(2):
            await pilot.press("pagedown")
        await pilot.pause()
        assert screen.highlighted() == full[table.cursor_row]
        assert table.cursor_row > 40
        await pilot.press("end")
        await wait_for(pilot, lambda: table.cursor_row == len(full) - 1)
        await pilot.pause()
        assert screen.highlighted() == full[-1]
        assert sum(1 for _ in source.loaded()) < len(full) or len(full) < 200
        summary = str(screen.query_one("#queue-summary").render())
        assert f"{len(full):,} due" in summary


async def test_a_role_that_may_not_see_the_registers_gets_one_refusal_line(
    demo_settings, small_demo_engine
):
    """Issue 17: the queue refused by access control says so on the screen, in place of
    the list (not an empty list that reads as "nothing due", and not a notification)."""
    from coordinator_tui.app import make_app
    from coordinator_tui.screens.registers.queue import RegistersScreen

    homecare = access.make_principal("hc", ["homecare_coordinator"])
    app = make_app(demo_settings, small_demo_engine, principal=homecare)
    async with app.run_test(size=(120, 40)) as pilot:
        app.switch_mode("registers")
        await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.loaded, 20)
        await pilot.pause()
        summary = str(screen.query_one("#queue-summary").render())
        assert summary.startswith("Not permitted") and "\n" not in summary.strip()
        assert "Nothing due for review" not in _screen_text(app)
        shown = " ".join(_screen_text(app).split())  # as drawn, wrapped to the width
        assert " ".join(summary.split())[:90] in shown
        assert not app._notifications  # on the screen, not in a toast


def _screen_text(app) -> str:
    from test_accounts_app import screen_text

    return screen_text(app)


def test_a_stale_referral_write_names_who_changed_it(small_demo_engine):
    """``services.referrals`` uses the one ``errors.check_version``: who, what, when."""
    from coordinator_tui.services.referral_terms import ReferralConflictError

    with session_scope(small_demo_engine, "t") as s:
        row = referral_list(s, "open", DEMO_TODAY)[0]
    with session_scope(small_demo_engine, "colleague") as s:
        ref.set_chase_by(s, row.id, row.version, chase_by=DEMO_TODAY, today=DEMO_TODAY)
    with (
        session_scope(small_demo_engine, "t") as s,
        pytest.raises(ReferralConflictError) as refused,
    ):
        ref.set_chase_by(s, row.id, row.version, chase_by=date(2026, 12, 1), today=DEMO_TODAY)
    message = str(refused.value)
    assert message.startswith("Refused: colleague changed this referral at ")
    assert "chase by" in message
