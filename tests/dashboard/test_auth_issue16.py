"""Regression tests for the defects measured in issue 16 (each fails on the code before the fix).

1. stored XSS in map tooltips → ``test_markup.py``; here: the CSP and the wall token leaving the URL.
2. the page rule bypassed by renaming ``pathname`` → refused, audited, nothing of /cases returned.
3. the data-status page ``/`` ignored the unit scope → a scoped analyst sees their units' totals.
4. CSV formula injection → ``test_export_formulas.py``.
5. lesser: refusals audited; logout only by same-site POST; ``/auth/loginX`` not public;
   ``/_dash-component-suites/../x`` no 500; malformed grid row requests 400; ``vitals users add
   --scope`` refuses a code that is no unit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import dash
import duckdb
import pytest
from typer.testing import CliRunner

from dashboard.auth import cli as users_cli
from dashboard.auth.store import UserStore
from tests.dashboard.callback_bodies import body_for
from tests.dashboard.test_access_roles import _rows_body
from tests.dashboard.test_auth_app import (  # noqa: F401 - fixtures
    PW,
    Units,
    app,
    client_for,
    store_path,
    town,
    warehouse,
)
from tests.dashboard.test_markup import ROUTER

CALLBACK = "/_dash-update-component"
CASE_ID = re.compile(r"fx:\d+")


def _router(path: str, prop: str = "pathname", search: str = "") -> dict[str, Any]:
    return {"output": ROUTER, "outputs": [{"id": "_pages_content", "property": "children"},
                                         {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": prop, "value": path},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": [f"_pages_location.{prop}"], "state": []}


def _wall(app: dash.Dash, store_path: Path) -> Any:  # noqa: F811
    _, signed = UserStore(store_path).create_token("大厅主屏")
    c = app.server.test_client()
    assert c.get(f"/screen?token={signed}", follow_redirects=True).status_code == 200
    return c


def _refusals(store_path: Path) -> list[Any]:  # noqa: F811
    return UserStore(store_path).audit_entries(action="refused")


# -- defect 2 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("prop", ["pathnameX", "PATHNAME", "search", "hash"])
def test_renamed_pathname_property_is_refused(app: dash.Dash, store_path: Path, prop: str) -> None:  # noqa: F811
    c = _wall(app, store_path)
    r = c.post(CALLBACK, json=_router("/cases", prop=prop))
    assert r.status_code == 400, r.text[:200]
    assert not CASE_ID.search(r.text)
    entry = _refusals(store_path)[0]
    assert entry.actor.startswith("token:") and entry.detail["status"] == 400 and entry.detail["output"] == ROUTER


@pytest.mark.parametrize("path", ["/cases", "/CASES/", "//cases", "/", "/rankings", "/audit"])
def test_wall_cannot_render_another_page_by_any_spelling(app: dash.Dash, store_path: Path, path: str) -> None:  # noqa: F811
    c = _wall(app, store_path)
    r = c.post(CALLBACK, json=_router(path))
    assert r.status_code == 403 and not CASE_ID.search(r.text)
    assert _refusals(store_path)[0].detail["status"] == 403
    assert c.post(CALLBACK, json=_router("/screen")).status_code == 200


def test_unknown_callback_and_swapped_ids_are_400_not_500(app: dash.Dash) -> None:  # noqa: F811
    c = client_for(app, "root")
    assert c.post(CALLBACK, json={**_router("/cases"), "output": "nope.children"}).status_code == 400
    swapped = _router("/cases")
    swapped["inputs"] = swapped["inputs"][::-1]
    assert c.post(CALLBACK, json=swapped).status_code == 400
    assert c.post(CALLBACK, json=[1, 2]).status_code == 400
    assert c.post(CALLBACK, data="{not json", content_type="application/json").status_code == 400
    assert c.post(CALLBACK, json=_router("/cases")).status_code == 200


def test_allow_duplicate_output_is_sent_with_its_hash_and_accepted(app: dash.Dash) -> None:  # noqa: F811
    """Dash's renderer names an ``allow_duplicate`` output ``href@<hash>``: a real figure click."""
    c = client_for(app, "boss")
    key = next(k for k, cb in app.callback_map.items() if "callback" in cb and "@" in k and "MATCH" in k)
    body = body_for(app, key, "hotline")
    body["outputs"]["property"] += "@" + key.split("@", 1)[1]
    assert c.post(CALLBACK, json=body).status_code != 400
    body["outputs"]["property"] = "hrefX@" + key.split("@", 1)[1]
    assert c.post(CALLBACK, json=body).status_code == 400


# -- defect 3 -------------------------------------------------------------------------------------
def test_data_status_page_counts_only_the_scope(app: dash.Dash, warehouse: Path, town: Units) -> None:  # noqa: F811
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        own = con.execute(f"SELECT count(*) FROM cases WHERE {town.col} = ?", [town[0]]).fetchone()[0]
        total = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        con.close()
    assert 0 < own < total

    def home(user: str) -> str:
        c = client_for(app, user)
        key = next(k for k in app.callback_map if k.startswith("home-content"))
        cb = app.callback_map[key]
        body = {"output": key, "outputs": {"id": "home-content", "property": "children"},
                "inputs": [{**i, "value": 1} for i in cb["inputs"]],
                "state": [{**s, "value": "zh"} for s in cb["state"]], "changedPropIds": []}
        r = c.post(CALLBACK, json=body)
        assert r.status_code == 200, r.text[:300]
        return json.dumps(r.get_json(), ensure_ascii=False)

    scoped, whole = home("ana"), home("boss")
    assert f"{own:,}" in scoped and f"{total:,}" not in scoped
    assert f"{total:,}" in whole
    assert "仅对全区账号显示" in scoped and "仅对全区账号显示" not in whole  # the district-wide load log


# -- defect 1 (transport side) ----------------------------------------------------------------------
def test_content_security_policy_allows_no_inline_script(app: dash.Dash) -> None:  # noqa: F811
    c = client_for(app, "root")
    r = c.get("/cases")
    csp = r.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    # every inline script of the served page is allowed by hash, and nothing else inline
    hashes = set(app.csp_hashes())
    assert hashes and all(re.fullmatch(r"'sha256-[A-Za-z0-9+/=]+'", h) for h in directives["script-src"][1:])
    assert hashes == set(directives["script-src"][1:])
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"


def test_wall_token_leaves_the_url_for_an_httponly_cookie(app: dash.Dash, store_path: Path) -> None:  # noqa: F811
    _, signed = UserStore(store_path).create_token("大厅主屏")
    c = app.server.test_client()
    r = c.get(f"/screen?token={signed}&kiosk=1")
    assert r.status_code == 303 and r.headers["Location"] == "/screen?kiosk=1"
    assert "HttpOnly" in r.headers["Set-Cookie"]
    page = c.get(r.headers["Location"])
    assert page.status_code == 200 and signed not in page.text


# -- lesser ---------------------------------------------------------------------------------------
def test_refused_export_foreign_page_and_csrf_are_audited(app: dash.Dash, store_path: Path) -> None:  # noqa: F811
    wall = _wall(app, store_path)
    key = next(k for k in app.callback_map if k.startswith("rankings-download"))
    cb = app.callback_map[key]
    body = {"output": key, "outputs": {"id": "rankings-download", "property": "data"},
            "inputs": [{**i, "value": 1} for i in cb["inputs"]],
            "state": [{"id": {"type": "cv-state", "page": "rankings"}, "property": "data", "value": ""}],
            "changedPropIds": ["rankings-csv.n_clicks"]}
    assert wall.post(CALLBACK, json=body).status_code == 403  # a page the wall may not open
    ana = client_for(app, "ana")
    r = ana.post(CALLBACK, json={**body, "state": [{**body["state"][0], "value": "?unit=999999999999"}]})
    assert r.status_code in (400, 403)  # another unit's export: refused inside the callback
    assert ana.post(CALLBACK, json=body, headers={"Origin": "http://evil.example"}).status_code == 403
    entries = _refusals(store_path)
    assert [e.detail["status"] for e in entries[:3]] == [403, r.status_code, 403]
    assert entries[0].detail["reason"].startswith("跨站") and entries[2].actor.startswith("token:")
    assert client_for(app, "ana").get("/cases").status_code == 200
    assert client_for(app, "wall").get("/cases").status_code == 302  # the wall goes back to /screen
    assert _refusals(store_path)[0].target == "/cases"


def test_logout_only_by_same_site_post(app: dash.Dash) -> None:  # noqa: F811
    c = client_for(app, "boss")
    assert c.get("/auth/logout").status_code == 200 and c.get("/auth/me").status_code == 200
    r = c.post("/auth/logout", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and c.get("/auth/me").status_code == 200
    r = c.post("/auth/logout", headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and c.get("/auth/me").status_code == 200
    c.post("/auth/logout", headers={"Sec-Fetch-Site": "same-origin"})
    assert c.get("/auth/me").status_code == 401


@pytest.mark.parametrize("path", ["/auth/loginX", "/auth/login/../cases", "/auth/loginfoo/bar", "/_favicon.icoX"])
def test_public_routes_are_matched_exactly(app: dash.Dash, path: str) -> None:  # noqa: F811
    r = app.server.test_client().get(path)
    assert r.status_code in (302, 401, 404) and "_dash-config" not in r.text


@pytest.mark.parametrize("path", ["/_dash-component-suites/../x", "/_dash-component-suites/dash/../../etc/passwd",
                                  "/_dash-component-suites/dash/..%2f..%2fx", "/assets/../pyproject.toml"])
def test_dot_segments_in_static_paths_are_no_500(app: dash.Dash, path: str) -> None:  # noqa: F811
    r = app.server.test_client().get(path)
    assert r.status_code < 500 and "[project]" not in r.text


MALFORMED_ROWS: list[Any] = [
    {"startRow": "abc", "endRow": 100}, {"startRow": 0, "endRow": "z"}, {"startRow": None, "endRow": None},
    {"startRow": 0, "endRow": 100, "sortModel": [{}]}, {"startRow": 0, "endRow": 100, "sortModel": "x"},
    {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "x';DROP", "sort": "sideways"}]},
    {"startRow": -5, "endRow": 10 ** 12}, [1, 2, 3], "rows", {"startRow": {"a": 1}, "endRow": [1]},
]


@pytest.mark.parametrize("request_value", MALFORMED_ROWS)
def test_malformed_grid_row_requests_are_400_not_500(app: dash.Dash, request_value: Any) -> None:  # noqa: F811
    body = _rows_body(app, "cases")
    body["inputs"][0][0]["value"] = request_value
    r = client_for(app, "boss").post(CALLBACK, json=body)
    assert r.status_code in (200, 204, 400), (request_value, r.status_code, r.text[:200])


def test_users_add_refuses_a_scope_that_is_no_unit(warehouse: Path, tmp_path: Path,  # noqa: F811
                                                  monkeypatch: pytest.MonkeyPatch, town: Units) -> None:  # noqa: F811
    monkeypatch.setenv("VITALS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("VITALS_PASSWORD", PW)
    store = tmp_path / "u.sqlite"
    runner = CliRunner()
    bad = runner.invoke(users_cli.app, ["add", "eve", "--role", "analyst", "--scope", "999999999999",
                                        "--store", str(store)])
    assert bad.exit_code == 1 and "no unit" in bad.output
    assert UserStore(store).get_user("eve") is None
    ok = runner.invoke(users_cli.app, ["add", "amy", "--role", "analyst", "--scope", town[0], "--store", str(store)])
    assert ok.exit_code == 0, ok.output
    token = runner.invoke(users_cli.app, ["token", "create", "wall", "--scope", "x' OR 1=1", "--store", str(store)])
    assert token.exit_code == 1
