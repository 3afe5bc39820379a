"""The phone view (/m) in Chromium, signed in, on a warehouse with three 街镇 and a pinned clock.

- every view at 360×640, 390×844 and 768×1024 (portrait and landscape, phones in landscape too): no
  horizontal scroll, every link a ≥ 44 px tap target, no text under 14 px; screenshots (light, dark);
- a throttled slow-3G profile (CDP ``Network.emulateNetworkConditions``: 2 s latency, 50 kB/s): the
  first view shows its numbers within 3 s and transfers ≤ 300 KB;
- the done-when scenario: a leader scoped to one 街镇, at 390×844, signs in (tap 1) and sees the
  town's rank, grade and 末位 status and the stations below 85%, taps a station (tap 2) and sees its
  overdue cases; the numbers equal /rankings (as a district colleague sees the town's row, and the
  leader's own grid ranking) and /stations (as the leader sees it);
- a share link opens for a colleague of the same scope and is refused (403) to one of another 街镇.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dashboard.auth.store import UserStore
from tests.browser.conftest import ARTIFACTS, LiveServer, start_server, stop_server
from tests.dashboard.minimal_warehouse import TOWNS, build_minimal

pytestmark = pytest.mark.browser

NOW = datetime(2026, 11, 20, 10, 0)
TOWN, TOWN_ZH, _ = TOWNS[1]
OTHER = TOWNS[0]
PW = "correct horse battery"
SIZES = [(360, 640), (390, 844), (768, 1024), (1024, 768), (640, 360), (844, 390)]
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}

CHECKS_JS = """() => {
  const out = {overflow: document.scrollingElement.scrollWidth - window.innerWidth, small: [], tiny: [], wide: []};
  for (const a of document.querySelectorAll('a, button, input')) {
    const r = a.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.height < 44 || r.width < 44) out.small.push(`${a.textContent.trim().slice(0, 20)} ${r.width}x${r.height}`);
  }
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const n = walk.currentNode;
    if (!n.textContent.trim() || n.parentElement.closest('style, script')) continue;
    const size = parseFloat(getComputedStyle(n.parentElement).fontSize);
    if (size < 14) out.tiny.push(`${n.textContent.trim().slice(0, 20)} ${size}px`);
  }
  for (const e of document.querySelectorAll('body *')) {
    if (e.getBoundingClientRect().right > window.innerWidth + 0.5) out.wide.push(e.className || e.tagName);
  }
  return out;
}"""


@dataclass(frozen=True)
class Site:
    server: LiveServer

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("mobile-live")
    warehouse = build_minimal(root, now=NOW)
    store = UserStore(root / "users.sqlite")
    store.add_user("lead", PW, "leader", TOWN)
    store.add_user("deputy", PW, "leader", TOWN)
    store.add_user("other", PW, "leader", OTHER[0])
    store.add_user("chief", PW, "leader")
    auth = f'[auth]\nstore = "{root / "users.sqlite"}"\nsecure_cookies = false\nip_max_failures = 1000\n'
    server = start_server(warehouse, root / "server.log", auth_toml=auth, now=NOW)
    try:
        yield Site(server)
    finally:
        stop_server(server)


def _context(browser: Any, width: int, height: int, dark: bool = False) -> Any:
    return browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                               color_scheme="dark" if dark else "light", has_touch=True)


def sign_in(page: Any, site: Site, user: str, path: str = "/m") -> None:
    page.goto(site.url + path)
    assert "/auth/login" in page.url
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PW)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def shot(page: Any, name: str, full: bool = False) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    return path


def _check(page: Any, where: str) -> None:
    got = page.evaluate(CHECKS_JS)
    assert got["overflow"] <= 0, (where, got["overflow"], got["wide"][:5])
    assert not got["small"], (where, got["small"][:5])
    assert not got["tiny"], (where, got["tiny"][:5])


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_view_fits_a_thumb(browser: Any, site: Site, width: int, height: int) -> None:
    ctx = _context(browser, width, height)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, site, "lead")
        assert page.url.endswith("/m")
        views = ["/m", "/m?view=unit&level=grid&sel=" + TOWN[:9] + "G01", "/m?view=station&sel=ST10",
                 "/m?view=stations", "/m?view=urgent", "/m?level=station", "/m?period=year"]
        for path in views:
            page.goto(site.url + path)
            assert page.locator(".cv-m-card, .cv-m h1").first.is_visible(), path
            _check(page, f"{width}x{height} {path}")
        page.goto(site.url + "/m")
        shot(page, f"mobile-{width}x{height}")
        assert not errors
    finally:
        ctx.close()


def test_dark_mode_follows_the_device(browser: Any, site: Site) -> None:
    colours = {}
    for dark in (False, True):
        ctx = _context(browser, 390, 844, dark=dark)
        try:
            page = ctx.new_page()
            sign_in(page, site, "lead")
            colours[dark] = page.evaluate("getComputedStyle(document.querySelector('.cv-m-card')).backgroundColor")
            _check(page, f"dark={dark}")
            shot(page, "mobile-390x844-dark" if dark else "mobile-390x844-light")
        finally:
            ctx.close()
    assert colours[False] == "rgb(255, 255, 255)" and colours[True] == "rgb(24, 34, 47)"


def test_slow_3g_first_view_in_3_seconds(browser: Any, site: Site) -> None:
    ctx = _context(browser, 390, 844)
    try:
        page = ctx.new_page()
        sign_in(page, site, "lead")  # signed in on a fast link; the phone opens /m again on slow 3G
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        wire: list[float] = []
        cdp.on("Network.loadingFinished", lambda e: wire.append(float(e["encodedDataLength"])))
        urls: list[str] = []
        cdp.on("Network.requestWillBeSent", lambda e: urls.append(str(e["request"]["url"])))
        t0 = time.perf_counter()
        page.goto(site.url + "/m", wait_until="commit")
        page.wait_for_selector("#m-stations-meeting", state="visible", timeout=10_000)
        first_view = time.perf_counter() - t0
        page.wait_for_load_state("load")
        fcp = page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime")
        requests = page.evaluate("performance.getEntriesByType('resource').length")
        page.wait_for_timeout(500)  # a late request (an icon) would show up here
        shot(page, "mobile-slow3g")
    finally:
        ctx.close()
    print(f"slow 3G: first view {first_view:.2f} s, FCP {fcp} ms, {sum(wire):.0f} bytes on the wire, "
          f"{requests} sub-requests")
    assert first_view <= 3.0, first_view
    assert sum(wire) <= 300_000 and requests == 0
    assert [u.removeprefix(site.url) for u in urls] == ["/m"]  # one request: no script, style, font or icon


def test_done_when_town_leader_in_two_taps(browser: Any, site: Site) -> None:
    ctx = _context(browser, 390, 844)
    try:
        page = ctx.new_page()
        sign_in(page, site, "lead")  # tap 1: 登录
        assert page.locator("#m-scope").inner_text() == TOWN_ZH
        # the first screen (no scrolling): the town's place, grade and 末位 status, stations at 85%
        for tile in ("#m-tile-rank", "#m-tile-stations"):
            box = page.locator(tile).bounding_box()
            assert box is not None and box["y"] + box["height"] <= 844, tile
        place = page.locator("#m-own-place").inner_text()
        grade = page.locator("#m-own-grade").inner_text()
        bottom = page.locator("#m-own-bottom").inner_text()
        tile = page.locator("#m-tile-rank").inner_text()
        assert place.removeprefix("第 ").removesuffix(" 名") in tile and grade in tile and bottom in tile
        meeting = page.locator("#m-stations-meeting").inner_text()
        assert meeting in page.locator("#m-tile-stations").inner_text()
        grids = page.locator("#m-rank-list li").evaluate_all("ls => ls.map(l => l.dataset.key)")
        body = page.inner_text("body")
        assert OTHER[1] not in body and TOWNS[2][1] not in body
        shot(page, "mobile-done-when-1")
        page.locator("#m-tile-stations").tap()  # tap 2: the stations, those below 85% first
        page.wait_for_selector("#m-stations-list")
        at_target, rated = (int(x) for x in meeting.split(" / "))
        below = page.locator("#m-stations-list li .cv-m-val.is-bad").all_inner_texts()
        assert len(below) == rated - at_target > 0
        first = page.locator("#m-stations-list li").first.locator(".cv-m-val")
        assert "is-bad" in (first.get_attribute("class") or "")
        shot(page, "mobile-done-when-2")
        page.locator("#m-stations-list li a").first.tap()  # a station's overdue cases
        page.wait_for_selector("#m-detail-name")
        overdue_title = page.locator("#m-overdue h2").inner_text()
        shot(page, "mobile-done-when-3")
        # the desk, same leader: /stations and /rankings?level=grid
        desk = ctx.new_page()
        desk.set_viewport_size({"width": 1366, "height": 900})
        desk.goto(site.url + "/stations")
        desk.wait_for_selector("#stations-meeting")
        assert desk.locator("#stations-meeting").inner_text() == meeting
        desk.goto(site.url + "/rankings?level=grid")
        desk.wait_for_selector(".ag-row")
        desk_grids = desk.locator(".ag-center-cols-container .ag-row").evaluate_all(
            "rs => rs.sort((a, b) => a.getAttribute('row-index') - b.getAttribute('row-index'))"
            ".map(r => r.getAttribute('row-id'))")
        assert desk_grids == grids
    finally:
        ctx.close()
    # the town's row on /rankings for a district colleague
    ctx = _context(browser, 1366, 900)
    try:
        page = ctx.new_page()
        sign_in(page, site, "chief", "/rankings?level=town")
        page.wait_for_selector(f".ag-row[row-id='{TOWN}']")
        row = page.evaluate(f"dash_ag_grid.getApi('rankings-grid').getRowNode('{TOWN}').data")
        assert place == f"第 {row['group_rank']} 名"
        assert grade == f"等级 {row['grade'] or '—'}"
        assert bottom == ("末位" if row["bottom"] else "非末位")
        assert page.locator(f".ag-pinned-left-cols-container .ag-row[row-id='{TOWN}'] [col-id=group_rank]"
                            ).inner_text() == row["group_rank"]
    finally:
        ctx.close()
    assert overdue_title.startswith("超期未结案件")


def test_share_link_opens_only_within_scope(browser: Any, site: Site) -> None:
    ctx = _context(browser, 390, 844)
    try:
        page = ctx.new_page()
        sign_in(page, site, "lead", "/m?level=village")
        share = page.locator("#m-share").get_attribute("href")
        assert share is not None and f"unit={TOWN}" in share and "level=village" in share and "date=" in share
        villages = page.locator("#m-rank-list li").evaluate_all("ls => ls.map(l => l.dataset.key)")
    finally:
        ctx.close()
    for user, ok in (("deputy", True), ("chief", True), ("other", False)):
        ctx = _context(browser, 390, 844)
        try:
            page = ctx.new_page()
            page.goto(site.url + share)
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PW)
            with page.expect_navigation() as nav:
                page.click("button[type=submit]")
            status = nav.value.status if nav.value is not None else None
            if ok:
                assert page.locator("#m-rank-list li").evaluate_all("ls => ls.map(l => l.dataset.key)") == villages
            else:
                assert status == 403, status
                assert TOWN_ZH not in page.inner_text("body")
                _check(page, "403 page")
        finally:
            ctx.close()
