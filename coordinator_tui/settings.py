"""Every setting the app has, in one place.

Settings come from (lowest to highest precedence): built-in defaults, the settings file
``settings.toml`` in the user config directory (platformdirs), the environment
(``COORDINATOR_TUI_DB``, ``COORDINATOR_TUI_USER``) and command-line options. Nothing here
touches the database or imports Textual, so the CLI can build settings cheaply.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "coordinator-tui"
DB_ENV = "COORDINATOR_TUI_DB"
USER_ENV = "COORDINATOR_TUI_USER"
CONFIG_ENV = "COORDINATOR_TUI_CONFIG"
TODAY_ENV = "COORDINATOR_TUI_TODAY"
NOW_ENV = "COORDINATOR_TUI_NOW"  # HH:MM: the time of day pinned beside the date
PREPARE_ENV = "COORDINATOR_TUI_PREPARE_SECTIONS"  # "0": open sections only when asked
DEFAULT_DB_NAME = "coordinator.db"


def user_data_dir() -> Path:
    """Where the default database lives: per-user, no admin rights needed."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_config_path() -> Path:
    """The settings file; may not exist."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "settings.toml"


def current_user() -> str:
    """Who is making changes, for the audit trail: the app user, else the OS user."""
    explicit = os.environ.get(USER_ENV)
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): still audit something
        return "unknown"


@dataclass(frozen=True)
class KpiDefinitions:
    """The homecare KPI pack's definitions (issue 16 §2), each defaulting to the
    commissioners' usual one (DESIGN.md section 7); a ``[kpi]`` table in the settings file
    changes any of them. ``missed_after`` is a UK wall-clock time; ``time_critical_skill``
    the skill code marking a time-critical visit (medication); ``typed_sources`` the
    comma-separated sources of actual times keyed in by the office, which do not count as
    calls logged by the carer."""

    late_minutes: int = 15
    very_late_minutes: int = 30
    time_critical_skill: str = "MED"
    time_critical_minutes: int = 30
    missed_after: str = "23:00"
    short_minutes: int = 30
    short_percent: int = 75
    continuity_days: int = 28
    continuity_carers: int = 3
    call_logging_target: int = 85
    typed_sources: str = "typed"
    wtr_code_prefix: str = "WTR"


KPI_RANGES = {"short_percent": (1, 100), "call_logging_target": (1, 100)}


@dataclass(frozen=True)
class ServeSettings:
    """``coordinator-tui serve`` (issue 20 §2), from a ``[serve]`` table of the settings
    file. Listening beyond this machine needs ``allow_remote = true`` and either a TLS
    certificate and key (``tls_certificate``, ``tls_key``: paths) or ``behind_proxy =
    true`` (the PCN's reverse proxy terminates TLS: README "Practice PC"). ``max_tabs``:
    browser tabs open at once, each one app process."""

    allow_remote: bool = False
    tls_certificate: str = ""
    tls_key: str = ""
    behind_proxy: bool = False
    max_tabs: int = 10


MAX_TABS_RANGE = (1, 200)


@dataclass
class Settings:
    """Resolved settings for one run of the app or one CLI command.

    ``db`` is either a file path or an SQLAlchemy URL; :func:`coordinator_tui.db.database_url`
    turns it into a URL. ``keymap`` maps binding ids to key strings (Textual ``set_keymap``).
    """

    db: str = ""
    user: str = field(default_factory=current_user)
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    review_horizon_days: int = 14
    show_small_numbers: bool = False
    """Reports show counts of 1 to 4 as they are instead of ``*`` (NHS small-number
    practice): for use inside the practice only (``show_small_numbers = true``)."""
    today: date | None = None
    now: time | None = None
    """The time of day pinned beside ``today`` (``COORDINATOR_TUI_NOW``, HH:MM: demos,
    tests and snapshots). Home, Governance and the rota all read "now" from it through
    :meth:`time_of_day` and :meth:`current_moment`, so one setting pins the three."""
    prepare_sections: bool = field(default_factory=lambda: os.environ.get(PREPARE_ENV, "1") != "0")
    """Open the built sections in the background once Home shows its counts, so that the
    first ``2``..``5`` shows a list already loaded (tests turn it off to keep each test to
    the screens it drives)."""
    kpi: KpiDefinitions = field(default_factory=KpiDefinitions)
    lock_after_minutes: int = 5
    """Idle minutes before the app locks (issue 17 §3: default 5, at most 15)."""
    serve: ServeSettings = field(default_factory=ServeSettings)

    @property
    def export_dir(self) -> Path:
        """Where exports (chronologies, minutes) are written: private to the user."""
        return user_data_dir() / "exports"

    @property
    def default_db_path(self) -> Path:
        return user_data_dir() / DEFAULT_DB_NAME

    def current_date(self) -> date:
        """The working date: pinned (``COORDINATOR_TUI_TODAY``, for demos and tests) or the
        UK local date."""
        if self.today is not None:
            return self.today
        from coordinator_tui.clock import local_today

        return local_today()

    def time_of_day(self) -> time:
        """The time of day: pinned (``now``) or the UK wall clock's, to the second."""
        if self.now is not None:
            return self.now
        from coordinator_tui.clock import UK

        return datetime.now(UK).time().replace(microsecond=0)

    def current_moment(self) -> datetime:
        """Now on the working date: :meth:`time_of_day` on ``current_date`` (both pinned
        in demos and tests), for what is due, late or missed by now."""
        from coordinator_tui.clock import UK

        return datetime.combine(self.current_date(), self.time_of_day(), tzinfo=UK)


USER_MAX_LENGTH = 60
"""The longest user name the audit trail holds (``audit_event.actor``, and the ``*_by``
columns): a longer one is refused at start on every database, not cut or refused by
PostgreSQL in the middle of a save (``tests/test_cli.py`` checks the two agree)."""
REVIEW_HORIZON_RANGE = (1, 366)


def load_settings(db: str | None = None, config_path: Path | None = None) -> Settings:
    """Build settings from defaults, the settings file, the environment and ``db``.

    A broken settings file is reported (``SettingsError``, one line naming the file and
    the setting) rather than silently ignored: a coordinator who remapped keys must know
    the file was not read.
    """
    settings = Settings()
    path = config_path or user_config_path()
    if path.is_file():
        raw = _read_settings_file(path)
        settings.theme = _text(raw, "theme", settings.theme, path)
        settings.user = _text(raw, "user", settings.user, path)
        settings.review_horizon_days = _days(raw, settings.review_horizon_days, path)
        settings.show_small_numbers = _flag(raw, "show_small_numbers", False, path)
        settings.lock_after_minutes = _lock_minutes(raw, settings.lock_after_minutes, path)
        keymap = raw.get("keymap", {})
        if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
            raise SettingsError(f'{path}: [keymap] must be a table of binding id = "keys"')
        settings.keymap = {str(k): v for k, v in keymap.items()}
        if raw.get("db"):
            settings.db = _text(raw, "db", "", path)
        if "kpi" in raw:
            settings.kpi = _kpi(raw["kpi"], path)
        if "serve" in raw:
            settings.serve = _serve(raw["serve"], path)
    if os.environ.get(USER_ENV):
        settings.user = os.environ[USER_ENV]
    if os.environ.get(TODAY_ENV):
        try:
            settings.today = date.fromisoformat(os.environ[TODAY_ENV])
        except ValueError as exc:
            raise SettingsError(f"{TODAY_ENV} must be an ISO date (YYYY-MM-DD)") from exc
    if os.environ.get(NOW_ENV):
        try:
            settings.now = time.fromisoformat(os.environ[NOW_ENV])
        except ValueError as exc:
            raise SettingsError(f"{NOW_ENV} must be a time of day (HH:MM)") from exc
    if os.environ.get(DB_ENV):
        settings.db = os.environ[DB_ENV]
    if db:
        settings.db = db
    if not settings.db:
        settings.db = str(settings.default_db_path)
    check_user_name(settings.user)
    return settings


def check_user_name(user: str) -> None:
    """Refuse a user name the audit trail cannot hold whole, or that would draw control
    characters on the terminal. The message does not repeat the name."""
    where = f"the user name (from {USER_ENV} or the settings file's 'user')"
    if not user.strip():
        raise SettingsError(f"{where} is empty")
    if len(user) > USER_MAX_LENGTH:
        raise SettingsError(
            f"{where} is {len(user)} characters long; the audit trail holds at most "
            f"{USER_MAX_LENGTH}: use a shorter name"
        )
    if any(not ch.isprintable() for ch in user):
        raise SettingsError(f"{where} holds control characters")


def _read_settings_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SettingsError(
            f"Could not read settings file {path}: not UTF-8 text (byte {exc.start}); "
            "save it as UTF-8"
        ) from None
    except OSError as exc:
        raise SettingsError(f"Could not read settings file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"Could not read settings file {path}: {exc}") from None


def _text(raw: dict[str, Any], key: str, default: str, path: Path) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise SettingsError(
            f"settings file {path}: '{key}' must be text in quotes, not {_kind(value)}"
        )
    return value


def _flag(raw: dict[str, Any], key: str, default: bool, path: Path) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise SettingsError(f"settings file {path}: '{key}' must be true or false")
    return value


def _days(raw: dict[str, Any], default: int, path: Path) -> int:
    value = raw.get("review_horizon_days", default)
    low, high = REVIEW_HORIZON_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        shown = value if isinstance(value, int) and not isinstance(value, bool) else _kind(value)
        raise SettingsError(
            f"settings file {path}: 'review_horizon_days' must be a whole number of days "
            f"from {low} to {high}, not {shown}"
        )
    return value


def _kpi(raw: object, path: Path) -> KpiDefinitions:
    """The ``[kpi]`` table: each key one of :class:`KpiDefinitions`' fields, of the same
    kind as its default (a whole number from 0 to 1440, percentages 1 to 100, text; the
    missed time ``HH:MM``)."""
    from dataclasses import fields, replace

    if not isinstance(raw, dict):
        raise SettingsError(f"settings file {path}: [kpi] must be a table")
    known = {f.name: f.default for f in fields(KpiDefinitions)}
    chosen: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise SettingsError(f"settings file {path}: [kpi] has no setting '{key}'")
        default = known[key]
        if isinstance(default, int):
            low, high = KPI_RANGES.get(key, (0, 1440))
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise SettingsError(
                    f"settings file {path}: [kpi] '{key}' must be a whole number from {low} "
                    f"to {high}"
                )
        elif not isinstance(value, str):
            raise SettingsError(f"settings file {path}: [kpi] '{key}' must be text in quotes")
        if key == "missed_after":
            try:
                datetime.strptime(value, "%H:%M")
            except ValueError:
                raise SettingsError(
                    f"settings file {path}: [kpi] 'missed_after' must be a time as HH:MM"
                ) from None
        chosen[key] = value
    return replace(KpiDefinitions(), **chosen)


def _serve(raw: object, path: Path) -> ServeSettings:
    """The ``[serve]`` table: known keys only, each of its default's kind."""
    if not isinstance(raw, dict):
        raise SettingsError(f"settings file {path}: [serve] must be a table")
    chosen: dict[str, Any] = {}
    for key, default in ServeSettings().__dict__.items():
        if key not in raw:
            continue
        value = raw[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise SettingsError(f"settings file {path}: [serve] '{key}' must be true or false")
        elif isinstance(default, int):
            low, high = MAX_TABS_RANGE
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise SettingsError(
                    f"settings file {path}: [serve] '{key}' must be a whole number from {low} "
                    f"to {high}"
                )
        elif not isinstance(value, str):
            raise SettingsError(f"settings file {path}: [serve] '{key}' must be text in quotes")
        chosen[key] = value
    unknown = sorted(set(raw) - set(ServeSettings().__dict__))
    if unknown:
        raise SettingsError(f"settings file {path}: [serve] has no setting '{unknown[0]}'")
    return ServeSettings(**chosen)


LOCK_AFTER_RANGE = (1, 15)


def _lock_minutes(raw: dict[str, Any], default: int, path: Path) -> int:
    """``lock_after_minutes``: a shared PC locks after at most 15 idle minutes (issue 17)."""
    value = raw.get("lock_after_minutes", default)
    low, high = LOCK_AFTER_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        shown = value if isinstance(value, int) and not isinstance(value, bool) else _kind(value)
        raise SettingsError(
            f"settings file {path}: 'lock_after_minutes' must be a whole number of minutes "
            f"from {low} to {high}, not {shown}"
        )
    return value


def _kind(value: object) -> str:
    """What a TOML value is, in words (the value itself is not repeated)."""
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        dict: "a table",
        list: "a list",
    }.get(type(value), "a date or time")


class SettingsError(Exception):
    """The settings file exists but cannot be used."""
