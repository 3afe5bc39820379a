"""A filter change shows a loading overlay over the dimmed old page until the new one is drawn
(issue #18: old charts used to stand for seconds as if current), in the page's language."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

# records whether the overlay was ever shown, and what it said
WATCH_JS = """
() => {
  window.__cvLoading = [];
  new MutationObserver(() => {
    const el = document.querySelector('.cv-loading');
    if (el && el.getBoundingClientRect().width > 0) window.__cvLoading.push(el.innerText.trim());
  }).observe(document.body, {subtree: true, childList: true, attributes: true});
}
"""


@pytest.mark.parametrize(("lang", "word"), [("zh", "加载中…"), ("en", "Loading…")])
def test_filter_change_shows_loading_then_the_new_page(open_page: Any, lang: str, word: str) -> None:
    page = open_page("/rankings?level=grid" + ("&lang=en" if lang == "en" else ""))
    page.wait_for_selector("#rankings-grid .ag-row", timeout=20_000)
    assert page.locator(".cv-loading").count() == 0  # nothing pending: no overlay
    page.evaluate(WATCH_JS)
    # a slow network (800 ms each way) so the redraw outlasts the overlay's 250 ms show delay
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 800, "downloadThroughput": -1, "uploadThroughput": -1})
    box = page.locator(".cv-filter-bar input[type=number]").first
    box.fill("1")
    box.press("Enter")
    page.wait_for_selector(".cv-loading", timeout=10_000)
    shot(page, f"pages-loading-{lang}")
    for _ in range(100):
        if "bottom=1" in page.url and page.locator(".cv-loading").count() == 0:
            break
        page.wait_for_timeout(200)
    assert "bottom=1" in page.url
    assert page.locator(".cv-loading").count() == 0  # gone once the page is drawn
    seen = page.evaluate("window.__cvLoading")
    assert seen and all(s == word for s in seen), seen
    assert page.locator("#rankings-grid .ag-row").count() > 0
