"""The one owner-only file writer (``services.exporting.write_private``): every letter,
minutes, call list, report and export holding people's details is readable by its owner
only, even when it overwrites a file someone left world-readable."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from coordinator_tui.services.exporting import write_private

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_0600_in_a_new_0700_folder(tmp_path):
    old = os.umask(0o022)  # a usual umask would otherwise leave the folder 0755
    try:
        target = tmp_path / "out" / "deeper" / "letter.docx"
        written = write_private(target, b"\x00bytes")
    finally:
        os.umask(old)
    assert written == target
    assert target.read_bytes() == b"\x00bytes"
    assert _mode(target) == 0o600
    assert _mode(target.parent) == 0o700


def test_an_existing_world_readable_file_is_made_0600_and_replaced(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("an older, longer export left by someone\n")
    os.chmod(target, 0o644)
    write_private(target, "NHS number\n999 000 0000\n")
    assert _mode(target) == 0o600
    assert target.read_text(encoding="utf-8") == "NHS number\n999 000 0000\n"


def test_an_existing_folder_is_left_as_the_coordinator_has_it(tmp_path):
    """Writing into a folder the coordinator chose (their home folder, say) must not
    change that folder's permissions for every other program: only the file is private."""
    folder = tmp_path / "exports"
    folder.mkdir()
    os.chmod(folder, 0o755)
    target = write_private(folder / "minutes.md", "# Minutes\n")
    assert _mode(folder) == 0o755
    assert _mode(target) == 0o600


def test_text_is_utf8_and_keeps_its_newlines(tmp_path):
    target = tmp_path / "call_list.csv"
    write_private(target, "Zoë\r\nŁukasz\r\n")
    assert target.read_bytes() == "Zoë\r\nŁukasz\r\n".encode()


def test_a_user_path_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    written = write_private("~/kpi.csv", "x")
    assert written == tmp_path / "kpi.csv"
    assert _mode(written) == 0o600
