"""Big-screen callbacks called directly against the test warehouse."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import dash
import plotly.utils
import pytest
from dash import no_update

from dashboard.callbacks import screen as cb
from dashboard.pages.screen_ids import ScreenIds as S
from dashboard.screen import model
from dashboard.screen.config import ScreenConfig, parse
from etl.settings import Settings


def _cfg(settings: Settings, **query: str) -> dict:
    return parse(query, settings).to_store()


def _size(value: object) -> int:
    return len(json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder))


def _walk(tree: object) -> list:
    """Every component in ``tree``, depth first in document order."""
    found = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(reversed(node))
            continue
        found.append(node)
        kids = getattr(node, "children", None)
        if kids is not None and not isinstance(kids, str):
            stack.append(kids)
    return found


def _find(tree: object, cls: str) -> list:
    """Every component below ``tree`` whose class list holds ``cls``."""
    return [n for n in _walk(tree) if cls in (getattr(n, "className", None) or "").split()]


def _by_id(tree: object, id_: str):
    return next(n for n in _walk(tree) if getattr(n, "id", None) == id_)


def test_config_from_url(settings: Settings):
    cfg = parse({}, settings)
    assert cfg.lang == "zh" and not cfg.kiosk and cfg.scale == 1 and cfg.playlist == ("overview",)
    assert cfg.dwell_seconds == 0 and cfg.refresh_seconds == settings.refresh_seconds
    cfg = parse({"lang": "en", "kiosk": "1", "scale": "99", "playlist": "stations,bogus,sensors", "dwell": "15",
                 "refresh": "2", "indicator": "nope"}, settings)
    assert cfg.lang == "en" and cfg.kiosk and cfg.scale == 4.0
    assert cfg.playlist == ("stations", "sensors") and cfg.dwell_seconds == 15
    assert cfg.refresh_seconds == 5 and cfg.indicator == "open_cases"
    assert parse({"mode": "emergency"}, settings).playlist == ("emergency",)
    assert parse({}, settings).drill_return_seconds == 60 and cfg.drill_return_seconds == 60
    assert parse({"drill_return": "0"}, settings).drill_return_seconds == 0
    assert parse({"drill_return": "9999"}, settings).drill_return_seconds == 3600
    assert ScreenConfig.from_store(cfg.to_store()) == cfg


@pytest.fixture
def pinned(settings: Settings):
    """An app whose clock is pinned, so ages cannot tick over between two refreshes."""
    from dashboard.app import create_app

    app = create_app(settings)
    with app.server.test_request_context("/"):
        yield app
        app.server.do_teardown_appcontext()


def test_refresh_fills_every_panel_then_skips_unchanged(pinned: dash.Dash, settings: Settings):
    cfg = _cfg(settings)
    out = cb.refresh(cfg, {})
    n = len(cb.PANEL_OUTPUTS)
    panels, warning, fps, stamp = out[:n], out[n], out[n + 1], out[n + 2]
    for (id_, _prop), value in zip(cb.PANEL_OUTPUTS, panels, strict=True):
        assert value is not no_update, id_
        assert value, id_
    assert warning == "" and stamp is not no_update
    by_id = dict(zip([i for i, _ in cb.PANEL_OUTPUTS], panels, strict=True))
    cols = _find(by_id[S.HOURLY], "scr-col")
    scr = parse({}, settings)
    hourly = model.hourly(scr, model.now(scr), "cases")
    assert len(cols) == 24
    assert [c.to_plotly_json()["props"]["data-value"] for c in cols] == \
        ["" if v != v else f"{v:g}" for v in hourly["today"]]
    bars = _find(by_id[S.STATIONS], "scr-bar")
    rated = [r for r in model.stations(scr, model.now(scr)).rows if r.rate is not None][:24]
    assert [float(b.to_plotly_json()["props"]["data-value"]) for b in bars] == pytest.approx([r.rate for r in rated])
    assert ["is-extra" in b.className for b in bars] == [i >= 12 for i in range(len(rated))]
    assert _size(out) < 200_000
    again = cb.refresh(cfg, fps)
    assert all(v is no_update for v in again[:n])  # nothing changed: nothing sent
    assert again[n] is no_update and again[n + 2] is no_update
    assert _size([v for v in again if v is not no_update]) < 2_000


def test_refresh_keeps_last_data_when_the_warehouse_fails(tmp_path: Path, settings: Settings):
    from dashboard.app import create_app

    app = create_app(replace(settings, warehouse=tmp_path / "gone" / "vitals.duckdb"))
    with app.server.test_request_context("/"):
        out = cb.refresh(_cfg(settings), {"x": "y"})
    n = len(cb.PANEL_OUTPUTS)
    assert all(v is no_update for v in out[:n])
    assert out[n] == "刷新失败，显示上次数据"
    assert out[n + 1]["x"] == "y"  # previous fingerprints kept


def test_map_colours_units_by_open_cases_per_km2(ctx: dash.Dash, settings: Settings):
    """The choropleth is normalised: each grid's value is its open cases over its polygon's area (the stored
    polygon, read here from the warehouse), classes follow that value, the legend says per km²."""
    import duckdb
    from shapely.geometry import shape

    from dashboard import data
    from metrics import geo

    cfg = _cfg(settings)
    town = cb.map_refresh(None, cfg, {})[0]["features"][0]["properties"]["unit_code"]
    units, _m, legend, *_rest = cb.map_refresh(town, cfg, {})
    feats = [f["properties"] for f in units["features"]]
    assert len(feats) >= 4
    con: duckdb.DuckDBPyConnection = data.connection()
    stored = dict(con.execute("SELECT unit_code, geojson FROM unit_geometry").fetchall())
    for p in feats:
        area = geo.area_km2(json.loads(stored[p["unit_code"]]))
        assert p["area_km2"] == pytest.approx(area, abs=1e-3) and area > 0
        # in the same ballpark as the planar area in degrees scaled by hand (111.32 km × 110.57 km × cos φ)
        poly = shape(json.loads(stored[p["unit_code"]]))
        rough = poly.area * 111.32 * 110.57 * math.cos(math.radians(poly.centroid.y))
        assert area == pytest.approx(rough, rel=0.01)
        assert p["count"] == p["open_cases"] and p["value"] == pytest.approx(p["open_cases"] / area, abs=1e-4)
    # a unit with more per km² never gets a lower colour class than one with less
    rank = {c: i for i, c in enumerate(model.PALETTE)}
    by_value = sorted(feats, key=lambda p: p["value"])
    assert [rank[p["fill"]] for p in by_value] == sorted(rank[p["fill"]] for p in by_value)
    assert len({p["fill"] for p in feats}) >= 2  # the tiny demo's grids differ: more than one class drawn
    text = json.dumps(legend, default=str, ensure_ascii=False)
    assert "在办案件 · 每平方公里" in text


def test_breaks_are_two_digit_and_increasing():
    assert model._breaks([0.012, 0.5, 1.37, 2.2, 9.81]) == (0.5, 1.4, 2.2, 9.9)
    assert model._breaks([3.0, 3.0, 3.0]) == (3.0, 3.1, 3.2, 3.3)  # a flat map: one class used
    assert model._breaks([]) == (1, 2, 3, 4) and model._breaks([0.0, 0.0]) == (1, 2, 3, 4)
    assert model._colour(None, (1, 2, 3, 4)) == model.NO_VALUE
    assert [model._colour(v, (1, 2, 3, 4)) for v in (0.5, 1, 3.9, 4)] == [model.PALETTE[i] for i in (0, 1, 3, 4)]


def test_english_labels(ctx: dash.Dash, settings: Settings):
    out = cb.refresh(_cfg(settings, lang="en"), {})
    text = json.dumps(out[: len(cb.PANEL_OUTPUTS)], cls=plotly.utils.PlotlyJSONEncoder)
    assert "Open cases" in text and "Today" in text
    assert "在办案件" not in text


def test_map_drills_from_district_to_towns_to_grids(ctx: dash.Dash, settings: Settings):
    cfg = _cfg(settings)
    units, markers, legend, _title, labels, back, parent, viewport, fps = cb.map_refresh(None, cfg, {})
    towns = units["features"]
    assert len(towns) >= 1 and all(f["properties"]["level"] == "town" for f in towns)
    assert all(f["properties"]["fill"].startswith("#") and "<table>" in f["properties"]["tooltip"] for f in towns)
    assert all(f["properties"]["approximate"] for f in towns) and "近似" in json.dumps(legend, default=str,
                                                                                   ensure_ascii=False)
    assert markers["features"] and {f["properties"]["kind"] for f in markers["features"]} <= {"case", "alarm"}
    assert back == {"display": "none"} and parent is None
    (s, w), (n, e) = viewport["bounds"]
    assert s < n and w < e
    # the same scope again: nothing resent, the view is not moved
    again = cb.map_refresh(None, cfg, fps)
    assert again[0] is no_update and again[7] is no_update
    # a name label per unit, at a point inside its own polygon (a centroid can fall outside a concave one)
    from shapely.geometry import Point, shape

    polys = {f["properties"]["unit_code"]: (f["properties"]["name"], shape(f["geometry"])) for f in towns}
    assert len(labels["features"]) == len(polys)
    for lab in labels["features"]:
        name, poly = polys[lab["properties"]["unit_code"]]
        assert lab["properties"]["label"] == name and poly.contains(Point(lab["geometry"]["coordinates"]))
    # drill into the first town: its grids, a back button, a new viewport
    town = towns[0]["properties"]["unit_code"]
    assert towns[0]["properties"]["drill"]
    units2, _m, _l, title2, _lb, back2, parent2, viewport2, _f = cb.map_refresh(town, cfg, fps)
    assert {f["properties"]["level"] for f in units2["features"]} == {"grid"}
    assert title2 == towns[0]["properties"]["name"] and back2 == {"display": "block"} and parent2
    assert viewport2 is not no_update
    # sum of the children's counts equals the parent's
    total = sum(f["properties"]["open_cases"] for f in units2["features"])
    assert total == towns[0]["properties"]["open_cases"]


def test_map_converts_layers_to_the_tile_datum(ctx: dash.Dash, settings: Settings):
    pytest.importorskip("etl.datum")
    site = cb.map_refresh(None, _cfg(settings), {})
    wgs_settings = replace(settings, tile_url="/tiles/{z}/{x}/{y}.png", tile_datum="WGS-84")
    wgs = cb.map_refresh(None, _cfg(wgs_settings), {})
    a = site[0]["features"][0]["geometry"]["coordinates"][0][0]
    b = wgs[0]["features"][0]["geometry"]["coordinates"][0][0]
    # GCJ-02 is offset ~500 m east/south-east of WGS-84 in Shanghai: converting back moves points west
    assert 0.002 < a[0] - b[0] < 0.008 and abs(a[1] - b[1]) < 0.005
    assert wgs[7]["bounds"][0][1] < site[7]["bounds"][0][1]


def test_panels_have_data(ctx: dash.Dash, settings: Settings):
    cfg = parse({}, settings)
    at = model.now(cfg)
    st = model.stations(cfg, at)
    assert st.rated > 0 and 0 <= st.meeting <= st.rated and st.target == pytest.approx(0.85)
    rates = [r.rate for r in st.rows if r.rate is not None]
    assert rates == sorted(rates)  # worst first
    rk = model.ranking(cfg, at)
    assert rk.top and rk.total >= len(rk.top) + len(rk.bottom)
    assert not set(rk.top) & set(rk.bottom)
    vs = model.vitals(cfg, at)
    assert vs.dimensions and vs.overall is not None
    b = model.backlog(cfg, at)
    assert b.open_cases >= b.overdue_cases >= 0 and b.open_cases >= b.open_urgent
    duty = model.duty(cfg, at)
    assert len(duty) >= 1 and (duty["on_duty"] >= 0).all()


def test_layout_draws_the_first_data_without_a_callback(pinned: dash.Dash, settings: Settings):
    """Server-side first paint: the page layout already holds every panel, the map and the fingerprints,
    so the first tick sends nothing when nothing changed."""
    from dashboard.pages import screen as page

    root = page.layout()
    text = json.dumps(root, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)
    assert "在办案件" in text and "scr-col" in text and "scr-bar" in text
    fps = _by_id(root, S.FINGERPRINTS).data
    assert _by_id(root, S.MAP_FINGERPRINTS).data["units"]
    assert {i for i, _ in cb.PANEL_OUTPUTS} <= set(fps)
    b = model.backlog(parse({}, settings), model.now(parse({}, settings)))
    backlog = _by_id(root, S.BACKLOG)
    assert json.dumps(backlog.children, cls=plotly.utils.PlotlyJSONEncoder).count(f'"{b.open_cases:,}"') >= 1
    again = cb.refresh(_cfg(settings), fps)
    assert all(v is no_update for v in again[: len(cb.PANEL_OUTPUTS)])
    units = _by_id(root, S.MAP_UNITS)
    assert units.data["features"]
    (s, w), (n, e) = _by_id(root, S.MAP_BOUNDS).data  # fitted clientside once the map has its size
    assert s < n and w < e


def test_per_snapshot_cache_is_single_flight(app: dash.Dash):
    """Threads asking for the same cold value wait for one computation instead of each running it."""
    import threading
    import time

    from dashboard import data

    wh = data.warehouse(app.server)
    calls: list[int] = []

    def slow(_con: object) -> int:
        calls.append(1)
        time.sleep(0.3)
        return 42

    results: list[int] = []

    def ask() -> None:
        with app.server.app_context():
            con, target = wh.cursor_and_snapshot()
            results.append(wh.memo("slow", slow, con, target))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert results == [42] * 4 and len(calls) == 1
    # a failing computation is not cached and does not leave the key stuck for the next caller
    with app.server.app_context():
        con, target = wh.cursor_and_snapshot()
        with pytest.raises(ZeroDivisionError):
            wh.memo("bad", lambda _c: 1 // 0, con, target)
        assert wh.memo("bad", lambda _c: 7, con, target) == 7


def test_warmer_fills_the_screen_cache_before_any_request(app: dash.Dash):
    import time

    from dashboard import data

    wh = data.warehouse(app.server)
    assert not any(k.startswith("screen.") for k in wh._memo)
    wh.start_warming(app.server, interval=0.05)
    deadline = time.monotonic() + 60
    want = ("screen.vitals.", "screen.stations.", "screen.ranking.", "screen.day.", "screen.typical.cases.")

    def warmed() -> bool:
        keys = list(wh._memo)
        return all(any(k.startswith(w) for k in keys) for w in want) and any(k.endswith(".en") for k in keys)

    while time.monotonic() < deadline and not warmed():
        time.sleep(0.1)
    wh.stop_warming()
    keys = set(wh._memo)
    assert all(any(k.startswith(w) for k in keys) for w in want), keys
    assert any(k.endswith(".zh") for k in keys) and any(k.endswith(".en") for k in keys)
    # a request then reads the warmed value (the same object, not a recomputation)
    with app.server.test_request_context("/"):
        cfg = parse({}, data.settings())
        key = next(k for k in keys if k.startswith("screen.stations.") and k.endswith(".zh"))
        assert model.stations(cfg, model.now(cfg)) is wh._memo[key]
        app.server.do_teardown_appcontext()


def test_dash_is_set_up_at_creation_so_parallel_first_requests_succeed(settings: Settings):
    """Dash used to set itself up in the first request; parallel first requests on a gunicorn worker
    then saw a half-set-up app (500 "dash is not a registered library", no page router)."""
    import threading

    from dashboard.app import create_app

    app = create_app(settings)
    assert any("_pages_content.children" in k for k in app.callback_map)  # before any request
    paths = ["/_dash-dependencies", "/_dash-layout", "/screen", "/_dash-dependencies", "/_dash-layout", "/"] * 2
    got: list[tuple[str, int, bytes]] = []

    def get(path: str) -> None:
        with app.server.test_client() as client:
            r = client.get(path)
            got.append((path, r.status_code, r.data))

    threads = [threading.Thread(target=get, args=(p,)) for p in paths]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert len(got) == len(paths) and all(code == 200 for _p, code, _d in got), [(p, c) for p, c, _ in got]
    deps = [json.loads(d) for p, _c, d in got if p == "/_dash-dependencies"]
    assert all(any("_pages_content.children" in c["output"] for c in d) for d in deps)


def test_cosmetics_trend_legend_and_labels():
    from dashboard.screen import panels

    def text(span: object) -> str:
        return span.children  # type: ignore[attr-defined]

    assert text(panels._delta(0.0)) == "＝ 持平" and text(panels._delta(-0.004, "en")) == "＝ flat"
    assert text(panels._delta(-0.03)) == "▼ 0.03" and text(panels._delta(0.1)) == "▲ 0.10"
    assert text(panels._delta(None)) == ""

    def view(values: list[float]) -> model.MapView:
        breaks = model._breaks(values)
        feats = [{"properties": {"value": v, "fill": model._colour(v, breaks)}} for v in values]
        return model.MapView(scope="D", scope_name="D", level="town", parent=None,
                             units={"type": "FeatureCollection", "features": feats}, markers={}, bounds=None,
                             breaks=breaks, colors=model.PALETTE, approximate=False)

    def rows(values: list[float]) -> list[str]:
        out = panels.legend(view(values), "open_cases", "zh")
        return [r.children[1].children for r in out if (r.className or "").split() == ["scr-legend-row"]]

    markers = [r for r in panels.legend(view([1.0]), "open_cases", "zh") if "is-marker" in (r.className or "")]
    # every marker kind named, with the CSS class its markers carry (assets/screen.js markerPoint)
    assert [(r.children[0].className, r.children[1].children) for r in markers] == [
        ("scr-dot is-case", "紧急案件（在办）"), ("scr-dot is-alarm", "告警"), ("scr-dot is-warning", "预警"),
        ("scr-dot is-cluster", "多点聚合（红色，点击展开）")]

    assert rows([155.0]) == ["155"]  # one town: one swatch, its value (not five classes)
    assert rows([3.0, 3.0, 9.0]) == ["3", "9"]
    assert len(rows([float(v) for v in range(0, 40, 3)])) == 5  # many values: the full scale
    assert panels.short_label("盈浦第1联勤联动工作站") == "盈浦第1"
    assert panels.short_label("朱家角镇第十二网格化综合管理片区") == "朱家角镇第十二…"
    assert len(panels.short_label("A" * 30)) == 8


@pytest.mark.real_clock  # the warm-up thread's timed Event.wait hangs under libfaketime
def test_warmer_rewarms_after_a_new_snapshot(tmp_path: Path):
    """A load publishes a new snapshot: the thread computes the screen's values for it before a viewer asks,
    and they include the load's data (7 more urgent cases in the day's rows)."""
    import time
    from datetime import timedelta

    from dashboard import data
    from dashboard.app import create_app
    from tests.clock import pinned_settings
    from tests.dashboard.minimal_warehouse import build_minimal, publish, site_now

    root = tmp_path / "wh"
    build_minimal(root)
    app = create_app(pinned_settings(root / "vitals.duckdb"))
    wh = data.warehouse(app.server)
    day_key = f"screen.day.{site_now().date().isoformat()}"

    def wait_for(target: Path) -> object:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with wh._lock:
                if wh._memo_target == target and day_key in wh._memo:
                    return wh._memo[day_key]
            time.sleep(0.05)
        raise AssertionError(f"not warmed for {target}")

    wh.start_warming(app.server, interval=0.05)
    try:
        first = wait_for(wh.snapshot())
        now = site_now()
        publish(root, lambda con: con.execute(
            "INSERT INTO cases SELECT * REPLACE ('new:' || case_id AS case_id, 'urgent' AS urgency, "
            "'dispatched' AS status, NULL::TIMESTAMP AS closed_at, ?::TIMESTAMP AS reported_at) FROM cases LIMIT 7",
            [now - timedelta(minutes=5)]))
        second = wait_for(wh.snapshot())
    finally:
        wh.stop_warming()
    new = second.cases[second.cases["case_id"].str.startswith("new:")]
    assert len(new) == 7 and new["urgent"].all() and not first.cases["case_id"].str.startswith("new:").any()


def test_station_count_is_the_last_30_days_and_the_title_says_so(ctx: dash.Dash, settings: Settings):
    # the wall's "n/m stations at 85%" is judged on the 30 days to today, not /stations' calendar month
    from datetime import timedelta

    import metrics
    from dashboard import data, i18n
    from metrics.query import Period, Query

    cfg = parse({}, settings)
    at = model.now(cfg)
    st = model.stations(cfg, at)
    q = Query(Period.custom(at.date() - timedelta(days=29), at.date()))
    df = metrics.indicator_table(data.connection(), "station_closure_rate", q, by="station")
    rated = df["value"].dropna()
    assert (st.meeting, st.rated) == (int((rated >= 0.85).sum()), len(rated))
    for key in ("scr.stations", "scr.ranking", "scr.vitals"):
        assert "近30天" in i18n.t(key, "zh") and "last 30 days" in i18n.t(key, "en")


def test_wall_names_the_signs_below_target_worst_first(ctx: dash.Dash, settings: Settings):
    """The watch list under the tiles, against CityScore computed here from the raw indicator values."""
    import metrics
    from dashboard import data
    from dashboard.screen import panels

    cfg = parse({}, settings)
    at = model.now(cfg)
    values = metrics.indicator_values(data.connection(), list(metrics.VITAL_SIGNS), model.rolling_query(cfg, at))
    scores = {}
    for mid, v in values.items():
        if v.value is None or v.target is None or (v.direction == "lower" and v.value == 0):
            continue
        scores[mid] = v.value / v.target if v.direction == "higher" else v.target / v.value
    below = sorted((s, m) for m, s in scores.items() if s < 1)
    view = model.vitals(cfg, at)
    assert [w.metric_id for w in view.watch] == [m for _, m in below[:model.WATCH_MAX]]
    assert all(w.value == pytest.approx(values[w.metric_id].value) for w in view.watch)
    rows = _find(panels.vitals(view, "zh"), "scr-watch-row")
    assert [r.to_plotly_json()["props"]["data-metric"] for r in rows] == [w.metric_id for w in view.watch]
    assert view.watch  # the test warehouse has signs below target: the list is exercised
    assert values[view.watch[0].metric_id].name_zh in json.dumps(rows[0].to_plotly_json(),
                                                                    cls=plotly.utils.PlotlyJSONEncoder,
                                                                    ensure_ascii=False)


def test_overview_tiles_are_the_seeds_dimensions_with_the_metrics_values(ctx: dash.Dash, settings: Settings):
    """城市治理, 城市安全, 民生服务 (CityScore dimensions), 12345 and IoT online: a tile each, whose value is the
    metrics layer's for the wall's window, read here through other calls (indicator_values; the per-type
    online table summed)."""
    import metrics
    from dashboard import data
    from dashboard.screen import panels

    cfg = parse({}, settings)
    at = model.now(cfg)
    q = model.rolling_query(cfg, at)
    con = data.connection()
    tiles = _find(panels.vitals(model.vitals(cfg, at), "zh"), "scr-tile")
    shown = {t.to_plotly_json()["props"]["data-dimension"]: t.to_plotly_json()["props"]["data-value"] for t in tiles}
    assert set(shown) == {"城市治理", "城市安全", "民生服务", "12345", "iot"}, shown
    for d in metrics.vital_signs(con, q, overrides=data.metrics_config()).dimensions:
        assert float(shown[d.dimension]) == pytest.approx(d.score, abs=5e-6)
    satisfaction = metrics.indicator_values(con, ["hotline_satisfaction_rate"], q)["hotline_satisfaction_rate"]
    assert float(shown["12345"]) == pytest.approx(satisfaction.value, abs=5e-6)
    by_type = metrics.sensor_online(con, q, by="sensor_type")
    assert by_type["expected"].sum() > 0  # the tiny demo has sensors: the IoT tile is exercised
    assert float(shown["iot"]) == pytest.approx(by_type["received"].sum() / by_type["expected"].sum(), abs=5e-6)
    # labelled in both languages, rates shown in %
    zh = json.dumps([t.to_plotly_json() for t in tiles], cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)
    assert "12345满意率" in zh and "物联感知在线率" in zh and "%" in zh
    en = panels.vitals(model.vitals(parse({"lang": "en"}, settings), at), "en")
    assert {"12345 satisfaction", "IoT sensors online"} <= {t.children[0].children for t in _find(en, "scr-tile")}


def test_station_bars_mark_the_ones_past_the_overview_as_extra():
    from dashboard.screen import panels
    from dashboard.screen.model import StationRow, StationsView

    rows = tuple(StationRow(f"站{i:02d}联勤联动工作站", 0.5 + i / 100, 50 + i, 100) for i in range(30))
    bars = _find(panels.stations_bars(StationsView(rows, 0, 30, 0.85), "zh"), "scr-bar")
    assert len(bars) == 24  # the stations view's capacity; the overview shows the first 12
    assert [b.className for b in bars] == ["scr-bar"] * 12 + ["scr-bar is-extra"] * 12
    assert [float(b.to_plotly_json()["props"]["data-value"]) for b in bars] == pytest.approx(
        [r.rate for r in rows[:24]])
    box = panels.stations_bars(StationsView(rows, 0, 30, 0.85), "zh")
    assert box.style == {"--scr-bar-rows": "12", "--scr-bar-rows-tall": "24"}


def test_feed_names_known_sensor_types_and_shows_unknown_ones_as_stored():
    import pandas as pd

    from dashboard.screen import panels

    df = pd.DataFrame({"kind": ["alarm", "alarm", "case"], "title": ["smoke", "telemetry", "占道经营"],
                       "severity": ["alarm", "warning", "urgent"], "state": ["ongoing", "ongoing", "dispatched"],
                       "age_minutes": [5.0, 6.0, 7.0], "unit_zh": ["村一", "村二", "村三"], "unit_en": [None] * 3})
    texts = [n.children for n in _find(panels.feed(df, "zh"), "scr-feed-text")]
    assert texts == ["烟感 · 村一", "telemetry · 村二", "占道经营 · 村三"]


def test_wall_says_how_many_signs_miss_target_beside_the_score(ctx: dash.Dash, settings: Settings):
    """"6/14 项未达标" next to the CityScore: counted here from the raw indicator values (score < 1)."""
    import metrics
    from dashboard import data
    from dashboard.screen import panels

    cfg = parse({}, settings)
    at = model.now(cfg)
    values = metrics.indicator_values(data.connection(), list(metrics.VITAL_SIGNS), model.rolling_query(cfg, at))
    rated = {m: v for m, v in values.items() if v.value is not None and v.target is not None}
    below = [m for m, v in rated.items()
             if (v.value < v.target if v.direction == "higher" else v.value > v.target)]
    view = model.vitals(cfg, at)
    assert (view.missed, view.scored) == (len(below), len(rated))
    assert 0 < view.missed < view.scored  # the fixture has both kinds: the count is exercised
    (badge,) = _find(panels.vitals(view, "zh"), "scr-score-missed")
    assert badge.children == f"{len(below)}/{len(rated)} 项未达标" and "is-bad" in badge.className
    (en,) = _find(panels.vitals(view, "en"), "scr-score-missed")
    assert en.children == f"{len(below)}/{len(rated)} below target"  # short: it shares a quarter of the wall


def test_ranking_bars_start_at_a_grade_line():
    """Bars from the highest grade line at or below the lowest score shown, not from zero."""
    from dashboard.screen import panels

    assert panels.rank_baseline([82.8, 91.0]) == 75 and panels.rank_baseline([95.0]) == 90
    assert panels.rank_baseline([30.0, 99.0]) == 0 and panels.rank_baseline([]) == 0
    view = model.RankingView((model.RankItem("甲", 91.0, 1, 2, "all", False),),
                             (model.RankItem("乙", 82.8, 2, 2, "all", True),), "town", 2)
    tree = panels.ranking(view, "zh")
    widths = [f.style["width"] for f in _find(tree, "scr-rank-fill")]
    assert widths == ["64.0%", "31.2%"]  # (91 − 75) / 25, (82.8 − 75) / 25
    assert "75" in _find(tree, "scr-rank-base")[0].children


def test_an_unchecked_dash_refuses_to_start_with_a_clear_error() -> None:
    """dashboard/app.py calls Dash's private ``_setup_server``; only the majors it was checked on start."""
    import dash

    from dashboard.app import require_known_dash

    require_known_dash(dash.__version__, True)  # the installed (locked) Dash is a checked one
    require_known_dash("4.9.0", True)
    for version, has in (("5.0.0", True), ("3.2.0", True), ("4.4.1", False), ("dev", True)):
        with pytest.raises(RuntimeError, match=r"dash .* is not supported.*_setup_server"):
            require_known_dash(version, has)
