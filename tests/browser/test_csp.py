"""Every page and every wall view under the app's Content-Security-Policy, in Chromium.

The policy allows scripts from this origin and Dash's own inline scripts by hash only (no
'unsafe-inline', no 'unsafe-eval'). A violation would both break the page and show as a console
error (which ``open_page`` fails on); the ``securitypolicyviolation`` events are collected too, so a
blocked image or style is caught as well."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.screen.config import VIEWS

pytestmark = pytest.mark.browser

HOOK = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""
PAGES = [("/", ".cv-table td"), ("/rankings", ".ag-row"), ("/stations", ".js-plotly-plot"),
         ("/cases?period=day", ".leaflet-container"), ("/cases", ".ag-row"), ("/hotline", ".leaflet-container"),
         ("/sensors", ".js-plotly-plot"), ("/staffing", ".js-plotly-plot"), ("/reports", "h1"), ("/audit", "h1"),
         ("/m", "body")]
WALL = [(f"/screen?kiosk=1&view={v}", ".scr-panel") for v in VIEWS] + [("/screen?mode=emergency", ".scr-panel")]


def _violations(page: Any) -> list[str]:
    page.wait_for_timeout(800)  # late XHR renders (maps, grids) get their chance to trip the policy
    return list(page.evaluate("window.__csp"))


@pytest.mark.parametrize(("path", "ready"), PAGES + WALL)
def test_page_runs_under_the_policy(browser: Any, live_server: Any, path: str, ready: str) -> None:
    ctx = browser.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    try:
        ctx.add_init_script(HOOK)
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        response = page.goto(live_server.url + path, wait_until="load")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self' 'sha256-" in csp and "unsafe-inline' " not in csp.split("style-src")[0]
        page.wait_for_selector(ready, state="attached", timeout=30_000)
        assert _violations(page) == []
        assert errors == []
    finally:
        ctx.close()
