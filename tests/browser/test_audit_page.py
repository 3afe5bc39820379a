"""/audit in Chromium (issue 18): the admin filters the log by user and day with the form, pages
through it, and reads details in words. Served by waitress with sign-in on; the log is written with
a pinned clock before the server starts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dashboard.auth.store import UserStore
from tests.browser.conftest import LiveServer, shot, start_server, stop_server
from tests.dashboard.minimal_warehouse import copy_warehouse

PW = "correct horse battery"
BASE = datetime(2026, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai"))  # entry i: i hours later, 130 entries


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, tiny_warehouse: Path) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("audit-live")
    copy_warehouse(tiny_warehouse, root)
    store_path = root / "users.sqlite"
    UserStore(store_path).add_user("root", PW, "admin")
    clock = {"t": 0.0}
    store = UserStore(store_path, now=lambda: clock["t"])
    for i in range(130):
        clock["t"] = BASE.timestamp() + 3600 * i
        who = "ana" if i % 2 else "boss"
        store.audit(who, "export", "cases", {"what": "cases", "rows": i, "masked": True})
    auth = f'[auth]\nstore = "{store_path}"\nsecure_cookies = false\n'
    server = start_server(root / "vitals.duckdb", root / "server.log", auth_toml=auth)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.mark.browser
def test_admin_filters_and_pages_the_audit_log(live: LiveServer, browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    try:
        page.goto(live.url + "/auth/login")
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", PW)
        page.click("button[type=submit]")
        page.wait_for_selector("#shell-nav-links a", timeout=20_000)
        page.goto(live.url + "/audit")
        page.wait_for_selector("#audit-table tbody tr", timeout=20_000)
        assert page.locator("#audit-table tbody tr").count() == 50
        assert "共 132 条" in page.inner_text("#audit-count")  # 130 exports, the admin's creation and sign-in
        # the form: user ana, 2 March (Shanghai): entries 25, 27 ... 47 = 12 exports
        page.select_option("#audit-actor", "ana")
        page.fill("#audit-start", "2026-03-02")
        page.fill("#audit-end", "2026-03-02")
        page.click("#audit-submit")
        page.wait_for_url("**actor=ana**", timeout=20_000)
        page.wait_for_function("() => document.querySelector('#audit-count')"
                               " && document.querySelector('#audit-count').innerText.includes('共 12 条')",
                               timeout=20_000)
        rows = page.locator("#audit-table tbody tr")
        assert rows.count() == 12
        first = rows.nth(0).inner_text()
        assert "2026-03-02 23:00:00" in first and "ana" in first and "行数 47 · 已脱敏 是" in first
        assert "{" not in page.inner_text("#audit-table")
        shot(page, "audit-filtered")
        # paging keeps the filters: all of ana's 65 entries, page 2 holds 15
        page.goto(live.url + "/audit?actor=ana")
        page.wait_for_selector("#audit-next", timeout=20_000)
        page.click("#audit-next")
        page.wait_for_url("**page=2**", timeout=20_000)
        page.wait_for_function("() => document.querySelector('#audit-count')"
                               " && document.querySelector('#audit-count').innerText.includes('第 2 / 2 页')",
                               timeout=20_000)
        assert page.locator("#audit-table tbody tr").count() == 15
    finally:
        ctx.close()
