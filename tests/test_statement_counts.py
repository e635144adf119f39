"""No N+1 queries: each screen open is a fixed, small number of statements whatever the
data size (issue 23 §5).

On a shared PostgreSQL server every statement is a network round trip (0.5-2 ms), so a
query per meeting or per row grows an open with the data. Two demo databases of different
sizes are opened here and each screen open's statements counted with a SQLAlchemy event
listener; the counts must be equal, and small.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import DEMO_TODAY
from pilot_helpers import wait_for
from sqlalchemy import event
from sqlalchemy.engine import Engine

from coordinator_tui.app import make_app
from coordinator_tui.db import open_database
from coordinator_tui.demo import governance as demo_governance
from coordinator_tui.demo import seed as demo_seed
from coordinator_tui.screens.meetings.meetings import MeetingsScreen
from coordinator_tui.screens.referrals.referrals import ReferralsScreen
from coordinator_tui.screens.registers.person import PersonScreen
from coordinator_tui.screens.registers.queue import RegistersScreen
from coordinator_tui.screens.rota.grid import RotaScreen
from coordinator_tui.settings import load_settings

# Most statements each open may run (a cap, so a new per-row query is caught even where
# the two sizes happen to be equal).
BUDGET = {"queue": 12, "person": 40, "referrals": 12, "meetings": 8, "rota": 40}

TINY = dict(
    people=700,
    entries=90,
    referrals=70,
    meetings=3,
    concerns=15,
    carers=12,
    customers=35,
    weeks=1,
    visit_rate=125,
    incidents=3,
)


CONDITIONAL = (
    # A looked-after child's health assessments (``rules.health_assessments_due``): one
    # batched query, run only when the person opened has such a register entry (the
    # person record reads them with its chronology since issue 23 §5).
    "SELECT chronology_entry.person_id, chronology_entry.occurred_on",
    # What was shared about the person opened (``services.people.person_record``): read
    # only when there is some.
    "SELECT sharing_record.id, sharing_record.version",
)
"""Statements a screen runs once or not at all by what the record opened holds (never
once per row): left out of the comparison, each allowed at most once per open."""


def _fixed_part(statements: list[str]) -> int:
    """How many statements an open ran, its CONDITIONAL ones (at most once each) aside."""
    conditional = [
        sum(statement.startswith(prefix) for statement in statements) for prefix in CONDITIONAL
    ]
    assert all(seen <= 1 for seen in conditional), conditional
    return len(statements) - sum(conditional)


class StatementCounter:
    """Every statement an engine sends to the database while attached (``before_cursor_
    execute``: one per round trip, an executemany counted once)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _seen(self, _conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)

    def attach(self) -> None:
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def detach(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


@contextmanager
def counting(engine: Engine) -> Iterator[StatementCounter]:
    """A statement counter attached to ``engine`` for the ``with`` block."""
    counter = StatementCounter(engine)
    counter.attach()
    try:
        yield counter
    finally:
        counter.detach()


@pytest.fixture(scope="module")
def tiny_demo_template(tmp_path_factory) -> Path:
    """A demo about a third of the small one's size (the small demo is the other size)."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(demo_seed.SIZES, "tiny", TINY)
        patch.setitem(demo_governance.SIZES, "tiny", (10, 4, 2))
        opened = open_database(str(path))
        try:
            demo_seed.seed_demo(opened.engine, "tiny", seed=1, today=DEMO_TODAY)
        finally:
            opened.engine.dispose()
    return path


async def _settled(pilot, app) -> None:
    """Until no worker is running (a screen's second-stage loads included)."""
    await wait_for(pilot, lambda: all(w.is_finished for w in app.workers), timeout=60)
    await pilot.pause()


async def _open_counts(path: Path) -> dict[str, int]:
    settings = load_settings(str(path))
    settings.today = DEMO_TODAY
    opened = open_database(str(path))
    engine = opened.engine
    counts: dict[str, int] = {}
    statements: dict[str, list[str]] = {}
    try:
        app = make_app(settings, engine)
        with counting(engine) as counter:
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_for(pilot, lambda: getattr(app.screen, "counts", None) is not None)
                await _settled(pilot, app)

                async def measure(name: str, key: str, screen_type, ready) -> None:
                    counter.reset()
                    await pilot.press(key)
                    await wait_for(
                        pilot,
                        lambda: isinstance(app.screen, screen_type) and ready(app.screen),
                        timeout=60,
                    )
                    await _settled(pilot, app)
                    counts[name] = _fixed_part(counter.statements)
                    statements[name] = list(counter.statements)

                await measure("queue", "2", RegistersScreen, lambda s: s.loaded)
                await measure("person", "enter", PersonScreen, lambda s: s.loaded)
                await pilot.press("escape")
                await wait_for(pilot, lambda: isinstance(app.screen, RegistersScreen))
                await _settled(pilot, app)
                await measure("referrals", "3", ReferralsScreen, lambda s: s.loaded)
                await measure("meetings", "4", MeetingsScreen, lambda s: s.loaded)
                await measure("rota", "5", RotaScreen, lambda s: s.loaded)
    finally:
        engine.dispose()
    STATEMENTS[path.name] = statements
    return counts


STATEMENTS: dict[str, dict[str, list[str]]] = {}


def _difference(one: list[str], other: list[str]) -> list[str]:
    """The statements one open ran and the other did not (first line of each)."""
    from collections import Counter

    first = Counter(s.splitlines()[0][:120] for s in one)
    second = Counter(s.splitlines()[0][:120] for s in other)
    return [f"-{k}" for k in (first - second)] + [f"+{k}" for k in (second - first)]


async def test_screen_opens_are_a_fixed_number_of_statements(
    tiny_demo_template, small_demo_path, tmp_path
):
    tiny = tmp_path / "tiny.db"
    shutil.copy(tiny_demo_template, tiny)
    small_counts = await _open_counts(small_demo_path)
    tiny_counts = await _open_counts(tiny)
    differing = {
        name: _difference(STATEMENTS["tiny.db"][name], STATEMENTS[small_demo_path.name][name])
        for name in small_counts
        if tiny_counts[name] != small_counts[name]
    }
    assert tiny_counts == small_counts, differing
    for name, budget in BUDGET.items():
        assert small_counts[name] <= budget, (name, small_counts[name])


def test_meetings_planned_minutes_in_one_query(small_demo_engine):
    """The meetings list's planned minutes for every upcoming meeting: one statement, the
    same figures as asking meeting by meeting."""
    from coordinator_tui.db import session_scope
    from coordinator_tui.services.meetings.series import list_meetings
    from coordinator_tui.services.meetings.triage import planned_minutes, totals

    with session_scope(small_demo_engine, "t") as session:
        ids = [row.id for row in list_meetings(session)]
        assert len(ids) > 2
        expected = {meeting_id: totals(session, meeting_id).minutes_planned for meeting_id in ids}
        with counting(small_demo_engine) as counter:
            planned = planned_minutes(session, ids)
        assert counter.count == 1
        assert planned == expected
        assert planned_minutes(session, []) == {}
