"""Urgent-case clocks (盈浦 plan: on site within 15 minutes, a first result within 1 hour).

Both deadlines run from dispatch (派单), as ``urgent_arrival_rate`` / ``urgent_result_rate`` count
them; a case not yet dispatched runs from its report, so the wall shows it at risk before the
dispatch happens. At an instant ``now`` each deadline is

- ``met``: done by the deadline;  ``late``: done after it (a breach, handled);
- ``pending``: not done, more than the warning time left;  ``warn``: not done, less left (amber);
- ``breached``: not done and past the deadline (red until done).

``clocks`` is pure pandas over rows of cases, so the wall (the day's rows in memory, ``metrics.feed``)
and ``urgent_clock_rows`` (the catalog denominator's rows, read by SQL) share one rule; a test checks
that over a period the ``met`` counts equal the catalog's numerators.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from .compiler import drill_sql, fact_table
from .feed import PATH_COLUMNS, DayRows, active_alarms, instants, open_urgent
from .indicators import unit_level
from .model import Aggregate
from .query import Query

ARRIVE = timedelta(minutes=15)
RESULT = timedelta(minutes=60)
WARN_ARRIVE = timedelta(minutes=5)  # amber in the last 5 of the 15 minutes
WARN_RESULT = timedelta(minutes=15)  # and in the last 15 of the hour
STATES = ("met", "late", "pending", "warn", "breached")
TILE_COLUMNS = ("case_id", "reported_at", "dispatched_at", "arrived_at", "first_result_at", "title", "unit_zh",
                "unit_en", *PATH_COLUMNS)
SEVERITY = {"breached": 3, "late": 3, "warn": 2, "pending": 1, "met": 0}


def _state(done: pd.Series, due: pd.Series, warn: timedelta, now: datetime) -> np.ndarray:
    done_now = (done <= now).to_numpy(dtype=bool, na_value=False)
    on_time = (done <= due).to_numpy(dtype=bool, na_value=False)
    past = (due <= now).to_numpy(dtype=bool, na_value=False)
    close = (due - warn <= now).to_numpy(dtype=bool, na_value=False)
    return np.select([done_now & on_time, done_now, past, close], ["met", "late", "breached", "warn"], "pending")


def clocks(cases: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """``cases`` (reported_at, dispatched_at, arrived_at, first_result_at, ...) with start_at, arrive_by,
    result_by, arrival, result (states above), state (bad | warn | ok | done: the worse of the two)
    and since_report_s at ``now``."""
    out = cases.copy()
    start = out["dispatched_at"].where(out["dispatched_at"].notna(), out["reported_at"])
    out["start_at"] = start
    out["arrive_by"] = start + ARRIVE
    out["result_by"] = start + RESULT
    out["arrival"] = _state(out["arrived_at"], out["arrive_by"], WARN_ARRIVE, now)
    out["result"] = _state(out["first_result_at"], out["result_by"], WARN_RESULT, now)
    worst = np.maximum(out["arrival"].map(SEVERITY).to_numpy(), out["result"].map(SEVERITY).to_numpy())
    out["state"] = np.select([worst == 3, worst == 2, worst == 1], ["bad", "warn", "ok"], "done")
    out["since_report_s"] = (now - out["reported_at"]).dt.total_seconds()
    return out


def urgent_clock_rows(con: duckdb.DuckDBPyConnection, query: Query, now: datetime) -> pd.DataFrame:
    """The urgent cases the catalog's urgent rates count for the query (dispatched in its period), with
    their clocks at ``now``."""
    # the denominator's own rows (the drill of ``urgent_breaches``), every one of them
    rows_sql, count_sql, params = drill_sql(fact_table("cases"), Aggregate("cases", ("urgent_dispatched",)), query,
                                            unit_level(con, query.unit), None)
    total = int(con.execute(count_sql, params).fetchone()[0])  # type: ignore[index]
    return clocks(con.execute(rows_sql, {**params, "limit": total, "offset": 0}).df(), now)


def urgent_tiles(rows: DayRows, query: Query, now: datetime) -> pd.DataFrame:
    """What the wall counts down: every open urgent case reported by ``now`` and the case of every
    sensor alarm active at ``now`` that became one (kind ``alarm``, ``alarm_title`` its sensor type),
    in the query's subtree, with their ``clocks``; worst first (red, amber, running, done), then the
    nearest deadline. "Open" is the snapshot's (closed_at unset), like the wall's other live counts."""
    # only the columns a tile and the access gate use: pandas' cost here is per column, not per row
    cases = open_urgent(rows, query, now)[list(TILE_COLUMNS)]
    alarms = active_alarms(rows, query, now)
    alarms = alarms[alarms["case_id"].notna().to_numpy(dtype=bool)]
    born = rows.cases[rows.cases["case_id"].isin(alarms["case_id"]).to_numpy(dtype=bool)
                      & rows.cases["is_open"].to_numpy(dtype=bool, na_value=False)]
    born = born[~born["case_id"].isin(cases["case_id"]).to_numpy(dtype=bool)]
    out = pd.concat([cases, born[list(TILE_COLUMNS)]], ignore_index=True) if len(born) else cases.reset_index(drop=True)
    first_alarm = alarms.sort_values("started_at").drop_duplicates("case_id").set_index("case_id")["title"]
    out["kind"] = np.where(out["case_id"].isin(first_alarm.index).to_numpy(dtype=bool), "alarm", "case")
    out["alarm_title"] = out["case_id"].map(first_alarm)
    out = clocks(out, now)
    running = out["arrival"].isin(("pending", "warn")).to_numpy(dtype=bool)
    nearest = np.where(running, out["arrive_by"].to_numpy(), out["result_by"].to_numpy())
    rank = out["state"].map({"bad": 0, "warn": 1, "ok": 2, "done": 3}).to_numpy()
    order = np.lexsort((out["case_id"].astype(str).to_numpy(), nearest, rank))  # last key sorts first
    return out.take(order).reset_index(drop=True)


def tile_changes(rows: DayRows) -> np.ndarray:
    """Instants at which ``urgent_tiles`` (all but ``since_report_s``) can change: a case reported, an
    alarm started or ended, a step done, a deadline or its warning time reached (every ``<=``: the
    instant itself; see ``metrics.feed.interval_of``)."""
    c = rows.cases  # open cases: the urgent ones, and those an alarm became
    c = c[c["is_open"].to_numpy(dtype=bool, na_value=False)
          & (c["urgent"].to_numpy(dtype=bool, na_value=False) | c["case_id"].isin(rows.alarms["case_id"]).to_numpy())]
    start = np.asarray(c["dispatched_at"].where(c["dispatched_at"].notna(), c["reported_at"]), dtype="datetime64[us]")
    due = [start + np.timedelta64(int(d.total_seconds()), "s")
           for d in (ARRIVE, RESULT, ARRIVE - WARN_ARRIVE, RESULT - WARN_RESULT)]
    a = rows.alarms
    return instants(c["reported_at"], c["arrived_at"], c["first_result_at"], *due, a["started_at"], a["ended_at"])
