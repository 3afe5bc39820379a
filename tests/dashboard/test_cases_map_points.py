"""/cases render pieces rebuilt for speed (task cases6): the map points travel as columns in a store (the
browser builds the clustered GeoJSON layer from them, ``maps.POINTS_JS``) and list exactly the newest
3,000 located cases of the view; the filter bar's unit menus (built from column lists) follow the tree."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash

from dashboard.components import cases_view, maps
from dashboard.components.page import context_from_search, run
from tests.dashboard.test_pages import find, messages


def _by_id(page: Any, kind: str) -> list[Any]:
    return find(page, lambda x: isinstance(getattr(x, "id", None), dict) and x.id.get("type") == kind)


def test_point_store_lists_the_newest_located_cases_of_the_view(ctx: dash.Dash) -> None:
    con = context_from_search("").con
    town = con.execute("SELECT town_code FROM cases GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    major = con.execute("SELECT category_code FROM cases GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0][:3]
    seen = 0
    for params in ({}, {"period": "quarter"}, {"period": "week"}, {"unit": town}, {"category": major},
                   {"urgency": "urgent"}):
        page = run("cases", params, cases_view.render)
        assert messages(page) == []
        q = context_from_search("?" + "&".join(f"{k}={v}" for k, v in params.items())).query
        where, args = ["NOT coalesce(cancelled, false)", "reported_at >= $s", "reported_at < $e",
                       "lon IS NOT NULL"], {"s": q.period.start, "e": q.period.end}
        for col, sql in (("unit", "town_code = $unit"), ("category", "starts_with(category_code, $category)"),
                         ("urgency", "urgency = $urgency")):
            if col in params:
                where.append(sql)
                args[col] = params[col]
        want = con.execute(f"SELECT case_id, category_code, lon, lat FROM cases WHERE {' AND '.join(where)} "
                           "ORDER BY reported_at DESC, case_id LIMIT 3000", args).fetchall()
        if not want:  # e.g. the week view early on a Monday: no point layer, no store (not an empty one)
            assert _by_id(page, "cv-points-data") == [] and _by_id(page, "cv-points") == [], params
            continue
        (store,) = _by_id(page, "cv-points-data")
        assert store.data == {"tooltip": [f"{i} {c}" for i, c, _, _ in want], "lon": [r[2] for r in want],
                              "lat": [r[3] for r in want]}, params
        (layer,) = _by_id(page, "cv-points")
        assert layer.cluster is True and layer.zoomToBoundsOnClick is True
        assert getattr(layer, "data", None) is None  # drawn from the store in the browser
        seen += len(want)
    assert seen > 0


def test_points_layer_is_filled_by_a_clientside_callback(app: dash.Dash) -> None:
    """One callback fills every page's point layer from its store, and it runs in the browser."""
    outputs = [k for k in app.callback_map if '"cv-points"' in k and k.endswith(".data")]
    assert len(outputs) == 1
    cb = app.callback_map[outputs[0]]
    assert [i["id"] for i in cb["inputs"]] == ['{"page":["MATCH"],"type":"cv-points-data"}']
    # registered as the browser's function (a Python callback would build the features on the server)
    assert "callback" not in cb and any(maps.POINTS_JS in script for script in app._inline_scripts)


def test_filter_bar_unit_menus_follow_the_tree(ctx: dash.Dash) -> None:
    """The bar's cascading menus (built from column lists): for every unit, the town/grid/village values
    are its ancestors by an independent walk of org_unit, and each menu lists exactly the children of
    the level above."""
    from dashboard.filters import FilterState, filter_bar

    c = context_from_search("")
    tree = {code: (lvl, parent, name) for code, lvl, parent, name in c.con.execute(
        "SELECT unit_code, level, parent_code, name_zh FROM org_unit").fetchall()}
    units = c.units
    checked = 0
    for code in units.loc[units["level"].isin(["town", "grid", "village"]), "unit_code"].tolist()[:40]:
        chain, cur = [], code
        while cur in tree and tree[cur][0] in ("town", "grid", "village"):
            chain.insert(0, cur)
            cur = tree[cur][1]
        bar = filter_bar("cases", FilterState(unit=code), units, [], [], [], c.t, today=date(2026, 3, 1))
        menus = {x.id["field"]: x for x in find(bar, lambda x: isinstance(getattr(x, "id", None), dict)
                                                   and x.id.get("field") in ("town", "grid", "village"))}
        assert [menus[f].value for f in ("town", "grid", "village")] == [*chain, None, None, None][:3], code
        for field, parent in (("grid", chain[0]), ("village", chain[1] if len(chain) > 1 else None)):
            kids = sorted((tree[k][2], k) for k in tree if parent is not None and tree[k][1] == parent
                          and tree[k][0] == field and k in set(units["unit_code"]))
            assert sorted((o["label"], o["value"]) for o in menus[field].options) == kids, (code, field)
        checked += 1
    assert checked > 3
