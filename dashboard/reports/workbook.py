"""The briefing as a workbook: one sheet per section, the rows the PDF prints and every ranked unit."""

from __future__ import annotations

import io

import pandas as pd
import xlsxwriter  # type: ignore[import-untyped]

import metrics
from dashboard.components.rankings_model import EXPORT_COLUMNS
from dashboard.export import write_sheet
from dashboard.reports.briefing import LEVEL_ZH, Briefing
from metrics import hotline_explore as HX


def workbook(b: Briefing) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "nan_inf_to_errors": True})
    head = [("范围", b.scope_name), ("周期", b.period_text), ("站点", b.site_name),
            ("数据截至", f"{b.data_now:%Y-%m-%d %H:%M}" if b.data_now else "—"),
            ("生成于", f"{b.generated_at:%Y-%m-%d %H:%M}")]
    write_sheet(wb, "摘要", pd.DataFrame({"text": list(b.summary)}), [("text", "摘要")], b.title, head)
    signs = pd.DataFrame([{"name": s.name_zh, "value": s.value, "target": s.target, "previous": s.previous_value,
                           "kind": metrics.BY_ID[s.metric_id].kind, "status": s.status,
                           "miss": s.status in ("amber", "red")} for s in b.vitals.signs])
    ratio = signs[signs["kind"] == "ratio"] if len(signs) else signs
    other = signs[signs["kind"] != "ratio"] if len(signs) else signs
    cols = [("name", "指标"), ("value", "本期"), ("target", "目标"), ("previous", "上期"), ("status", "状态"),
            ("miss", "未达目标")]
    write_sheet(wb, "体征", pd.concat([ratio, other]), cols, "城市体征与目标", head,
                percent=["value", "target", "previous"], highlight="miss")
    for r in b.rankings:
        write_sheet(wb, f"排名-{LEVEL_ZH[r.level]}"[:31], r.frame, EXPORT_COLUMNS, r.title,
                    [*head, ("末位数", "每个同类组后 3 名（至多组内半数）")], highlight="bottom")
    st = b.stations.stations.sort_values("value", na_position="last").assign(
        below=lambda d: d["meets_target"].eq(False).fillna(False))
    write_sheet(wb, "工作站", st, [("name", "站点"), ("key", "代码"), ("value", "结案率"), ("numerator", "结案"),
                                  ("denominator", "应结"), ("previous_value", "上期"), ("target", "目标"),
                                  ("below", "低于目标")],
                f"联勤联动工作站结案率：{b.stations.meeting_target}/{b.stations.stations_with_value} 个达到目标",
                head, percent=["value", "previous_value", "target"], highlight="below")
    u = b.urgent
    urgent = pd.DataFrame([{"name": iv.name_zh, "value": iv.value, "numerator": iv.numerator,
                            "denominator": iv.denominator, "target": iv.target, "breaches": n,
                            "previous": iv.previous_value, "miss": iv.status in ("amber", "red")}
                           for iv, n in ((u.arrival, u.arrival_breaches), (u.result, u.result_breaches))])
    write_sheet(wb, "紧急响应", urgent, [("name", "指标"), ("value", "本期"), ("numerator", "达标"),
                                        ("denominator", "派遣"), ("target", "目标"), ("breaches", "超时件数"),
                                        ("previous", "上期")], "紧急案件响应", head,
                percent=["value", "target", "previous"], highlight="miss")
    hot = b.hotspots.assign(first=lambda d: d["first_at"].astype(str), last=lambda d: d["last_at"].astype(str))
    write_sheet(wb, "顽症", hot, [("place_name", "地点"), ("place", "代码"), ("category", "类别"),
                                 ("max_in_window", f"{HX.HOT_WITHIN_DAYS}天内最多"), ("orders_in_period", "本期件数"),
                                 ("first", "本期首次"), ("last", "最近")],
                f"顽症（{b.hotline_name}，{HX.HOT_WITHIN_DAYS}天内同一地点同类诉求≥{HX.HOT_MIN_COUNT}次）", head)
    wb.close()
    return buf.getvalue()
