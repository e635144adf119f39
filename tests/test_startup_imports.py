"""A normal start never imports Alembic (issue 23 §3: time to useful data).

Alembic costs about 160 ms of the time between the first frame and Home's counts, and is
needed only to build or upgrade a schema. The start-up path reads ``alembic_version`` with
the driver and compares it with the head revision read from the migration files; these
tests run a real start in a fresh interpreter and look at ``sys.modules`` afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from coordinator_tui.preflight import VERSIONS_DIR, head_revision, known_revisions

START = textwrap.dedent(
    """
    import asyncio, json, sys
    from datetime import date

    from coordinator_tui.app import CoordinatorApp, make_app
    from coordinator_tui.services.access import demo_principal
    from coordinator_tui.settings import load_settings

    # Signed in as the tests are (tests/conftest.py): sign-in is not what is measured.
    CoordinatorApp.start_principal = lambda self: demo_principal(self.user, display_name="")


    async def main() -> None:
        settings = load_settings(sys.argv[1])
        settings.today = date(2026, 11, 23)
        app = make_app(settings)  # no engine: the app opens the database as the CLI does
        async with app.run_test(size=(120, 40)) as pilot:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            # The ORM's counts (Home shows the stdlib's first: services.home_counts).
            while getattr(app.screen, "counts_read", "") != "database":
                assert loop.time() < deadline, "Home's counts never appeared"
                await pilot.pause(0.05)
        loaded = sorted(name for name in sys.modules if name.split(".")[0] == "alembic")
        print(json.dumps({"alembic": loaded}))


    asyncio.run(main())
    """
)


def _start(db: Path) -> list[str]:
    env = {**os.environ, "COORDINATOR_TUI_PREPARE_SECTIONS": "0"}
    done = subprocess.run(
        [sys.executable, "-c", START, str(db)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["alembic"]


def test_normal_start_of_an_up_to_date_database_does_not_import_alembic(small_demo_path):
    assert _start(small_demo_path) == []


def test_a_new_database_is_built_with_alembic(tmp_path):
    """The other side: building (or upgrading) a schema does use Alembic, so the check
    above is not passing because the start never reached the database."""
    assert "alembic" in _start(tmp_path / "new.db")


def test_head_revision_read_from_files_matches_alembic():
    """The head the start-up path compares with (read from the migration files' text) is
    the one Alembic's own script directory computes."""
    from alembic.script import ScriptDirectory

    from coordinator_tui.db import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert len(known_revisions()) == len(
        [f for f in VERSIONS_DIR.glob("[0-9]*.py") if f.name != "__init__.py"]
    )


def test_the_demo_user_is_signed_in_before_the_first_frame_without_the_tables():
    """``coordinator-tui demo`` makes its demo principal before the app runs (launch.py),
    and that must not import the models: about 0.7 s that the app otherwise pays after its
    first frame. It did through ``services.reference`` (the role catalogue's file) and
    ``models.base.utcnow``, and the people list's first row took 1.1 s instead of 0.46 s."""
    probe = textwrap.dedent(
        """
        import json, sys
        from coordinator_tui.launch import open_app  # the path `demo` takes
        from coordinator_tui.services.access import demo_principal
        from coordinator_tui.app import make_app
        from coordinator_tui.settings import load_settings

        principal = demo_principal()
        assert principal.activities
        make_app(load_settings(sys.argv[1]), start="people", principal=principal)
        print(json.dumps(sorted(n for n in sys.modules if n.startswith("coordinator_tui.models"))))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "unused.db"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


PEOPLE_FIRST = textwrap.dedent(
    """
    import asyncio, json, sys

    from coordinator_tui.app import make_app
    from coordinator_tui.services.access import demo_principal
    from coordinator_tui.settings import load_settings


    async def main() -> None:
        # As ``coordinator-tui demo`` and ``benchmarks.people_app`` open the list: signed
        # in before the first frame, the database opened by the app itself.
        settings = load_settings(sys.argv[1])
        app = make_app(settings, start="people", principal=demo_principal())
        app.open_database = lambda: None  # held back: what the first rows alone import
        async with app.run_test(size=(120, 40)) as pilot:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            while getattr(app.screen, "total", 0) == 0:
                assert loop.time() < deadline, "the list never showed its first rows"
                await pilot.pause(0.05)
            await pilot.pause()
            shown = app.screen.query_one("LazyTable").current_row is not None
        print(json.dumps({"shown": shown, "modules": sorted(sys.modules)}))


    asyncio.run(main())
    """
)

NOT_BEFORE_THE_FIRST_ROWS = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "pydantic",
    "coordinator_tui.db",
    "coordinator_tui.models",
    "coordinator_tui.services.people",  # SQLAlchemy: the stdlib reader shows the rows
    "coordinator_tui.screens.accounts.sign_in",  # asked by every binding: issue 23 §2
    "coordinator_tui.screens.home",
)


def test_the_people_lists_first_rows_import_no_database_layer(small_demo_path):
    """``coordinator-tui people`` signed in (the demo user): its first rows come from the
    stdlib reader before anything else, and reaching them imports neither the database
    layer (SQLAlchemy, SQLModel, Alembic, the models: about 0.7 s, after the first frame
    in a worker) nor the sign-in screens, which the app's ``locked`` check imported for
    every binding the footer shows (about 10 ms of the first frame), nor Home."""
    done = subprocess.run(
        [sys.executable, "-c", PEOPLE_FIRST, str(small_demo_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["shown"]
    loaded = [
        name
        for name in result["modules"]
        if any(name == gone or name.startswith(gone + ".") for gone in NOT_BEFORE_THE_FIRST_ROWS)
    ]
    assert loaded == []
