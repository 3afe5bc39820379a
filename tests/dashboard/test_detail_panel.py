"""The row detail panel of /cases and /hotline: the callback called directly on the tiny demo — the
stages it lists with their instants, and personal data masked for a reader without clearance and
shown to one with it, exactly as the row table masks them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import duckdb
import flask
import pytest

from dashboard import access
from dashboard.auth import callback_rules
from dashboard.auth.model import Principal
from dashboard.components import cases_view, detail_view
from dashboard.components.page import rows_page
from metrics.privacy import mask_address, mask_phone
from tests.clock import anchor_day
from tests.dashboard.callback_bodies import body_for
from tests.dashboard.test_pages import find, text

SEARCH = f"?date={anchor_day().isoformat()}"


@pytest.fixture
def raw(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(warehouse / "vitals.duckdb") if warehouse.is_dir() else str(warehouse), read_only=True)
    yield con
    con.close()


def as_reader(app: dash.Dash, clearance: bool) -> None:
    flask.g.setdefault(access.G_PRINCIPAL, Principal("ana", "analyst", None, clearance=clearance))


def open_panel(kind: detail_view.Kind, page: str, row_id: Any, lang: str = "") -> tuple[Any, str]:
    hidden, body = detail_view.detail_update(kind, page, {"type": "cv-rows", "page": page}, {"rowId": row_id},
                                             SEARCH + lang, cases_view.as_of)
    return hidden, text(body)


def stage_rows(body: Any) -> dict[str, str]:
    (table,) = find(body, lambda c: getattr(c, "className", None) == "cv-detail-stages")
    rows = table.children[1].children  # the tbody's rows, in lifecycle order
    return {getattr(r, "data-stage"): getattr(r, "data-state") for r in rows}


def test_case_panel_lists_the_lifecycle_with_instants(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection) -> None:
    as_reader(ctx, clearance=False)
    cid, rep, reg, clo, dl, addr = raw.execute(
        "SELECT case_id, reported_at, registered_at, closed_at, deadline_at, address FROM cases "
        "WHERE closed_at IS NOT NULL AND deadline_at IS NOT NULL AND address IS NOT NULL AND lon IS NOT NULL "
        "AND NOT coalesce(cancelled, false) ORDER BY case_id LIMIT 1").fetchone()
    hidden, body = detail_view.detail_update("cases", "cases", None, {"rowId": cid}, SEARCH, cases_view.as_of)
    assert hidden is False
    shown = text(body)
    assert cid in shown and f"{rep:%Y-%m-%d %H:%M}" in shown and f"{reg:%Y-%m-%d %H:%M}" in shown
    assert f"{clo:%Y-%m-%d %H:%M}" in shown and f"{dl:%Y-%m-%d %H:%M}" in shown
    states = stage_rows(body)
    assert list(states)[:3] == ["reported", "registered", "dispatched"] and list(states)[-2:] == ["disposed", "closed"]
    assert states["closed"] == ("met" if clo <= dl else "late")
    assert mask_address(addr) in shown and (mask_address(addr) == addr or addr not in shown)
    # the marker: one point feature whose tooltip is escaped text
    (geo,) = find(body, lambda c: type(c).__name__ == "GeoJSON" and getattr(c, "pointToLayer", None))
    assert [f["properties"]["tooltip"] for f in geo.data["features"]] == [cid]
    # the same masking as the grid's rows for this reader
    grid_rows, _ = rows_page("cases", SEARCH + "&drill=", 0, 1000, [])
    same = [r for r in grid_rows if r["case_id"] == cid]
    if same:
        assert same[0]["address"] == mask_address(addr)


def test_order_panel_masks_the_phone_for_a_reader_without_clearance(ctx: dash.Dash,
                                                                     raw: duckdb.DuckDBPyConnection) -> None:
    oid, phone, name = raw.execute(
        "SELECT order_id, citizen_phone, citizen_name FROM hotline_orders WHERE citizen_phone IS NOT NULL "
        "AND citizen_name IS NOT NULL ORDER BY order_id LIMIT 1").fetchone()
    assert mask_phone(phone) != phone
    as_reader(ctx, clearance=False)
    hidden, shown = open_panel("hotline_orders", "hotline", oid)
    assert hidden is False and oid in shown
    assert mask_phone(phone) in shown and phone not in shown and name not in shown
    for stage in ("受理", "派遣", "首次联系（答复）", "办结", "回访"):
        assert stage in shown


def test_order_panel_shows_the_phone_to_a_reader_with_clearance(ctx: dash.Dash, raw: duckdb.DuckDBPyConnection
                                                                ) -> None:
    oid, phone, name = raw.execute(
        "SELECT order_id, citizen_phone, citizen_name FROM hotline_orders WHERE citizen_phone IS NOT NULL "
        "AND citizen_name IS NOT NULL ORDER BY order_id LIMIT 1").fetchone()
    as_reader(ctx, clearance=True)
    _, shown = open_panel("hotline_orders", "hotline", oid, "&lang=en")
    assert phone in shown and name in shown and "Received" in shown and "Closed" in shown


def test_close_hides_and_junk_ids_say_not_found(ctx: dash.Dash) -> None:
    as_reader(ctx, clearance=False)
    assert detail_view.detail_update("cases", "cases", "cases-detail-close", {"rowId": "x"}, SEARCH,
                                     cases_view.as_of) == (True, None)
    for junk in ("no-such-case", 42, "x" * 500, "' OR 1=1 --"):
        hidden, shown = open_panel("cases", "cases", junk)
        assert hidden is False and "未找到该记录" in shown


def test_both_pages_register_the_callback_authorised_for_their_page(app: dash.Dash) -> None:
    pages = {str(p["module"]).rsplit(".", 1)[-1]: str(p["path"]) for p in dash.page_registry.values()}
    index = callback_rules.build_index(app.callback_map, pages)
    for page in ("cases", "hotline"):
        (key,) = [k for k in app.callback_map if f"{page}-detail.hidden" in k]
        assert f"{page}-detail-body.children" in key
        # the request guard judges it by its outputs: a role that may not open the page is refused
        verdict = callback_rules.check(index, body_for(app, key, page), pages)
        assert verdict.pages == (f"/{page}",)
