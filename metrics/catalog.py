"""The indicator declarations, and per-site overrides of their targets and thresholds.

Per-site overrides come from the ``[metrics]`` section of the TOML configuration, e.g.::

    [metrics.indicators.closure_rate]
    target = 0.95
    warning = 0.90

Only ``target``, ``warning`` and ``excellent`` may be overridden; the formula never is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .model import Aggregate, Indicator

C = "cases"
H = "hotline_orders"
A = "sensor_alarms"


def _cnt(table: str, *preds: str) -> Aggregate:
    return Aggregate(table, tuple(preds))


_DUE = _cnt(C, "due")
_REG = _cnt(C, "registered")
_URG = _cnt(C, "urgent_dispatched")

INDICATORS: tuple[Indicator, ...] = (
    # ---- cases: counts
    Indicator("registered", "立案数", "Registered cases", "Cases registered (立案) in the period.",
              "count", _REG, unit="件", dimension="城市治理",
              formula_zh="期内立案的案件数（不含作废）",
              formula_en="cases with registered_at in the period, not cancelled"),
    Indicator("due", "应结案数", "Cases due to close",
              "Cases whose deadline fell in the period (so far, for the running period), plus earlier ones "
              "still open at the period start.",
              "count", _DUE, unit="件", dimension="城市治理",
              formula_zh="期限落在期内（本期进行中则截至当前）的已立案案件 + 期限早于期初且期初仍未结案的案件",
              formula_en="registered; deadline in [s,a) with a = min(e, now), or deadline < s and open at s"),
    Indicator("closed", "结案数", "Closed cases", "Cases due to close that were closed by the period end.",
              "count", _cnt(C, "due", "closed_by_end"), unit="件", dimension="城市治理",
              formula_zh="应结案数中期末前已结案的案件", formula_en="due cases with closed_at < e"),
    Indicator("open_backlog", "未结案件", "Open backlog",
              "Registered cases still open at the period end (now, for the running period).",
              "count", _cnt(C, "open_at_end"), unit="件", direction="lower", dimension="城市治理",
              formula_zh="期末（本期进行中则为当前）仍未结案的已立案案件",
              formula_en="registered_at < a and (closed_at is null or ≥ a), a = min(e, now)"),
    Indicator("overdue_backlog", "超期未结", "Overdue backlog",
              "Open cases past their deadline at the period end (now, for the running period).",
              "count", _cnt(C, "open_at_end", "overdue_at_end"), unit="件", direction="lower",
              dimension="城市治理", formula_zh="期末（本期进行中则为当前）未结且已超过处置期限的案件",
              formula_en="open at a and deadline_at < a, a = min(e, now)"),
    # ---- cases: rates
    Indicator("closure_rate", "结案率", "Closure rate", "Closed / due (seed 002 target ≥ 97% in key units).",
              "ratio", _cnt(C, "due", "closed_by_end"), _DUE, target=0.97, warning=0.90, excellent=0.99,
              dimension="城市治理", source="seed 002",
              formula_zh="结案数 / 应结案数", formula_en="closed / due"),
    Indicator("ontime_closure_rate", "按期结案率", "On-time closure rate", "Due cases closed by their deadline.",
              "ratio", _cnt(C, "due", "closed_on_time"), _DUE, target=0.90, warning=0.75, excellent=0.95,
              dimension="城市治理", source="standard",
              formula_zh="按期结案数 / 应结案数", formula_en="due cases closed by deadline / due"),
    Indicator("ontime_disposal_rate", "按期处置率", "On-time disposal rate", "Due cases disposed by their deadline.",
              "ratio", _cnt(C, "due", "disposed_on_time"), _DUE, target=0.90, warning=0.75, excellent=0.95,
              dimension="城市治理", source="standard",
              formula_zh="按期处置数 / 应处置数（应处置数取应结案数口径）",
              formula_en="due cases disposed by deadline / due"),
    Indicator("rework_rate", "返工率", "Rework rate", "Due cases whose result failed inspection at least once.",
              "ratio", _cnt(C, "due", "reworked"), _DUE, direction="lower", target=0.05, warning=0.10,
              excellent=0.02, dimension="城市治理", source="standard",
              formula_zh="返工数 / 应结案数", formula_en="due cases with rework_count > 0 / due"),
    Indicator("supervision_rate", "监督举报率", "Supervision report rate", "Verified supervision reports / registered.",
              "ratio", _cnt(C, "registered", "supervision"), _REG, direction="lower", target=0.05, warning=0.10,
              excellent=0.02, dimension="城市治理", source="standard",
              formula_zh="监督举报核实数 / 立案数", formula_en="registered with supervision_report / registered"),
    Indicator("proactive_rate", "先行发现率", "Proactive discovery rate",
              "Cases found by staff or machines before a citizen complained (seed 002 target ≥ 85%).",
              "ratio", _cnt(C, "registered", "proactive"), _REG, target=0.85, warning=0.75, excellent=0.92,
              dimension="城市治理", source="seed 002",
              formula_zh="主动发现立案数 / 立案数", formula_en="registered and proactive / registered"),
    Indicator("escalation_rate", "上提一级率", "Escalation rate", "Registered cases escalated one level (上提一级).",
              "ratio", _cnt(C, "registered", "escalated"), _REG, direction="lower", target=0.05, warning=0.10,
              dimension="城市治理", source="seed 002",
              formula_zh="上提一级案件数 / 立案数", formula_en="registered and escalated / registered"),
    Indicator("handling_p50", "处置时长中位数", "Median handling time",
              "Median hours from registration to closure of cases closed in the period.",
              "duration", Aggregate(C, ("closed_in_period",), "quantile", "handling_hours", 0.5),
              _cnt(C, "closed_in_period"), unit="h", direction="lower", dimension="城市治理",
              formula_zh="期内结案案件 立案→结案 时长的中位数",
              formula_en="median(closed_at − registered_at), closed in period"),
    Indicator("handling_p90", "处置时长P90", "P90 handling time",
              "90th percentile of hours from registration to closure of cases closed in the period.",
              "duration", Aggregate(C, ("closed_in_period",), "quantile", "handling_hours", 0.9),
              _cnt(C, "closed_in_period"), unit="h", direction="lower", dimension="城市治理",
              formula_zh="期内结案案件 立案→结案 时长的90分位",
              formula_en="P90(closed_at − registered_at), closed in period"),
    Indicator("urgent_arrival_rate", "15分钟到场率", "Urgent arrival ≤ 15 min",
              "Urgent cases dispatched in the period with staff on site within 15 minutes.",
              "ratio", _cnt(C, "urgent_dispatched", "arrived_15min"), _URG, target=0.95, warning=0.85,
              dimension="城市安全", source="seed 004",
              formula_zh="派单后15分钟内到场的紧急案件 / 紧急案件",
              formula_en="urgent with arrived_at ≤ dispatched_at + 15 min / urgent dispatched"),
    Indicator("urgent_result_rate", "1小时初步处置率", "Urgent first result ≤ 1 h",
              "Urgent cases dispatched in the period with a first result within 60 minutes.",
              "ratio", _cnt(C, "urgent_dispatched", "first_result_60min"), _URG, target=0.90, warning=0.80,
              dimension="城市安全", source="seed 004",
              formula_zh="派单后1小时内有初步处置结果的紧急案件 / 紧急案件",
              formula_en="urgent with first_result_at ≤ dispatched_at + 60 min / urgent dispatched"),
    Indicator("station_closure_rate", "联勤联动事项结案率", "Liaison-station closure rate",
              "Station cases closed / station cases due (seed 004 target ≥ 85%).",
              "ratio", _cnt(C, "due", "at_station", "closed_by_end"), _cnt(C, "due", "at_station"),
              target=0.85, warning=0.75, excellent=0.95, dimension="城市治理", source="seed 004",
              formula_zh="工作站结案数 / 工作站应结案数", formula_en="station cases closed / station cases due"),
    # ---- hotline
    Indicator("hotline_orders", "工单量", "Hotline orders", "12345 orders received in the period.",
              "count", _cnt(H, "received"), unit="件", dimension="民生服务",
              formula_zh="期内受理工单数", formula_en="orders with received_at in the period"),
    Indicator("hotline_first_contact_rate", "先行联系率", "First-contact rate",
              "Orders whose handler contacted the citizen first / orders with a recorded answer.",
              "ratio", _cnt(H, "received", "contact_recorded", "contacted_first"),
              _cnt(H, "received", "contact_recorded"), target=0.95, warning=0.90, dimension="民生服务",
              source="local practice", formula_zh="先行联系“是” / （“是”+“否”）",
              formula_en="first_contact true / first_contact recorded"),
    Indicator("hotline_resolution_rate", "实际解决率", "Actual resolution rate",
              "Resolved / (resolved + explained).",
              "ratio", _cnt(H, "received", "resolved"), _cnt(H, "received", "resolution_recorded"),
              target=0.82, warning=0.75, dimension="民生服务", source="local practice",
              formula_zh="实际解决数 / （实际解决数+解释说明数）", formula_en="resolved / (resolved + explained)"),
    Indicator("hotline_satisfaction_rate", "市民满意率", "Citizen satisfaction",
              "Σ satisfaction score / callbacks (满意 1, 基本满意 0.9, 不满意 0).",
              "ratio", Aggregate(H, ("received", "rated"), "sum", "satisfaction_score"), _cnt(H, "received", "rated"),
              target=0.93, warning=0.88, excellent=0.95, dimension="民生服务", source="local practice",
              formula_zh="Σ满意度分值 / 回访数（满意1，基本满意0.9）", formula_en="Σ score / rated callbacks"),
    Indicator("hotline_ontime_rate", "按时办结率", "On-time completion",
              "Orders due in the period (so far, for the running period) closed by their due time / orders due.",
              "ratio", _cnt(H, "due_in_period", "closed_by_due"), _cnt(H, "due_in_period"), target=0.96,
              warning=0.90, excellent=0.99, dimension="民生服务", source="local practice",
              formula_zh="按时办结工单 / 期内到期工单（本期进行中则截至当前）",
              formula_en="due_at in [s, a), a = min(e, now), and closed_at ≤ due_at / due_at in [s, a)"),
    Indicator("hotline_closure_rate", "工单办结率", "Hotline closure rate",
              "Orders received in the period and closed by its end / orders received.",
              "ratio", _cnt(H, "received", "closed_by_end"), _cnt(H, "received"), target=0.95, warning=0.85,
              dimension="民生服务", formula_zh="期内受理且期末前办结 / 期内受理",
              formula_en="received in period and closed_at < e / received in period"),
    Indicator("hotline_close_p50", "办结时长中位数", "Median time to close",
              "Median hours from receipt to closure of orders received and closed in the period.",
              "duration", Aggregate(H, ("received", "closed_by_end"), "quantile", "close_hours", 0.5),
              _cnt(H, "received", "closed_by_end"), unit="h", direction="lower", dimension="民生服务",
              formula_zh="期内受理且期末前办结工单 受理→办结 时长中位数",
              formula_en="median(closed_at − received_at) of orders received and closed by e"),
    Indicator("hotline_backlog", "未办结工单", "Hotline backlog",
              "Orders still open at the period end (now, for the running period).",
              "count", _cnt(H, "open_at_end"), unit="件", direction="lower", dimension="民生服务",
              formula_zh="期末（本期进行中则为当前）仍未办结的工单",
              formula_en="received_at < a and (closed_at is null or ≥ a), a = min(e, now)"),
    # ---- sensor alarms
    Indicator("alarms", "告警数", "Alarms", "Sensor alarms (both severities) started in the period.",
              "count", _cnt(A, "started"), unit="次", direction="lower", dimension="城市安全",
              formula_zh="期内开始的告警数", formula_en="alarms with started_at in the period"),
    Indicator("alarms_severe", "严重告警数", "Severe alarms", "Alarms of severity 'alarm' started in the period.",
              "count", _cnt(A, "started", "severity_alarm"), unit="次", direction="lower", dimension="城市安全",
              formula_zh="期内开始的“告警”级告警数", formula_en="started in period and severity = alarm"),
    Indicator("alarm_case_rate", "告警转案件率", "Alarms turned into cases",
              "Alarms started in the period that became grid cases (联动).",
              "ratio", _cnt(A, "started", "to_case"), _cnt(A, "started"), dimension="城市安全",
              formula_zh="转为案件的告警 / 告警数", formula_en="alarms with case_id / alarms"),
)

BY_ID: Mapping[str, Indicator] = {i.id: i for i in INDICATORS}

# The indicators a big screen shows: the vital signs (each has a target).
VITAL_SIGNS: tuple[str, ...] = (
    "closure_rate", "ontime_closure_rate", "ontime_disposal_rate", "rework_rate", "supervision_rate",
    "proactive_rate", "escalation_rate", "urgent_arrival_rate", "urgent_result_rate", "station_closure_rate",
    "hotline_first_contact_rate", "hotline_resolution_rate", "hotline_satisfaction_rate", "hotline_ontime_rate",
)

_OVERRIDABLE = ("target", "warning", "excellent")


def catalog(overrides: Mapping[str, Any] | None = None) -> tuple[Indicator, ...]:
    """Every declared indicator, with the site's ``[metrics.indicators.<id>]`` overrides applied."""
    per = (overrides or {}).get("indicators", {}) if overrides else {}
    out = []
    for ind in INDICATORS:
        o = per.get(ind.id, {}) if isinstance(per, Mapping) else {}
        if any(k in o for k in _OVERRIDABLE):
            ind = replace(ind, target=float(o["target"]) if "target" in o else ind.target,
                          warning=float(o["warning"]) if "warning" in o else ind.warning,
                          excellent=float(o["excellent"]) if "excellent" in o else ind.excellent)
        out.append(ind)
    return tuple(out)


def target_of(metric_id: str, overrides: Mapping[str, Any] | None = None) -> float | None:
    """An indicator's target: its declaration's, or the site's ``[metrics.indicators.<id>] target``
    (``overrides``: the ``[metrics]`` section; default: the configured one). The only source of a
    target: a page never keeps its own copy."""
    from .config import metrics_overrides

    (ind,) = resolve([metric_id], metrics_overrides(overrides))
    return ind.target


def resolve(ids: str | list[str] | tuple[str, ...], overrides: Mapping[str, Any] | None = None) -> list[Indicator]:
    from .query import QueryError

    wanted = [ids] if isinstance(ids, str) else list(ids)
    by_id = {i.id: i for i in catalog(overrides)}
    unknown = [w for w in wanted if w not in by_id]
    if unknown:
        raise QueryError(f"unknown indicator(s): {', '.join(unknown)}")
    return [by_id[w] for w in wanted]
