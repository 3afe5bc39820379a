"""The metrics layer: the single source of every number the dashboard shows.

Every function takes a read-only DuckDB connection and a ``Query`` (unit subtree, period, filters) and
returns a pandas DataFrame or frozen dataclasses. Rates are fractions; a zero denominator gives no
value (None/NaN), never 0 or 1. Indicator declarations: ``catalog()``; formulas: docs/metrics.md.
"""

from __future__ import annotations

from .catalog import BY_ID, INDICATORS, VITAL_SIGNS, catalog
from .indicators import TABLE_COLUMNS, drill, indicator_table, indicator_values, monthly_trend
from .model import Aggregate, Indicator, IndicatorValue, score_of, status_of
from .query import Period, Query, QueryError

__all__ = [
    "BY_ID", "INDICATORS", "TABLE_COLUMNS", "VITAL_SIGNS",
    "Aggregate", "Indicator", "IndicatorValue", "Period", "Query", "QueryError",
    "catalog", "drill", "indicator_table", "indicator_values", "monthly_trend", "score_of", "status_of",
]
