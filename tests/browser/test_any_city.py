"""A New York 311 export end to end in Chromium: loaded through the real ETL into a 2-level hierarchy
(city → community districts, no 街镇) in America/New_York, served with that site's ``vitals.toml``
(site clock pinned years after the data ends), every page and the wall open without an error message
or a browser error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, shot, start_server, stop_server
from tests.dashboard import us_city

pytestmark = [pytest.mark.browser, pytest.mark.real_data]
PAGES = ("/", "/rankings", "/stations", "/cases", "/hotline", "/sensors", "/staffing")
ERRORS = ("暂时无法读取数据", "Data temporarily unavailable", "刷新失败", "Refresh failed", "No Rows To Show",
          "Traceback")


@pytest.fixture(scope="module")
def nyc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("nyc-browser")
    wh = us_city.build(root, levels=2)
    # start_server's config is "[site] now = <the run's instant>" followed by this text: the New York keys
    # land in that [site] table; auth off the way a closed test bench turns it off
    server = start_server(wh, root / "server.log", auth_toml=us_city.SITE_KEYS + "\n[auth]\nenabled = false\n",
                          now=datetime.fromisoformat(us_city.SITE_NOW))
    yield server
    stop_server(server)


@pytest.fixture
def visit(browser: Any, nyc_server: LiveServer) -> Iterator[Any]:
    contexts: list[Any] = []
    errors: list[str] = []

    def _visit(path: str, wait: str) -> Any:
        ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN",
                                  bypass_csp=True)  # string predicates need eval (see conftest)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(f"{path} console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{path} pageerror: {e}"))
        page.goto(nyc_server.url + path, wait_until="load")
        page.wait_for_selector(wait, state="attached", timeout=30_000)
        page.wait_for_load_state("networkidle")
        return page

    yield _visit
    for ctx in contexts:
        ctx.close()
    assert not errors, "browser errors:\n" + "\n".join(errors)


@pytest.mark.parametrize("lang", ["", "?lang=en"])
def test_every_page_opens_without_an_error(visit: Any, lang: str) -> None:
    for path in PAGES:
        page = visit(path + lang, "#shell-nav-links a")
        page.wait_for_selector(".cv-page, .cv-home, main h1", timeout=30_000)
        body = page.inner_text("body")
        assert not any(e in body for e in ERRORS), (path, [e for e in ERRORS if e in body])
        if path != "/":
            assert ("Data ends 2018-10-22" if lang else "数据截至 2018-10-22") in body, path
        if lang:
            assert "无数据" not in body, path
    shot(page, f"any-city-staffing{'-en' if lang else ''}")


def test_hotline_shows_closure_and_median(visit: Any) -> None:
    page = visit("/hotline", "#hotline-kpi-hotline_close_p50")
    assert page.locator("#hotline-kpi-hotline_closure_rate").count() == 1
    assert page.locator("#hotline-kpi-hotline_satisfaction_rate").count() == 0
    assert "不予显示" in page.inner_text("#hotline-kpis-lacking")
    page.wait_for_selector(".cv-rows-total:has-text('共')", timeout=30_000)
    shot(page, "any-city-hotline")


def test_wall_fills_its_map_and_ranking(visit: Any) -> None:
    page = visit("/screen", ".scr-rank-list li")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-overlay-pane path').length >= 71", timeout=30_000)
    body = page.inner_text("body")
    assert not any(e in body for e in ERRORS), [e for e in ERRORS if e in body]
    assert "数据截至 2018-10-22" in body and "按热线工单办结率" in body
    # the five best, then the 末位 as /rankings marks them (3 in the one peer group of 71 districts)
    assert page.locator(".scr-rank-list li").count() == 5 + 3
    shot(page, "any-city-screen")


def test_served_config_is_the_new_york_site(nyc_server: LiveServer) -> None:
    import tomllib

    config = tomllib.loads(nyc_server.log.with_name(f"{nyc_server.log.stem}.vitals.toml").read_text(encoding="utf-8"))
    assert config["site"]["timezone"] == "America/New_York" and config["auth"]["enabled"] is False
