"""The briefing as one printable HTML document (A4, Noto CJK, page numbers and running heads in CSS
@page margin boxes). Charts are the pages' own figures (``stations_view.closure_figure``) drawn by the
plotly.js that ships inside the plotly package, inline: the file needs nothing from a network."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from html import escape

import pandas as pd
import plotly.offline  # type: ignore[import-untyped]

from dashboard.components import figures as F
from dashboard.components.stations_view import closure_figure
from dashboard.i18n import t
from dashboard.reports.briefing import LEVEL_ZH, Briefing, RankingBlock, score_text, target_pct
from metrics import hotline_explore as HX

FULL_RANKING_ROWS = 30  # longer rankings print the top 5 and the 末位 of each group (all rows in the .xlsx)
HOTSPOT_ROWS = 20
STATUS_ZH = {"green": "达标", "amber": "预警", "red": "未达标"}
FRESH_ZH = {"ok": "正常", "stale": "滞后", "empty": "无数据", "static": "静态"}

CSS = """
@page { size: A4; margin: 20mm 15mm 18mm 15mm;
  @top-left { content: %(head_left)s; font: 9pt 'Noto Sans CJK SC', sans-serif; color: #555; }
  @top-right { content: %(head_right)s; font: 9pt 'Noto Sans CJK SC', sans-serif; color: #555; }
  @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
                   font: 9pt 'Noto Sans CJK SC', sans-serif; color: #555; }
  @bottom-right { content: %(foot_right)s; font: 8pt 'Noto Sans CJK SC', sans-serif; color: #777; } }
html { font-family: 'Noto Serif CJK SC', 'Noto Sans CJK SC', serif; font-size: 10.5pt; color: #111;
       -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-family: 'Noto Sans CJK SC', sans-serif; font-size: 20pt; text-align: center; margin: 0 0 4mm; }
h2 { font-family: 'Noto Sans CJK SC', sans-serif; font-size: 13pt; border-bottom: 1px solid #999;
     margin: 6mm 0 2mm; break-after: avoid; }
h3 { font-family: 'Noto Sans CJK SC', sans-serif; font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; }
.meta { text-align: center; color: #333; margin-bottom: 4mm; }
.summary p { text-indent: 2em; line-height: 1.7; margin: 1mm 0; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 2mm; font-size: 9pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; text-align: left; }
th { background: #dde6f0; font-family: 'Noto Sans CJK SC', sans-serif; font-weight: bold; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.miss td, tr.bottom td { background: #f8d7da; }
tr.amber td { background: #fff3cd; }
.note { color: #555; font-size: 8.5pt; }
.chart { break-inside: avoid; }
"""


def css_string(text: str) -> str:
    """A CSS string literal: quotes, backslashes, newlines and '<' escaped (the text is data)."""
    out = "".join(f"\\{ord(c):x} " if c in '"\\<>\n\r' else c for c in text)
    return f'"{out}"'


def _table(headers: Sequence[str], rows: Sequence[tuple[Sequence[tuple[str, bool]], str]], tid: str = "") -> str:
    """rows: (cells as (text, numeric), row class)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        f"<tr class=\"{cls}\">" + "".join(f"<td class=\"{'n' if n else ''}\">{escape(c)}</td>" for c, n in cells)
        + "</tr>" for cells, cls in rows)
    ident = f' id="{tid}"' if tid else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(kind: str, v: float | None) -> str:
    return F.pct(v) if kind == "ratio" else F.num(v)


def _target(kind: str, v: float | None) -> str:
    return target_pct(v) if kind == "ratio" else F.num(v)


def _vitals(b: Briefing) -> str:
    import metrics

    rows = []
    for s in b.vitals.signs:
        kind = metrics.BY_ID[s.metric_id].kind
        cls = "miss" if s.status == "red" else "amber" if s.status == "amber" else ""
        rows.append(((
            (s.name_zh, False), (_fmt(kind, s.value), True),
            (_target(kind, s.target), True),
            (_fmt(kind, s.previous_value), True), (STATUS_ZH.get(s.status or "", "—"), False)), cls))
    misses = b.misses
    kinds = {s.metric_id: metrics.BY_ID[s.metric_id].kind for s in misses}
    listed = "".join(f"<li>{escape(s.name_zh)}：{escape(_fmt(kinds[s.metric_id], s.value))}，目标 "
                     f"{escape(_target(kinds[s.metric_id], s.target))}（{STATUS_ZH[s.status or 'red']}）</li>"
                     for s in misses)
    return (f"<h2>一、城市体征与目标</h2><p>综合得分 {score_text(b.vitals.overall)}（上期 "
            f"{score_text(b.vitals.previous_overall)}；1.00 为全部达标）。</p>"
            + _table(["指标", "本期", "目标", "上期", "状态"], rows, "vitals")
            + (f"<h3>未达目标的体征（{len(misses)} 项）</h3><ul id=\"misses\">{listed}</ul>" if misses else
               "<p>各项体征均达到目标。</p>"))


def _ranking_rows(r: RankingBlock) -> tuple[pd.DataFrame, bool]:
    df = r.frame
    if len(df) <= FULL_RANKING_ROWS:
        return df, False
    rank = df["rank"].astype("float64")
    keep = df["bottom"].astype(bool) | rank.le(5)
    return df[keep], True


def _rankings(b: Briefing) -> str:
    parts = ["<h2>二、综合评价排名（同类组内，含末位）</h2>"]
    if not b.rankings:
        parts.append("<p>本范围内没有可排名的单位。</p>")
    for r in b.rankings:
        df, cut = _ranking_rows(r)
        rows = [((
            (str(g), False), (str(gr) if gr is not None else "—", True), (str(n), False), (str(v), True),
            (str(gd) if gd else "—", False), (str(m), False), (str(note), False)), "bottom" if bool(bt) else "")
            for g, gr, n, v, gd, m, note, bt in zip(
                df["peer_label"], df["group_rank"], df["name"], df["value_text"], df["grade"], df["movement_text"],
                df["note"], df["bottom"], strict=True)]
        parts.append(f"<h3>{escape(r.title)}</h3>")
        headers = ["同类组", "组内排名", "单位", "得分", "等级", "名次变化", "备注"]
        parts.append(_table(headers, rows, f"rank-{r.level}"))
        if cut:
            parts.append(f"<p class=\"note\">共 {len(r.frame)} 个单位：此处列出各组前 5 名和末位，"
                         "完整排名见 .xlsx。</p>")
    return "".join(parts)


def _stations(b: Briefing, plotly_js: str) -> str:
    sc = b.stations
    target = sc.district.target  # the declared (or site-configured) target, never a copy here
    df = sc.stations.sort_values("value", na_position="last")  # the /stations page's order
    fig = closure_figure(df, target, None, "无数据")  # no target: no line; the briefing is in Chinese
    fig = {**fig, "layout": {**fig["layout"], "width": 680, "height": 300}}
    below = [(((str(r.name), False), (F.pct(r.value), True), (f"{F.num(r.numerator)}/{F.num(r.denominator)}", True),
               (F.pct(r.previous_value), True)), "miss") for r in sc.below.itertuples()]
    return (f"<div class=\"chart\"><h2>三、联勤联动工作站结案率（目标 {target_pct(target)}）</h2>"
            f"<p id=\"stations-kpi\">有应结案件的站点 {sc.stations_with_value} 个（共 {sc.stations_total} 个），"
            f"达到 {target_pct(target)} 的 {sc.meeting_target} 个，低于 {len(sc.below)} 个；全部站点合计 "
            f"{F.pct(sc.district.value)}（{F.num(sc.district.numerator)}/{F.num(sc.district.denominator)}）。</p>"
            + _chart("stations-chart", fig, plotly_js) + "</div>"
            + (f"<h3>低于 {target_pct(target)} 的站点</h3>"
               + _table(["站点", "结案率", "结案/应结", "上期"], below, "stations-below") if below else ""))


def _urgent(b: Briefing) -> str:
    u = b.urgent
    rows = [(((iv.name_zh, False), (F.pct(iv.value), True), (f"{F.num(iv.numerator)}/{F.num(iv.denominator)}", True),
              (target_pct(iv.target), True), (str(n), True), (F.pct(iv.previous_value), True)),
             "miss" if iv.status == "red" else "amber" if iv.status == "amber" else "")
            for iv, n in ((u.arrival, u.arrival_breaches), (u.result, u.result_breaches))]
    return ("<h2>四、紧急案件响应（15分钟到场 / 1小时初步处置）</h2>"
            + _table(["指标", "本期", "达标/派遣", "目标", "超时件数", "上期"], rows, "urgent"))


def _hotspots(b: Briefing) -> str:
    hot = b.hotspots
    rows = [(((str(r.place_name), False), (str(r.category), False), (F.num(r.max_in_window), True),
              (F.num(r.orders_in_period), True), (f"{r.first_at:%m-%d} – {r.last_at:%m-%d}", False)), "")
            for r in hot.head(HOTSPOT_ROWS).itertuples()]
    more = f"<p class=\"note\">共 {len(hot)} 处，列出前 {HOTSPOT_ROWS} 处。</p>" if len(hot) > HOTSPOT_ROWS else ""
    return (f"<h2>五、顽症（{escape(b.hotline_name)}，{HX.HOT_WITHIN_DAYS}天内同一地点同类诉求"
            f" ≥ {HX.HOT_MIN_COUNT} 次）</h2>"
            + (_table(["地点", "类别", f"{HX.HOT_WITHIN_DAYS}天内最多", "本期件数", "时间"], rows, "hotspots") + more
               if len(hot) else "<p>本期无顽症。</p>"))


def _freshness(b: Briefing) -> str:
    rows = [(((b.hotline_name if f.key == "hotline" else t(f"source.{f.key}", "zh"), False), (f"{f.rows:,}", True),
              (f"{f.last:%Y-%m-%d %H:%M}" if f.last else "—", False), (FRESH_ZH.get(f.state, f.state), False)),
             "amber" if f.state == "stale" else "") for f in b.freshness]
    return "<h2>附：数据新鲜度</h2>" + _table(["数据源", "行数", "最新记录", "状态"], rows, "freshness")


def _chart(div_id: str, fig: F.Figure, plotly_js: str) -> str:
    payload = json.dumps({"data": fig["data"], "layout": fig["layout"]}, ensure_ascii=False, default=str)
    payload = payload.replace("</", "<\\/")
    return (f"<div id=\"{div_id}\"></div>{plotly_js}<script>(function(){{var f={payload};"
            f"Plotly.newPlot('{div_id}',f.data,f.layout,{{staticPlot:true}});}})();</script>")


def _stamp(d: datetime | None) -> str:
    return "—" if d is None else f"{d:%Y-%m-%d %H:%M}"


def document(b: Briefing) -> str:
    """The whole HTML document; every data string escaped (HTML text, CSS strings)."""
    plotly_js = f"<script>{plotly.offline.get_plotlyjs()}</script>"
    css = CSS
    for key, text in (("head_left", f"{b.site_name} · {b.scope_name} · 城运体征"), ("head_right", b.period_text),
                      ("foot_right", f"数据截至 {_stamp(b.data_now)}")):
        css = css.replace(f"%({key})s", css_string(text))
    summary = "".join(f"<p>{escape(s)}</p>" for s in b.summary)
    return (
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(b.title)} {escape(b.label)}</title><style>{css}</style></head><body>"
        f"<h1>{escape(b.title)}</h1>"
        f"<div class=\"meta\">{escape(b.site_name)} · 统计周期 {escape(b.period_text)} · 数据截至 {_stamp(b.data_now)}"
        f" · 生成于 {_stamp(b.generated_at)}</div>"
        f"<h2>摘要</h2><div class=\"summary\" id=\"summary\">{summary}</div>"
        + _vitals(b) + _rankings(b) + _stations(b, plotly_js) + _urgent(b) + _hotspots(b) + _freshness(b)
        + "</body></html>")


__all__ = ["LEVEL_ZH", "css_string", "document"]
