"""The /cases page's count panels kept per day of 上报 (``reported_at``): one rollup of their marginals.

Each panel of ``case_panels`` is a marginal count of the cases reported in the period: per day, per
category, per child unit, per weekday × hour and per handling-time bucket. Together at the leaf they
are nearly one row per case (day × unit × category × hour × bucket barely folds), so the rollup keeps
each marginal on its own (``GROUPING SETS``), all per day and per 街镇 path (city, district, town):

- ``unit``: day × the unit path down to the 村居 (the trend and the child-unit panel);
- ``category``: day × town × category code, family and major code;
- ``heat``: day × town × hour of the report (the weekday is the day's);
- ``handling``: day × town × handling bucket (``HOUR_BUCKETS``' lower edge; NULL: not closed, or closed
  before registration).

At district × year that is ~330k rows against 930k cases. A panel read from it equals the rows' count
exactly (``tests/metrics/test_case_panels.py``) for a midnight-aligned period, no filter and a scope at
town level or above; the page reads rows otherwise. It is maintained like every rollup (``etl.rollups``:
the reported days a load touches are recomputed; late updates move a case's bucket on its day).
"""

from __future__ import annotations

from etl import schema
from etl.rollup_spec import RollupColumn, RollupSpec

from .compiler import fact_table, render

# closed cases by hours from 立案 to 结案: [0, 1), [1, 2) ... [168, ∞)
HOUR_BUCKETS: tuple[float, ...] = (0, 1, 2, 4, 8, 24, 48, 72, 168)

NAME = "rollup_cases_reported_panels"
ANCHOR = "reported_at"
TOWN_PATH = ("city_code", "district_code", "town_code")
# the scope levels whose unit column every set keeps
SCOPE_COLUMNS = TOWN_PATH
# panel -> the columns its grouping set adds to day × town path (in table order)
SETS: dict[str, tuple[str, ...]] = {
    "unit": ("grid_code", "village_code"),
    "category": ("category_code", "family", "major_code"),
    "heat": ("hour",),
    "handling": ("lo",),
}
KEYS = tuple(c for cols in SETS.values() for c in cols)


def whole_hours_sql() -> str:
    """Whole hours from 立案 to 结案 of closed cases with closed ≥ registered, NULL for the others
    (the declared ``handling_seconds`` measure; integer division is floor for these)."""
    seconds = render(fact_table("cases"), (), measure="handling_seconds").measure
    return f"CASE WHEN closed_at >= registered_at THEN {seconds} // 3600 END"


def bucket_sql(hours: str) -> str:
    """The lower edge of the handling bucket of ``hours`` (whole hours; NULL stays NULL). The edges are
    whole hours, so whole hours ≥ edge exactly when the hours themselves are."""
    assert all(float(b).is_integer() for b in HOUR_BUCKETS)
    return "CASE " + " ".join(f"WHEN {hours} >= {int(b)} THEN {int(b)}" for b in reversed(HOUR_BUCKETS)) + " END"


def select(days: bool = False) -> str:
    """The rollup's rows from ``cases`` (``days``: only the reported days in ``$days``)."""
    ft = fact_table("cases")
    path = ", ".join((*TOWN_PATH, *SETS["unit"]))
    where = [f"({ft.base})", f"{ANCHOR} IS NOT NULL"]
    if days:
        where += [f"{ANCHOR} >= CAST($day_lo AS TIMESTAMP)", f"{ANCHOR} < CAST($day_hi AS TIMESTAMP)",
                  f"list_contains($days, CAST({ANCHOR} AS DATE))"]
    rows = (f"SELECT CAST({ANCHOR} AS DATE) AS day, {path}, category_code, family, major_code, "
            f"hour({ANCHOR}) AS hour, {whole_hours_sql()} AS h\n  FROM {ft.name}\n  WHERE " + " AND ".join(where))
    which = " ".join(f"WHEN grouping({cols[0]}) = 0 THEN '{name}'" for name, cols in SETS.items())
    sets = ", ".join("(" + ", ".join(("day", *TOWN_PATH, *cols)) + ")" for cols in SETS.values())
    return (f"SELECT day, {path}, CASE {which} END AS panel, {', '.join(KEYS[len(SETS['unit']):])}, count(*) AS n\n"
            f"FROM (SELECT *, {bucket_sql('h')} AS lo FROM ({rows}))\n"
            f"GROUP BY GROUPING SETS ({sets})")


def spec() -> RollupSpec:
    types = {c.name: c for c in schema.TABLE_BY_NAME["cases"].columns}
    cols = (RollupColumn("day", "DATE", f"day of `{ANCHOR}`"),
            *(RollupColumn(c, types[c].type, types[c].doc) for c in (*TOWN_PATH, *SETS["unit"])),
            RollupColumn("panel", "VARCHAR", "the marginal the row counts: " + " | ".join(SETS)),
            *(RollupColumn(c, types[c].type, types[c].doc) for c in SETS["category"]),
            RollupColumn("hour", "BIGINT", f"hour of `{ANCHOR}` (heat rows)"),
            RollupColumn("lo", "INTEGER", "handling bucket's lower edge, hours (handling rows)"),
            RollupColumn("n", "BIGINT", "cases (not cancelled) reported on the day with these values"))
    return RollupSpec(NAME, "cases", ANCHOR, cols, select(), select(days=True))
