"""The big screen in Chromium: three wall sizes, kiosk, emergency, drill, and a live refresh."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot, start_server, stop_server
from tests.dashboard.minimal_warehouse import build_minimal, publish, site_now

pytestmark = pytest.mark.browser

FILLED = ".scr-kpi-value"  # the backlog numbers: present once the first refresh has landed
OVERVIEW_PANELS = ("vitals", "map", "stations", "ranking", "feed", "hourly", "backlog")
EMERGENCY_PANELS = ("feed", "map", "water", "duty", "backlog", "hourly")

CHECK_JS = """
(names) => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const doc = document.documentElement;
  const out = {scroll: [doc.scrollWidth, doc.scrollHeight, vw, vh], panels: {}};
  for (const n of names) {
    const el = document.getElementById('scr-panel-' + n);
    const r = el.getBoundingClientRect();
    const body = el.querySelector('.scr-panel-body');
    const svgMarks = body.querySelectorAll('.scr-bar, .scr-col-fill, .leaflet-interactive');
    out.panels[n] = {
      visible: getComputedStyle(el).display !== 'none' && r.width > 0 && r.height > 0,
      inside: r.left >= -1 && r.top >= -1 && r.right <= vw + 1 && r.bottom <= vh + 1,
      text: body.innerText.trim().length,
      marks: svgMarks.length,
      overflowX: body.scrollWidth > body.clientWidth + 2,
    };
  }
  return out;
}
"""


def _check(page, names):
    res = page.evaluate(CHECK_JS, list(names))
    sw, sh, vw, vh = res["scroll"]
    assert sw <= vw and sh <= vh, f"page overflows: {res['scroll']}"
    for name, p in res["panels"].items():
        assert p["visible"], f"{name} hidden"
        assert p["inside"], f"{name} outside the viewport"
        assert p["text"] > 0 or p["marks"] > 0, f"{name} is empty"
        assert not p["overflowX"], f"{name} overflows horizontally"
    return res


def _wait_filled(page):
    page.wait_for_selector(FILLED, timeout=30_000)
    page.wait_for_selector(".scr-leaflet path.scr-unit", timeout=30_000)
    page.wait_for_selector("#scr-hourly .scr-col", state="attached", timeout=30_000)
    page.wait_for_selector("#scr-stations .scr-bar", state="attached", timeout=30_000)
    page.wait_for_timeout(300)  # let the map tiles of polygons settle


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160), (5760, 1080), (1280, 720)])
def test_screen_renders_at_wall_sizes(open_page, width, height):
    page = open_page("/screen?kiosk=1", width=width, height=height, wait=None)
    _wait_filled(page)
    _check(page, OVERVIEW_PANELS)
    assert page.locator("#shell-nav").is_hidden()
    polygons = page.locator(".scr-leaflet path.scr-unit").count()
    assert polygons >= 1
    # the map is fitted to the jurisdiction: its units fill the map's width or height (not a dot in the middle)
    fit_js = """() => {
      const m = document.querySelector('.scr-leaflet').getBoundingClientRect();
      const rs = Array.from(document.querySelectorAll('.scr-leaflet path.scr-unit'))
                      .map(p => p.getBoundingClientRect());
      const w = Math.max(...rs.map(r => r.right)) - Math.min(...rs.map(r => r.left));
      const h = Math.max(...rs.map(r => r.bottom)) - Math.min(...rs.map(r => r.top));
      return Math.max(w / m.width, h / m.height);
    }"""
    # the map fits itself once the grid has sized it: on a loaded machine that can come after the first paint
    page.wait_for_function(f"() => ({fit_js})() >= 0.75", timeout=20_000)
    fill = page.evaluate(fit_js)
    assert 0.75 <= fill <= 1.02, fill
    # the below-target list sits under the dimension tiles and inside its panel, every row whole
    watch = page.evaluate("""() => {
      const body = document.querySelector('#scr-panel-vitals .scr-panel-body').getBoundingClientRect();
      const tiles = document.querySelector('.scr-tiles').getBoundingClientRect();
      return [...document.querySelectorAll('.scr-watch-row')].map(e => {
        const r = e.getBoundingClientRect();
        return r.height > 0 && r.top >= tiles.bottom - 1 && r.bottom <= body.bottom + 1; });
    }""")
    assert watch and all(watch), watch
    assert "青浦区" in page.inner_text(".scr-header")
    clock = page.inner_text("#scr-clock")
    assert ":" in clock
    # text scales with the wall: the site name is twice as tall at 3840x2160 as at 1920x1080
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.scr-site')).fontSize)")
    assert size == pytest.approx(30 * min(width / 1920, height / 1080), rel=0.05)
    shot(page, f"screen-{width}x{height}")


def test_kiosk_off_shows_nav_and_fits_below_it(open_page):
    page = open_page("/screen", wait=FILLED)
    _wait_filled(page)
    assert page.locator("#shell-nav").is_visible()
    res = _check(page, OVERVIEW_PANELS)
    nav_bottom = page.evaluate("document.getElementById('shell-nav').getBoundingClientRect().bottom")
    top = page.evaluate("document.getElementById('scr-root').getBoundingClientRect().top")
    assert top >= nav_bottom - 1, res


def test_emergency_mode_switches_layout(open_page):
    page = open_page("/screen", wait=FILLED)
    _wait_filled(page)
    assert page.locator("#scr-panel-duty").is_hidden() and page.locator("#scr-panel-vitals").is_visible()
    page.click("#scr-mode")
    page.wait_for_selector(".cv-screen.view-emergency.mode-emergency")
    expect(page.locator("#scr-panel-vitals")).to_be_hidden()
    expect(page.locator("#scr-panel-stations")).to_be_hidden()
    _check(page, EMERGENCY_PANELS)
    assert page.inner_text("#scr-mode-label") == "战时" and page.inner_text("#scr-view-label") == "应急"
    shot(page, "screen-emergency-1920x1080")
    # and from the URL, in kiosk mode, on the ultra-wide wall
    page = open_page("/screen?kiosk=1&mode=emergency", width=5760, height=1080, wait=FILLED)
    _wait_filled(page)
    page.wait_for_selector(".cv-screen.view-emergency")
    _check(page, EMERGENCY_PANELS)
    shot(page, "screen-emergency-5760x1080")


def test_rotation_playlist_and_english(open_page):
    page = open_page("/screen?kiosk=1&lang=en&playlist=overview,stations,sensors&dwell=2", wait=FILLED)
    _wait_filled(page)
    assert "Open cases" in page.inner_text("#scr-panel-backlog")
    seen = set()
    for _ in range(2):  # the wall turns to the next view within the dwell (2 s), and again
        cls = page.get_attribute("#scr-root", "class")
        view = next(c for c in cls.split() if c.startswith("view-"))
        seen.add(view)
        page.wait_for_function("v => !document.getElementById('scr-root').classList.contains(v)", arg=view,
                               timeout=10_000)
    cls = page.get_attribute("#scr-root", "class")
    seen.add(next(c for c in cls.split() if c.startswith("view-")))
    assert {"view-overview", "view-stations", "view-sensors"} & seen and len(seen) >= 2
    page.wait_for_selector(".cv-screen.view-sensors", timeout=10_000)
    _check(page, ("water", "map", "feed", "backlog", "hourly", "duty"))
    shot(page, "screen-sensors-en")


def test_drill_into_a_town_and_back(open_page):
    page = open_page("/screen", wait=FILLED)
    _wait_filled(page)
    before = page.inner_text("#scr-map-title")
    n_before = page.locator(".scr-leaflet path.scr-unit").count()
    # a DOM click on the polygon itself: since the first paint the marker cluster can sit over its centre
    page.locator(".scr-leaflet path.scr-unit").first.dispatch_event("click")
    page.wait_for_function(f"() => document.getElementById('scr-map-title').innerText !== {before!r}", timeout=15_000)
    expect(page.locator("#scr-map-back")).to_be_visible()
    shot(page, "screen-drill-town")
    page.click("#scr-map-back")
    page.wait_for_function(f"() => document.getElementById('scr-map-title').innerText === {before!r}", timeout=15_000)
    expect(page.locator(".scr-leaflet path.scr-unit")).to_have_count(n_before)


def test_refresh_picks_up_a_new_snapshot(browser, tmp_path: Path):
    """A load publishes a new snapshot; the next refresh shows it without reloading the page."""
    root = tmp_path / "wh"
    build_minimal(root)
    server = start_server(root / "vitals.duckdb", tmp_path / "server.log")
    errors: list[str] = []
    try:
        ctx = browser.new_context(viewport={"width": 1920, "height": 1080},
                                  bypass_csp=True)  # string predicates need eval (see conftest)
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/screen?kiosk=1&refresh=5")
        _wait_filled(page)
        urgent = page.locator(".scr-kpi").nth(2).locator(".scr-kpi-value")
        before = int(urgent.inner_text().replace(",", ""))
        now = site_now()

        def add_urgent(con):
            con.execute(
                "INSERT INTO cases SELECT * REPLACE ('new:' || case_id AS case_id, 'urgent' AS urgency, "
                "'dispatched' AS status, NULL::TIMESTAMP AS closed_at, ?::TIMESTAMP AS reported_at, "
                "?::TIMESTAMP AS deadline_at) FROM cases LIMIT 7",
                [now - timedelta(minutes=5), now + timedelta(hours=2)],
            )

        publish(root, add_urgent)
        page.wait_for_function(
            f"() => parseInt(document.querySelectorAll('.scr-kpi')[2].querySelector('.scr-kpi-value').innerText"
            f".replace(/,/g, '')) === {before + 7}", timeout=20_000)
        assert page.locator("#scr-warning").inner_text() == ""
        shot(page, "screen-after-refresh")
        ctx.close()
    finally:
        stop_server(server)
    assert not errors, errors


BARS_JS = """
() => {
  const vals = (sel) => Array.from(document.querySelectorAll(sel)).map(e => e.dataset.value);
  const box = (sel) => Array.from(document.querySelectorAll(sel)).map(e => e.getBoundingClientRect().width);
  const line = document.querySelector('#scr-stations .scr-bar-target');
  const track = line && line.parentElement.getBoundingClientRect();
  return {stations: vals('#scr-stations .scr-bar:not(.is-extra)'),
          widths: box('#scr-stations .scr-bar:not(.is-extra) .scr-bar-fill'),
          tracks: box('#scr-stations .scr-bar:not(.is-extra) .scr-bar-track:not(.is-axis)'),
          line: line ? (line.getBoundingClientRect().left - track.left) / track.width : null,
          hours: vals('#scr-hourly .scr-col'), ranking: vals('#scr-ranking li'),
          plotly: !!window.Plotly || !!document.querySelector('script[src*="plotly"]'),
          nameFont: parseFloat(getComputedStyle(document.querySelector('#scr-stations .scr-bar-name')).fontSize),
          clipped: Array.from(document.querySelectorAll('#scr-stations .scr-bar-name'))
                        .filter(e => e.scrollWidth > e.clientWidth + 1).length};
}
"""


def test_bars_match_the_metrics_layer(open_page, warehouse_root: Path):
    """The HTML bars show the same numbers as the metrics layer, with no Plotly bundle on the page."""
    from dashboard.app import create_app
    from dashboard.screen import model
    from dashboard.screen.config import parse
    from tests.clock import pinned_settings

    page = open_page("/screen?kiosk=1", wait=FILLED)
    _wait_filled(page)
    got = page.evaluate(BARS_JS)
    settings = pinned_settings(warehouse_root / "vitals.duckdb")
    app = create_app(settings)
    with app.server.test_request_context("/"):
        cfg = parse({}, settings)
        at = model.now(cfg)
        stations = [r for r in model.stations(cfg, at).rows if r.rate is not None][:12]
        hourly = model.hourly(cfg, at, "cases")
        ranking = model.ranking(cfg, at)
        app.server.do_teardown_appcontext()
    assert [float(v) for v in got["stations"]] == pytest.approx([r.rate for r in stations], abs=1e-6)
    # each bar is as long as its rate, the dashed line sits at 85% of the track
    assert [w / tr for w, tr in zip(got["widths"], got["tracks"], strict=True)] == pytest.approx(
        [r.rate for r in stations], abs=0.01)
    assert got["line"] == pytest.approx(0.85, abs=0.01)
    assert len(got["hours"]) == 24
    # hours before the current one are complete (the page and the test may straddle an hour)
    done = [f"{v:g}" for v in hourly["today"].iloc[: at.hour]]
    assert got["hours"][: at.hour] == done and all(v == "" for v in got["hours"][at.hour + 1:])
    assert [float(v) for v in got["ranking"]] == pytest.approx(
        [i.score for i in (*ranking.top, *ranking.bottom)], rel=1e-5)
    assert not got["plotly"]  # the wall page does not load the Plotly bundle
    assert got["nameFont"] >= 14 and got["clipped"] == 0  # readable from across the room, labels fit


EXTRA_JS = """
() => {
  const bars = Array.from(document.querySelectorAll('#scr-stations .scr-bar'));
  bars.slice(-2).forEach(b => b.classList.add('is-extra'));  // as stations_bars marks the bars past n
  const shown = bars.filter(b => b.getBoundingClientRect().height > 0);
  const body = document.querySelector('#scr-stations').getBoundingClientRect();
  return {all: bars.length, shown: shown.length,
          inside: shown.every(b => b.getBoundingClientRect().bottom <= body.bottom + 1)};
}
"""


@pytest.mark.parametrize(("view", "hidden"), [("overview", 2), ("stations", 0)])
def test_extra_station_bars_show_in_the_stations_view_only(open_page, view: str, hidden: int):
    """The bars past the overview's 12 (``is-extra``) are hidden there and shown, inside the panel, in the
    stations view's full-height panel."""
    page = open_page(f"/screen?kiosk=1&playlist={view}&dwell=600", wait=FILLED)
    page.wait_for_selector("#scr-stations .scr-bar", state="attached", timeout=30_000)
    page.wait_for_selector(f".view-{view}", timeout=10_000)
    got = page.evaluate(EXTRA_JS)
    assert got["all"] >= 3 and got["shown"] == got["all"] - hidden and got["inside"], got
