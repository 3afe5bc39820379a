"""One case's or one hotline order's lifecycle, for the detail panel a row click opens on /cases and /hotline.

A case goes reported → registered → dispatched → on site → (first result) → disposed → closed
(domain.md §3). Each stage carries its instant, the time since the stage before it and, where a rule
sets one, the instant it was due by:

- on site / first result of an urgent case: 15 / 60 minutes from dispatch (from the report while not
  dispatched) — ``metrics.urgent.ARRIVE`` / ``RESULT``, the wall's clocks and the
  ``urgent_arrival_rate`` / ``urgent_result_rate`` rule;
- disposed / closed: the case's ``deadline_at`` (the ``disposed_on_time`` / ``closed_on_time`` rule).

A hotline order goes received → dispatched (to an agency: the exports carry no instant for it) →
first contact (replied) → closed (due by ``due_at``) → callback (回访, with the satisfaction).

A stage's ``state``: ``met`` (done by its limit), ``late`` (done after it), ``pending`` (not done, limit
ahead), ``overdue`` (not done, limit passed), ``done`` / ``open`` where no limit applies. The lookup is
one parameter-bound statement limited to the caller's unit subtree; personal columns come back as
stored, and the dashboard masks them with the grid's rule (``access.mask_rows``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from .compiler import unit_clause
from .indicators import unit_level
from .urgent import ARRIVE, RESULT

CASE_FIELDS = ("case_id", "source", "urgency", "status", "category_code", "station_code", "dept_code", "town_code",
               "grid_code", "village_code", "unit_code", "lon", "lat", "address", "description", "escalated",
               "rework_count", "cancelled", "proactive", "supervision_report", "hotline_order_id", "alarm_id",
               "reported_at", "registered_at", "dispatched_at", "arrived_at", "first_result_at", "disposed_at",
               "closed_at", "deadline_at")
ORDER_FIELDS = ("order_id", "channel", "category", "subcategory", "urgency", "agency", "dept_code", "status",
                "first_contact", "resolution", "satisfaction", "case_id", "town_code", "grid_code", "village_code",
                "unit_code", "lon", "lat", "address", "citizen_name", "citizen_phone", "content", "received_at",
                "contacted_at", "due_at", "closed_at", "callback_at")


@dataclass(frozen=True)
class Stage:
    """One step of a lifecycle: ``key`` (reported, registered, ...), when it happened (None: not yet, or
    not recorded), the time since the previous step that happened, the instant it was due by (None: no
    rule) and its state (see the module doc)."""

    key: str
    at: datetime | None
    since_previous: timedelta | None
    due_by: datetime | None
    state: str
    margin: timedelta | None  # time left before the limit (negative: late by) at the step, or now if not done


@dataclass(frozen=True)
class Lifecycle:
    """A row's stages and the row itself (one-row frame, warehouse column names, unmasked: the caller
    masks it for the reader) at the instant ``now``."""

    stages: tuple[Stage, ...]
    row: pd.DataFrame
    now: datetime

    def field(self, name: str) -> Any:
        """A column of the (possibly masked) row as a plain value (None for missing)."""
        v = self.row[name].iloc[0] if name in self.row.columns and len(self.row) else None
        if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and v != v):
            return None
        return v.item() if hasattr(v, "item") and not isinstance(v, (str, bytes)) else v


def state_of(at: datetime | None, due_by: datetime | None, now: datetime) -> str:
    """A step's state at ``now`` (a step recorded after ``now`` has not happened yet at ``now``)."""
    done = at is not None and at <= now
    if due_by is None:
        return "done" if done else "open"
    if done:
        return "met" if at <= due_by else "late"  # type: ignore[operator]
    return "overdue" if now > due_by else "pending"


def _ts(v: Any) -> datetime | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    return pd.Timestamp(v).to_pydatetime()


def stages(steps: list[tuple[str, datetime | None, datetime | None]], now: datetime) -> tuple[Stage, ...]:
    """(key, at, due_by) steps in lifecycle order → stages with the time since the previous step done."""
    out = []
    last: datetime | None = None
    for key, at, due_by in steps:
        since = at - last if at is not None and last is not None else None
        done = at is not None and at <= now
        margin = None if due_by is None else due_by - (at if done else now)  # type: ignore[operator]
        out.append(Stage(key, at if done else None, since if done else None, due_by, state_of(at, due_by, now),
                         margin))
        if done:
            last = at
    return tuple(out)


def _one(con: duckdb.DuckDBPyConnection, table: str, id_column: str, fields: tuple[str, ...], key: str,
         unit: str | None, extra: str = "") -> pd.DataFrame:
    scope, params = unit_clause(unit, unit_level(con, unit), alias="t")
    cols = ", ".join(f"t.{c}" for c in fields)
    return con.execute(f"SELECT {cols}{extra} FROM {table} t WHERE t.{id_column} = $key AND {scope}",
                       {**params, "key": key}).df()


def case_lifecycle(con: duckdb.DuckDBPyConnection, case_id: str, now: datetime, unit: str | None = None
                   ) -> Lifecycle | None:
    """The case ``case_id`` at ``now`` (the data's 'now') if it lies in ``unit``'s subtree (None: no such
    case there). Its row adds ``category_name`` ("大类 / 小类") from the catalogue."""
    row = _one(con, "cases", "case_id", CASE_FIELDS, case_id, unit,
               ", (SELECT concat_ws(' / ', k.major_name, k.minor_name) FROM case_category k "
               "WHERE k.category_code = t.category_code) AS category_name")
    if row.empty:
        return None
    r = {c: _ts(row[c].iloc[0]) for c in CASE_FIELDS if c.endswith("_at")}
    urgent = row["urgency"].iloc[0] == "urgent"
    start = r["dispatched_at"] or r["reported_at"]  # urgent clocks run from dispatch, before it from the report
    steps: list[tuple[str, datetime | None, datetime | None]] = [
        ("reported", r["reported_at"], None),
        ("registered", r["registered_at"], None),
        ("dispatched", r["dispatched_at"], None),
        ("arrived", r["arrived_at"], start + ARRIVE if urgent and start else None),
    ]
    if urgent or r["first_result_at"] is not None:
        steps.append(("first_result", r["first_result_at"], start + RESULT if urgent and start else None))
    steps += [("disposed", r["disposed_at"], r["deadline_at"]), ("closed", r["closed_at"], r["deadline_at"])]
    return Lifecycle(stages(steps, now), row, now)


def order_lifecycle(con: duckdb.DuckDBPyConnection, order_id: str, now: datetime, unit: str | None = None
                     ) -> Lifecycle | None:
    """The hotline order ``order_id`` at ``now`` if it lies in ``unit``'s subtree (None: no such order there)."""
    row = _one(con, "hotline_orders", "order_id", ORDER_FIELDS, order_id, unit)
    if row.empty:
        return None
    r = {c: _ts(row[c].iloc[0]) for c in ORDER_FIELDS if c.endswith("_at")}
    steps: list[tuple[str, datetime | None, datetime | None]] = [
        ("received", r["received_at"], None),
        ("dispatched", None, None),  # to ``agency``: no export records when
        ("contacted", r["contacted_at"], None),
        ("closed", r["closed_at"], r["due_at"]),
        ("callback", r["callback_at"], None),
    ]
    got = stages(steps, now)
    if row["agency"].notna().iloc[0]:  # handed to an agency: done, at a time the export does not say
        got = tuple(replace(s, state="done") if s.key == "dispatched" else s for s in got)
    return Lifecycle(got, row, now)
