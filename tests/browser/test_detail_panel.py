"""A click on a row of the /cases or /hotline table opens its lifecycle panel in Chromium: the row's id
in the title, the stages, the point on the small map; the close button hides it again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.clock import anchor_day

pytestmark = pytest.mark.browser


def open_first_row(page: Any, page_name: str, table: str) -> str:
    grid = f"[id*='\"type\":\"cv-rows\"'][id*='\"table\":\"{table}\"']"
    # a row with its id: the infinite model first shows a loading row without one
    row = f"{grid} .ag-center-cols-container .ag-row[row-index='0'][row-id]"
    page.wait_for_selector(f"{row} .ag-cell", timeout=30_000)
    row_id = page.get_attribute(row, "row-id")
    assert row_id
    page.click(f"{row} .ag-cell")
    page.wait_for_selector(f"#{page_name}-detail:not([hidden]) .cv-detail-title", timeout=20_000)
    return str(row_id)


@pytest.mark.parametrize(("path", "page_name", "table", "first_stage"), [
    ("/cases", "cases", "cases", "上报"), ("/hotline", "hotline", "hotline_orders", "受理")])
def test_row_click_opens_the_lifecycle_with_its_marker_and_closes(open_page, path, page_name, table,
                                                                  first_stage) -> None:
    page = open_page(f"{path}?date={anchor_day().isoformat()}")  # a month with rows at any hour of the run
    row_id = open_first_row(page, page_name, table)
    panel = f"#{page_name}-detail"
    assert row_id in page.inner_text(f"{panel} .cv-detail-title")
    stages = page.locator(f"{panel} .cv-detail-stage")
    assert stages.count() >= 4 and stages.first.inner_text().startswith(first_stage)
    page.wait_for_selector(f"{panel} path.cv-detail-marker", state="attached", timeout=10_000)
    assert page.locator(f"{panel} path.cv-detail-marker").count() == 1
    shot(page, f"detail-{page_name}")
    page.click(f"#{page_name}-detail-close")
    page.wait_for_selector(panel, state="hidden", timeout=10_000)
