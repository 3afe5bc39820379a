"""Leader/analyst pages in Chromium: render without console errors, URL reproduces the view,
the server-paged table fills, a filter change updates the URL."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


def test_cases_page_renders_and_table_pages(open_page):
    page = open_page("/cases")
    page.wait_for_selector(".cv-rows-total:has-text('共')", timeout=20_000)
    page.wait_for_selector("#cases-kpis")
    assert page.locator(".js-plotly-plot").count() >= 5
    shot(page, "pages-cases")


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
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=20_000)
    assert page.locator(".js-plotly-plot").count() >= 4
    shot(page, "pages-stations")
