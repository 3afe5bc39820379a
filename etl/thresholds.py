"""How a reading compares with its sensor's thresholds, as SQL over a ``sensors`` row alias.

One definition for the derived alarms (etl.alarms) and the latest-reading states (metrics.sensors).
``above``: at or above ``threshold_warning`` / ``threshold_alarm`` is bad (PM2.5, water depth);
``below``: at or below them (water pressure, battery); ``outside``: above the thresholds or at or
below ``threshold_low_warning`` / ``threshold_low_alarm`` (a band: pH, temperature). A NULL threshold
raises nothing. Without a declared direction, an alarm threshold below the warning one means below.
"""

from __future__ import annotations

DIRECTIONS = ("above", "below", "outside")


def direction_sql(s: str) -> str:
    return (f"coalesce({s}.threshold_direction, CASE WHEN {s}.threshold_alarm < {s}.threshold_warning"
            " THEN 'below' ELSE 'above' END)")


def _up(v: str, warn: str, alarm: str) -> str:
    return f"(CASE WHEN {v} >= {alarm} THEN 2 WHEN {v} >= {warn} THEN 1 ELSE 0 END)"


def _down(v: str, warn: str, alarm: str) -> str:
    return f"(CASE WHEN {v} <= {alarm} THEN 2 WHEN {v} <= {warn} THEN 1 ELSE 0 END)"


def level_sql(v: str, s: str) -> str:
    """0 normal, 1 warning, 2 alarm for value expression ``v`` of a sensor aliased ``s``."""
    w, a = f"{s}.threshold_warning", f"{s}.threshold_alarm"
    lw, la = f"{s}.threshold_low_warning", f"{s}.threshold_low_alarm"
    return (f"(CASE {direction_sql(s)} WHEN 'below' THEN {_down(v, w, a)}"
            f" WHEN 'outside' THEN greatest({_up(v, w, a)}, {_down(v, lw, la)}) ELSE {_up(v, w, a)} END)")


def badness_sql(v: str, s: str) -> str:
    """Larger is worse: orders the readings of an alarm to find its peak (lowest when below)."""
    w, a = f"{s}.threshold_warning", f"{s}.threshold_alarm"
    lw, la = f"{s}.threshold_low_warning", f"{s}.threshold_low_alarm"
    return (f"(CASE {direction_sql(s)} WHEN 'below' THEN -{v} WHEN 'outside' THEN"
            f" greatest({v} - coalesce({w}, {a}), coalesce({lw}, {la}) - {v}) ELSE {v} END)")
