"""Demo scales (domain.md §7) plus `tiny` for tests."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Scale:
    name: str
    towns: tuple[str, ...] | None  # None = every town of the district (of every district for the city)
    days: int
    cases_per_year: int
    hotline_per_year: int
    sensors: int
    reading_interval_min: int = 60

    def sized(self, factor: float, days: int | None = None) -> Scale:
        """The same scale with ``factor`` times the cases, orders and sensors per year, over ``days`` if
        given (tests shrink the city: its geography and rosters per grid stay whole)."""
        if factor <= 0 or (days is not None and days < 1):
            raise ValueError(f"size factor and days must be positive, not {factor} and {days}")
        return replace(self, cases_per_year=max(1, round(self.cases_per_year * factor)),
                       hotline_per_year=max(1, round(self.hotline_per_year * factor)),
                       sensors=max(1, round(self.sensors * factor)), days=days or self.days)


YINGPU = "盈浦街道"
SCALES: dict[str, Scale] = {
    # One town, two months, a handful of sensors: builds in seconds for tests of other layers.
    "tiny": Scale("tiny", (YINGPU,), 60, 12_000, 6_000, 40),
    "town": Scale("town", (YINGPU,), 365, 60_000, 30_000, 300),
    "district": Scale("district", None, 365, 1_000_000, 500_000, 5_000),
    # Shanghai's 16 districts (data/reference/shanghai), generated district by district: etl/demo/city.py.
    "city": Scale("city", None, 365, 10_000_000, 5_000_000, 20_000),
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError as exc:
        raise ValueError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}") from exc
