"""The row tables and the filter bar show what a code means, not the code: case sources, statuses and
urgencies in the page's language, category / station / department / unit names from the warehouse."""

from __future__ import annotations

from typing import Any

import dash

from dashboard.components import cases_view, hotline_view
from dashboard.components.labels import CODE_LABELS, HOTLINE_CODE_LABELS
from dashboard.components.page import context_from_search, run
from etl.schema import CASE_SOURCES, CASE_STATUSES, URGENCIES
from tests.dashboard.test_pages import find


def _grid(page: Any) -> Any:
    return find(page, lambda x: isinstance(getattr(x, "id", None), dict) and x.id.get("type") == "cv-rows")[0]


def _dropdown(page: Any, field: str) -> Any:
    return find(page, lambda x: isinstance(getattr(x, "id", None), dict) and x.id.get("field") == field)[0]


def test_every_schema_code_has_a_label_in_both_languages() -> None:
    assert set(CODE_LABELS["source"]) == set(CASE_SOURCES)
    assert set(CODE_LABELS["status"]) == set(CASE_STATUSES)
    assert set(CODE_LABELS["urgency"]) == set(URGENCIES)
    for kind in CODE_LABELS.values():
        zh = [p[0] for p in kind.values()]
        assert len(set(zh)) == len(zh)  # two codes never read the same


def test_case_table_shows_names_for_every_code_in_the_data(ctx: dash.Dash) -> None:
    con = context_from_search("").con
    page = run("cases", {}, cases_view.render)
    defs = {d["field"]: d for d in _grid(page).columnDefs}
    assert "major_code" not in defs  # the category column already says the major class
    for col in ("source", "status", "urgency"):
        codes = {r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM cases WHERE {col} IS NOT NULL").fetchall()}
        ref = defs[col]["refData"]
        assert codes and codes <= set(ref) and all(ref[c] == CODE_LABELS[col][c][0] for c in codes)
    cats = con.execute("SELECT c.category_code, k.major_name, k.minor_name FROM (SELECT DISTINCT category_code "
                       "FROM cases) c JOIN case_category k USING (category_code)").fetchall()
    assert cats and all(defs["category_code"]["refData"][c] == f"{a} / {b}" for c, a, b in cats)
    stations = dict(con.execute("SELECT station_code, name_zh FROM station WHERE station_code IN "
                                "(SELECT station_code FROM cases)").fetchall())
    assert stations and defs["station_code"]["refData"] == stations
    # a grid's page names only the stations and departments its own cases name
    grid, other = con.execute("SELECT unit_code FROM org_unit WHERE level = 'grid' ORDER BY 1 LIMIT 2").fetchall()
    mine = dict(con.execute("SELECT s.station_code, s.name_zh FROM station s WHERE s.station_code IN "
                            "(SELECT station_code FROM cases WHERE grid_code = ?)", [grid[0]]).fetchall())
    depts = {d for (d,) in con.execute("SELECT DISTINCT dept_code FROM cases WHERE grid_code = ? "
                                       "AND dept_code IS NOT NULL", [grid[0]]).fetchall()}
    scoped = {d["field"]: d for d in _grid(run("cases", {"unit": grid[0]}, cases_view.render)).columnDefs}
    assert mine and scoped["station_code"]["refData"] == mine
    assert set(scoped["dept_code"]["refData"]) == depts
    theirs = {c for (c,) in con.execute("SELECT station_code FROM cases WHERE grid_code = ? AND station_code "
                                        "IS NOT NULL AND station_code NOT IN (SELECT station_code FROM cases "
                                        "WHERE grid_code = ? AND station_code IS NOT NULL)",
                                        [other[0], grid[0]]).fetchall()}
    assert theirs and not theirs & set(scoped["station_code"]["refData"])
    villages = dict(con.execute("SELECT unit_code, name_zh FROM org_unit WHERE level = 'village'").fetchall())
    assert villages and defs["village_code"]["refData"] == villages
    # English labels under ?lang=en; the filter bar lists the same labels
    en = {d["field"]: d for d in _grid(run("cases", {"lang": "en"}, cases_view.render)).columnDefs}
    assert en["status"]["refData"]["closed"] == "Closed" and en["source"]["refData"]["patrol"] == "Grid patrol"
    sources = {o["value"]: o["label"] for o in _dropdown(page, "source").options}
    assert sources and all(sources[c] == CODE_LABELS["source"][c][0] for c in sources)


def test_hotline_table_names_its_units(ctx: dash.Dash) -> None:
    con = context_from_search("").con
    page = run("hotline", {}, hotline_view.render)
    defs = {d["field"]: d for d in _grid(page).columnDefs}
    statuses = {o["value"]: o["label"] for o in _dropdown(page, "status").options}
    assert statuses and all(statuses[c] == HOTLINE_CODE_LABELS["status"].get(c, (c,))[0] for c in statuses)
    towns = dict(con.execute("SELECT unit_code, name_zh FROM org_unit WHERE level = 'town'").fetchall())
    assert towns and defs["town_code"]["refData"] == towns
    for col in ("status", "urgency", "resolution", "satisfaction"):  # every code the orders carry has a label
        codes = {r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM hotline_orders WHERE {col} IS NOT NULL")
                 .fetchall()}
        assert codes and codes <= set(defs[col]["refData"]), col
        assert all(defs[col]["refData"][c] == HOTLINE_CODE_LABELS[col][c][0] for c in codes)


def test_english_survives_filter_changes_clicks_and_page_links(ctx: dash.Dash) -> None:
    from urllib.parse import parse_qsl, urlsplit

    from dashboard.callbacks import pages_shared

    def lang(href: str) -> str | None:
        return dict(parse_qsl(urlsplit(href).query)).get("lang")

    href = pages_shared.filter_href("cases", "?lang=en&period=week", ["town", "grid", "village", "period"],
                                    [None, None, None, "quarter"], "period")
    assert lang(href) == "en" and "period=quarter" in href
    click = pages_shared.click_href("cases", "?lang=en", {"points": [{"customdata": "urgency=urgent"}]})
    assert click is not None and lang(click) == "en" and "urgency=urgent" in click
    assert lang(pages_shared.filter_href("cases", "", ["period"], ["week"], "period")) is None
    # links the page itself draws (the drill banner's "clear") keep the language too
    page = run("cases", {"lang": "en", "drill": "hours:0"}, cases_view.render)
    clear = find(page, lambda x: getattr(x, "id", None) == "cases-drill")[0].children[1].href
    assert lang(clear) == "en" and "drill" not in clear


def test_overdue_lists_name_the_station_and_category(ctx: dash.Dash) -> None:
    from dashboard.components import stations_view

    con = context_from_search("").con
    stations = {n for (n,) in con.execute("SELECT name_zh FROM station").fetchall()}
    cats = {f"{a} / {b}" for a, b in con.execute("SELECT major_name, minor_name FROM case_category").fetchall()}
    page = run("stations", {"period": "quarter"}, stations_view.render)
    items = find(page, lambda x: getattr(x, "className", None) == "cv-overdue")[0].children
    assert items
    for li in items:
        _, station, category, _ = li.children.split(" · ")
        assert station in stations and category in cats


def test_trend_marks_the_last_day_as_partial_when_the_data_stops_inside_it(ctx: dash.Dash) -> None:
    from datetime import datetime, timedelta

    from dashboard import data
    from tests.dashboard.test_pages import current_series, figure

    con = context_from_search("").con
    (raw,) = con.execute("SELECT value FROM warehouse_meta WHERE key = 'data_now'").fetchone()
    now = min(datetime.fromisoformat(str(raw)), data.site_now())
    fig = figure(run("cases", {}, cases_view.render), "trend")
    x, _ = current_series(fig)
    assert x[-1] == f"{now:%Y-%m-%d}"
    if now.time() != datetime.min.time() and len(fig["data"]) > 2:
        whole, tail = fig["data"][1], fig["data"][2]
        # the running day is drawn apart: a dashed tail to an open marker, 未满期 in legend and hover
        assert tail["meta"] == "partial" and tail["line"]["dash"] == "dash" and tail["x"][-1] == x[-1]
        assert tail["marker"]["symbol"][-1] == "circle-open" and f"{now:%H:%M}" in tail["hovertemplate"][-1]
        assert "未满期" in tail["name"] and "未满期" in tail["hovertemplate"][-1]
        assert x[-1] not in whole["x"] and "dash" not in whole["line"]
    # a past month is whole: no partial day
    last_month = (now.replace(day=1) - timedelta(days=10)).date().isoformat()  # inside the tiny demo's 60 days
    past = figure(run("cases", {"date": last_month}, cases_view.render), "trend")
    assert len(past["data"]) == 2 and "未满期" not in str(past["data"])


def test_hotline_channels_are_named_in_the_filter_and_the_table(ctx: dash.Dash) -> None:
    con = context_from_search("").con
    channels = {r[0] for r in con.execute("SELECT DISTINCT channel FROM hotline_orders "
                                          "WHERE channel IS NOT NULL").fetchall()}
    assert "app" in channels  # the demo's orders from the mobile app
    for lang, i in (("zh", 0), ("en", 1)):
        page = run("hotline", {"lang": lang} if lang == "en" else {}, hotline_view.render)
        options = {o["value"]: o["label"] for o in _dropdown(page, "source").options}
        assert options["app"] == HOTLINE_CODE_LABELS["channel"]["app"][i] != "app"
        ref = {d["field"]: d for d in _grid(page).columnDefs}["channel"]["refData"]
        assert all(ref[c] == HOTLINE_CODE_LABELS["channel"][c][i] for c in channels)
