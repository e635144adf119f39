"""Travel between two places: straight-line (haversine) distance times a road factor, at
the speed of the carer's transport mode. All figures live in :class:`TravelConfig`."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

EARTH_RADIUS_KM = 6371.0088
_sin, _asin, _sqrt, _ceil = math.sin, math.asin, math.sqrt, math.ceil
_DIAMETER_KM = 2 * EARTH_RADIUS_KM  # (``2 * EARTH_RADIUS_KM * x`` is this times x)


@dataclass(frozen=True)
class TravelConfig:
    """How travel time is estimated.

    ``road_factor`` turns crow-flies distance into road distance (1.3 is a common urban
    figure); ``speeds_kmh`` is per transport mode; an unknown mode uses ``default_mode``.
    ``minimum_minutes`` is charged for any move between two different places (parking,
    walking to the door); the same place costs nothing.
    """

    road_factor: float = 1.3
    speeds_kmh: dict[str, float] = field(default_factory=lambda: {"walk": 4.8, "drive": 30.0})
    default_mode: str = "drive"
    minimum_minutes: int = 0

    def speed(self, mode: str) -> float:
        return self.speeds_kmh.get(mode) or self.speeds_kmh[self.default_mode]


DEFAULT_TRAVEL = TravelConfig()


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def travel_minutes(
    lat1: float,
    lon1: float,
    lat2: float,
    lon2: float,
    mode: str,
    config: TravelConfig = DEFAULT_TRAVEL,
) -> int:
    """Whole minutes (rounded up) to travel between two points by ``mode``."""
    if lat1 == lat2 and lon1 == lon2:
        return 0
    return minutes_for_km(haversine_km(lat1, lon1, lat2, lon2), mode, config)


def minutes_for_km(km_crow_flies: float, mode: str, config: TravelConfig = DEFAULT_TRAVEL) -> int:
    """Whole minutes (rounded up) for a crow-flies distance, road factor applied."""
    minutes = math.ceil(km_crow_flies * config.road_factor / config.speed(mode) * 60 - 1e-9)
    return max(minutes, config.minimum_minutes)


class TravelTable:
    """Travel minutes between numbered places, memoised; radians computed once per place."""

    def __init__(
        self, places: dict[int, tuple[float, float]], config: TravelConfig = DEFAULT_TRAVEL
    ) -> None:
        self.config = config
        radians, cos = math.radians, math.cos
        self._geo = {
            key: (rlat, radians(lon), cos(rlat))
            for key, (lat, lon) in places.items()
            for rlat in (radians(lat),)
        }
        self._memo: dict[tuple[int, int, str], int] = {}
        self._speeds: dict[str, float] = {}

    def leg(self, mode: str) -> Legs:
        """``minutes`` for one mode, as a function of the two places: the shift builder
        asks it once per pair of visits (15,000 times in a large week's full check), and
        a memo of its own per mode keyed by the pair (a dict, :class:`Legs`, which the
        builder reads without a call) spares a call and a key a time. It asks ``minutes``
        (a subclass's own, e.g. the solver's journey matrix) once a pair."""
        legs = self.__dict__.setdefault("_legs", {})  # a subclass may set up its own way
        found = legs.get(mode)
        if found is None:
            found = legs[mode] = Legs(self.minutes, mode)
        return found

    def minutes(self, a: int, b: int, mode: str) -> int:
        if a == b:
            return 0
        key = (a, b, mode)
        found = self._memo.get(key)
        if found is not None:
            return found
        found = self._estimate(a, b, self._speed(mode))
        self._memo[key] = found
        self._memo[(b, a, mode)] = found
        return found

    def _speed(self, mode: str) -> float:
        speed = self._speeds.get(mode)
        if speed is None:
            speed = self._speeds[mode] = self.config.speed(mode)
        return speed

    def _estimate(self, a: int, b: int, speed: float) -> int:
        """``minutes_for_km`` of the haversine distance, inline (a cold full check of a
        week at ten times the data asks 2,300 pairs), with the same arithmetic in the
        same order, so the same whole minutes."""
        ga, gb = self._geo.get(a), self._geo.get(b)
        if ga is None or gb is None or ga[0] == gb[0] and ga[1] == gb[1]:
            return 0
        h = math.sin((gb[0] - ga[0]) / 2) ** 2 + ga[2] * gb[2] * math.sin((gb[1] - ga[1]) / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
        config = self.config
        found = math.ceil(km * config.road_factor / speed * 60 - 1e-9)
        return found if found >= config.minimum_minutes else config.minimum_minutes


class Legs(dict):
    """Travel minutes by one mode between two places, keyed by the pair ``(a, b)``: a
    pair not yet known is asked of ``minutes`` once (``__missing__``). Called as
    ``legs(a, b)`` it is a function of the two places (the same place costs nothing).

    For a plain :class:`TravelTable` (not a subclass with its own ``minutes``, such as
    the solver's journey matrix) a missing pair is estimated here directly, without the
    table's own memo: the same figure, without two more keys a pair (issue 23 §1). It
    is kept the way round it was asked only: a cold full check at ten times the data
    asks 2,247 pairs and then only 14 the other way round, so keeping each both ways
    made a key, an entry and an object for the collector to walk per pair for those."""

    __slots__ = ("_factor", "_geo", "_least", "_minutes", "_mode", "_speed")

    def __init__(self, minutes: Callable[[int, int, str], int], mode: str) -> None:
        super().__init__()
        self._minutes = minutes
        self._mode = mode
        table = getattr(minutes, "__self__", None)
        plain = isinstance(table, TravelTable) and type(table).minutes is TravelTable.minutes
        self._geo = table._geo if plain else None
        self._factor = table.config.road_factor if plain else 0.0
        self._least = table.config.minimum_minutes if plain else 0
        self._speed = table._speed(mode) if plain else 0.0

    def __missing__(self, key: tuple[int, int]) -> int:
        """``TravelTable._estimate`` inline, the same arithmetic in the same order (so the
        same whole minutes): a cold full check at ten times the data asks 2,200 pairs,
        and the call was a seventh of each. Each place's figures unpacked once, not read
        by index (120 bytecodes a pair were 80: a cold check's 2,200 pairs)."""
        geo = self._geo
        a, b = key
        if geo is None or a == b:
            value = self[key] = self._minutes(a, b, self._mode)
            return value
        if a not in geo or b not in geo:
            value = 0
        else:
            lat_a, lon_a, cos_a = geo[a]
            lat_b, lon_b, cos_b = geo[b]
            if lat_a == lat_b and lon_a == lon_b:
                value = 0
            else:
                h = _sin((lat_b - lat_a) / 2) ** 2 + cos_a * cos_b * _sin((lon_b - lon_a) / 2) ** 2
                km = _DIAMETER_KM * _asin(min(1.0, _sqrt(h)))
                value = _ceil(km * self._factor / self._speed * 60 - 1e-9)
                if value < self._least:
                    value = self._least
        self[key] = value
        return value

    def __call__(self, a: int, b: int) -> int:
        return 0 if a == b else self[(a, b)]
