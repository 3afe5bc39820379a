"""The /cases page's count panels kept per day of 上报 (``reported_at``): rollups of their marginals.

Each panel of ``case_panels`` is a marginal count of the cases reported in the period: per day, per
category, per child unit, per weekday × hour and per handling-time bucket. Together at the leaf they
are nearly one row per case (day × unit × category × hour × bucket barely folds), so a rollup keeps
each marginal on its own (``GROUPING SETS``), per day and per the path of its grain (``GRAINS``):

- ``unit``: day × the children's path (towns for the district grain, down to the 村居 for the town
  grain): the trend and the child-unit panel;
- ``category``: day × path × category code, family and major code;
- ``heat``: day × path × hour of the report (the weekday is the day's);
- ``handling``: day × path × handling bucket (``HOUR_BUCKETS``' lower edge; NULL: not closed, or
  closed before registration).

District demo (930k cases in a year): ~35k rows at the district grain, ~400k at the town grain. A
panel read from them equals the rows' count exactly (``tests/metrics/test_case_panels.py``) for a
midnight-aligned period, no filter and a scope at town level or above; the page reads rows
otherwise. They are maintained like every rollup (``etl.rollups``: the reported days a load touches
are recomputed; a late closure moves a case's bucket on its day).
"""

from __future__ import annotations

from etl import schema
from etl.rollup_spec import RollupColumn, RollupSpec

from .compiler import fact_table, render, rollup_rows

# closed cases by hours from 立案 to 结案: [0, 1), [1, 2) ... [168, ∞)
HOUR_BUCKETS: tuple[float, ...] = (0, 1, 2, 4, 8, 24, 48, 72, 168)

NAME = "rollup_cases_reported_panels"
ANCHOR = "reported_at"
DISTRICT_PATH = ("city_code", "district_code")
TOWN_PATH = (*DISTRICT_PATH, "town_code")
UNIT_PATH = (*TOWN_PATH, "grid_code", "village_code")
# Two grains (two tables), as the indicators' rollups have: "district" keeps the marginals per district
# (a whole district's year is ~35k rows), "town" per 街镇 (~400k rows a year: for a town's scope).
# grain -> (the path a scope may name, the path the unit panel keeps: the children of that scope)
GRAINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "district": (DISTRICT_PATH, TOWN_PATH),
    "town": (TOWN_PATH, UNIT_PATH),
}
# the other panels -> the columns their grouping set adds to day × the grain's path (in table order)
MARGINALS: dict[str, tuple[str, ...]] = {
    "category": ("category_code", "family", "major_code"),
    "heat": ("hour",),
    "handling": ("lo",),
}
KEYS = tuple(c for cols in MARGINALS.values() for c in cols)


def table(grain: str) -> str:
    return NAME if grain == "town" else f"{NAME}_by_{grain}"


def grain_for(scope_column: str | None, unit_column: str) -> str | None:
    """The coarsest grain that answers a scope (its unit column, None: the whole warehouse) whose
    child units the unit panel groups by ``unit_column``; None: none does (read rows)."""
    for grain, (path, units) in GRAINS.items():
        if (scope_column is None or scope_column in path) and unit_column in units:
            return grain
    return None


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


def select(grain: str, days: bool = False) -> str:
    """The rows of the rollup of ``grain`` from ``cases`` (``days``: only the reported days in ``$days``)."""
    ft = fact_table("cases")
    scope, units = GRAINS[grain]
    where = rollup_rows(ft, ANCHOR, days)
    rows = (f"SELECT CAST({ANCHOR} AS DATE) AS day, {', '.join(units)}, category_code, family, major_code, "
            f"hour({ANCHOR}) AS hour, {whole_hours_sql()} AS h\n  FROM {ft.name}\n  WHERE " + " AND ".join(where))
    sets = [("day", *units), *(("day", *scope, *cols) for cols in MARGINALS.values())]
    panel = "CASE " + " ".join(f"WHEN grouping({cols[0]}) = 0 THEN '{name}'" for name, cols in MARGINALS.items()) \
        + " ELSE 'unit' END"
    return (f"SELECT day, {', '.join(units)}, {panel} AS panel, {', '.join(KEYS)}, count(*) AS n\n"
            f"FROM (SELECT *, {bucket_sql('h')} AS lo FROM ({rows}))\n"
            "GROUP BY GROUPING SETS (" + ", ".join("(" + ", ".join(x) + ")" for x in sets) + ")")


def spec(grain: str) -> RollupSpec:
    types = {c.name: c for c in schema.TABLE_BY_NAME["cases"].columns}
    cols = (RollupColumn("day", "DATE", f"day of `{ANCHOR}`"),
            *(RollupColumn(c, types[c].type, types[c].doc) for c in GRAINS[grain][1]),
            RollupColumn("panel", "VARCHAR", "the marginal the row counts: unit | " + " | ".join(MARGINALS)),
            *(RollupColumn(c, types[c].type, types[c].doc) for c in MARGINALS["category"]),
            RollupColumn("hour", "BIGINT", f"hour of `{ANCHOR}` (heat rows)"),
            RollupColumn("lo", "INTEGER", "handling bucket's lower edge, hours (handling rows)"),
            RollupColumn("n", "BIGINT", "cases (not cancelled) reported on the day with these values"))
    return RollupSpec(table(grain), "cases", ANCHOR, cols, select(grain), select(grain, days=True))


SPECS: tuple[RollupSpec, ...] = tuple(spec(g) for g in reversed(GRAINS))  # town, then district
