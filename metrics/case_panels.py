"""Every count panel of the /cases page from one statement (and the /stations page's two breakdowns).

Over a midnight-aligned period without filters, scoped at a 街镇 or above, the panels come from their
rollup instead (``metrics.panel_rollup``: the same counts kept per reported day; ~2 ms instead of a
~75 ms scan at district × year).

The page used to ask ``explore`` eight times (daily trend of this and the previous period, categories,
child units, hour × weekday, handling time ...), each a scan of the same rows. Here one scan feeds a
``GROUPING SETS`` aggregate; each grouping set is one panel (for the whole warehouse the scan reads the
period alone and the previous period's cases per day, the trend's overlay, are one small grouped count
beside it; for a unit or filter one scan reads both periods). The rows and
the rules are ``explore``'s (same scope WHERE, same keys, same buckets), so a panel's count equals the
separate function's and the drilled table behind it (tested in tests/metrics/test_case_panels.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from . import panel_rollup as PR
from .compiler import ORG_LEVEL_COLUMN, fact_table, render, scope_sql, unit_clause, used_params
from .explore import Drill, view_where
from .hierarchy import child_of
from .indicators import unit_level, unscoped
from .panel_rollup import HOUR_BUCKETS
from .query import Query
from .rollups import day_aligned
from .rollups import ready as rollups_ready


@dataclass(frozen=True)
class CasePanels:
    """Small frames, one per panel (all counts of cases reported in the period unless said otherwise)."""

    trend: pd.DataFrame  # key (YYYY-MM-DD), label, cases: days of the period with cases
    previous: pd.DataFrame  # the same for the previous comparable period
    categories: pd.DataFrame  # key, label, cases: major classes, or minor categories when a category is set
    units: pd.DataFrame  # key, label, cases: child units of the scope (``explore.child_level``)
    heat: pd.DataFrame  # dow (0 = Monday), hour, cases: the full 7 × 24 grid
    handling: pd.DataFrame  # lo, hi, cases: closed cases by handling-time bucket
    level: str  # the child level of ``units``


def _hours_sql() -> str:
    """Whole hours from 立案 to 结案 (capped at the last bucket's edge) of closed cases with closed ≥
    registered, NULL for the others. The bucket edges are whole hours, so hours/3600 ≥ edge exactly
    when floor(hours) ≥ edge: grouping by whole hours and bucketing the ≤ 169 groups in Python gives
    ``explore.handling_distribution``'s buckets at a third of the cost of a CASE chain per row."""
    assert all(float(b).is_integer() for b in HOUR_BUCKETS)
    seconds = render(fact_table("cases"), (), measure="handling_seconds").measure
    return f"CASE WHEN closed_at >= registered_at THEN least({seconds} // 3600, {int(HOUR_BUCKETS[-1])}) END"


def case_panels(con: duckdb.DuckDBPyConnection, query: Query, minor: bool | None = None, *,
                use_rollups: bool = True) -> CasePanels:
    """All count panels of ``query`` in one scan (+ the previous period's days for the whole
    warehouse), or from the panels rollup when it can answer (``use_rollups=False``: always rows, what
    the rollup is tested against). ``minor``: categories
    by minor category (default: when the query has a category filter, as the page shows them)."""
    minor = query.category is not None if minor is None else minor
    ft = fact_table("cases")
    scope_level = unit_level(con, query.unit)  # once: ``child_level`` would look it up again
    level = child_of(con, scope_level)
    unit_col = ORG_LEVEL_COLUMN[level]
    where, params = scope_sql(ft, query, scope_level)
    scope = " AND ".join(f"({w})" for w in where)
    prev = query.period.previous()
    got = _from_rollup(con, query, scope_level, unit_col) if use_rollups else None
    if got is not None:
        return _panels(con, *got, minor, level)
    params.update(s=query.period.start, e=query.period.end, ps=prev.start, pe=prev.end)
    # the whole warehouse: the grouping sets read the period alone and the previous period's cases per
    # day (the trend's overlay) are their own count (in the sets its rows went through every set: a
    # quarter's panels cost ≈ 100 → 35 + 10 ms). A unit or filter is pushed into the table scan, where a
    # second statement would pay it over every row again: there ``cur`` flags the period's rows and the
    # previous period's rows go through the sets (few, and cheaper than that second pass).
    alone = unscoped(query)
    cur = "true" if alone else "reported_at >= $s AND reported_at < $e"
    rows = "reported_at >= $s AND reported_at < $e" if alone else \
        "(reported_at >= $s AND reported_at < $e OR reported_at >= $ps AND reported_at < $pe)"
    sql = (
        f"WITH c AS (SELECT {cur} AS cur, reported_at::DATE AS day, "
        f"category_code, family, major_code, {unit_col} AS unit, isodow(reported_at) - 1 AS dow, "
        f"hour(reported_at) AS hour, {_hours_sql()} AS lo "
        f"FROM cases WHERE {scope} AND {rows}) "
        "SELECT CASE WHEN grouping(day) = 0 THEN 'day' WHEN grouping(category_code) = 0 THEN 'category' "
        "WHEN grouping(unit) = 0 THEN 'unit' WHEN grouping(dow) = 0 THEN 'heat' ELSE 'handling' END AS panel, "
        "cur, day, category_code, family, major_code, unit, dow, hour, lo, count(*) AS cases FROM c "
        "GROUP BY GROUPING SETS ((cur, day), (cur, category_code, family, major_code), (cur, unit), "
        "(cur, dow, hour), (cur, lo))")
    part: dict[str, list[tuple[Any, ...]]] = {n: [] for n in ("day", "category", "unit", "heat", "handling")}
    previous: list[tuple[Any, ...]] = []
    # plain rows, not a frame: the panels are small and pandas' per-call overhead was most of their cost
    for panel, is_cur, *rest in con.execute(sql, used_params(sql, params)).fetchall():
        (part[panel] if is_cur else previous if panel == "day" else []).append(tuple(rest))
    if alone:
        previous = [(day, n) for day, n in con.execute(
            f"SELECT reported_at::DATE AS day, count(*) FROM cases WHERE {scope} AND reported_at >= $ps "
            "AND reported_at < $pe GROUP BY 1", used_params(f"{scope} $ps $pe", params)).fetchall()]
    return _panels(con, part, previous, minor, level)


Row = tuple[Any, ...]  # day, category_code, family, major_code, unit, dow, hour, lo, cases


def _panels(con: duckdb.DuckDBPyConnection, part: dict[str, list[Row]], previous: list[Row], minor: bool,
            level: str) -> CasePanels:
    return CasePanels(_days(part["day"]), _days(previous),
                      _minors(con, part["category"]) if minor else _majors(con, part["category"]),
                      _units(con, part["unit"]), _heat(part["heat"]), _handling(part["handling"]), level)


def _from_rollup(con: duckdb.DuckDBPyConnection, query: Query, scope_level: str | None, unit_col: str
                 ) -> tuple[dict[str, list[Row]], list[Row]] | None:
    """The panels' rows (as the scan gives them) and the previous period's days from the panels rollup
    (``metrics.panel_rollup``), or None when it cannot answer: rollups not current, a period not at
    midnight, a filter, a scope below the 街镇 or a child level it does not keep. Exact: the rollup
    holds the same rows' counts per day and per each panel's keys."""
    prev = query.period.previous()
    if (not rollups_ready(con) or not day_aligned([query.period, prev])
            or any(getattr(query, f) is not None for f in ("category", "source", "urgency", "status"))):
        return None
    grain = PR.grain_for(None if query.unit is None else ORG_LEVEL_COLUMN.get(scope_level or ""), unit_col)
    if grain is None:
        return None
    clause, params = unit_clause(query.unit, scope_level)
    params.update(ds=query.period.start.date(), de=query.period.end.date(), ps=prev.start.date(),
                  pe=prev.end.date())
    within, name = clause, PR.table(grain)
    sql = (f"SELECT panel, CASE WHEN panel = 'unit' THEN day END, CASE WHEN panel = 'unit' THEN {unit_col} END, "
           "category_code, family, major_code, CASE WHEN panel = 'heat' THEN isodow(day) - 1 END, hour, lo, "
           f"sum(n) FROM {name} WHERE day >= $ds AND day < $de AND {within} GROUP BY ALL")
    part: dict[str, list[Row]] = {n: [] for n in ("day", "category", "unit", "heat", "handling")}
    days: dict[Any, int] = {}
    units: dict[Any, int] = {}
    for panel, day, unit, code, fam, major, dow, hour, lo, n in con.execute(sql, used_params(sql, params)).fetchall():
        if panel == "unit":  # day × child unit: the trend and the unit panel are its two margins
            days[day] = days.get(day, 0) + int(n)
            units[unit] = units.get(unit, 0) + int(n)
        else:
            part[panel].append((None, code, fam, major, None, dow, hour, lo, int(n)))
    part["day"] = [(d, None, None, None, None, None, None, None, n) for d, n in days.items()]
    part["unit"] = [(None, None, None, None, u, None, None, None, n) for u, n in units.items()]
    prev_sql = (f"SELECT day, sum(n) FROM {name} WHERE panel = 'unit' AND day >= $ps AND day < $pe "
                f"AND {within} GROUP BY day")
    previous = [(d, int(n)) for d, n in con.execute(prev_sql, used_params(prev_sql, params)).fetchall()]
    return part, previous


def _frame(rows: list[tuple[Any, Any, int]]) -> pd.DataFrame:
    """key, label, cases sorted by cases (desc) then key, as ``explore.case_counts`` orders them."""
    rows.sort(key=lambda r: (-r[2], r[0] is None, r[0] or ""))
    return pd.DataFrame({"key": [r[0] for r in rows], "label": [r[1] for r in rows],
                         "cases": pd.array([r[2] for r in rows], dtype="int64")})


def _days(rows: list[Row]) -> pd.DataFrame:
    got = sorted((f"{r[0]:%Y-%m-%d}", int(r[-1])) for r in rows)
    return pd.DataFrame({"key": [k for k, _ in got], "label": [k for k, _ in got],
                         "cases": pd.array([n for _, n in got], dtype="int64")})


def _categories(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[Any, ...]]:
    rows = con.execute("SELECT category_code, minor_name, major_name, family, major_code FROM case_category").fetchall()
    return {str(r[0]): tuple(r[1:]) for r in rows}


def _minors(con: duckdb.DuckDBPyConnection, rows: list[Row]) -> pd.DataFrame:
    """``explore.case_counts(by="category")``: per category code, labelled with its minor name."""
    cats = _categories(con)
    counts: dict[Any, int] = {}
    for r in rows:
        counts[r[1]] = counts.get(r[1], 0) + int(r[-1])
    return _frame([(k, (cats.get(k, (None,))[0] or k) if k is not None else None, n) for k, n in counts.items()])


def _majors(con: duckdb.DuckDBPyConnection, rows: list[Row]) -> pd.DataFrame:
    """``explore.case_counts(by="major")``: a major class is (family, major code), the case's own
    columns first, the category table's otherwise; a case without a major code is its own class.
    Its key is the smallest category-code prefix (without the 3-digit minor code) among its cases."""
    cats = _categories(con)
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for _, code, fam, major, *_, n in rows:
        k = cats.get(code) if code is not None else None
        fam = fam if fam is not None else (k[2] if k else None)
        major = major if major is not None else (k[3] if k else None)
        g = groups.setdefault((fam, major, code if major is None else None), [None, None, fam, 0])
        key = code[:len(code) - 3] if code is not None else None
        if key is not None and (g[0] is None or key < g[0]):
            g[0] = key
        if g[1] is None and k is not None and k[1] is not None:
            g[1] = k[1]
        g[3] += int(n)
    out = _frame([(g[0], g[1] if g[1] is not None else g[0], g[3]) for g in groups.values()])
    fams = {g[0]: g[2] for g in groups.values()}
    dup = out["label"].duplicated(keep=False)
    out["label"] = [f"{lab}（{fams.get(key)}）" if d and fams.get(key) else lab
                    for key, lab, d in zip(out["key"], out["label"], dup, strict=True)]
    return out


def _units(con: duckdb.DuckDBPyConnection, rows: list[Row]) -> pd.DataFrame:
    counts = {str(r[4]): int(r[-1]) for r in rows if r[4] is not None}
    names = dict(con.execute("SELECT unit_code, name_zh FROM org_unit WHERE unit_code IN (SELECT unnest($c))",
                             {"c": list(counts)}).fetchall()) if counts else {}
    return _frame([(c, names.get(c) or c, n) for c, n in counts.items()])


def _heat(rows: list[Row]) -> pd.DataFrame:
    got = {(int(r[5]), int(r[6])): int(r[-1]) for r in rows}
    return pd.DataFrame([(d, h, got.get((d, h), 0)) for d in range(7) for h in range(24)],
                        columns=["dow", "hour", "cases"]).astype("int64")


def _handling(rows: list[Row]) -> pd.DataFrame:
    got: dict[float, int] = {}
    for r in rows:
        if r[7] is not None:  # whole hours → the largest edge ≤ them
            lo = max(b for b in HOUR_BUCKETS if b <= r[7])
            got[float(lo)] = got.get(float(lo), 0) + int(r[-1])
    return pd.DataFrame([{"lo": lo, "hi": HOUR_BUCKETS[i + 1] if i + 1 < len(HOUR_BUCKETS) else None,
                          "cases": got.get(float(lo), 0)} for i, lo in enumerate(HOUR_BUCKETS)])


def category_department_counts(con: duckdb.DuckDBPyConnection, query: Query, drill: Drill | None = None
                               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(major classes, departments) of the cases behind ``query`` and ``drill`` from one
    ``GROUPING SETS`` scan: ``explore.case_counts(by="major")`` and ``(by="department")`` (the /stations
    page's two breakdowns; same WHERE, keys and order)."""
    where, params = view_where(con, "cases", query, drill)
    got = con.execute(
        f"WITH c AS (SELECT category_code, family, major_code, dept_code FROM cases WHERE {where}) "
        "SELECT grouping(dept_code) = 0 AS dept, category_code, family, major_code, dept_code, count(*) FROM c "
        "GROUP BY GROUPING SETS ((category_code, family, major_code), (dept_code))", params).fetchall()
    majors = _majors(con, [(None, code, fam, major, n) for dept, code, fam, major, _, n in got if not dept])
    depts = {str(d): int(n) for dept, *_, d, n in got if dept and d is not None}
    names = dict(con.execute("SELECT dept_code, any_value(name_zh) FROM department "
                             "WHERE dept_code IN (SELECT unnest($c)) GROUP BY 1", {"c": list(depts)}).fetchall()
                 ) if depts else {}
    return majors, _frame([(d, names.get(d) or d, n) for d, n in depts.items()])
