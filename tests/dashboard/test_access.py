from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import dash
import flask
import pandas as pd
import pytest

from dashboard import access
from dashboard.auth import guard
from dashboard.auth.config import AuthConfig
from dashboard.auth.model import SYSTEM, Principal
from etl.settings import Settings
from metrics.query import Period, Query

# D ─┬─ T1 ── G1 ── V1
#    └─ T2 ── G2
PARENT = {"T1": "D", "T2": "D", "G1": "T1", "V1": "G1", "G2": "T2"}


class FakeUnits:
    def lineage(self, code: str) -> tuple[str, ...]:
        out = [code]
        while out[-1] in PARENT:
            out.append(PARENT[out[-1]])
        return tuple(out)

    def subtree(self, code: str) -> frozenset[str]:
        return frozenset(u for u in ["D", *PARENT] if code in self.lineage(u))


@pytest.fixture
def app(tmp_path: Path) -> dash.Dash:
    app = dash.Dash(__name__)
    guard.install(app, Settings(warehouse=tmp_path / "w.duckdb"), units=FakeUnits(),
                  config=AuthConfig(store=tmp_path / "users.sqlite"))
    return app


def as_principal(app: dash.Dash, p: Principal) -> Any:
    ctx = app.server.test_request_context("/")
    ctx.push()
    flask.g.setdefault(access.G_PRINCIPAL, p)
    return ctx


Q = Query(Period.containing("month", date(2026, 10, 1)))
TOWN = Principal("ana", "analyst", "T1")


def test_outside_a_request_the_operator_sees_everything() -> None:
    assert access.current_principal() is SYSTEM
    assert access.scoped(Q) == Q


def test_a_guarded_request_without_principal_is_refused(app: dash.Dash) -> None:
    with app.server.test_request_context("/"):
        flask.g.setdefault(access.G_GUARDED, True)
        with pytest.raises(access.AccessDenied):
            access.scoped(Q)


@pytest.mark.parametrize(
    ("asked", "got"),
    [(None, "T1"), ("D", "T1"), ("T1", "T1"), ("G1", "G1"), ("V1", "V1")],
)
def test_scope_is_clamped_to_the_subtree(app: dash.Dash, asked: str | None, got: str) -> None:
    ctx = as_principal(app, TOWN)
    try:
        assert access.scoped(Query(Q.period, unit=asked)).unit == got
    finally:
        ctx.pop()


@pytest.mark.parametrize("asked", ["T2", "G2", "nowhere", "T1' OR '1'='1", "<script>alert(1)</script>"])
def test_other_units_are_refused_with_a_message(app: dash.Dash, asked: str) -> None:
    ctx = as_principal(app, TOWN)
    try:
        with pytest.raises(access.OutOfScope, match="outside your scope"):
            access.scoped(Query(Q.period, unit=asked))
    finally:
        ctx.pop()


def test_full_scope_user_passes_queries_unchanged(app: dash.Dash) -> None:
    ctx = as_principal(app, Principal("boss", "leader", None))
    try:
        assert access.scoped(Query(Q.period, unit="T2")).unit == "T2"
    finally:
        ctx.pop()


ROWS = pd.DataFrame(
    {
        "order_id": ["a", "b", "c"],
        "district_code": ["D", "D", "D"],
        "town_code": ["T1", "T2", "T1"],
        "citizen_name": ["张三", "李四", "王五"],
        "citizen_phone": ["13812345678", "13912345678", "13712345678"],
        "content": ["电话13812345678", "x", "y"],
    }
)


def test_rows_of_other_units_are_dropped_and_personal_data_masked(app: dash.Dash) -> None:
    ctx = as_principal(app, TOWN)
    try:
        out = access.mask_rows(ROWS)
    finally:
        ctx.pop()
    assert list(out["order_id"]) == ["a", "c"]
    assert list(out["citizen_name"]) == ["张*", "王*"]
    assert out.iloc[0]["content"] == "电话138****5678"


def test_rows_with_only_unit_code_are_filtered_through_the_subtree(app: dash.Dash) -> None:
    rows = pd.DataFrame({"unit_code": ["G1", "G2", "V1"], "n": [1, 2, 3]})
    ctx = as_principal(app, TOWN)
    try:
        assert list(access.mask_rows(rows)["unit_code"]) == ["G1", "V1"]
    finally:
        ctx.pop()


def test_clearance_sees_names_but_still_only_its_scope(app: dash.Dash) -> None:
    ctx = as_principal(app, Principal("ana", "analyst", "T1", clearance=True))
    try:
        out = access.mask_rows(ROWS)
    finally:
        ctx.pop()
    assert list(out["citizen_name"]) == ["张三", "王五"]


def test_screen_role_is_never_cleared() -> None:
    assert Principal("wall", "screen", None, clearance=True).clearance is False


def test_exports_are_masked_and_audited(app: dash.Dash) -> None:
    ctx = as_principal(app, TOWN)
    try:
        out = access.export_rows(ROWS, "hotline_orders", Query(Q.period, unit="T1"), {"category": "噪音"})
    finally:
        ctx.pop()
    assert len(out) == 2 and "张三" not in set(out["citizen_name"])
    store = app.server.extensions[access.EXTENSION].store
    entry = store.audit_entries(1)[0]
    assert (entry.actor, entry.action, entry.target) == ("ana", "export", "hotline_orders")
    assert entry.detail["rows"] == 2 and entry.detail["masked"] is True
    assert entry.detail["query"]["unit"] == "T1" and entry.detail["filters"] == {"category": "噪音"}


def test_screen_cannot_export(app: dash.Dash) -> None:
    ctx = as_principal(app, Principal("wall", "screen", None))
    try:
        with pytest.raises(access.AccessDenied):
            access.export_rows(ROWS, "hotline_orders")
    finally:
        ctx.pop()
