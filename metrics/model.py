"""Indicator declarations as data, and the values the metrics layer returns.

An indicator is a frozen declaration: its numerator and denominator are filtered aggregates over one
fact table, named by predicates declared in ``metrics.predicates``. Nothing here runs SQL; the
compiler (``metrics.compiler``) turns declarations into one statement per fact table.

Rates are fractions (0.9372, not 93.72); ``unit`` says how a page should show them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Kind = Literal["count", "ratio", "duration", "score"]
Measure = Literal["count", "sum", "quantile"]
Direction = Literal["higher", "lower"]
Status = Literal["green", "amber", "red"]

DIMENSIONS = ("城市安全", "城市治理", "民生服务", "城市运行")
DIMENSION_EN = {"城市安全": "City safety", "城市治理": "City governance", "民生服务": "Public services",
                "城市运行": "City operations"}


@dataclass(frozen=True)
class Aggregate:
    """``measure`` over the rows of ``table`` matching every predicate named in ``filter``.

    ``filter`` names predicates of ``metrics.predicates.TABLES[table]`` (never free SQL), ``expr``
    names a declared measure expression (for sum and quantile).
    """

    table: str
    filter: tuple[str, ...]
    measure: Measure = "count"
    expr: str | None = None
    q: float | None = None


@dataclass(frozen=True)
class Indicator:
    id: str
    zh: str
    en: str
    description: str
    kind: Kind
    numerator: Aggregate
    denominator: Aggregate | None = None
    unit: str = "%"
    direction: Direction = "higher"
    target: float | None = None
    warning: float | None = None  # 触警阈值: beyond it the status is red, between it and target amber
    excellent: float | None = None  # 优质阈值
    dimension: str = "城市治理"
    source: str = "standard"
    formula_zh: str = ""
    formula_en: str = ""

    @property
    def table(self) -> str:
        return self.numerator.table


@dataclass(frozen=True)
class IndicatorValue:
    """One indicator over the whole query scope, with the previous comparable period."""

    metric_id: str
    name_zh: str
    name_en: str
    unit: str
    direction: Direction
    numerator: float | None
    denominator: float | None
    value: float | None
    previous_value: float | None
    target: float | None
    status: Status | None

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous_value is None:
            return None
        return self.value - self.previous_value


def clean(x: object) -> float | None:
    """DuckDB/pandas missing values (None, NaN, NA) become None; numbers become float."""
    if x is None:
        return None
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def ratio(num: float | None, den: float | None) -> float | None:
    """A rate with a zero (or missing) denominator has no value: never 0% or 100%."""
    if num is None or den is None or den == 0:
        return None
    return num / den


def status_of(ind: Indicator, value: float | None) -> Status | None:
    """green at or beyond target; amber between target and the warning threshold; red beyond it."""
    if value is None or ind.target is None:
        return None
    def better(a: float, b: float) -> bool:
        return a >= b if ind.direction == "higher" else a <= b

    if better(value, ind.target):
        return "green"
    if ind.warning is not None and better(value, ind.warning):
        return "amber"
    return "red"


def score_of(ind: Indicator, value: float | None) -> float | None:
    """CityScore metric score: actual/target, or target/actual when lower is better (1.0 = on target)."""
    if value is None or ind.target is None or ind.target == 0:
        return None
    if ind.direction == "higher":
        return value / ind.target
    # a perfect zero on a lower-is-better rate is infinitely better than target; callers cap scores
    return math.inf if value == 0 else ind.target / value
