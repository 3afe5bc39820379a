"""Demo scales (domain.md §7) plus `tiny` for tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    towns: tuple[str, ...] | None  # None = every town of the district
    days: int
    cases_per_year: int
    hotline_per_year: int
    sensors: int
    reading_interval_min: int = 60


YINGPU = "盈浦街道"
SCALES: dict[str, Scale] = {
    # One town, two months, a handful of sensors: builds in seconds for tests of other layers.
    "tiny": Scale("tiny", (YINGPU,), 60, 12_000, 6_000, 40),
    "town": Scale("town", (YINGPU,), 365, 60_000, 30_000, 300),
    "district": Scale("district", None, 365, 1_000_000, 500_000, 5_000),
}
# City scale (16 districts, ~1B readings a year) needs geography we do not ship and more disk than a
# demo deserves; it is documented as an estimate in docs/demo.md rather than generated.
CITY_NOTE = "city scale is not generated: see docs/demo.md for the estimate"


def get_scale(name: str) -> Scale:
    if name == "city":
        raise ValueError(CITY_NOTE)
    try:
        return SCALES[name]
    except KeyError as exc:
        raise ValueError(f"unknown scale {name!r}; choose one of {', '.join([*SCALES, 'city'])}") from exc
