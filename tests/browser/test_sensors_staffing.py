"""/sensors and /staffing in Chromium: render without console errors, a click or filter change changes
the figures and the URL, and the URL alone reproduces the view."""

from __future__ import annotations

import duckdb
import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

PLOTS = ".js-plotly-plot"


def fig(role: str) -> str:
    return f"[id*='\"role\":\"{role}\"']"


def first_town(warehouse_root) -> tuple[str, str]:
    con = duckdb.connect(str(warehouse_root / "vitals.duckdb"), read_only=True)
    try:
        return con.execute("SELECT unit_code, name_zh FROM org_unit WHERE level = 'town' ORDER BY 1").fetchone()
    finally:
        con.close()


def test_sensors_page_renders_and_a_type_click_filters(open_page):
    page = open_page("/sensors")
    page.wait_for_selector("#sensors-kpis", timeout=20_000)
    page.wait_for_function(f"() => document.querySelectorAll('{PLOTS}').length >= 6", timeout=20_000)
    page.wait_for_selector(f"{fig('series')} .scatterlayer .trace", timeout=20_000)
    shot(page, "pages-sensors")
    before = page.locator(f"{fig('online_unit')} .point").count()
    page.locator(f"{fig('online_type')} .point path").first.click(force=True)
    page.wait_for_url("**/sensors?sel=*", timeout=20_000)
    page.wait_for_selector(".cv-drill-banner a:has-text('清除')", timeout=20_000)
    assert "sel=" in page.url and before >= 1


def test_sensor_link_selects_the_series_and_url_reproduces_it(open_page, warehouse_root):
    page = open_page("/sensors?period=week")
    page.wait_for_selector("#sensors-kpis", timeout=20_000)
    link = page.locator("#sensors-beyond a, #sensors-offline a").first
    if link.count():
        name = link.inner_text()
        link.click()
        page.wait_for_url("**sensor=*", timeout=20_000)
        page.wait_for_selector(f".cv-panel-title:has-text('{name}')", timeout=20_000)
    con = duckdb.connect(str(warehouse_root / "vitals.duckdb"), read_only=True)
    sid, name = con.execute("SELECT sensor_id, name FROM sensors WHERE sensor_id IN (SELECT sensor_id FROM "
                            "sensor_readings WHERE ts >= (SELECT max(ts) FROM sensor_readings) - INTERVAL 1 DAY) "
                            "ORDER BY sensor_id DESC LIMIT 1").fetchone()
    con.close()
    again = open_page(f"/sensors?period=week&sensor={sid}")
    again.wait_for_selector(f".cv-panel-title:has-text('{name}')", timeout=20_000)
    again.wait_for_selector(f"{fig('series')} .shapelayer path", state="attached", timeout=20_000)
    assert again.locator(f"{fig('series')} .shapelayer path").count() >= 2  # warning and alarm lines
    shot(again, "pages-sensors-series")


def test_staffing_page_renders_and_a_unit_click_cross_filters(open_page, warehouse_root):
    _, town_name = first_town(warehouse_root)
    page = open_page("/staffing")
    page.wait_for_selector("#staffing-kpis", timeout=20_000)
    page.wait_for_function(f"() => document.querySelectorAll('{PLOTS}').length >= 4", timeout=20_000)
    shot(page, "pages-staffing")
    page.locator(f"{fig('duty')} .point path").first.click(force=True)
    page.wait_for_url("**/staffing?unit=*", timeout=20_000)
    page.wait_for_selector(f"h1 .cv-scope:has-text('{town_name}')", timeout=20_000)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=20_000)
    assert "unit=" in page.url


def test_staffing_period_filter_changes_the_figures_and_url_reproduces(open_page, warehouse_root):
    code, name = first_town(warehouse_root)
    page = open_page(f"/staffing?unit={code}&period=week")
    page.wait_for_selector(f"h1 .cv-scope:has-text('{name}')", timeout=20_000)
    page.wait_for_selector(f"{fig('daily')} .scatterlayer .trace", timeout=20_000)
    week_points = page.locator(f"{fig('daily')} .scatterlayer .trace").first.locator(".point").count()
    page.locator("[id*='\"field\":\"period\"']").first.click()
    page.get_by_role("option", name="月", exact=True).click()
    page.wait_for_url("**/staffing?unit=*", timeout=20_000)
    page.wait_for_function("() => !location.search.includes('period=week')", timeout=20_000)
    page.wait_for_function(
        f"(n) => {{ const t = document.querySelector(`{fig('daily')} .scatterlayer .trace`);"
        f" return t && t.querySelectorAll('.point').length > n; }}", arg=week_points, timeout=20_000)
    assert f"unit={code}" in page.url
    shot(page, "pages-staffing-town-month")
