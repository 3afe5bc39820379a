"""What a drill in force is, said in the page's language for the banner over the table: "2026-12-03 当日",
"周三 09:00–10:00", "处置时长 4–8 小时", the category's or unit's name — never the URL's "day:2026-12-03"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.components.code_labels import code_name
from dashboard.components.labels import code_label
from metrics.explore import Drill
from metrics.panel_rollup import HOUR_BUCKETS

if TYPE_CHECKING:
    from dashboard.components.page import Ctx


def _hours(ctx: Ctx, value: str) -> str:
    lo = float(value)
    i = HOUR_BUCKETS.index(lo) if lo in HOUR_BUCKETS else -1
    hi = HOUR_BUCKETS[i + 1] if 0 <= i < len(HOUR_BUCKETS) - 1 else None
    span = f"{lo:g}–{hi:g}" if hi is not None else f"≥ {lo:g}"
    return ctx.t("drill.hours", h=span)


def drill_label(ctx: Ctx, drill: Drill) -> str:
    """The drill's rows in words; a kind without its own words shows its value."""
    kind, v = drill.kind, drill.value
    try:
        if kind == "day":
            return ctx.t("drill.day", d=v)
        if kind == "hour_dow":
            hour, dow = (int(x) for x in v.split(":"))
            return ctx.t("drill.hour_dow", w=ctx.t("cases.weekdays").split(",")[dow], h=f"{hour:02d}",
                         h2=f"{hour + 1:02d}")
        if kind == "hours":
            return _hours(ctx, v)
    except (ValueError, IndexError):
        return drill.text()
    if kind == "category":
        return f"{ctx.t('filter.category')} {code_name('category_code', v)}"
    if kind in ("unit", "place"):
        return ctx.unit_name(v)
    if kind in ("source", "status"):
        return f"{ctx.t(f'filter.{kind}')} {code_label(kind, v, ctx.en)}"
    if kind == "station":
        return ctx.t("drill.all_stations") if v == "*" else code_name("station_code", v)
    if kind == "department":
        return code_name("dept_code", v)
    if kind == "subcategory":
        return f"{ctx.t('filter.category')} {v}"
    if kind == "cell":
        return ctx.t("drill.cell")
    return v
