"""Windows where the code branches (issue 20 §1), simulated: CI here has no Windows.

What is simulated (``preflight.is_windows`` and the drive-type call patched, Windows paths
as ``PureWindowsPath`` text): UNC paths and mapped network drives refused for SQLite (WAL
needs a local disk), long-path forms of a local path accepted, drive letters and spaces in
a database URL, POSIX-only file modes skipped (the profile folder protects the file on
Windows), a console on a legacy code page. On Linux the same refusal is checked for a
network mount read from ``/proc/mounts``. Nothing here ran on a real Windows machine
(README "Practice PC" says so).
"""

from __future__ import annotations

import io
import os
from pathlib import Path, PureWindowsPath

import pytest

from coordinator_tui import preflight
from coordinator_tui.launch import safe_console_streams
from coordinator_tui.preflight import DatabaseOpenError, check_local_disk, network_share


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Windows simulated: ``is_windows()`` true, drive types from a table (C: local,
    Z: a mapped network drive)."""
    drives = {"C:\\": 3, "D:\\": 3, "Z:\\": preflight.DRIVE_REMOTE}
    monkeypatch.setattr(preflight, "is_windows", lambda: True)
    monkeypatch.setattr(preflight, "_windows_drive_type", lambda root: drives.get(root, 0))
    return drives


@pytest.mark.parametrize(
    ("path", "remote"),
    [
        (r"\\practice-server\coordinators\coordinator.db", True),
        ("//practice-server/coordinators/coordinator.db", True),
        (r"\\?\UNC\practice-server\share\coordinator.db", True),
        (r"Z:\Coordinator TUI\coordinator.db", True),
        (r"z:\data\coordinator.db", False),  # lower-case drive: looked up as given, unknown
        (r"C:\Users\Sam Jones\AppData\Local\coordinator-tui\coordinator.db", False),
        (r"D:\Care Team\coordinator.db", False),
        (r"\\?\C:\Users\Sam Jones\coordinator.db", False),
        ("coordinator.db", False),
    ],
)
def test_network_shares_on_windows(windows: dict[str, int], path: str, remote: bool) -> None:
    assert network_share(path) is remote


def test_a_database_on_a_share_is_refused_in_one_line(windows: dict[str, int]) -> None:
    with pytest.raises(DatabaseOpenError) as refused:
        check_local_disk(PureWindowsPath(r"\\server\share\coordinator.db"))  # type: ignore[arg-type]
    message = str(refused.value)
    assert "network share" in message and "WAL" in message and "\n" not in message


def test_a_network_mount_on_linux_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preflight, "is_windows", lambda: False)
    mounts = {"/": "ext4", "/mnt/practice share": "cifs", "/srv/nfs": "nfs4"}
    monkeypatch.setattr(
        preflight,
        "_mount_type",
        lambda path: next(
            (
                kind
                for point, kind in sorted(mounts.items(), reverse=True)
                if str(path) == point or str(path).startswith(point.rstrip("/") + "/")
            ),
            None,
        ),
    )
    assert network_share(Path("/mnt/practice share/coordinator.db"))
    assert network_share(Path("/srv/nfs/x.db"))
    assert not network_share(Path("/home/sam/coordinator.db"))
    with pytest.raises(DatabaseOpenError, match="network share"):
        preflight.check_sqlite_path(Path("/mnt/practice share/coordinator.db"))


def test_proc_mounts_names_the_longest_mount_point(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\n"
        "//server/share /mnt/care\\040team cifs rw 0 0\n"
        "server:/export /mnt/care\\040team/local ext4 rw 0 0\n",
        encoding="utf-8",
    )
    real = Path

    def fake_path(*parts: object) -> Path:
        return mounts if parts == ("/proc/mounts",) else real(*parts)  # type: ignore[arg-type]

    monkeypatch.setattr(preflight, "Path", fake_path)
    assert preflight._mount_type(real("/mnt/care team/x.db")) == "cifs"
    assert preflight._mount_type(real("/mnt/care team/local/x.db")) == "ext4"
    assert preflight._mount_type(real("/home/x.db")) == "ext4"


def test_the_test_folder_is_on_a_local_disk(tmp_path: Path) -> None:
    """The real check on this machine: the tests' own databases are not refused."""
    check_local_disk(tmp_path / "x.db")


def test_windows_paths_with_drive_letters_and_spaces_make_sqlite_urls() -> None:
    """``resolve_target`` builds ``sqlite:///`` + the path, the form SQLAlchemy documents
    for Windows (``sqlite:///C:\\path\\to\\foo.db``); a URL given with a drive letter loses
    only the slash before it."""
    path = PureWindowsPath(r"C:\Users\Sam Jones\AppData\Local\coordinator-tui\coordinator.db")
    assert f"sqlite:///{path}" == (
        r"sqlite:///C:\Users\Sam Jones\AppData\Local\coordinator-tui\coordinator.db"
    )
    url = "sqlite:///C:/Users/Sam Jones/coordinator.db"
    rest = url.split("://", 1)[1]
    assert PureWindowsPath(rest[1:]).drive == "C:"


def test_file_modes_are_left_alone_on_windows(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``os.chmod`` modes mean little on Windows: the database is never chmod-ed there
    (its privacy is the user's profile folder), and an empty file others could read by
    POSIX bits is not refused."""
    from coordinator_tui import db as db_module

    empty = tmp_path / "empty.db"
    empty.touch()
    os.chmod(empty, 0o644)
    chmods: list[object] = []
    monkeypatch.setattr(os, "name", "nt")
    monkeypatch.setattr(os, "chmod", lambda *args: chmods.append(args))
    try:
        db_module._keep_private(empty)
        assert preflight.check_sqlite_path(empty) is True  # POSIX-only refusal skipped
    finally:
        monkeypatch.undo()
    assert chmods == []


class _LegacyConsole(io.TextIOWrapper):
    """A Windows console or redirected file on code page 1252."""


def test_output_on_a_legacy_code_page_is_replaced_not_an_error() -> None:
    raw = io.BytesIO()
    stream = _LegacyConsole(raw, encoding="cp1252")
    with pytest.raises(UnicodeEncodeError):
        stream.write("✓ done ⚑\n")
    stream = _LegacyConsole(io.BytesIO(), encoding="cp1252")
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    safe_console_streams([stream, utf8])
    stream.write("✓ done ⚑ · £5\n")
    stream.flush()
    assert stream.buffer.getvalue() == "? done ? · £5\n".encode("cp1252")  # type: ignore[attr-defined]
    assert utf8.errors == "strict"
