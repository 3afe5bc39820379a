"""Urgent-case countdowns in Chromium: the browser's clock (Playwright's page.clock) starts at the
site's pinned instant and is moved on; tiles turn amber, then red; a new urgent case in a new
snapshot flashes the banner; ?mode=quiet does not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.browser.conftest import LiveServer, shot, start_server, stop_server
from tests.dashboard.minimal_warehouse import publish
from tests.dashboard.urgent_fixture import NOW, build

pytestmark = pytest.mark.browser
SITE_NOW = NOW.replace(tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    root = tmp_path_factory.mktemp("urgent-browser")
    ids = build(root)
    server = start_server(root / "vitals.duckdb", root / "server.log")  # site clock pinned at NOW
    yield server, ids
    stop_server(server)


def _open(browser: Any, url: str, errors: list[str]) -> Any:
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.clock.install(time=SITE_NOW)  # the wall's clock at the site's pinned instant
    page.goto(url, wait_until="load")
    return page


def _tile(page: Any, case_id: str) -> dict[str, str]:
    return page.evaluate("""(id) => { const t = document.querySelector(`.scr-utile[data-id="${id}"]`);
        return {cls: t.className, arrive: t.querySelector('[data-step=arrive] .scr-ustep-value').textContent,
                result: t.querySelector('[data-step=result] .scr-ustep-value').textContent}; }""", case_id)


def test_tiles_count_down_and_turn_red(browser: Any, served: tuple[LiveServer, dict[str, str]]) -> None:
    server, ids = served
    errors: list[str] = []
    page = _open(browser, server.url + "/screen?kiosk=1", errors)
    sel = f'.scr-utile[data-id="{ids["pending"]}"]'
    page.wait_for_selector(sel, timeout=30_000)
    page.clock.run_for(2000)
    start = _tile(page, ids["pending"])
    assert start["cls"] == "scr-utile is-ok", start
    assert start["arrive"].startswith("剩 09:5") or start["arrive"] == "剩 10:00", start
    assert _tile(page, ids["warn"])["cls"] == "scr-utile is-warn"
    assert _tile(page, ids["breached"])["cls"] == "scr-utile is-bad"
    shot(page, "screen-urgent-start")
    page.clock.fast_forward("06:00")  # 4 min left: amber
    page.clock.run_for(1500)
    assert _tile(page, ids["pending"])["cls"] == "scr-utile is-warn"
    page.clock.fast_forward("05:00")  # 16 minutes after dispatch: red, and it stays red
    page.clock.run_for(1500)
    late = _tile(page, ids["pending"])
    assert late["cls"] == "scr-utile is-bad", late
    assert late["arrive"].startswith("超时 +01:0"), late
    assert late["result"].startswith("剩 43:"), late  # 44 min left to the first result, less the seconds run
    # the head line is refilled in the browser from the tiles' states (the server drew it at NOW)
    bad, warn, hidden = page.evaluate("""() => [document.querySelectorAll('.scr-utile.is-bad').length,
        document.querySelectorAll('.scr-utile.is-warn').length,
        Number(document.querySelector('.scr-urgent-counts').getAttribute('data-hidden-bad'))]""")
    assert all(_tile(page, ids[k])["cls"] == "scr-utile is-bad" for k in ("pending", "warn", "breached"))
    counts = page.text_content(".scr-urgent-counts")
    assert counts.startswith(f"紧急计时：超时 {bad + hidden} · 临近 {warn}"), counts
    clock = page.text_content("#scr-clock")
    days = {f"{NOW + timedelta(minutes=m):%Y/%m/%d}" for m in (10, 13)}  # ~11 min run; near midnight either
    assert any(clock.startswith(d) for d in days), clock  # the header clock runs on the same site time
    shot(page, "screen-urgent-red")
    # emergency mode: the feed panel, with the tiles, comes first (top left)
    page = _open(browser, server.url + "/screen?kiosk=1&mode=emergency", errors)
    page.wait_for_selector(f".view-emergency {sel}", timeout=30_000)
    page.clock.run_for(1500)  # the first tick takes the site's time from the page
    page.clock.fast_forward("11:00")
    page.clock.run_for(1500)
    assert _tile(page, ids["pending"])["cls"] == "scr-utile is-bad"
    box = page.evaluate("""() => { const u = document.querySelector('#scr-urgent').getBoundingClientRect();
        const m = document.querySelector('#scr-panel-map').getBoundingClientRect();
        return [u.left, u.top, m.left]; }""")
    assert box[0] < box[2] and box[1] < 200, box
    shot(page, "screen-urgent-emergency")
    assert not errors, errors


def test_a_new_urgent_case_flashes_the_banner(browser: Any, served: tuple[LiveServer, dict[str, str]],
                                              tmp_path: Path) -> None:
    server, ids = served
    root = server.warehouse.parent
    errors: list[str] = []
    loud = _open(browser, server.url + "/screen?refresh=5", errors)
    quiet = _open(browser, server.url + "/screen?refresh=5&mode=quiet", errors)
    for page in (loud, quiet):
        page.wait_for_selector(f'.scr-utile[data-id="{ids["pending"]}"]', timeout=30_000)
        page.clock.run_for(1500)
    con = duckdb.connect(str(root / "vitals.duckdb"), read_only=True)
    try:
        (new_id,) = con.execute("SELECT case_id FROM cases WHERE urgency = 'general' AND unit_code IS NOT NULL "
                                "AND case_id NOT IN ? ORDER BY case_id DESC LIMIT 1", [list(ids.values())]).fetchone()
    finally:
        con.close()
    rep = NOW - timedelta(minutes=1)
    publish(root, lambda c: c.execute(
        "UPDATE cases SET urgency = 'urgent', cancelled = FALSE, status = 'dispatched', reported_at = ?, "
        "registered_at = ?, dispatched_at = ?, arrived_at = NULL, first_result_at = NULL, closed_at = NULL "
        "WHERE case_id = ?", [rep, rep, rep, new_id]))
    for page in (loud, quiet):
        page.clock.run_for(6000)  # the next refresh reads the new snapshot
        page.wait_for_selector(f'.scr-utile[data-id="{new_id}"]', state="attached", timeout=30_000)
        page.clock.run_for(1500)
    banner = loud.evaluate("() => { const b = document.getElementById('scr-urgent-banner');"
                           " return [b.className, b.textContent, getComputedStyle(b).display]; }")
    assert "is-on" in banner[0] and banner[2] == "block" and banner[1].startswith("新紧急事件"), banner
    shot(loud, "screen-urgent-banner")
    q = quiet.evaluate("() => getComputedStyle(document.getElementById('scr-urgent-banner')).display")
    assert q == "none"
    loud.clock.run_for(11_000)  # urgent_banner_seconds: 10 by default
    assert loud.evaluate("() => getComputedStyle(document.getElementById('scr-urgent-banner')).display") == "none"
    assert not errors, errors
