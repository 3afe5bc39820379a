"""Leader/analyst pages in Chromium: render without console errors, URL reproduces the view,
the server-paged table fills, a filter change updates the URL."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def test_cases_page_renders_and_table_pages(open_page, warehouse_root):
    page = open_page("/cases")
    page.wait_for_selector(".cv-rows-total:has-text('共')", timeout=20_000)
    page.wait_for_selector("#cases-kpis")
    # plotly.js arrives as an async chunk after the layout: wait for the fifth chart, not the first paint
    page.locator(".js-plotly-plot").nth(4).wait_for(state="attached", timeout=20_000)
    assert page.locator(".js-plotly-plot").count() >= 5
    # the case points reach the map as columns and are drawn as clusters in the browser (POINTS_JS)
    page.wait_for_selector(".cv-map .marker-cluster", timeout=20_000)
    drawn = page.evaluate("""() => {
      const m = document.querySelector('#cases-root .cv-map');
      const clusters = Array.from(m.querySelectorAll('.marker-cluster')).map(c => parseInt(c.textContent, 10));
      const single = m.querySelectorAll('.leaflet-marker-icon:not(.marker-cluster)').length;
      return {clusters: clusters.length, points: clusters.reduce((a, b) => a + b, 0) + single};
    }""")
    n = _located_cases_this_month(warehouse_root)
    assert drawn["clusters"] > 0 and drawn["points"] == min(n, 3000), (drawn, n)
    shot(page, "pages-cases")


def _located_cases_this_month(root) -> int:
    """Located cases reported in the month of the newest case (the page's default month): an
    independent count of what the map's points may hold."""
    import duckdb

    con = duckdb.connect(str(root / "vitals.duckdb"), read_only=True)
    n = con.execute("SELECT count(*) FROM cases WHERE NOT coalesce(cancelled, false) AND lon IS NOT NULL "
                    "AND date_trunc('month', reported_at) = (SELECT date_trunc('month', max(reported_at)) "
                    "FROM cases)").fetchone()[0]
    con.close()
    return int(n)


def test_url_reproduces_a_unit_view_and_bad_input_is_a_message(open_page, warehouse_root):
    import duckdb

    con = duckdb.connect(str(warehouse_root / "vitals.duckdb"), read_only=True)
    code, name = con.execute("SELECT unit_code, name_zh FROM org_unit WHERE level = 'town' ORDER BY 1").fetchone()
    con.close()
    page = open_page(f"/cases?unit={code}&period=week")
    page.wait_for_selector(f"h1 .cv-scope:has-text('{name}')", timeout=20_000)
    bad = open_page("/cases?period=custom&start=2026-02-01&end=2026-01-01")
    bad.wait_for_selector(".cv-message-input:has-text('before the start')")
    shot(bad, "pages-cases-bad-url")


def test_rankings_page_and_selection(open_page):
    page = open_page("/rankings?level=grid")
    page.wait_for_selector("#rankings-grid .ag-row", timeout=20_000)
    page.locator("#rankings-grid .ag-row").first.click()
    page.wait_for_selector("#rankings-detail-name", timeout=20_000)
    assert "sel=" in page.url
    shot(page, "pages-rankings")


def test_stations_page(open_page):
    page = open_page("/stations")
    page.wait_for_selector("#stations-meeting", timeout=20_000)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=20_000)
    assert page.locator(".js-plotly-plot").count() >= 4
    shot(page, "pages-stations")


@pytest.mark.parametrize("path", ["/cases", "/hotline", "/stations", "/rankings", "/sensors", "/staffing", "/"])
def test_pages_fit_a_laptop_width(open_page, path):
    """No horizontal scroll at 1366 px: an element past the window's right edge makes the page wider
    than the screen (Dash 4 dropdowns' invisible focus inputs did, on the three case pages)."""
    page = open_page(path, width=1366, height=768)
    page.wait_for_selector(".cv-filter-bar, #home-content, .cv-page", state="attached", timeout=20_000)
    page.wait_for_load_state("networkidle")  # every callback answered: the page is as wide as it gets
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 1367).slice(0, 5).map(e => e.className.toString())""")
