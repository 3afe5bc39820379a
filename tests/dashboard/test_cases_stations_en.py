"""/cases and /stations under ?lang=en: the labels around the data are English (unit and category
names are data and stay Chinese); the Chinese page keeps its words; the stations note counts right."""

from __future__ import annotations

import re
from typing import Any

import dash

import metrics
from dashboard.callbacks import pages_shared
from dashboard.components import cases_view, period_text, stations_view
from dashboard.components import figures as F
from dashboard.components.labels import EN, ZH
from dashboard.components.page import context_from_search, run
from tests.clock import anchor_day
from tests.dashboard.test_pages import current_series, figure, find, messages, text

CJK = re.compile(r"[\u4e00-\u9fff]")
# the Chinese labels this page used to show under ?lang=en (none of them is a unit or category name)
ZH_LABELS = ("目标", "上期", "周一", "周日", "%{x}时", "未按时到场", "未按时初步处置", "案件编号", "上报时间",
             "处置时限", "时限", "个工作站", "共 ", "立案数", "15分钟到场率", "1小时初步处置率", "联勤联动事项结案率")


# every view anchors at yesterday: the current month or week may be minutes old at the run's instant
DAY = {"date": anchor_day().isoformat()}
SEARCH = f"?date={anchor_day()}"


def _by_class(page: Any, cls: str) -> list[str]:
    return [str(c.children) for c in find(page, lambda c: getattr(c, "className", None) == cls)]


def test_every_label_key_has_english() -> None:
    assert set(ZH) == set(EN)
    for k in ("cases.target", "cases.previous_short", "cases.breaches_note", "cases.hour", "cases.weekdays",
              "stations.meeting_note", "stations.deadline"):
        assert not CJK.search(EN[k]) and k in ZH


def test_cases_page_in_english(ctx: dash.Dash) -> None:
    page = run("cases", {"lang": "en", **DAY}, cases_view.render)
    assert messages(page) == []
    labels = _by_class(page, "cv-kpi-label") + _by_class(page, "cv-kpi-target")
    assert len(labels) == 16 and not [x for x in labels if CJK.search(x)]
    c = context_from_search(SEARCH)
    registered = metrics.indicator_values(c.con, ["registered"], c.query)["registered"]
    # "Previous 905" ("same days last month 905" for a running month), or "… (data from …)" when the
    # previous period begins before the data
    assert "Registered cases" in labels
    prev = period_text.previous_name(c.query.period, "en")
    assert [x for x in labels if x.split(" (")[0] == f"{prev} {registered.previous_value:,.0f}"]
    heat = figure(page, "heat")["data"][0]
    assert heat["y"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] and not CJK.search(heat["hovertemplate"])
    grid = find(page, lambda x: isinstance(getattr(x, "id", None), dict) and x.id.get("type") == "cv-rows")[0]
    assert not [d["headerName"] for d in grid.columnDefs if CJK.search(d["headerName"])]
    label = find(page, lambda x: isinstance(getattr(x, "id", None), dict) and x.id.get("type") == "cv-rows-label")
    _, total = pages_shared.rows_response("cases", SEARCH, {"startRow": 0, "endRow": 5}, label[0].data)
    n = metrics.explore.rows(c.con, "cases", c.query, limit=0)[1]
    assert total == f"{n:,} rows"
    body = text(page)
    assert not [w for w in ZH_LABELS if w in body]


def test_cases_page_in_chinese_keeps_its_words(ctx: dash.Dash) -> None:
    page = run("cases", DAY, cases_view.render)
    labels = _by_class(page, "cv-kpi-label") + _by_class(page, "cv-kpi-target")
    assert "立案数" in labels and "未按时到场 / 未按时初步处置" in labels
    assert figure(page, "heat")["data"][0]["y"][0] == "周一"
    label = find(page, lambda x: isinstance(getattr(x, "id", None), dict) and x.id.get("type") == "cv-rows-label")
    assert pages_shared.rows_response("cases", SEARCH, {"startRow": 0, "endRow": 5}, label[0].data)[1].startswith("共 ")


def test_stations_page_in_english_and_the_meeting_note(ctx: dash.Dash) -> None:
    c = context_from_search(SEARCH)
    sc = metrics.station_closure(c.con, c.query)
    month = f"{c.query.period.start:%Y-%m}"
    for params in ({"lang": "en", **DAY}, {"lang": "en", "drill": f"due_month:{month}", **DAY}):
        page = run("stations", params, stations_view.render)
        assert messages(page) == []
        labels = _by_class(page, "cv-kpi-label") + _by_class(page, "cv-kpi-target")
        assert not [x for x in labels if CJK.search(x)]
        assert f"{sc.stations_with_value} of {sc.stations_total} stations have cases due; " \
               f"{sc.meeting_target} of them meet the target" in " ".join(labels)
        assert metrics.BY_ID["station_closure_rate"].en in labels
        body = text(page)
        assert not [w for w in ZH_LABELS if w in body]
        overdue = find(page, lambda x: getattr(x, "className", None) == "cv-overdue")[0].children
        assert overdue and all(" · deadline " in li.children for li in overdue)
    zh = run("stations", DAY, stations_view.render)
    note = " ".join(_by_class(zh, "cv-kpi-target"))
    want = f"{sc.stations_total} 个工作站中 {sc.stations_with_value} 个有应结案件，其中 {sc.meeting_target} 个达标"
    assert want in note and sc.stations_total > 0


def test_the_page_says_what_its_panels_and_registered_count(ctx: dash.Dash) -> None:
    # the note's claim, checked independently: panels/table = reported in the period; 立案数 =
    # registered in the period; cancelled cases in neither
    c = context_from_search(SEARCH)
    p = c.query.period
    reported, registered = c.con.execute(
        "SELECT count(*) FILTER (WHERE reported_at >= $s AND reported_at < $e), count(*) FILTER "
        "(WHERE registered_at >= $s AND registered_at < $e) FROM cases WHERE NOT coalesce(cancelled, false)",
        {"s": p.start, "e": p.end}).fetchone()
    assert metrics.explore.rows(c.con, "cases", c.query, limit=0)[1] == reported
    assert metrics.indicator_values(c.con, ["registered"], c.query)["registered"].value == registered
    zh = run("cases", DAY, cases_view.render)
    en = run("cases", {"lang": "en", **DAY}, cases_view.render)
    trend = current_series(figure(zh, "trend"))[1]  # [0] is the previous period
    assert sum(v for v in trend if v) == reported
    assert ZH["cases.basis"] in text(zh) and EN["cases.basis"] in text(en)
    assert "待立案" in ZH["cases.basis"] and "awaiting registration" in EN["cases.basis"]


def test_busier_hours_are_darker_on_the_heat_map(ctx: dash.Dash) -> None:
    heat = figure(run("cases", DAY, cases_view.render), "heat")["data"][0]
    scale = heat["colorscale"]

    def luminance(hex_color: str) -> float:
        r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lum = [luminance(c) for _, c in scale]
    assert [p for p, _ in scale] == sorted(p for p, _ in scale) and lum == sorted(lum, reverse=True)
    assert not heat.get("reversescale")


def test_station_bar_labels_show_when_readable_and_always_on_hover() -> None:
    import pandas as pd

    def frame(n: int) -> pd.DataFrame:
        return pd.DataFrame({"key": [f"S{i}" for i in range(n)], "name": [f"站{i}" for i in range(n)],
                             "value": [0.9] * n, "numerator": [9] * n, "denominator": [10] * n,
                             "meets_target": [True] * n})

    few, many = (stations_view.closure_figure(frame(n), 0.85, None, "无数据")["data"][0] for n in (12, 43))
    assert few["textposition"] == "outside" and many["textposition"] == "none"
    assert many["text"][0] == "90.0% (9/10)" and "%{text}" in many["hovertemplate"]


def test_station_ticks_drop_the_shared_suffix_only_when_many_and_still_distinct() -> None:
    import pandas as pd

    def frame(names: list[str]) -> pd.DataFrame:
        n = len(names)
        return pd.DataFrame({"key": [f"S{i}" for i in range(n)], "name": names, "value": [0.9] * n,
                             "numerator": [9] * n, "denominator": [10] * n, "meets_target": [True] * n})

    many = [f"{t}第{i}联勤联动工作站" for t in ("盈浦", "夏阳", "赵巷", "华新") for i in range(1, 6)]
    fig = stations_view.closure_figure(frame(many), 0.85, None, "无数据")
    ticks, bars = fig["layout"]["xaxis"], fig["data"][0]
    assert ticks["tickvals"] == bars["x"] == [f"S{i}" for i in range(20)]  # bars by code, clicks by code
    assert ticks["ticktext"][:2] == ["盈浦第1", "盈浦第2"] and bars["hovertext"] == many  # full name on hover
    few = stations_view.closure_figure(frame(many[:5]), 0.85, None, "无数据")["layout"]["xaxis"]
    assert few["ticktext"] == many[:5]  # few bars: the full names fit
    # names that would collide once shortened, or share nothing, keep their full form
    assert F.short_names(["A工作站", "A工作站", "B工作站"]) == ["A", "A", "B"]
    assert F.short_names(["A 工作站", "A工作站"]) == ["A 工作站", "A工作站"]
    assert F.short_names(["甲工作站", "工作站"]) == ["甲工作站", "工作站"]
    assert F.short_names(["甲一", "乙二"]) == ["甲一", "乙二"]


def test_a_city_of_stations_drops_the_names_under_the_bars_but_keeps_them_on_hover() -> None:
    import pandas as pd

    n = F.NAMED_BARS_MAX + 1  # the city demo has 837 stations with cases due: names overlapped into a band
    df = pd.DataFrame({"key": [f"S{i}" for i in range(n)], "name": [f"站{i}" for i in range(n)],
                       "value": [0.9] * n, "numerator": [9] * n, "denominator": [10] * n, "meets_target": [True] * n})
    fig = stations_view.closure_figure(df, 0.85, None, "无数据")
    assert fig["layout"]["xaxis"]["showticklabels"] is False and "ticktext" not in fig["layout"]["xaxis"]
    assert fig["data"][0]["hovertext"][-1] == f"站{n - 1}" and fig["data"][0]["x"][0] == "S0"
    under = stations_view.closure_figure(df.iloc[:-1], 0.85, None, "无数据")["layout"]["xaxis"]
    assert len(under["ticktext"]) == F.NAMED_BARS_MAX
