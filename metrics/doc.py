"""docs/metrics.md, generated from the declarations: ``python -m metrics.doc`` rewrites it.

A test fails when the file is stale or an indicator is missing. The benchmark section at the end
(written by ``bench/metrics_bench.py``) is kept verbatim across regenerations.
"""

from __future__ import annotations

import importlib
import inspect
import sys

from etl.settings import PROJECT_ROOT

from . import config, predicates, rollups, scores, stock_rollup
from .catalog import INDICATORS, VITAL_SIGNS
from .compiler import Bound, fact_table
from .compiler import render as render_sql
from .model import Aggregate, Indicator

# ``metrics.ranking`` the module is shadowed by ``metrics.ranking`` the exported function.
ranking = importlib.import_module("metrics.ranking")

DOC = PROJECT_ROOT / "docs" / "metrics.md"
BENCH_MARK = "## Benchmark"
SYMBOLIC = Bound("s", "e", "a")  # the period's start, end and as-of instant, as the conventions name them

INTRO = """# Metric catalog · 指标目录

Generated from `metrics/catalog.py` and `metrics/predicates.py` (do not edit by hand; run
`python -m metrics.doc`). 由指标声明自动生成，请勿手工修改。

## API (`metrics/__init__.py`)

```python
catalog(overrides=None) -> tuple[Indicator, ...]
indicator_table(con, ids, query, by=None | "city" | "district" | "town" | "grid" | "village" | "unit"
                | "station" | "department" | "agency") -> DataFrame[key, name, metric_id, numerator, denominator, value,
                                                       previous_value, target, status]
indicator_values(con, ids, query) -> dict[str, IndicatorValue]        # scope total + previous + status
monthly_trend(con, ids, query, months=12, by=None) -> DataFrame[month, ...indicator_table columns]
drill(con, metric_id, query, key=None, part="numerator", limit=100, offset=0, *, by=None) -> (DataFrame, total)
vital_signs(con, query, ids=VITAL_SIGNS, *, rolling=False) -> VitalSigns  # CityScore (+ 7/30/90-day views)
evaluation(con, "region" | "department", level, query) -> DataFrame  # 分值, 综合指标值, grade A–E
evaluations(con, "region" | "department", level, query) -> (current, previous)  # both from one scan
ranking(con, level, measure, query, bottom_n=3, *, by_peer_group=True, min_volume=None) -> DataFrame
station_closure(con, query) -> StationClosure;  station_trend(con, query, months=12, by_station=False)
urgent_breaches(con, query, "arrival" | "result", limit, offset) -> (DataFrame, total)
repeat_complaints(con, query, min_count=3, within_days=30, place="unit" | "cell", cell_m=100)
sensor_online(con, query, by="sensor_type", as_of=None); sensors.reporting(con, query, as_of=None)  # 在线率
alarms_by_severity; alarm_cases; latest_readings
on_duty(con, query, by="grid"); night_cover; grids_without_night_cover; cases_per_person(con, query, by="town")
hierarchy.hierarchy(con) -> Hierarchy  # the level slots the site uses (+ declared names); .below(level)
```
Indicator, trend, drill, score, evaluation, ranking and station functions also take `overrides=` (the
site's `[metrics]` section, passed down by the caller: the dashboard passes its `Settings`' section via
`dashboard.data.metrics_config()`; the metrics layer reads no configuration file; none: the declared
values). `target_of(metric_id, overrides)` is an indicator's target under them.

## Conventions · 口径约定

- Rates are sums of counts over sums of counts, returned as fractions (0.9372 = 93.72%). A rate whose
  denominator is zero has **no value** (None/NaN, shown as “—”), never 0% or 100%.
  比率 = 计数之和 / 计数之和；分母为 0 时无值（不显示为 0% 或 100%）。
- Cancelled cases (作废, `cancelled`) are excluded from every case indicator.
- Cancelled hotline orders (status `cancelled`: the source values a mapping lists under
  `status.cancelled`, e.g. 311's `Canceled`, 已撤销) are excluded from every hotline indicator: a
  cancelled order with a close date is not a closure (办结率, 办结时长), one without is not backlog, and
  neither counts as an order received. Closure is otherwise judged by `closed_at` alone (a status of
  `closed` without a close date is not closed). The exploration lists (categories, hotspots) still count
  every call. 已撤销/作废工单不计入任何工单指标（办结率、办结时长、未办结、受理数）；是否办结只看办结时间。
  Tested by hand in `tests/metrics/test_operations.py::test_cancelled_orders_are_out_of_closure`.
- Periods are half-open local-time intervals [s, e) of the site time zone; the previous comparable
  period is the previous calendar unit (or an equally long custom span).
- **应结案数 (cases due to close)** for a period [s, e): registered cases, not cancelled, whose deadline
  falls in [s, e), plus those whose deadline fell before s and that were still open at s (not closed
  before s). 结案数 = those of them closed before e, so 结案率 ≤ 100%; 按期结案数 = those closed by
  their deadline; 应处置数 = 应结案数. 应结案数 = 期限在本期内的已立案案件 + 期限早于期初且期初仍未结案的案件。
- **As-of instant a = min(e, data now)** (``warehouse_meta`` ``now``/``data_now``): stock figures are
  taken at it. Backlog (未结案件, 超期未结, 未办结工单) of a past period = what was open at its end; of
  the running period = what is open now (a future period shows the current stock). For the running
  period 应结案数 counts only cases due by now (deadline < a), not those due later in the period.
  No recorded 'now': a = e. 存量指标（未结、超期、应结案）取 min(期末, 数据当前时刻)。
- **Hierarchy of any shape, 1 to 6 levels.** Units sit in the slots city → district → town → grid →
  village → microgrid, and a site fills only those its hierarchy has (New York: city → community
  districts uses district and grid; a 1-level site: sibling units without a root). "The level
  below" a unit — breakdowns by child unit, the wall's ranking, the rankings page's default level — is
  the next slot *in use* (`metrics.hierarchy`), so a missing 街镇 level never gives an empty or failing
  table. Level names the site declares (`vitals site set --level
  grid=社区/Community district`, `warehouse_meta.level_names`) replace ours on the pages. 层级按实际使用的层级取下一级。
- Filters: unit subtree (any level), category (category code or major-class prefix), source,
  urgency, status; a filter a fact table lacks does not apply to it.
- Drill-through: `drill(con, metric_id, query, key, part)` returns the rows of the numerator or
  denominator (paged) and their count.
- Per-site overrides in the TOML configuration, no code change:
  `[metrics.indicators.<id>] target/warning/excellent`, `[metrics.weights.region|department]`,
  `[metrics.bands.<peer group>] bands`, `[metrics.ranking] min_volume`, `[metrics.vital_signs] cap`,
  `[metrics.hotline.satisfaction_weights] satisfied/basic/unsatisfied` (市民满意率 weights, see Measures).
- Status: green at or beyond target; amber between target and the warning threshold (触警阈值);
  red beyond the warning threshold.
- **在线率 (sensor online rate)** over a period [s, e) at the as-of instant a: for each sensor
  installed before a, its window is [max(s, installed_at), a) and its reporting interval is
  `expected_interval_min` when declared, else the median gap between its consecutive readings in the
  window, else 60 min. Expected = ⌈window / interval⌉ intervals counted from the window start;
  received = those intervals holding at least one reading. 在线率 = Σ received / Σ expected over the
  sensors of a key (`sensor_online`, the /sensors KPI and bars). A sensor that sent readings all day and
  stopped at 17:30 is not "offline" for the day: it scores the share of the day it reported.
  `online` (sensors with a reading in their last interval before a) is the snapshot the offline list uses.
  Received intervals come from the readings rollup (`rollup_sensor_readings_day`: the 15-minute cells
  with a reading, per sensor and day) for every sensor whose intervals are whole cells dividing the day
  and start on that grid, and from the rows for the others (5-minute sensors, an odd interval, one
  installed off its grid inside the window): the same numbers either way (metrics/readings_rollup.py).
  A sensor's series on /sensors breaks where it was silent for more than 3 intervals (or two chart buckets).
- Sensor states and derived alarms judge a reading in the sensor's `threshold_direction`: `above`
  (at or above the thresholds), `below` (at or below), `outside` (above the thresholds or at or below
  `threshold_low_warning` / `threshold_low_alarm`); undeclared: below when the alarm threshold is lower
  than the warning one, else above. A NULL threshold raises nothing.
"""


def _agg(ft_name: str, agg: Aggregate | None) -> str:
    if agg is None:
        return "—"
    where = render_sql(fact_table(ft_name), agg.filter, SYMBOLIC).where
    if agg.measure == "count":
        what = "count(*)"
    elif agg.measure == "sum":
        what = f"sum({agg.expr})"
    else:
        what = f"quantile({agg.expr}, {agg.q})"
    return f"`{what}` over `{ft_name}` where `{where}`".replace("|", "\\|")


def _computed(ind: Indicator) -> str:
    r = rollups.rollup_of(ind)
    if r is None and stock_rollup.covers(ind):
        return (f"from the stock rollups 存量预聚合 `{stock_rollup.CITY_NAME}` / `{stock_rollup.NAME}` (whole city or "
                "district, no filter; exact, "
                "the running day from rows), else exact from rows 明细计算")
    if r is None:
        return "exact from rows 明细计算 (not additive by day)"
    return f"from rollup 预聚合 `{r.name}` (additive by day of `{r.anchor}`)"


def _indicator(ind: Indicator) -> list[str]:
    def fmt(x: float | None) -> str:
        if x is None:
            return "—"
        return f"{x:.0%}" if ind.unit == "%" else f"{x:g}"

    direction = "higher is better 正向" if ind.direction == "higher" else "lower is better 负向"
    return [
        f"### `{ind.id}` · {ind.zh} · {ind.en}",
        "",
        ind.description,
        "",
        "| | |",
        "|---|---|",
        f"| kind 类型 | {ind.kind} |",
        f"| formula 公式 | {ind.formula_zh} · {ind.formula_en} |",
        f"| numerator 分子 | {_agg(ind.table, ind.numerator)} |",
        f"| denominator 分母 | {_agg(ind.table, ind.denominator)} |",
        f"| unit 单位 | {ind.unit} |",
        f"| computed 计算 | {_computed(ind)} |",
        f"| direction 方向 | {direction} |",
        f"| target 目标 / warning 触警 / excellent 优质 | {fmt(ind.target)} / {fmt(ind.warning)} / "
        f"{fmt(ind.excellent)} |",
        f"| dimension 维度 | {ind.dimension} |",
        f"| source 来源 | {ind.source} |",
        "",
    ]


def _doc(obj: object) -> str:
    return inspect.cleandoc(getattr(obj, "__doc__", None) or "")


def render(bench_section: str = "") -> str:
    out = [INTRO]
    out += ["## Measures · 度量表达式", ""]
    for ft in predicates.TABLES.values():
        for name in ft.measures:
            out.append(f"- `{ft.name}.{name}` = `{render_sql(ft, (), SYMBOLIC, name).measure}`")
    out += ["", "`$w_<answer>` are the 市民满意率 weights, bound as parameters: default "
            + ", ".join(f"{k} {v:g}" for k, v in config.SATISFACTION_WEIGHTS.items())
            + " (满意 1 / 基本满意 0.9 / 不满意 0, domain.md §5). A site with another rule overrides them, "
            "each a number in [0, 1]:", "", "```toml", "[metrics.hotline.satisfaction_weights]",
            "satisfied = 1.0", "basic = 0.8", "unsatisfied = 0.0", "```"]
    out += ["", "## Indicators · 指标", ""]
    for ind in INDICATORS:
        out += _indicator(ind)
    out += ["## Vital signs · 城市体征 (CityScore)", "", "Indicators scored: " +
            ", ".join(f"`{i}`" for i in VITAL_SIGNS) + ".", "", _doc(scores.vital_signs), ""]
    out += ["## Evaluations · 数字化城管评价", "", _doc(scores.evaluation), "", _doc(scores.evaluations), "",
            scores.REGION_REGISTERED_NOTE, "",
            f"Default weights: region {scores.REGION_WEIGHTS}; department {scores.DEPARTMENT_WEIGHTS}.",
            f"Volume bands (立案数分值, upper bound → score): {list(scores.DEFAULT_BANDS)}, above: 0.",
            "Grades: A ≥ 90, B 75–90, C 60–75, D 40–60, E < 40. A composite with any component",
            "without a value has no value (no grade, shown “—”, never E): it is never guessed.", ""]
    out += ["## Rollups · 预聚合", "", _doc(rollups), "",
            "Tables (docs/schema.md, \"Rollups\"): " + ", ".join(f"`{r.name}`" for r in rollups.ROLLUPS) + ".", "",
            "### The stock rollup · 存量预聚合", "", _doc(stock_rollup), ""]
    out += ["## Rankings · 排名 (small-numbers rule · 小样本规则)", "", _doc(ranking), "",
            _doc(ranking.ranking), ""]
    text = "\n".join(out).rstrip() + "\n"
    if bench_section:
        text += "\n" + bench_section.rstrip() + "\n"
    return text


def bench_section(text: str) -> str:
    return text[text.index(BENCH_MARK):] if BENCH_MARK in text else ""


def current() -> str:
    existing = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    return render(bench_section(existing))


def main() -> None:
    DOC.write_text(current(), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
