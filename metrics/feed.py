"""Live operational reads for the command hall: the feed, map markers, today's volume, backlog,
water levels and who is on duty. Counts and latest rows, not rated indicators (those are in the
indicator API). ``now`` is site-local naive time, so tests and replays can pin the clock; a
``Query``'s ``unit`` scopes the subtree.

A refresh used to run a handful of scans per panel. Everything that can change within a day is now
read once per snapshot and day (``day_rows``: open cases, the last day's cases, urgent cases and
alarms, open and today's 12345 orders, today's shifts, the grids) and the panels count and slice
those few thousand rows in memory for the current ``now`` and unit. Only the typical day (28 days
of history) and water levels still query, and the caller caches those per snapshot and day/hour.

    rows = feed.day_rows(con, now.date())          # once per snapshot and day
    feed.live_feed(rows, query, now)               # then per refresh, in memory
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from etl import schema
from metrics.indicators import unit_scope
from metrics.query import Query

OPEN_CASE = "NOT coalesce(c.cancelled, FALSE) AND c.closed_at IS NULL AND c.status NOT IN ('closed', 'cancelled')"


@dataclass(frozen=True)
class Backlog:
    open_cases: int
    overdue_cases: int
    open_urgent: int
    open_hotline: int
    overdue_hotline: int
    active_alarms: int


PATH_COLUMNS = (*schema.PATH_COLUMNS, "unit_code")
LEVEL_COLUMN = {lv: f"{lv}_code" for lv in schema.PATH_LEVELS}
_PATH = ", ".join(f"{{a}}.{c}" for c in PATH_COLUMNS)


@dataclass(frozen=True)
class DayRows:
    """The rows every live panel needs on ``day``, read in one go (see the module docstring).

    cases: not cancelled and open, or reported since the day before (is_open, urgent, timestamps,
    title, lon/lat, unit path and names); alarms: started since the day before or not ended by the
    day's start; hotline: open or received today; roster: shifts overlapping the day; grids: every
    grid with its path. Frames are never modified after the read (shared by every request).
    """

    day: date
    cases: pd.DataFrame
    alarms: pd.DataFrame
    hotline: pd.DataFrame
    roster: pd.DataFrame
    grids: pd.DataFrame


def day_rows(con: duckdb.DuckDBPyConnection, day: date) -> DayRows:
    day0 = datetime.combine(day, datetime.min.time())
    since = day0 - timedelta(days=1)  # the feed looks 24 h back from any moment of the day
    cases = con.execute(
        f"""
        SELECT c.case_id, c.reported_at, c.dispatched_at, c.arrived_at, c.first_result_at, c.closed_at, c.deadline_at,
               coalesce(c.urgency = 'urgent', FALSE) AS urgent, ({OPEN_CASE}) IS TRUE AS is_open,
               coalesce(cc.minor_name, c.category_code, '') AS title, c.lon, c.lat, {_PATH.format(a="c")},
               u.name_zh AS unit_zh, u.name_en AS unit_en
        FROM cases c LEFT JOIN case_category cc USING (category_code)
             LEFT JOIN org_unit u ON u.unit_code = c.unit_code
        WHERE NOT coalesce(c.cancelled, FALSE) AND (({OPEN_CASE}) OR c.reported_at >= ?)
        """,
        [since],
    ).df()
    alarms = con.execute(
        f"""
        SELECT a.alarm_id, a.started_at, a.ended_at, a.case_id IS NOT NULL AS has_case, a.case_id, a.severity,
               coalesce(s.sensor_type, '') AS title, s.lon, s.lat, {_PATH.format(a="a")},
               u.name_zh AS unit_zh, u.name_en AS unit_en
        FROM sensor_alarms a LEFT JOIN sensors s USING (sensor_id) LEFT JOIN org_unit u ON u.unit_code = a.unit_code
        WHERE a.started_at >= ? OR a.ended_at IS NULL OR a.ended_at > ?
        """,
        [since, day0],
    ).df()
    hotline = con.execute(
        f"""SELECT h.received_at, h.due_at, h.closed_at IS NULL AS is_open, {_PATH.format(a="h")}
            FROM hotline_orders h WHERE h.status IS DISTINCT FROM 'cancelled'
            AND (h.closed_at IS NULL OR h.received_at >= ?)""",
        [day0],
    ).df()
    roster = con.execute(
        f"""SELECT r.person_id, r.start_at, r.end_at, {_PATH.format(a="r")} FROM staffing_roster r
            WHERE r.end_at > ? AND r.start_at < ?""",
        [day0, day0 + timedelta(days=1)],
    ).df()
    grids = con.execute(
        f"SELECT g.unit_code AS grid_code, g.name_zh, g.name_en, {_PATH.format(a='g')} FROM org_unit g "
        "WHERE g.level = 'grid'"
    ).df()
    return DayRows(day, cases, alarms, hotline, roster, grids)


def _scoped(df: pd.DataFrame, query: Query) -> np.ndarray:
    """Mask of the rows inside the query's unit subtree (any of the path columns names the unit)."""
    if not query.unit:
        return np.ones(len(df), dtype=bool)
    mask = np.zeros(len(df), dtype=bool)
    for col in PATH_COLUMNS:
        mask |= df[col].eq(query.unit).to_numpy(dtype=bool, na_value=False)
    return mask


def _flag(s: pd.Series) -> np.ndarray:
    return s.to_numpy(dtype=bool, na_value=False)


def _before(ts: pd.Series, now: datetime) -> np.ndarray:
    """``ts <= now`` with a missing timestamp counting as not yet."""
    return (ts <= now).to_numpy(dtype=bool, na_value=False)


def _after(ts: pd.Series, t: datetime) -> np.ndarray:
    """``ts > t`` (a missing timestamp is not after)."""
    return (ts > t).to_numpy(dtype=bool, na_value=False)


# Masks are combined first and the frame indexed once: copying the day's ~20k rows of a dozen
# columns for every filter step was most of a refresh's time.

def _open_cases(rows: DayRows, query: Query, now: datetime, urgent_only: bool = False) -> pd.DataFrame:
    """The day's cases in scope open at ``now`` (optionally the urgent ones)."""
    c = rows.cases
    mask = _scoped(c, query) & _flag(c["is_open"]) & _before(c["reported_at"], now)
    out: pd.DataFrame = c[mask & _flag(c["urgent"])] if urgent_only else c[mask]
    return out


def _active_alarms(rows: DayRows, query: Query, now: datetime) -> pd.DataFrame:
    """The day's alarms in scope started and not ended at ``now``."""
    a = rows.alarms
    out: pd.DataFrame = a[_scoped(a, query) & ~_before(a["ended_at"], now) & _before(a["started_at"], now)]
    return out


def _on_duty(rows: DayRows, query: Query, now: datetime) -> pd.DataFrame:
    r = rows.roster
    out: pd.DataFrame = r[_scoped(r, query) & _before(r["start_at"], now) & _after(r["end_at"], now)]
    return out


def live_feed(rows: DayRows, query: Query, now: datetime, limit: int = 20, hours: int = 24) -> pd.DataFrame:
    """Latest urgent cases and sensor alarms of the last ``hours``, newest first.

    Columns: kind (case|alarm), item_id, happened_at, title, unit_zh, unit_en, state, severity, age_minutes.
    """
    since = now - timedelta(hours=hours)
    c = rows.cases
    c = c[_flag(c["urgent"]) & _scoped(c, query) & (c["reported_at"] >= since).to_numpy(dtype=bool, na_value=False)
          & _before(c["reported_at"], now)]
    state = np.select([_before(c["closed_at"], now), _before(c["first_result_at"], now),
                       _before(c["arrived_at"], now)], ["closed", "disposing", "arrived"], "waiting")
    cases = pd.DataFrame({"kind": "case", "item_id": c["case_id"], "happened_at": c["reported_at"],
                          "title": c["title"], "unit_zh": c["unit_zh"], "unit_en": c["unit_en"],
                          "state": state, "severity": "urgent"})
    a = rows.alarms
    a = a[_scoped(a, query) & (a["started_at"] >= since).to_numpy(dtype=bool, na_value=False)
          & _before(a["started_at"], now)]
    state = np.where(_before(a["ended_at"], now), "ended", np.where(a["has_case"].to_numpy(dtype=bool), "case",
                                                                     "ongoing"))
    alarms = pd.DataFrame({"kind": "alarm", "item_id": a["alarm_id"], "happened_at": a["started_at"],
                           "title": a["title"], "unit_zh": a["unit_zh"], "unit_en": a["unit_en"],
                           "state": state, "severity": a["severity"]})
    out = pd.concat([f for f in (cases, alarms) if not f.empty] or [cases], ignore_index=True)
    out = out.sort_values(["happened_at", "item_id"], ascending=[False, True]).head(int(limit)).reset_index(drop=True)
    return with_ages(out, now)


def with_ages(feed: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """A copy of ``feed`` (``live_feed``'s rows) with ``age_minutes`` at ``now``."""
    out = feed.copy()
    out["age_minutes"] = (now - out["happened_at"]).dt.total_seconds() / 60 if not out.empty else pd.Series(
        dtype=float)
    return out


def markers(rows: DayRows, query: Query, now: datetime, limit: int = 2000) -> pd.DataFrame:
    """Open urgent cases and ongoing alarms with coordinates: kind, item_id, happened_at, title, severity, lon, lat."""
    c = _open_cases(rows, query, now, urgent_only=True)
    c = c[c["lon"].notna().to_numpy()]
    a = _active_alarms(rows, query, now)
    a = a[a["lon"].notna().to_numpy()]
    frames = [
        pd.DataFrame({"kind": "case", "item_id": c["case_id"], "happened_at": c["reported_at"], "title": c["title"],
                      "severity": "urgent", "lon": c["lon"], "lat": c["lat"]}),
        pd.DataFrame({"kind": "alarm", "item_id": a["alarm_id"], "happened_at": a["started_at"], "title": a["title"],
                      "severity": a["severity"], "lon": a["lon"], "lat": a["lat"]}),
    ]
    out = pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)
    return out.sort_values(["happened_at", "item_id"], ascending=[False, True]).head(int(limit)).reset_index(drop=True)


def typical_by_hour(con: duckdb.DuckDBPyConnection, query: Query, day: date, source: str = "cases",
                    typical_days: int = 28) -> tuple[float, ...]:
    """Mean count per hour of day over the ``typical_days`` days before ``day`` (24 values).

    ``source``: cases (reported_at, cancelled ones left out) or hotline (received_at).
    """
    table, ts, alias = ("cases", "reported_at", "c") if source == "cases" else ("hotline_orders", "received_at", "h")
    cond, params, _ = unit_scope(con, query, alias)
    extra = " AND NOT coalesce(c.cancelled, FALSE)" if source == "cases" else ""
    day0 = datetime.combine(day, datetime.min.time())
    got = dict(con.execute(
        f"""SELECT hour({alias}.{ts}), count(*) FROM {table} {alias}
            WHERE {alias}.{ts} >= $s AND {alias}.{ts} < $e AND {cond}{extra} GROUP BY 1""",
        {"s": day0 - timedelta(days=typical_days), "e": day0, **params},
    ).fetchall())
    return tuple(got.get(h, 0) / typical_days for h in range(24))


def hourly_volume(rows: DayRows, typical: tuple[float, ...], query: Query, now: datetime,
                  source: str = "cases") -> pd.DataFrame:
    """Today's count per hour (up to now) against the typical day (``typical_by_hour``).

    Columns: hour, today, typical. Hours still to come have ``today`` = NaN.
    """
    day0 = datetime.combine(rows.day, datetime.min.time())
    df, ts = (rows.cases, "reported_at") if source == "cases" else (rows.hotline, "received_at")
    stamps = df[ts][_scoped(df, query) & (df[ts] >= day0).to_numpy(dtype=bool, na_value=False)
                    & _before(df[ts], now)]
    counts = np.bincount(stamps.dt.hour.to_numpy(dtype=int), minlength=24)[:24].astype(float)
    hours = np.arange(24)
    return pd.DataFrame({"hour": hours, "today": np.where(hours <= now.hour, counts, np.nan),
                         "typical": np.asarray(typical, dtype=float)})


def open_urgent(rows: DayRows, query: Query, now: datetime) -> pd.DataFrame:
    """The urgent cases in scope open at ``now``, longest waiting first: the rows behind
    ``backlog(...).open_urgent`` (case_id, reported_at, deadline_at, title, unit path, unit_zh, unit_en)."""
    c = _open_cases(rows, query, now, urgent_only=True)
    return c.sort_values(["reported_at", "case_id"]).reset_index(drop=True)


def active_alarms(rows: DayRows, query: Query, now: datetime) -> pd.DataFrame:
    """The alarms in scope active at ``now`` (started, not ended): the rows behind
    ``backlog(...).active_alarms`` (alarm_id, started_at, case_id, severity, title, unit path, names)."""
    return _active_alarms(rows, query, now)


def _open_orders(rows: DayRows, query: Query, now: datetime) -> pd.DataFrame:
    """Hotline orders in scope received by ``now`` and still open."""
    h = rows.hotline
    open_now: pd.DataFrame = h[_scoped(h, query) & _flag(h["is_open"]) & _before(h["received_at"], now)]
    return open_now


def backlog(rows: DayRows, query: Query, now: datetime) -> Backlog:
    c = _open_cases(rows, query, now)
    h = _open_orders(rows, query, now)
    return Backlog(
        open_cases=len(c),
        overdue_cases=int((c["deadline_at"] < now).to_numpy(dtype=bool, na_value=False).sum()),
        open_urgent=int(_flag(c["urgent"]).sum()),
        open_hotline=len(h),
        overdue_hotline=int((h["due_at"] < now).to_numpy(dtype=bool, na_value=False).sum()),
        active_alarms=len(_active_alarms(rows, query, now)),
    )


def _count_by(df: pd.DataFrame, col: str, name: str, distinct: str | None = None) -> pd.Series:
    g = df.groupby(col, dropna=True)
    out = g[distinct].nunique() if distinct else g.size()
    return out.rename(name)


def counts_by_unit(rows: DayRows, query: Query, level: str, now: datetime) -> pd.DataFrame:
    """Live counts per unit of ``level`` inside the query's scope.

    Columns: unit_code, open_cases, overdue_cases, open_urgent, active_alarms, on_duty, open_hotline
    (12345 / 311 orders received by now and not closed: what a city that loads only its hotline maps).
    """
    col = LEVEL_COLUMN.get(level, "unit_code")
    c = _open_cases(rows, query, now)
    overdue = c[(c["deadline_at"] < now).to_numpy(dtype=bool, na_value=False)]
    parts = [
        _count_by(c, col, "open_cases"),
        _count_by(overdue, col, "overdue_cases"),
        _count_by(c[_flag(c["urgent"])], col, "open_urgent"),
        _count_by(_active_alarms(rows, query, now), col, "active_alarms"),
        _count_by(_on_duty(rows, query, now), col, "on_duty", distinct="person_id"),
        _count_by(_open_orders(rows, query, now), col, "open_hotline"),
    ]
    out = pd.concat(parts, axis=1).fillna(0).astype(int)
    out.index.name = "unit_code"
    return out.reset_index()


def on_duty_by_grid(rows: DayRows, query: Query, now: datetime) -> pd.DataFrame:
    """Every grid in scope with staff on duty now, open urgent cases and active alarms.

    Columns: grid_code, name_zh, name_en, on_duty, open_urgent, active_alarms (grids with nobody on
    duty are included with 0, so gaps in night cover show). Like the grid table, staff and alarms
    count wherever they are, open urgent cases too; the scope picks the grids.
    """
    everywhere = Query(period=query.period)
    grids = rows.grids[_scoped(rows.grids, query)][["grid_code", "name_zh", "name_en"]]
    duty = _count_by(_on_duty(rows, everywhere, now), "grid_code", "on_duty", distinct="person_id")
    urgent = _count_by(_open_cases(rows, everywhere, now, urgent_only=True), "grid_code", "open_urgent")
    alarms = _count_by(_active_alarms(rows, everywhere, now), "grid_code", "active_alarms")
    out = grids.join(pd.concat([duty, urgent, alarms], axis=1), on="grid_code")
    for k in ("on_duty", "open_urgent", "active_alarms"):
        out[k] = out[k].fillna(0).astype(int)
    out["_load"] = out["open_urgent"] + out["active_alarms"]
    out = out.sort_values(["_load", "on_duty", "grid_code"], ascending=[False, True, True])
    return out.drop(columns="_load").reset_index(drop=True)


def water_levels(con: duckdb.DuckDBPyConnection, query: Query, now: datetime, limit: int = 10,
                 sensor_type: str = "water_level") -> pd.DataFrame:
    """Latest reading of each water-level sensor (last 6 h) against its thresholds, highest ratio first.

    Columns: sensor_id, name, unit_zh, unit_en, value, threshold_warning, threshold_alarm, uom, ts, ratio.
    """
    ss, sp, _ = unit_scope(con, query, "s")
    return con.execute(
        f"""
        WITH latest AS (
            SELECT r.sensor_id, arg_max(r.value, r.ts) AS value, max(r.ts) AS ts
            FROM sensor_readings r
            WHERE r.ts > $since AND r.ts <= $now
              AND r.sensor_id IN (SELECT sensor_id FROM sensors WHERE sensor_type = $stype)
            GROUP BY r.sensor_id
        )
        SELECT s.sensor_id, coalesce(s.name, s.sensor_id) AS name, u.name_zh AS unit_zh, u.name_en AS unit_en,
               l.value, s.threshold_warning, s.threshold_alarm, s.uom, l.ts,
               l.value / nullif(coalesce(s.threshold_alarm, s.threshold_warning), 0) AS ratio
        FROM latest l JOIN sensors s USING (sensor_id) LEFT JOIN org_unit u ON u.unit_code = s.unit_code
        WHERE {ss}
        ORDER BY ratio DESC NULLS LAST, s.sensor_id
        LIMIT $limit
        """,
        {"since": now - timedelta(hours=6), "now": now, "stype": sensor_type, "limit": int(limit), **sp},
    ).df()


# --- when a live panel can change -----------------------------------------------------------------
#
# Between two loads the live panels change only with ``now``, and only when ``now`` reaches one of a
# few instants of the day's rows: a case reported, an alarm started or ended, a shift starting, a
# deadline passing. The functions below list those instants (a superset: an instant that changes
# nothing only costs a recomputation); ``interval_of`` numbers the stretch between two of them that
# holds ``now``. Over one stretch a panel's rows are the same (its ages in minutes aside), so the
# wall computes them once per stretch, not once per refresh (dashboard/screen/model.py). A test
# checks every panel at both ends of many stretches (tests/metrics/test_live_changes.py).
#
# ``ts <= now`` turns true at ``ts``: the instant is ``ts``. ``ts < now`` turns true just after ``ts``:
# the instant is ``ts`` + 1 µs (timestamps and ``now`` are microsecond-precise).

TICK = np.timedelta64(1, "us")


def instants(*parts: pd.Series | np.ndarray) -> np.ndarray:
    """The non-missing instants of ``parts`` (datetime64[us]), sorted and distinct."""
    arrays = [np.asarray(p, dtype="datetime64[us]") for p in parts]
    out = np.concatenate(arrays) if arrays else np.array([], dtype="datetime64[us]")
    return np.unique(out[~np.isnat(out)])


def _alarm_instants(rows: DayRows) -> list[np.ndarray]:
    a = rows.alarms
    return [np.asarray(a["started_at"], dtype="datetime64[us]"), np.asarray(a["ended_at"], dtype="datetime64[us]")]


def live_feed_changes(rows: DayRows, hours: int = 24) -> np.ndarray:
    """Instants at which ``live_feed``'s rows can change (its ``age_minutes`` changes all the time)."""
    c = rows.cases[_flag(rows.cases["urgent"])]
    window = np.timedelta64(hours, "h") + TICK  # a row leaves the feed once ``reported_at < now - hours``
    reported = np.asarray(c["reported_at"], dtype="datetime64[us]")
    started = np.asarray(rows.alarms["started_at"], dtype="datetime64[us]")
    return instants(reported, reported + window, c["closed_at"], c["first_result_at"], c["arrived_at"],
                     *_alarm_instants(rows), started + window)


def duty_changes(rows: DayRows) -> np.ndarray:
    """Instants at which ``on_duty_by_grid`` can change: shifts start and end, cases are reported,
    alarms start and end."""
    r, c = rows.roster, rows.cases
    urgent = c["reported_at"][_flag(c["is_open"]) & _flag(c["urgent"])]
    return instants(r["start_at"], r["end_at"], urgent, *_alarm_instants(rows))


def backlog_changes(rows: DayRows) -> np.ndarray:
    """Instants at which ``backlog`` can change (its deadlines count once passed: ``<``)."""
    c, h = rows.cases[_flag(rows.cases["is_open"])], rows.hotline[_flag(rows.hotline["is_open"])]
    return instants(c["reported_at"], np.asarray(c["deadline_at"], dtype="datetime64[us]") + TICK,
                     h["received_at"], np.asarray(h["due_at"], dtype="datetime64[us]") + TICK,
                     *_alarm_instants(rows))


def hourly_changes(rows: DayRows, source: str = "cases") -> np.ndarray:
    """Instants of ``rows.day`` at which ``hourly_volume`` can change: a row counted, an hour begun (the
    wall asks it about its own day only)."""
    df, ts = (rows.cases, "reported_at") if source == "cases" else (rows.hotline, "received_at")
    day0 = np.datetime64(datetime.combine(rows.day, datetime.min.time()), "us")
    return instants(df[ts], day0 + np.arange(1, 24).astype("timedelta64[h]"))


def interval_of(changes: np.ndarray, now: datetime) -> int:
    """The number of the stretch between two ``changes`` that holds ``now`` (instants at or before it)."""
    return int(np.searchsorted(changes, np.datetime64(now, "us"), side="right"))
