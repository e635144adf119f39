"""The house's conventions, checked from the source so they stay true (issue 13 §2, §3).

- Services never read the machine's clock: ``today``/``now`` are passed in, so a pinned
  working date (a demo, a test, a coordinator catching up on yesterday) reaches every rule.
  ``coordinator_tui/clock.py`` is the one place that asks the machine.
- A person's label (``SMITH, Ann``) and a UK date (``07/12/2026``) are written by
  ``coordinator_tui/formatting.py`` only, so the same thing never reads two ways.
- A feature is two hops: each screen folder has a services folder or module of the same
  name, unless it is listed here as shared.
- Every sub-package ships: ``tests/test_packaging.py::test_every_source_package_is_listed``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "coordinator_tui"
FORMATTING = PACKAGE / "formatting.py"

# Screen folders with no domain service of their own name (none today).
SHARED_SCREEN_FOLDERS: set[str] = set()

# Reading the machine's clock: date.today(), datetime.now(...), datetime.utcnow(),
# time.time() for a date; the ORM's utcnow() default stamps a row and is not a "today".
CLOCK_CALLS = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow")}

UK_DATE = "%d/%m/%Y"
# The person label written inline: f"{family_name.upper()}, {given}".
INLINE_LABEL = re.compile(r"\{[\w.\[\]'\"]*family(?:_name)?\.upper\(\)\}, \{")


def _sources(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _clock_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        if (name, node.func.attr) in CLOCK_CALLS:
            found.append(f"{_relative(path)}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_services_never_read_the_machine_clock():
    """``today``/``now`` are arguments of the services; ``clock.py`` reads the machine."""
    offenders = [hit for path in _sources(PACKAGE / "services") for hit in _clock_reads(path)]
    assert not offenders, "pass today/now in (coordinator_tui.clock for the app):\n" + "\n".join(
        offenders
    )


def _uk_date_formats(path: Path) -> list[str]:
    """Places that write a date as dd/mm/yyyy: an f-string's format spec, or a string
    handed to ``strftime``/``format``/any call but ``strptime`` (parsing is not writing)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = ast.unparse(node.format_spec)
            if UK_DATE in spec:
                found.append(f"{_relative(path)}:{node.lineno} format spec {spec}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "strptime":
                continue
            if isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "func":
                continue  # SQL's strftime: a date the database compares, never shown
            for arg in node.args:
                text = arg.value if isinstance(arg, ast.Constant) else None
                if isinstance(text, str) and UK_DATE in text:
                    found.append(f"{_relative(path)}:{node.lineno} {name}({text!r})")
    return found


def test_dates_are_written_by_the_formatting_module():
    offenders = [
        hit for path in _sources(PACKAGE) if path != FORMATTING for hit in _uk_date_formats(path)
    ]
    assert not offenders, "use coordinator_tui.formatting (uk_date, uk_datetime...):\n" + (
        "\n".join(offenders)
    )


def test_person_labels_are_written_by_the_formatting_module():
    offenders = []
    for path in _sources(PACKAGE):
        if path == FORMATTING:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE_LABEL.search(line):
                offenders.append(f"{_relative(path)}:{number} {line.strip()}")
    assert not offenders, "use formatting.person_label / names_label:\n" + "\n".join(offenders)


def test_the_scan_finds_what_it_looks_for(tmp_path):
    """The checks above would pass on anything if their patterns were wrong."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from datetime import date, datetime\n"
        "a = date.today()\n"
        "b = datetime.now(UTC)\n"
        "c = f'{day:%d/%m/%Y}'\n"
        "d = day.strftime('%d/%m/%Y %H:%M')\n"
        "e = datetime.strptime(text, '%d/%m/%Y')\n"
        "f = f'{row.family_name.upper()}, {row.given_name}'\n",
        encoding="utf-8",
    )
    relative = sample.relative_to(tmp_path)
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(_clock_reads(sample)) == 2
        assert len(_uk_date_formats(sample)) == 2  # not the strptime
    finally:
        ROOT = saved
    assert INLINE_LABEL.search(sample.read_text().splitlines()[-1]), relative


def test_each_screen_folder_has_its_service():
    """The two-hop rule: screens/<x>/ beside services/<x>/ or services/<x>.py."""
    services = PACKAGE / "services"
    lonely = [
        folder.name
        for folder in sorted((PACKAGE / "screens").iterdir())
        if folder.is_dir()
        and (folder / "__init__.py").exists()
        and folder.name not in SHARED_SCREEN_FOLDERS
        and not (services / folder.name).is_dir()
        and not (services / f"{folder.name}.py").exists()
    ]
    assert not lonely, f"no services/<name> for screens/{lonely}: rename, or list as shared"


def test_packages_are_listed_for_the_wheel():
    """Kept in one place (test_packaging); this only says the check exists."""
    from tests import test_packaging

    assert callable(test_packaging.test_every_source_package_is_listed)
    test_packaging.test_every_source_package_is_listed()


# Files written owner-only by their own rules: the crash report (O_EXCL, never replaces
# one) and the database's backup and permissions (db.py). Everything else goes through
# services.exporting.write_private.
OWN_PRIVATE_WRITERS = {
    "services/exporting.py",
    "crash.py",
    "db.py",
    # The wrapped data keys beside an encrypted database (issue 17 §5): created with
    # O_EXCL as a partial file, then renamed into place, so a kill never leaves half a key
    # file (write_private has no exclusive-create step).
    "keyslots.py",
}


def test_owner_only_files_are_written_by_the_one_writer():
    offenders = []
    for path in _sources(PACKAGE):
        name = str(path.relative_to(PACKAGE))
        if name in OWN_PRIVATE_WRITERS:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "0o600" in line:  # a file's mode (folders made 0700 ahead of a batch are fine)
                offenders.append(f"{_relative(path)}:{number} {line.strip()}")
    assert not offenders, "use services.exporting.write_private:\n" + "\n".join(offenders)
