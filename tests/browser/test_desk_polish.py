"""Issue 18 polish of the desk pages in the browser: what a user sees without scrolling or hovering."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

# the grade and score headers against the visible part of the grid's scrolling columns, and every header
# text whole (AG Grid clips a long header with an ellipsis: "Rank in …")
GRID_JS = """
() => {
  const view = document.querySelector('#rankings-grid .ag-center-cols-viewport').getBoundingClientRect();
  const cell = id => document.querySelector(`#rankings-grid .ag-header-cell[col-id="${id}"]`).getBoundingClientRect();
  const texts = Array.from(document.querySelectorAll('#rankings-grid .ag-header-cell-text'))
    .filter(e => e.checkVisibility())
    .map(e => ({text: e.textContent, over: e.scrollWidth - e.clientWidth, h: e.scrollHeight - e.clientHeight}));
  return {view: {left: view.left, right: view.right}, grade: cell('grade'), score: cell('score_text'), texts};
}
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_rankings_grades_in_view_and_headers_whole(open_page: Any, lang: str, width: int, height: int) -> None:
    page = open_page("/rankings?level=grid" + ("&lang=en" if lang == "en" else ""), width=width, height=height)
    page.wait_for_selector("#rankings-grid .ag-row", timeout=20_000)
    page.wait_for_timeout(300)
    got = page.evaluate(GRID_JS)
    shot(page, f"rankings-columns-{lang}-{width}")
    for col in ("score", "grade"):
        assert got["view"]["left"] - 1 <= got[col]["left"] and got[col]["right"] <= got["view"]["right"] + 1, got
    assert len(got["texts"]) >= 6, got
    clipped = [t for t in got["texts"] if t["over"] > 1]
    assert not clipped, clipped


def test_buttons_use_the_page_font(open_page: Any) -> None:
    """The export and print buttons were drawn in the browser's own control font beside Noto Sans CJK."""
    page = open_page("/rankings?level=town")
    page.wait_for_selector("#rankings-grid .ag-row", timeout=20_000)
    got = page.evaluate("""() => [getComputedStyle(document.body).fontFamily,
      ...Array.from(document.querySelectorAll('button.cv-button')).map(b => getComputedStyle(b).fontFamily)]""")
    assert len(got) >= 3 and set(got[1:]) == {got[0]}, got
