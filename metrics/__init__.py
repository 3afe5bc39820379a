"""The metrics layer: the single source of every number the dashboard shows.

Every function takes a read-only DuckDB connection and a ``Query`` (unit subtree, period, filters) and
returns a pandas DataFrame or frozen dataclasses. Rates are fractions; a zero denominator gives no
value (None/NaN), never 0 or 1. Indicator declarations: ``catalog()``; formulas: docs/metrics.md.
Names exported here are stable: pages code against them.
"""

from __future__ import annotations

from .catalog import BY_ID, INDICATORS, VITAL_SIGNS, catalog, target_of
from .hotline import repeat_complaints
from .indicators import TABLE_COLUMNS, drill, indicator_table, indicator_values, monthly_trend
from .model import Aggregate, Indicator, IndicatorValue, score_of, status_of
from .query import Period, Query, QueryError
from .ranking import RANKING_COLUMNS, ranking, wilson_bound
from .scores import DimensionScore, SignScore, VitalSigns, evaluation, evaluations, grade, vital_signs
from .sensors import alarm_cases, alarms_by_severity, latest_readings, sensor_online
from .staffing import cases_per_person, grids_without_night_cover, night_cover, on_duty
from .stations import StationClosure, station_closure, station_trend, urgent_breaches

__all__ = [
    "BY_ID", "INDICATORS", "RANKING_COLUMNS", "TABLE_COLUMNS", "VITAL_SIGNS",
    "Aggregate", "DimensionScore", "Indicator", "IndicatorValue", "Period", "Query", "QueryError", "SignScore",
    "StationClosure", "VitalSigns",
    "alarm_cases", "alarms_by_severity", "cases_per_person", "catalog", "drill", "evaluation", "evaluations",
    "grade", "grids_without_night_cover", "indicator_table", "indicator_values", "latest_readings",
    "monthly_trend", "night_cover", "on_duty", "ranking", "repeat_complaints", "score_of", "sensor_online",
    "station_closure", "station_trend", "status_of", "target_of", "urgent_breaches", "vital_signs", "wilson_bound",
]
