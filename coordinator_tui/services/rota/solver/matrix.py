"""A travel matrix from a CSV file: minutes between places, for the solver to use instead
of the distance estimate (``rota solve --travel FILE.csv``).

The estimate (``travel.py``: straight-line distance, a road factor, a speed per mode) knows
nothing of rivers, one-way streets or the school run; an agency that has real journey
times (from a routing service, or its carers' own) can give them here. The format::

    from,to,minutes,mode
    OL16 1AA,OL16 2BB,12,drive
    OL16 2BB,OL16 1AA,14,
    "53.6120,-2.1400",OL16 1AA,9,walk

- ``from`` and ``to``: a customer's postcode (spaces and case do not matter) or
  coordinates ``lat,lon`` (in quotes, as the comma would split them; 4 decimal places are
  matched, about 10 metres);
- ``minutes``: a whole number from 0 to 1440;
- ``mode`` (optional column, or blank): ``drive`` or ``walk``; blank applies to both.

A journey listed one way only is taken to be the same the other way. Journeys the file
does not list keep the estimate, and so do journeys from a carer's home (which only the
objective prices, not the rules). The matrix is used by that solve and by its check
against the rules; the rota grid keeps the estimate, so a journey the matrix makes
shorter than the estimate may show there as too little travel time.

A broken file is refused in one line, never guessed at, with the same hygiene as the rota
import: a NUL byte, a quote left open, a value over the csv module's field limit, a
column named twice, a journey given twice with different minutes.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from coordinator_tui.services.errors import CoordinatorError
from coordinator_tui.services.rota.travel import TravelTable
from coordinator_tui.services.rota_import import _csv_problem

COLUMNS = ("from", "to", "minutes", "mode")
REQUIRED = ("from", "to", "minutes")
MODES = ("drive", "walk")
MAX_MINUTES = 24 * 60
MAX_BYTES = 50_000_000  # a matrix for 3,000 places is about 9 million journeys: too many
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
_COORDINATES = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


class TravelMatrixError(CoordinatorError):
    """A travel matrix file that cannot be used; the message is one line."""


@dataclass(frozen=True)
class TravelMatrix:
    """Minutes between places: (from, to, mode) -> minutes, mode "" for every mode."""

    minutes: dict[tuple[str, str, str], int]

    def __len__(self) -> int:
        return len(self.minutes)

    def lookup(self, a: str, b: str, mode: str) -> int | None:
        """The minutes from place ``a`` to ``b`` by ``mode``: that way first, for the mode
        then for any mode, then the other way round; None when not listed."""
        found = self.minutes
        for key in ((a, b, mode), (a, b, ""), (b, a, mode), (b, a, "")):
            value = found.get(key)
            if value is not None:
                return value
        return None


def place_key(text: str) -> str | None:
    """A place as the matrix matches it: a postcode without spaces, upper case
    (``OL161AA``), or coordinates to 4 decimal places (``53.6120,-2.1400``); None when
    ``text`` is neither."""
    coordinates = _COORDINATES.match(text)
    if coordinates:
        lat, lon = float(coordinates.group(1)), float(coordinates.group(2))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return coordinate_key(lat, lon)
        return None
    postcode = re.sub(r"\s+", "", text).upper()
    return postcode if _POSTCODE.match(postcode) else None


def coordinate_key(lat: float, lon: float) -> str:
    return f"{lat:.4f},{lon:.4f}"


def _problem(row: int, message: str) -> TravelMatrixError:
    return TravelMatrixError(f"Travel matrix row {row}: {message}")


def read_travel_matrix(text: str) -> TravelMatrix:
    """The matrix in ``text`` (the file's contents), or :class:`TravelMatrixError` with one
    line saying what is wrong and where (rows numbered as a spreadsheet shows them)."""
    text = text.lstrip("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise TravelMatrixError(
            f"Travel matrix line {line}: the file holds a NUL byte, so it is not a text CSV "
            "file (save it as CSV UTF-8)"
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        raise TravelMatrixError(f"Travel matrix {_csv_problem(1, 1, exc)}") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise _problem(
            1, f"missing column(s) {', '.join(missing)} (the columns: {', '.join(COLUMNS)})"
        )
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise _problem(
            1, f"unknown column(s) {', '.join(unknown)} (the columns: {', '.join(COLUMNS)})"
        )
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise _problem(1, f"column(s) {', '.join(twice)} named more than once")
    found: dict[tuple[str, str, str], int] = {}
    number = 1
    while True:
        first_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise TravelMatrixError(
                f"Travel matrix {_csv_problem(number + 1, first_line, exc)}"
            ) from None
        number += 1
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(header):
            raise _problem(number, "more values than columns")
        row = dict(zip(header, (value.strip() for value in values), strict=False))
        ends = []
        for column in ("from", "to"):
            value = row.get(column, "")
            key = place_key(value)
            if key is None:
                shown = value if len(value) <= 30 else value[:29] + "…"
                raise _problem(
                    number,
                    f"{column} must be a postcode (OL16 1AA) or coordinates in quotes "
                    f"(\"53.61,-2.14\"), not '{_printable(shown)}'",
                )
            ends.append(key)
        minutes = _minutes(row.get("minutes", ""), number)
        mode = row.get("mode", "").lower()
        if mode and mode not in MODES:
            shown = _printable(mode[:20])
            raise _problem(number, f"mode must be {' or '.join(MODES)} or blank, not '{shown}'")
        key = (ends[0], ends[1], mode)
        if key in found and found[key] != minutes:
            raise _problem(
                number,
                f"the journey {ends[0]} to {ends[1]}{' by ' + mode if mode else ''} is "
                f"given twice, {found[key]} and {minutes} minutes",
            )
        found[key] = minutes
    if not found:
        raise TravelMatrixError("Travel matrix: no journeys in the file (only a header?)")
    return TravelMatrix(found)


def _printable(text: str) -> str:
    """A value echoed in an error: control characters shown as ``?`` (one line)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _minutes(text: str, row: int) -> int:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value != int(value) or not 0 <= value <= MAX_MINUTES:
        shown = _printable(text[:20])
        raise _problem(
            row, f"minutes must be a whole number from 0 to {MAX_MINUTES}, not '{shown}'"
        )
    return int(value)


def load_travel_matrix(path: Path) -> TravelMatrix:
    """The matrix in the file at ``path`` (refused in one line: missing, too big, not
    UTF-8, or any problem :func:`read_travel_matrix` finds)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise TravelMatrixError(
                f"Travel matrix {path}: {size:,} bytes, more than the {MAX_BYTES:,} allowed"
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TravelMatrixError(
            f"Travel matrix {path}: not UTF-8 text (save it as CSV UTF-8)"
        ) from None
    except OSError as exc:
        raise TravelMatrixError(f"Travel matrix {path}: cannot be read ({exc.strerror})") from None
    return read_travel_matrix(text)


class MatrixTravelTable(TravelTable):
    """The week's travel table with the matrix's journeys between customers in place of
    the estimate (``places``: customer -> the keys it is known by)."""

    def __init__(
        self, estimate: TravelTable, matrix: TravelMatrix, places: dict[int, tuple[str, ...]]
    ) -> None:
        self.config = estimate.config
        self._estimate = estimate
        self._matrix = matrix
        self._places = places
        self._listed: dict[tuple[int, int, str], int | None] = {}
        self.used = 0  # journeys between customers of the week the matrix gave

    def minutes(self, a: int, b: int, mode: str) -> int:
        if a == b:
            return 0
        key = (a, b, mode)
        if key not in self._listed:
            found = None
            for pa in self._places.get(a, ()):
                for pb in self._places.get(b, ()):
                    found = self._matrix.lookup(pa, pb, mode)
                    if found is not None:
                        break
                if found is not None:
                    break
            self._listed[key] = found
            if found is not None:
                self.used += 1
        found = self._listed[key]
        return found if found is not None else self._estimate.minutes(a, b, mode)


def customer_places(
    customers: dict[int, tuple[float, float]], postcodes: dict[int, str]
) -> dict[int, tuple[str, ...]]:
    """Customer -> the keys the matrix may know them by: their postcode, their place."""
    places: dict[int, tuple[str, ...]] = {}
    for customer_id, (lat, lon) in customers.items():
        keys = []
        postcode = place_key(postcodes.get(customer_id, "") or "")
        if postcode is not None and "," not in postcode:
            keys.append(postcode)
        if lat or lon:
            keys.append(coordinate_key(lat, lon))
        places[customer_id] = tuple(keys)
    return places
