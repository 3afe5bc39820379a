"""The wall's choropleth colours units by open cases per km² in a colour-blind-safe palette (cividis), with a
legend that says so and shows the scale; the markers keep their own legend rows."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from dashboard.screen.model import PALETTE
from tests.browser.conftest import LiveServer, shot
from tests.browser.test_screen import _wait_filled

pytestmark = pytest.mark.browser


def _a_town(live_server: LiveServer) -> str:
    con = duckdb.connect(str(live_server.warehouse), read_only=True)
    try:
        row = con.execute("SELECT unit_code FROM org_unit WHERE level = 'town' ORDER BY unit_code LIMIT 1").fetchone()
    finally:
        con.close()
    assert row
    return str(row[0])


def test_grids_are_coloured_per_km2_with_a_scale_legend(open_page: Any, live_server: LiveServer) -> None:
    page = open_page(f"/screen?kiosk=1&unit={_a_town(live_server)}", wait=None)
    _wait_filled(page)
    fills = page.evaluate("() => [...document.querySelectorAll('.scr-leaflet path.scr-unit')]"
                          ".map(p => (p.getAttribute('fill') || '').toLowerCase())")
    assert len(fills) >= 4, fills  # the town's grids
    assert set(fills) <= set(PALETTE), set(fills) - set(PALETTE)  # only cividis classes
    assert len(set(fills)) >= 2, fills  # grids of different density are told apart
    legend = page.locator("#scr-map-legend")
    assert legend.is_visible()
    assert "每平方公里" in page.inner_text("#scr-map-legend .scr-legend-title")
    swatches = page.evaluate("() => [...document.querySelectorAll('#scr-map-legend .scr-swatch')]"
                             ".map(s => getComputedStyle(s).backgroundColor)")
    assert len(swatches) >= 2 and len(set(swatches)) == len(swatches), swatches
    # the marker kinds keep their own rows under the scale
    assert page.locator("#scr-map-legend .scr-legend-row.is-marker").count() == 4
    shot(page, "screen-choropleth-town")
