"""/reports and its downloads through the real app with sign-in on: each role and scope sees and
downloads exactly the briefings of its subtree, the wall none, and every download is audited.
The archive is written with the archive API (placeholder bytes): printing is tested in test_reports."""

from __future__ import annotations

import json
from pathlib import Path

import dash
import duckdb
import pytest

from dashboard.app import create_app
from dashboard.auth.store import UserStore
from dashboard.reports import archive
from tests.clock import pinned_settings
from tests.dashboard.test_auth_app import PW, _router_body, client_for


def _entry(kind: str, scope: str, name: str, label: str) -> archive.Entry:
    return archive.Entry(kind, scope, name, label, f"{label} 周期", "2026-11-01", "2026-12-01", "2026-12-03T10:00:00",
                         "2026-12-03T09:55:00", (f"{name}的摘要",))


@pytest.fixture(scope="module")
def warehouse(tiny_warehouse: Path) -> Path:
    return tiny_warehouse


@pytest.fixture(scope="module")
def units(warehouse: Path) -> tuple[str, str, str]:
    """(a 街镇, two of its grids)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        town, = con.execute("SELECT unit_code FROM org_unit WHERE level = 'town' ORDER BY 1 LIMIT 1").fetchone()
        grids = [r[0] for r in con.execute("SELECT unit_code FROM org_unit WHERE level = 'grid' AND parent_code = ?"
                                           " ORDER BY 1 LIMIT 2", [town]).fetchall()]
    finally:
        con.close()
    return str(town), str(grids[0]), str(grids[1])


@pytest.fixture
def app(warehouse: Path, units: tuple[str, str, str], tmp_path: Path) -> dash.Dash:
    town, g1, g2 = units
    store = tmp_path / "users.sqlite"
    settings = pinned_settings(warehouse, sections={
        "auth": {"store": str(store), "secure_cookies": False}, "reports": {"dir": str(tmp_path / "reports")}})
    root = archive.root_of(settings)
    for e in (_entry("monthly", town, "镇A", "2026-11"), _entry("monthly", "", "全区B", "2026-11"),
              _entry("weekly", g1, "网格C", "2026-W47")):
        archive.write_files(root, e, {"pdf": f"%PDF {e.scope_name}".encode(), "xlsx": b"PK xlsx"})
        archive.record(root, e)
    app = create_app(settings)
    users = UserStore(store)
    users.add_user("wall", PW, "screen")
    users.add_user("boss", PW, "leader")
    users.add_user("ana", PW, "analyst", town)
    users.add_user("other", PW, "analyst", g2)
    return app


def _listed(app: dash.Dash, user: str) -> set[str]:
    r = client_for(app, user).post("/_dash-update-component", json=_router_body(app, "/reports"))
    assert r.status_code == 200, r.text
    text = json.dumps(r.get_json(), ensure_ascii=False)
    return {n for n in ("镇A", "全区B", "网格C") if n in text}


def test_each_scope_lists_its_subtree(app: dash.Dash) -> None:
    assert _listed(app, "boss") == {"镇A", "全区B", "网格C"}
    assert _listed(app, "ana") == {"镇A", "网格C"}  # not the whole warehouse's
    assert _listed(app, "other") == set()  # another grid: neither its 街镇's nor a sibling's


def test_downloads_follow_the_same_rules_and_are_audited(app: dash.Dash, units: tuple[str, str, str],
                                                         tmp_path: Path) -> None:
    town, g1, _ = units
    boss = client_for(app, "boss")
    r = boss.get(f"/reports/file/{town}/monthly-2026-11.pdf")
    assert r.status_code == 200 and r.data == "%PDF 镇A".encode()
    assert r.mimetype == "application/pdf" and "attachment" in r.headers["Content-Disposition"]
    assert boss.get("/reports/file/all/monthly-2026-11.xlsx").data == b"PK xlsx"
    ana = client_for(app, "ana")
    assert ana.get(f"/reports/file/{g1}/weekly-2026-W47.pdf").status_code == 200
    assert ana.get("/reports/file/all/monthly-2026-11.pdf").status_code == 404
    other = client_for(app, "other")
    assert other.get(f"/reports/file/{town}/monthly-2026-11.pdf").status_code == 404
    assert other.get(f"/reports/file/{g1}/weekly-2026-W47.pdf").status_code == 404
    # nothing outside the index is served, whatever the URL says
    for bad in ("monthly-2026-11.exe", "monthly-2026-12.pdf", "monthly-2026-11.pdf.part"):
        assert boss.get(f"/reports/file/{town}/{bad}").status_code == 404, bad
    for path in (f"/reports/file/{town}/../../users.sqlite", "/reports/file/../index.json",
                 f"/reports/file/{town}/..%2Findex.json"):
        r = boss.get(path)  # normalised away from the route: Dash's page shell at most, never the file
        assert b"SQLite format" not in r.data and b'"reports"' not in r.data
    wall = client_for(app, "wall")
    assert wall.get("/reports").status_code == 302  # the wall sees only /screen
    assert wall.get(f"/reports/file/{town}/monthly-2026-11.pdf").status_code == 403
    assert app.server.test_client().get(f"/reports/file/{town}/monthly-2026-11.pdf").status_code == 302  # sign in
    store = UserStore(tmp_path / "users.sqlite")
    exports = [(e.actor, e.target) for e in store.audit_entries(action="export")]
    assert sorted(exports) == sorted([("boss", "report.pdf"), ("boss", "report.xlsx"), ("ana", "report.pdf")])
