"""Exports of an encrypted database are encrypted (issue 17 §5): every file the app writes
with people's details, from a database made with ``db encrypt``, is encrypted with an export
password (``services.exporting.export_sink``): Word and Excel files with Office's own
password (ECMA-376 agile, AES-256), anything else in an AES-256 zip (``name.csv.zip``).

Each export site is run twice on the same encrypted database: once as a plain database
would write it, once encrypted; the encrypted file opens with the export password (here
with msoffcrypto and pyzipper, as Word, Excel and 7-Zip would) to the same content, and a
wrong password opens nothing. A plain database's exports are plain files as before. The
audit row says the file was encrypted, never the password. In the app: the export
password is asked for (masked, twice, the password rules), held in memory only, and
forgotten on lock; the command line takes it from ``COORDINATOR_TUI_EXPORT_PASSWORD`` and
refuses without it when nobody is at a terminal to be asked.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import DEMO_TODAY
from pilot_helpers import wait_for
from sqlmodel import select

from coordinator_tui import keyslots
from coordinator_tui.db import open_database, session_scope
from coordinator_tui.models import AuditEvent
from coordinator_tui.services import exporting
from coordinator_tui.services.access import operator_principal
from coordinator_tui.services.exporting import (
    EXPORT_PASSWORD_KEY,
    ExportPassword,
    ExportPasswordRequiredError,
)
from tests.test_encryption import ADMIN, PASSWORD, add_account, cli, encrypt

pytest.importorskip("sqlcipher3")
msoffcrypto = pytest.importorskip("msoffcrypto")
pyzipper = pytest.importorskip("pyzipper")

EXPORT_PASSWORD = "velvet harbour lantern"
WRONG = "copper kettle morning"
NOVEMBER = 4  # the small demo's finished meeting (record entries, minutes)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


# -- the encrypted database --------------------------------------------------------------


@pytest.fixture(scope="module")
def encrypted_db(_small_demo_template: Path, tmp_path_factory) -> Path:
    """The small demo with an administrator, encrypted with ``db encrypt`` (once for the
    module: the tests only export, which adds audit rows)."""
    path = tmp_path_factory.mktemp("encrypted") / "demo.db"
    shutil.copyfile(_small_demo_template, path)
    os.chmod(path, 0o600)
    opened = open_database(str(path))
    try:
        add_account(opened.engine, ADMIN, PASSWORD, ["administrator", "safeguarding_lead"])
    finally:
        opened.engine.dispose()
    keyslots.forget()
    encrypt(path)
    return path


@pytest.fixture
def engine(encrypted_db: Path) -> Iterator:
    keyslots.forget()
    keyslots.unlock(encrypted_db, ADMIN, PASSWORD)
    opened = open_database(str(encrypted_db))
    try:
        yield opened.engine
    finally:
        opened.engine.dispose()
        keyslots.forget()


@contextmanager
def unit(engine, password: str | None = EXPORT_PASSWORD):
    """A unit of work as the app's: a principal, and the export password it holds."""
    with session_scope(engine, operator_principal("tester")) as session:
        if password is not None:
            session.info[EXPORT_PASSWORD_KEY] = ExportPassword(password)
        yield session


# -- opening what was written, as the recipient would ------------------------------------


def opened(path: Path, password: str) -> bytes:
    """The file's plain bytes, opened with ``password`` (a wrong one raises)."""
    if path.suffix == ".zip":
        with pyzipper.AESZipFile(path) as archive:
            archive.setpassword(password.encode("utf-8"))
            [info] = archive.infolist()
            assert info.filename == path.stem  # the file inside: the name without .zip
            assert info.flag_bits & 0x1  # encrypted
            return archive.read(info.filename)
    with path.open("rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        assert office.is_encrypted()
        office.load_key(password=password)
        out = io.BytesIO()
        office.decrypt(out)
        return out.getvalue()


def content(suffix: str, data: bytes) -> object:
    """What a file says: a Word file's paragraphs and table cells, a workbook's cells,
    a text file's bytes (Office files carry their own zip timestamps)."""
    if suffix == ".docx":
        from docx import Document

        document = Document(io.BytesIO(data))
        cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
        return [p.text for p in document.paragraphs] + cells
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data))
        return {s.title: [list(r) for r in s.iter_rows(values_only=True)] for s in book}
    return data


def inner_suffix(path: Path) -> str:
    return Path(path.stem).suffix if path.suffix == ".zip" else path.suffix


# -- every export site -------------------------------------------------------------------


def _first(session, model, **where) -> int:
    query = select(model.id).order_by(model.id)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return session.exec(query).first()


def _letters(kind: str) -> Callable:
    def run(s, out: Path) -> list[Path]:
        from coordinator_tui.models.governance import Complaint, Incident
        from coordinator_tui.services.governance.letters import write_letter_pair

        row = _first(s, Incident if kind == "candour" else Complaint)
        return write_letter_pair(s, kind, row, out, DEMO_TODAY)

    return run


def _minutes(fmt: str, internal: bool) -> Callable:
    def run(s, out: Path) -> list[Path]:
        from coordinator_tui.services.meetings.minutes import export_minutes

        return [export_minutes(s, NOVEMBER, fmt, out / f"minutes.{fmt}", internal=internal)]

    return run


def _record_entries(s, out: Path) -> list[Path]:
    from coordinator_tui.services.meetings.minutes import write_record_entries

    return write_record_entries(s, NOVEMBER, out / "entries", recorded_by="tester")


def _chronology(s, out: Path) -> list[Path]:
    from coordinator_tui.models import Person
    from coordinator_tui.services.chronology import chronology, export_chronology

    person_id = _first(s, Person)
    items = chronology(s, person_id)
    return export_chronology(out, "EXAMPLE, Sam", person_id, items, session=s)


def _call_list(s, out: Path) -> list[Path]:
    from coordinator_tui.models.rota import Absence
    from coordinator_tui.services.rota.call_list import call_list, export_call_list

    calls = call_list(s, _first(s, Absence))
    return list(export_call_list(calls, out, today=DEMO_TODAY, session=s))


def _themes(s, out: Path) -> list[Path]:
    from coordinator_tui.services.reports.kpi import FORMATS
    from coordinator_tui.services.reports.themes import export_report, themes_report

    report = themes_report(s, DEMO_TODAY)
    return [export_report(s, report, fmt, out / f"themes.{fmt}") for fmt in FORMATS]


def _sharing(s, out: Path) -> list[Path]:
    from coordinator_tui.services.reports.sharing import export_sharing, sharing_rows

    return [export_sharing(s, out, sharing_rows(s), None, None)]


def _kpi(s, out: Path) -> list[Path]:
    from coordinator_tui.services.reports import kpi

    pack = kpi.kpi_pack(s, date(2026, 10, 1), now=NOW)
    one = kpi.export_pack(s, pack, "csv", out / "one-kpi.csv", show_small=False)
    return [one, *kpi.export_all(s, pack, out, show_small=False)]


def _cqc(s, out: Path) -> list[Path]:
    from coordinator_tui.services.reports import cqc

    pack = cqc.evidence_pack(s, "safeguarding", 12, DEMO_TODAY)
    return [cqc.export_pack(s, pack, out / "one-cqc.csv"), *cqc.export_all(s, pack, out)]


def _pcn(s, out: Path) -> list[Path]:
    from coordinator_tui.services.reports import pcn

    report = pcn.pcn_report(s, date(2026, 10, 1), date(2026, 10, 31), DEMO_TODAY)
    one = pcn.export_report(s, report, "xlsx", out / "one-pcn.xlsx", show_small=False)
    return [one, *pcn.export_all(s, report, out, show_small=False)]


SITES: dict[str, Callable] = {
    "candour letter": _letters("candour"),
    "complaint letter": _letters("complaint"),
    "minutes md": _minutes("md", False),
    "minutes docx INTERNAL": _minutes("docx", True),
    "record entries": _record_entries,
    "chronology": _chronology,
    "call list": _call_list,
    "themes report": _themes,
    "sharing report": _sharing,
    "kpi pack": _kpi,
    "cqc evidence": _cqc,
    "pcn report": _pcn,
}


def run_site(engine, site: str, out: Path, *, plain: bool, monkeypatch) -> list[Path]:
    """The export as a plain database writes it, or as the encrypted one does."""
    out.mkdir(parents=True, exist_ok=True)
    with monkeypatch.context() as patch:
        if plain:
            patch.setattr(exporting, "database_encrypted", lambda _session: False)
        with unit(engine) as s:
            return SITES[site](s, out)


@pytest.mark.parametrize("site", list(SITES))
def test_every_export_is_encrypted_and_opens_with_the_export_password(
    engine, site, tmp_path, monkeypatch
):
    plain = run_site(engine, site, tmp_path / "plain", plain=True, monkeypatch=monkeypatch)
    secret = run_site(engine, site, tmp_path / "secret", plain=False, monkeypatch=monkeypatch)
    assert plain and len(secret) == len(plain)
    for clear, written in zip(plain, secret, strict=True):
        assert written.exists(), written  # the path returned is the file written
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        if clear.suffix in exporting.OFFICE_SUFFIXES:
            assert written.suffix == clear.suffix  # Word and Excel open it themselves
        else:
            assert written.suffix == ".zip" and inner_suffix(written) == clear.suffix
        assert written.read_bytes() != clear.read_bytes()
        suffix = inner_suffix(written)
        assert content(suffix, opened(written, EXPORT_PASSWORD)) == content(
            suffix, clear.read_bytes()
        )
        with pytest.raises(Exception):  # noqa: B017 (each library its own error)
            opened(written, WRONG)
    # Nothing plain was left beside the encrypted files.
    left = [p for p in (tmp_path / "secret").rglob("*") if p.is_file()]
    assert sorted(left) == sorted(secret)


def test_text_inside_a_zip_is_not_readable_on_disk(engine, tmp_path, monkeypatch):
    written = run_site(engine, "record entries", tmp_path, plain=False, monkeypatch=monkeypatch)
    for path in written:
        entry = opened(path, EXPORT_PASSWORD)
        line = max(entry.splitlines(), key=len)  # the entry's longest line
        assert len(line) > 20 and line not in path.read_bytes()


def test_a_plain_database_writes_plain_files_as_before(small_demo_engine, tmp_path):
    from coordinator_tui.services.meetings.minutes import export_minutes

    with unit(small_demo_engine, password=None) as s:
        md = export_minutes(s, NOVEMBER, "md", tmp_path / "m.md")
        docx = export_minutes(s, NOVEMBER, "docx", tmp_path / "m.docx")
    assert md == tmp_path / "m.md" and md.read_text().startswith("#")
    assert docx.read_bytes()[:2] == b"PK"  # a Word file as written, no password
    assert exports(small_demo_engine)[-1] == {"export": "minutes", "formats": ["docx"], "files": 1}


def test_no_export_password_held_asks_for_one_and_writes_nothing(engine, tmp_path):
    from coordinator_tui.services.meetings.minutes import export_minutes

    before = len(exports(engine))
    with pytest.raises(ExportPasswordRequiredError) as refused, unit(engine, password=None) as s:
        export_minutes(s, NOVEMBER, "md", tmp_path / "m.md")
    assert "\n" not in str(refused.value) and "export password" in str(refused.value)
    assert list(tmp_path.iterdir()) == [] and len(exports(engine)) == before


def exports(engine) -> list[dict]:
    with session_scope(engine, "read") as s:
        rows = s.exec(
            select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id)
        ).all()
        return [json.loads(e.changes) if isinstance(e.changes, str) else e.changes for e in rows]


def test_the_audit_row_says_encrypted_never_the_password(engine, tmp_path, monkeypatch):
    run_site(engine, "call list", tmp_path, plain=False, monkeypatch=monkeypatch)
    row = exports(engine)[-1]
    assert row == {"export": "call list", "formats": ["csv", "md"], "files": 2, "encrypted": True}
    with session_scope(engine, "read") as s:
        trail = " ".join(f"{e.changes} {e.actor}" for e in s.exec(select(AuditEvent)).all())
    assert EXPORT_PASSWORD not in trail


@pytest.mark.parametrize(
    ("password", "says"),
    [
        (PASSWORD, exporting.SAME_AS_SIGN_IN),  # the recipient would know the sign-in one
        ("lantern", "too short"),
        ("password123!", "common"),
        (EXPORT_PASSWORD, None),
    ],
)
def test_the_export_password_rules(engine, password, says):
    from coordinator_tui.models.accounts import Account
    from coordinator_tui.services import accounts

    with session_scope(engine, "read") as s:
        account = s.exec(select(Account).where(Account.username == ADMIN)).one()
        principal = accounts.principal_for(s, account, datetime.now(UTC))
    with session_scope(engine, principal) as s:
        problem = exporting.export_password_problem(s, password)
    assert (problem is None) if says is None else (says in (problem or ""))
    assert problem is None or "\n" not in problem


def test_the_password_is_never_in_its_repr():
    held = ExportPassword(EXPORT_PASSWORD)
    assert EXPORT_PASSWORD not in repr(held) and EXPORT_PASSWORD not in str(held)
    assert EXPORT_PASSWORD not in repr(exporting.ExportSink(held))
    assert held.reveal() == EXPORT_PASSWORD


# -- the command line --------------------------------------------------------------------


def test_cli_report_with_the_env_var_writes_an_encrypted_file(encrypted_db, tmp_path):
    keyslots.forget()
    out = tmp_path / "pcn.csv"
    result = cli(
        "report", "pcn", "--out", str(out), "--db", str(encrypted_db),
        env={"COORDINATOR_TUI_EXPORT_PASSWORD": EXPORT_PASSWORD},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = tmp_path / "pcn.csv.zip"
    assert f"to {written} (csv)" in result.output
    assert "NOT encrypted" not in result.output and "encrypted with the export password" in (
        result.output
    )
    assert not out.exists() and b"," in opened(written, EXPORT_PASSWORD)
    assert EXPORT_PASSWORD not in result.output
    keyslots.forget()


def test_cli_training_matrix_csv_is_encrypted(encrypted_db, tmp_path):
    keyslots.forget()
    out = tmp_path / "matrix.csv"
    result = cli(
        "training", "matrix", "--csv", str(out), "--db", str(encrypted_db),
        env={"COORDINATOR_TUI_EXPORT_PASSWORD": EXPORT_PASSWORD},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "matrix.csv.zip") in result.output
    assert opened(tmp_path / "matrix.csv.zip", EXPORT_PASSWORD).startswith(b"carer")
    keyslots.forget()


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "set COORDINATOR_TUI_EXPORT_PASSWORD"),  # CliRunner's stdin is not a terminal
        ({"COORDINATOR_TUI_EXPORT_PASSWORD": "short"}, "export password: The password is too"),
        ({"COORDINATOR_TUI_EXPORT_PASSWORD": PASSWORD}, "not be your sign-in password"),
    ],
    ids=["none", "weak", "the-sign-in-one"],
)
def test_cli_refuses_an_export_without_a_fit_password(encrypted_db, tmp_path, env, says):
    keyslots.forget()
    out = tmp_path / "pcn.csv"
    result = cli("report", "pcn", "--out", str(out), "--db", str(encrypted_db), env=env)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], result.output
    assert list(tmp_path.iterdir()) == []
    keyslots.forget()


def test_cli_on_a_plain_database_asks_for_no_export_password(small_demo_path, tmp_path):
    out = tmp_path / "pcn.csv"
    result = cli("report", "pcn", "--out", str(out), "--db", str(small_demo_path), user=None)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() and "encrypted" not in result.output


# -- the app -------------------------------------------------------------------------------


@pytest.fixture
def encrypted_app(encrypted_db: Path, engine):
    from coordinator_tui.app import make_app
    from coordinator_tui.settings import load_settings

    settings = load_settings(str(encrypted_db))
    settings.today = DEMO_TODAY
    return make_app(settings, engine)


async def _letter_key_on_governance(pilot, app, engine):
    """Governance (6), the newest notifiable incident highlighted: its screen."""
    from test_one_key_writes_governance import an_incident, highlight, open_governance

    incident_id = an_incident(engine, notifiable=True)
    screen = await open_governance(pilot, app)
    await highlight(pilot, screen, incident_id)
    return screen


async def _type_password(pilot, app, first: str, again: str) -> None:
    from textual.widgets import Input

    screen = app.screen
    for selector, text in (("#export-password", first), ("#export-again", again)):
        field = screen.query_one(selector, Input)
        field.focus()
        await pilot.pause()
        if text:
            await pilot.press(*text)
        await pilot.press("enter")


def message(app) -> str:
    return str(app.screen.query_one("#signin-message").render())


def letters_on_disk(app) -> list[Path]:
    from coordinator_tui.screens.meetings.dialogs import output_folder

    return sorted(p for p in output_folder(app).rglob("*-letter-*") if p.is_file())


async def test_app_asks_for_the_export_password_then_writes_encrypted_letters(
    encrypted_app, engine
):
    from coordinator_tui.screens.accounts.export_password import ExportPasswordScreen

    app = encrypted_app
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _letter_key_on_governance(pilot, app, engine)
        before = len(exports(engine))
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportPasswordScreen))
        await wait_for(pilot, lambda: not screen.writing)
        assert not letters_on_disk(app) and len(exports(engine)) == before

        # A weak one, then two that differ: one line each, nothing held, typing kept.
        await _type_password(pilot, app, "lantern", "lantern")
        await wait_for(pilot, lambda: "too short" in message(app))
        assert not app.holds_export_password
        from textual.widgets import Input

        assert app.screen.query_one("#export-password", Input).value == "lantern"
        app.screen.query_one("#export-password", Input).value = ""
        app.screen.query_one("#export-again", Input).value = ""
        await _type_password(pilot, app, EXPORT_PASSWORD, WRONG)
        assert "differ" in message(app) and not app.holds_export_password
        assert len(message(app).splitlines()) == 1
        app.screen.query_one("#export-again", Input).value = ""
        await _type_password(pilot, app, "", EXPORT_PASSWORD)
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.holds_export_password and not letters_on_disk(app)

        # The export pressed again: Word with its own password, the text in a zip.
        await pilot.press("l")
        await wait_for(pilot, lambda: len(getattr(screen, "last_letters", [])) == 2)
        docx, txt = screen.last_letters
        assert docx.suffix == ".docx" and txt.name.endswith(".txt.zip")
        assert letters_on_disk(app) == sorted([docx, txt])
        assert b"Dear" in opened(txt, EXPORT_PASSWORD)
        assert content(".docx", opened(docx, EXPORT_PASSWORD))
        with pytest.raises(Exception):  # noqa: B017
            opened(docx, WRONG)
        shown = lambda: " ".join(n.message for n in app._notifications)  # noqa: E731
        await wait_for(pilot, lambda: docx.name in shown() and txt.name in shown())
        assert exports(engine)[-1]["encrypted"] is True

        # Locked, and back: the password is forgotten, so the next export asks again.
        from coordinator_tui.screens.accounts.sign_in import LockScreen

        app.lock("asked")
        assert not app.holds_export_password
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen) and app.screen.is_mounted)
        app.unlocked(app.principal)  # the same user signs back in at the lock screen
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportPasswordScreen))
        assert len(screen.last_letters) == 2


async def test_sign_out_forgets_the_export_password(encrypted_app):
    app = encrypted_app
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.engine is not None)
        app.hold_export_password(EXPORT_PASSWORD)
        app.sign_out()
        await pilot.pause()
        assert not app.holds_export_password
