"""The wall's map keeps its urgent-case and alarm markers above the unit polygons, also after the
polygons are redrawn (a refresh or a drill used to draw the town shapes over the dots), and its
legend names the marker kinds."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.test_screen import _wait_filled

pytestmark = pytest.mark.browser

# For every single marker whose centre is on the map and not under the legend: is the topmost element
# at its centre the marker (or another marker), never a polygon?
ON_TOP_JS = """
() => {
  const map = document.querySelector('.scr-leaflet').getBoundingClientRect();
  const legend = document.querySelector('.scr-legend').getBoundingClientRect();
  const inside = (r, x, y) => x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
  const out = [];
  for (const m of document.querySelectorAll('.scr-leaflet path.scr-marker')) {
    const r = m.getBoundingClientRect();
    const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
    if (!inside(map, x, y) || inside(legend, x, y)) continue;
    const hit = document.elementFromPoint(x, y);
    out.push({top: !!hit && (hit === m || !!hit.closest('.leaflet-marker-pane')),
              hit: hit ? (hit.getAttribute('class') || hit.tagName) : null});
  }
  return out;
}
"""


def _poll(page: Any, js: str, timeout: float = 15.0) -> None:
    """Wait until ``js`` is true (page.wait_for_function evaluates strings, which the CSP forbids)."""
    end = time.monotonic() + timeout
    while not page.evaluate(js):
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {js}")
        page.wait_for_timeout(200)


def test_markers_stay_above_polygons_after_a_redraw(open_page: Any) -> None:
    page = open_page("/screen?kiosk=0", wait=None)
    _wait_filled(page)
    page.wait_for_selector(".scr-leaflet path.scr-marker", timeout=30_000)
    before = page.evaluate(ON_TOP_JS)
    assert before and all(m["top"] for m in before), before
    title = page.inner_text("#scr-map-title")
    # drill into a unit and back: the district's polygons are sent and drawn again
    page.locator(".scr-leaflet path.scr-unit").first.dispatch_event("click")
    _poll(page, f"document.getElementById('scr-map-title').innerText !== {title!r}")
    page.click("#scr-map-back")
    _poll(page, f"document.getElementById('scr-map-title').innerText === {title!r}")
    page.wait_for_selector(".scr-leaflet path.scr-marker", timeout=15_000)
    page.wait_for_timeout(500)
    after = page.evaluate(ON_TOP_JS)
    shot(page, "screen-markers-after-redraw")
    assert len(after) == len(before) and all(m["top"] for m in after), after
    # every marker kind is named in the legend, in the colour the markers use
    legend = page.inner_text("#scr-map-legend") if page.locator("#scr-map-legend").count() else \
        page.inner_text(".scr-legend")
    for word in ("紧急案件", "告警", "预警", "聚合"):
        assert word in legend, legend
    colours = page.evaluate("""() => {
      const fill = (sel) => { const e = document.querySelector(sel); return e && getComputedStyle(e).fill; };
      const bg = (sel) => getComputedStyle(document.querySelector(sel)).backgroundColor;
      return {marker: fill('.scr-leaflet path.scr-marker.is-case'), legend: bg('.scr-legend .scr-dot.is-case')};
    }""")
    assert colours["marker"] in (None, colours["legend"]), colours


def test_kiosk_drill_shows_a_back_control_and_returns_by_itself(open_page: Any) -> None:
    """In kiosk a drilled map has a visible back control and returns to the wall's scope after
    ``drill_return`` seconds (the other panels keep speaking of the whole jurisdiction)."""
    page = open_page("/screen?kiosk=1&drill_return=3", wait=None)
    _wait_filled(page)
    title = page.inner_text("#scr-map-title")
    page.locator(".scr-leaflet path.scr-unit").first.dispatch_event("click")
    _poll(page, f"document.getElementById('scr-map-title').innerText !== {title!r}")
    assert page.locator("#scr-map-back").is_visible()  # kiosk hid it: a click led nowhere back
    shot(page, "screen-kiosk-drilled")
    _poll(page, f"document.getElementById('scr-map-title').innerText === {title!r}", timeout=20.0)
    page.wait_for_timeout(300)
    assert page.locator("#scr-map-back").is_hidden()
