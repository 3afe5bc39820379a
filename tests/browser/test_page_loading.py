"""A filter change shows a loading overlay over the dimmed old page until the new one is drawn
(issue #18: old charts used to stand for seconds as if current), in the page's language."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

# records what the loading note said each time the router's output was marked loading and drawn
WATCH_JS = """
() => {
  window.__cvLoading = [];
  const box = document.getElementById('_pages_content');
  const look = () => {
    if (box.getAttribute('data-dash-is-loading') !== 'true') return;
    const block = document.querySelector('#rankings-grid');
    const page = block && block.closest('#_pages_content > *');
    window.__cvLoading.push([getComputedStyle(box, '::before').content,
                             page ? parseFloat(getComputedStyle(page).opacity) : 1]);
  };
  new MutationObserver(look).observe(box, {attributes: true});
  window.__cvPoll = setInterval(look, 50);
}
"""
LOADING = "#_pages_content[data-dash-is-loading=true]"
# the opacity of the page block holding the grid (the router's output's child)
PAGE_OPACITY = "getComputedStyle(document.querySelector('#rankings-grid').closest('#_pages_content > *')).opacity"


@pytest.mark.parametrize(("lang", "word"), [("zh", "加载中…"), ("en", "Loading…")])
def test_filter_change_shows_loading_then_the_new_page(open_page: Any, lang: str, word: str) -> None:
    page = open_page("/rankings?level=grid" + ("&lang=en" if lang == "en" else ""))
    page.wait_for_selector("#rankings-grid .ag-row", timeout=20_000)
    assert page.locator(LOADING).count() == 0  # nothing pending: no note
    page.evaluate(WATCH_JS)
    # a slow network (800 ms each way) so the redraw outlasts the note's 250 ms show delay
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.emulateNetworkConditions",
             {"offline": False, "latency": 800, "downloadThroughput": -1, "uploadThroughput": -1})
    box = page.locator(".cv-filter-bar input[type=number]").first
    box.fill("1")
    box.press("Enter")
    page.wait_for_selector(LOADING, state="attached", timeout=10_000)
    page.wait_for_timeout(500)  # past the show delay: the old page dimmed, the note drawn
    shot(page, f"pages-loading-{lang}")
    for _ in range(100):
        if "bottom=1" in page.url and page.locator(LOADING).count() == 0:
            break
        page.wait_for_timeout(200)
    assert "bottom=1" in page.url
    assert page.locator(LOADING).count() == 0  # gone once the page is drawn
    seen = page.evaluate("window.__cvLoading")  # [note, opacity of the old page] while loading
    assert seen and all(note == f'"{word}"' for note, _ in seen), seen
    assert min(o for _, o in seen) < 0.6, seen  # the old page was dimmed while it stood
    undimmed = page.evaluate(PAGE_OPACITY)
    assert float(undimmed) == 1.0
    assert page.locator("#rankings-grid .ag-row").count() > 0
