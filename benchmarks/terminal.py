"""End to end in a real terminal (tmux): what the coordinator sees, not what the app thinks.

Issue 3 section 8:

- ``terminal.people.app`` against ``terminal.people.visidata``: from launching to the first
  screen showing the first row of the list of all 100,000 people: the app opened straight
  on its people list (``benchmarks.people_app``), and VisiData 3.x opening a CSV of the
  same rows in the same order (exported from the database to ``results/people.csv``).
  Target: the app no slower than VisiData. VisiData is the one the ``bench`` extra
  installs (``pip install -e '.[bench]'``): the ``vd`` script beside this interpreter,
  run directly (a version manager's shim on ``PATH``, pyenv's, is a shell script that
  adds about 0.1 s to VisiData's launch); missing, the pair is skipped with the reason
  (a ``BenchmarkError``).
- ``terminal.typing.dialog`` against ``terminal.typing.bare``: a key sent to the terminal
  until the typed text is visible in the field, for the app's real date field (the app on
  the large demo, ``2`` to the review queue, ``s`` to the snooze dialog; issue 23 §2) and
  for a bare Textual ``Input`` (``benchmarks.typing_apps``). Target: within 1.5 times the
  bare Input. ``terminal.typing.date`` (the ``DateInput`` alone in a two-widget app) is
  information.

How it is timed
---------------
Everything runs on a private tmux server (``tmux -L bench-<pid> -f /dev/null``, so no
user configuration and no other session is touched), driven by one control-mode client
(``tmux -C``): each command, and each ``capture-pane -p``, is a line on a pipe rather than
a new tmux process, so polling the screen costs well under a millisecond and is done
every millisecond. A launch is timed from just before ``new-session`` (tmux starts the
program in a fresh 120x40 pane) to the first capture showing the known row (its NHS
number, unique on the screen). A keystroke is timed from just before ``send-keys -l`` to
the first capture in which the field's line reads exactly what was typed so far.
Sessions are named ``bench-...`` and are killed one by one (never the server); the
program's process is waited for, and killed if it outlives its session.

Variants alternate (app, VisiData, app, ...) after one untimed warm-up each, so machine
noise spreads over both. Standalone: ``python -m benchmarks.terminal [--runs N]``.
"""

from __future__ import annotations

import contextlib
import csv
import os
import queue
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import (
    REPO_ROOT,
    RESULTS_DIR,
    BenchmarkError,
    PartialResults,
    Result,
    bench_env,
    console,
    load_average,
    standalone_main,
)

COLS, ROWS = 120, 40
LAUNCH_TIMEOUT_S = 60.0
KEY_TIMEOUT_S = 5.0
POLL_S = 0.001
PEOPLE_CSV = RESULTS_DIR / "people.csv"
TYPED = "3/12/26"
TYPING_RATIO = 1.5


class TmuxError(BenchmarkError):
    pass


class TmuxControl:
    """One control-mode client on a private tmux server; ``cmd`` runs one tmux command."""

    def __init__(self) -> None:
        if shutil.which("tmux") is None:
            raise BenchmarkError("tmux is not installed (apt-get install tmux)")
        self.socket = f"bench-{os.getpid()}"
        self.home_session = f"bench-ctl-{os.getpid()}"
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [
                "tmux",
                "-L",
                self.socket,
                "-f",
                "/dev/null",
                "-C",
                "new-session",
                "-s",
                self.home_session,
                "-x",
                "80",
                "-y",
                "24",
                "sleep 86400",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            # The server inherits this environment; every pane gets it plus its -e flags.
            env=bench_env(),
        )
        self._reader = threading.Thread(target=self._read, name="tmux-control", daemon=True)
        self._reader.start()
        self.sessions: set[str] = set()
        self._sync()

    def _sync(self) -> None:
        """Skip the answers nobody asked for (the attach itself is one), so that each
        command's answer is the next block: read until a token comes back."""
        token = f"bench-sync-{time.monotonic_ns()}"
        deadline = time.monotonic() + 10
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"display-message -p {token}\n")
        self.proc.stdin.flush()
        while time.monotonic() < deadline:
            try:
                body = self._block(deadline)
            except TmuxError:
                continue
            if token in body:
                return
        raise TmuxError("the tmux control client did not answer")

    def _block(self, deadline: float) -> list[str]:
        """The next answer block's lines (``%begin`` ... ``%end``)."""
        body: list[str] | None = None
        while True:
            try:
                line = self._lines.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                raise TmuxError("tmux did not answer") from None
            if line is None:
                raise TmuxError("the tmux control client exited")
            if body is None:
                if line.startswith("%begin"):
                    body = []
                continue  # notifications (%output, %session-changed, ...) between blocks
            if line.startswith("%end"):
                return body
            if line.startswith("%error"):
                raise TmuxError(" ".join(body))
            body.append(line)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def cmd(self, command: str, timeout: float = 10.0) -> list[str]:
        """Send one command; its output lines (between ``%begin`` and ``%end``)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        try:
            return self._block(time.monotonic() + timeout)
        except TmuxError as exc:
            raise TmuxError(f"tmux {command!r}: {exc}") from None

    def new_session(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        flags = " ".join(f"-e {shlex.quote(f'{k}={v}')}" for k, v in env.items())
        program = "exec " + " ".join(shlex.quote(a) for a in argv)
        self.cmd(
            f"new-session -d -s {name} -x {COLS} -y {ROWS} -c {shlex.quote(str(cwd))} "
            f"{flags} {shlex.quote(program)}"
        )
        self.sessions.add(name)

    def capture(self, name: str) -> list[str]:
        return self.cmd(f"capture-pane -p -t {name}")

    def pane_pid(self, name: str) -> int | None:
        try:
            out = self.cmd(f"display-message -p -t {name} '#{{pane_pid}}'")
        except TmuxError:
            return None
        return int(out[0]) if out and out[0].isdigit() else None

    def kill_session(self, name: str) -> None:
        pid = self.pane_pid(name)
        with contextlib.suppress(TmuxError):
            self.cmd(f"kill-session -t {name}")
        self.sessions.discard(name)
        if pid is not None:
            _reap(pid)

    def close(self) -> None:
        for name in list(self.sessions):
            self.kill_session(name)
        with contextlib.suppress(TmuxError):
            self.cmd(f"kill-session -t {self.home_session}")
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._remove_socket()

    def _remove_socket(self) -> None:
        """The private server exits with its last session but leaves its socket file."""
        alive = subprocess.run(
            ["tmux", "-L", self.socket, "has-session"], capture_output=True, check=False
        )
        if alive.returncode == 0:
            return  # still serving something: leave it be
        base = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (base / self.socket).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap(pid: int, grace: float = 5.0) -> None:
    """Wait for a program whose session was killed (SIGHUP) to exit; SIGKILL it if not."""
    deadline = time.monotonic() + grace
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_for_screen(
    tmux: TmuxControl, name: str, shows, start: float, timeout: float, what: str
) -> float:
    """Poll ``capture-pane`` until ``shows(lines)``; seconds since ``start``."""
    deadline = start + timeout
    lines: list[str] = []
    while True:
        try:
            lines = tmux.capture(name)
        except TmuxError as exc:
            raise BenchmarkError(f"{what}: the program left its terminal ({exc})") from None
        if shows(lines):
            return time.perf_counter() - start
        if time.perf_counter() > deadline:
            screen = " | ".join(line.strip() for line in lines if line.strip())[-400:]
            raise BenchmarkError(f"{what}: not shown within {timeout:.0f} s. Screen: {screen!r}")
        time.sleep(POLL_S)


# -- people: the app against VisiData -------------------------------------------------------


def export_people_csv(db_path: Path, path: Path = PEOPLE_CSV) -> tuple[str, int]:
    """Every person, in the people list's order and columns, as CSV (rebuilt when the
    database is newer). Returns the first row's NHS number as shown ("3 3 4") and the count."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT family_name, given_name, nhs_number, date_of_birth, postcode "
            "FROM person ORDER BY search_name, id"
        ).fetchall()
    finally:
        conn.close()
    if not rows:
        raise BenchmarkError(f"{db_path} holds no people")

    def nhs(digits: str) -> str:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits

    if not path.is_file() or path.stat().st_mtime < db_path.stat().st_mtime:
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Name", "NHS number", "Born", "Postcode"])
            for family, given, number, born, postcode in rows:
                day = born[8:10] + "/" + born[5:7] + "/" + born[0:4]
                writer.writerow([f"{family.upper()}, {given}", nhs(number), day, postcode])
        os.replace(tmp, path)
    return nhs(rows[0][2]), len(rows)


def ensure_visidata() -> Path:
    """VisiData as the ``bench`` extra installs it (pyproject ``[project.optional-dependencies]``),
    the same one ``benchmarks.people_app`` compares with: the ``vd`` script in this
    interpreter's scripts directory, run directly. Only when it is not there, ``vd`` on
    ``PATH``; never a copy installed aside (it was ``results/.vdenv``: a second VisiData,
    perhaps another version, than the extra's)."""
    import sysconfig

    beside = Path(sysconfig.get_path("scripts")) / "vd"
    if beside.is_file():
        return beside
    found = shutil.which("vd")
    if found:
        return Path(found)
    raise BenchmarkError(
        "VisiData is not installed, so the people-list comparison is skipped: "
        "pip install -e '.[bench]' (the bench extra brings it)"
    )


def _visidata_version(vd: Path) -> str:
    try:
        out = subprocess.run([str(vd), "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.strip().splitlines()[-1]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "unknown"


def _launch_and_wait(
    tmux: TmuxControl, name: str, argv: list[str], env: dict[str, str], marker: str
) -> float:
    start = time.perf_counter()
    tmux.new_session(name, argv, env, REPO_ROOT)
    try:
        return wait_for_screen(
            tmux,
            name,
            lambda lines: any(marker in line for line in lines),
            start,
            LAUNCH_TIMEOUT_S,
            f"{' '.join(argv[-2:])}",
        )
    finally:
        tmux.kill_session(name)


def people(tmux: TmuxControl, db_path: Path, runs: int) -> list[Result]:
    vd = ensure_visidata()
    marker, count = export_people_csv(db_path)
    version = _visidata_version(vd)
    vd_home = Path(tempfile.mkdtemp(prefix="bench-vd-home-"))
    app_argv = [sys.executable, "-m", "benchmarks.people_app", str(db_path)]
    vd_argv = [str(vd), "-N", str(PEOPLE_CSV)]
    app_env = bench_env()
    vd_env = {k: v for k, v in bench_env().items() if k != "PYTHONPYCACHEPREFIX"}
    vd_env["HOME"] = str(vd_home)  # no ~/.visidatarc, no history written to the real home
    vd_env["PYTHONPYCACHEPREFIX"] = str(RESULTS_DIR / "pycache-vd")
    console.print(
        f"[bold]terminal[/]: people list ({count:,} rows, first row {marker}) against "
        f"{version}; warm-up, then {runs} alternating rounds"
    )
    app_s: list[float] = []
    vd_s: list[float] = []
    try:
        for round_no in range(runs + 1):
            a = _launch_and_wait(tmux, f"bench-people-app-{round_no}", app_argv, app_env, marker)
            v = _launch_and_wait(tmux, f"bench-people-vd-{round_no}", vd_argv, vd_env, marker)
            if round_no:
                app_s.append(a)
                vd_s.append(v)
                console.print(f"  round {round_no}/{runs}: app {a:.3f} s, visidata {v:.3f} s")
            else:
                console.print(f"  warm-up: app {a:.3f} s, visidata {v:.3f} s")
    finally:
        shutil.rmtree(vd_home, ignore_errors=True)
    vd_median = statistics.median(vd_s)
    return [
        Result(
            "terminal.people.visidata",
            vd_s,
            target="baseline",
            passed=True,
            description=f"{version} opening people.csv ({count:,} rows): launch to the first "
            "row visible in tmux",
            extra={"command": vd_argv, "rows": count},
        ),
        Result(
            "terminal.people.app",
            app_s,
            target="<= visidata",
            passed=statistics.median(app_s) <= vd_median,
            baseline_median_s=vd_median,
            description="the app opened on its list of every person: launch to the first row "
            "visible in tmux",
            extra={"command": app_argv, "rows": count, "first_row_nhs": marker},
        ),
    ]


# -- typing into the date field -------------------------------------------------------------

DIALOG_LABEL = "Snooze until"
"""The label over the snooze dialog's date field: the field is the line under it."""
QUEUE_MARKER = "Review queue"


def _box_text(line: str) -> str:
    """The text inside the dialog's box on one screen line (between its ``│`` borders;
    the review queue shows either side of the box)."""
    parts = line.split("│")
    return parts[1].strip() if len(parts) >= 3 else ""


def _dialog_field(lines: list[str]) -> str | None:
    """The snooze dialog's date field as shown (None while the dialog is not up). Found by
    its label on every capture, so a dialog that moves as it is typed into is still read."""
    for index, line in enumerate(lines[:-1]):
        if DIALOG_LABEL in line:
            return _box_text(lines[index + 1])
    return None


QUIET_S = 0.5
"""The program has used no CPU for this long: settled, and a key is timed on its own."""
SETTLE_TIMEOUT_S = 60.0


def _cpu_ticks(pid: int) -> int | None:
    """User and system CPU ticks of ``pid`` and its threads so far (None if gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime


def _wait_settled(tmux: TmuxControl, name: str) -> None:
    """Wait until the program in ``name`` has used no CPU for ``QUIET_S`` (or the cap):
    the app prepares the other sections in the background after Home (building their
    screens on the UI thread, reading in workers), which on the large demo takes seconds
    of a loaded machine; typing is timed once that is done, as for the bare Input. Where
    ``/proc`` is missing, a fixed pause."""
    pid = tmux.pane_pid(name)
    if pid is None or _cpu_ticks(pid) is None:
        time.sleep(2.0)
        return
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    last, since = _cpu_ticks(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = _cpu_ticks(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= QUIET_S:
            return


def _type_keys(tmux: TmuxControl, name: str, what: str, shown) -> list[float]:
    """Type ``TYPED`` one key at a time: each key from ``send-keys`` to ``shown(lines)``
    equal to the text typed so far."""
    samples: list[float] = []
    for end in range(1, len(TYPED) + 1):
        prefix = TYPED[:end]
        start = time.perf_counter()
        tmux.cmd(f"send-keys -t {name} -l {shlex.quote(TYPED[end - 1])}")
        samples.append(
            wait_for_screen(
                tmux,
                name,
                lambda lines, p=prefix: shown(lines) == p,
                start,
                KEY_TIMEOUT_S,
                f"typing {prefix!r} into {what}",
            )
        )
        time.sleep(0.05)  # a typist's pace, and the next key starts from an idle app
    return samples


def _type_run(tmux: TmuxControl, name: str, kind: str) -> list[float]:
    """A one-field app (``input`` or ``date``, ``benchmarks.typing_apps``) typed into."""
    from benchmarks.typing_apps import PLACEHOLDER

    argv = [sys.executable, "-m", "benchmarks.typing_apps", kind]
    start = time.perf_counter()
    tmux.new_session(name, argv, bench_env(), REPO_ROOT)
    try:
        wait_for_screen(
            tmux,
            name,
            lambda lines: any(PLACEHOLDER in line for line in lines),
            start,
            LAUNCH_TIMEOUT_S,
            f"typing app {kind}",
        )
        row = next(i for i, line in enumerate(tmux.capture(name)) if PLACEHOLDER in line)
        _wait_settled(tmux, name)  # the first frame's follow-up work is not a keystroke
        return _type_keys(
            tmux, name, kind, lambda lines: lines[row].strip() if len(lines) > row else None
        )
    finally:
        tmux.kill_session(name)


def _dialog_run(tmux: TmuxControl, name: str, db_path: Path) -> list[float]:
    """The real app on ``db_path``: ``2`` to the review queue, ``s`` on its first entry to
    the snooze dialog (its date field focused), then ``TYPED`` into the date field."""
    argv = [sys.executable, "-m", "benchmarks.typing_apps", "dialog", str(db_path)]
    start = time.perf_counter()
    tmux.new_session(name, argv, bench_env(), REPO_ROOT)
    try:
        wait_for_screen(
            tmux, name, lambda lines: any("Home" in line for line in lines), start,
            LAUNCH_TIMEOUT_S, "the app",
        )  # fmt: skip
        time.sleep(0.3)
        tmux.cmd(f"send-keys -t {name} 2")
        wait_for_screen(
            tmux,
            name,
            lambda lines: (
                any(QUEUE_MARKER in line for line in lines)
                and any("999 " in line for line in lines)
            ),
            time.perf_counter(),
            LAUNCH_TIMEOUT_S,
            "the review queue's rows",
        )
        time.sleep(0.5)  # the queue's follow-up reads (counts, compliance) are not typing
        tmux.cmd(f"send-keys -t {name} s")
        wait_for_screen(
            tmux,
            name,
            lambda lines: _dialog_field(lines) is not None,
            time.perf_counter(),
            LAUNCH_TIMEOUT_S,
            "the snooze dialog",
        )
        _wait_settled(tmux, name)
        return _type_keys(tmux, name, "the snooze dialog's date field", _dialog_field)
    finally:
        tmux.kill_session(name)


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.1f} ms"


def typing(tmux: TmuxControl, runs: int, db_path: Path) -> list[Result]:
    """Issue 23 §2: the real snooze dialog (the app on ``db_path``) against a bare Input,
    typed the same way; the DateInput alone in a two-widget app is information."""
    console.print(
        f"[bold]terminal[/]: typing {TYPED!r} into a bare Input, the snooze dialog's date "
        f"field (the app on {db_path.name}) and the DateInput alone; warm-up, then {runs} "
        "alternating rounds"
    )
    bare: list[float] = []
    dialog: list[float] = []
    alone: list[float] = []
    loads: list[list[float] | None] = []
    for round_no in range(runs + 1):
        b = _type_run(tmux, f"bench-type-bare-{round_no}", "input")
        d = _dialog_run(tmux, f"bench-type-dialog-{round_no}", db_path)
        a = _type_run(tmux, f"bench-type-date-{round_no}", "date")
        load = load_average()
        if round_no:
            bare += b
            dialog += d
            alone += a
            loads.append(load)
            console.print(
                f"  round {round_no}/{runs}: bare {_ms(b)}, dialog {_ms(d)}, "
                f"widget alone {_ms(a)} (median per key; load {load})"
            )
    bare_median = statistics.median(bare)
    typed = f"(typing {TYPED!r})"
    extra = {"load_average_per_round": loads}
    return [
        Result(
            "terminal.typing.bare",
            bare,
            target="baseline",
            passed=True,
            description=f"bare Textual Input: key sent to tmux to the character visible {typed}",
            extra=extra,
        ),
        Result(
            "terminal.typing.dialog",
            dialog,
            target=f"<= {TYPING_RATIO}x bare",
            passed=statistics.median(dialog) <= TYPING_RATIO * bare_median,
            baseline_median_s=bare_median,
            description="the app's snooze dialog (review queue, large demo): key sent to tmux "
            f"to the character visible in its date field {typed}",
            extra=extra,
        ),
        Result(
            "terminal.typing.date",
            alone,
            target="information",
            passed=True,
            baseline_median_s=bare_median,
            description="the DateInput alone in a two-widget app: key sent to tmux to the "
            f"character visible {typed}",
            extra=extra,
        ),
    ]


def run(db_path: Path, runs: int = 7) -> list[Result]:
    """Both comparisons; a missing VisiData skips only the people pair (reported)."""
    tmux = TmuxControl()
    results: list[Result] = []
    problems: list[str] = []
    try:
        try:
            results += people(tmux, db_path, runs)
        except BenchmarkError as exc:
            console.print(f"[bold red]terminal.people skipped:[/] {exc}")
            problems.append(str(exc))
        results += typing(tmux, runs, db_path)
    finally:
        tmux.close()
    if problems and not results:
        raise BenchmarkError("; ".join(problems))
    if problems:
        # The typing figures stand; the people pair is reported as a failed benchmark.
        raise PartialResults(results, "; ".join(problems))
    return results


def main(argv: list[str] | None = None) -> int:
    return standalone_main(
        "benchmarks.terminal",
        "People list against VisiData, and date typing, timed in tmux.",
        run,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
