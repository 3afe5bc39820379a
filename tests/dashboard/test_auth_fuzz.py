"""Callback fuzz for every role over every registered callback (issue 16).

For the wall's screen token, a grid analyst, a town analyst, a leader and an admin, every
server-side callback of the app is posted through Flask's dispatch: the well-formed body, then
renamed properties, swapped and foreign ids, foreign and invented page keys, foreign unit codes in
the page state, values of the wrong type, and malformed or oversized bodies. Whatever comes back:

- never a 5xx;
- never data of a unit outside the principal's scope (no code, name or case/order id of such a
  unit in any answer; read from the warehouse independently of the app);
- every refusal (4xx) is in the audit log as ``refused``, with the principal's name.

The counts are printed (``-s``) for the issue's note. Bounded: a few hundred requests per role.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import dash
import duckdb
import pytest

from dashboard.auth.store import UserStore
from tests.dashboard.callback_bodies import body_for
from tests.dashboard.test_auth_app import (  # noqa: F401 - fixtures
    PW,
    Units,
    app,
    store_path,
    town,
    warehouse,
)

CALLBACK = "/_dash-update-component"
FOREIGN_PAGES = ("screen", "audit", "nowhere", "../cases", "")
WRONG_VALUES: tuple[Any, ...] = ({"a": 1}, [1, [2]], "x" * 5000, -1, 1e308, True, "<script>alert(1)</script>")


def _truth(warehouse: Path, scope: str) -> tuple[set[str], set[str]]:  # noqa: F811
    """(codes and names of units outside scope's subtree and lineage, ids of their cases/orders)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        parent = dict(con.execute("SELECT unit_code, parent_code FROM org_unit").fetchall())
        names = dict(con.execute("SELECT unit_code, name_zh FROM org_unit").fetchall())
        inside = {scope}
        changed = True
        while changed:
            new = {c for c, p in parent.items() if p in inside} - inside
            inside |= new
            changed = bool(new)
        up, code = set(), scope
        while code:
            up.add(code)
            code = parent.get(code)
        foreign = set(parent) - inside - up
        ids: set[str] = set()
        for table, key in (("cases", "case_id"), ("hotline_orders", "order_id")):
            ids |= {str(r[0]) for r in con.execute(
                f"SELECT {key} FROM {table} WHERE unit_code IN (SELECT unnest(?::VARCHAR[]))", [sorted(foreign)]
            ).fetchall()}
        markers = {c for c in foreign if len(c) >= 9} | {str(names[c]) for c in foreign if len(str(names[c])) >= 4}
        return markers, ids
    finally:
        con.close()


def _mutations(dash_app: dash.Dash, key: str, foreign_unit: str) -> list[tuple[str, Any]]:
    """(kind, body) pairs for one callback; ``body`` may be a non-dict (malformed)."""
    base = body_for(dash_app, key)
    out: list[tuple[str, Any]] = [("valid", base)]
    flat = [(kind, i) for kind in ("inputs", "state") for i in range(len(base[kind]))]
    for kind, i in flat[:3]:
        b = copy.deepcopy(base)
        item = b[kind][i][0] if isinstance(b[kind][i], list) else b[kind][i]
        item["property"] = item["property"] + "X"
        out.append(("renamed", b))
        b = copy.deepcopy(base)
        item = b[kind][i][0] if isinstance(b[kind][i], list) else b[kind][i]
        item["id"] = "_pages_location" if item["id"] != "_pages_location" else "shell-url"
        out.append(("foreign-id", b))
        for value in WRONG_VALUES:
            b = copy.deepcopy(base)
            item = b[kind][i][0] if isinstance(b[kind][i], list) else b[kind][i]
            item["value"] = value
            out.append(("wrong-type", b))
    if len(base["inputs"]) > 1:
        b = copy.deepcopy(base)
        b["inputs"] = b["inputs"][::-1]
        out.append(("swapped", b))
    text = json.dumps(base)
    if '"page": "cases"' in text:
        for page in FOREIGN_PAGES:
            out.append(("foreign-page", json.loads(text.replace('"page": "cases"', json.dumps({"page": page})[1:-1]))))
        for search in (f"?unit={foreign_unit}", f"?town={foreign_unit}&grid={foreign_unit}", "?unit=' OR 1=1 --"):
            b = json.loads(text)
            for item in b["state"]:
                if isinstance(item, dict) and isinstance(item.get("id"), dict) and item["id"].get("type") == "cv-state":
                    item["value"] = search
            out.append(("foreign-unit", b))
    for path in ("/cases?unit=" + foreign_unit, "/rankings?town=" + foreign_unit):
        if key.startswith(".._pages_content"):
            b = copy.deepcopy(base)
            p, _, q = path.partition("?")
            b["inputs"][0]["value"], b["inputs"][1]["value"] = p, "?" + q
            out.append(("foreign-unit", b))
    out += [("malformed", {**base, "output": key + "X"}), ("malformed", {**base, "inputs": None}),
            ("malformed", {**base, "outputs": []}), ("malformed", [base]), ("malformed", "body"),
            ("malformed", {**base, "changedPropIds": {"x": 1}})]
    return out


ROLES = {"screen": "wall", "grid-analyst": "gridana", "town-analyst": "ana", "leader": "boss", "admin": "root"}


@pytest.fixture
def fuzz_app(app: dash.Dash, store_path: Path, town: Units) -> dash.Dash:  # noqa: F811
    con = duckdb.connect(str(app.server.config["VITALS_SETTINGS"].warehouse), read_only=True)
    try:
        grid = con.execute(f"SELECT min(grid_code) FROM cases WHERE {town.col} = ?", [town[0]]).fetchone()[0]
    finally:
        con.close()
    UserStore(store_path).add_user("gridana", PW, "analyst", str(grid))
    return app


def test_callback_fuzz_every_role(fuzz_app: dash.Dash, store_path: Path, warehouse: Path,  # noqa: F811
                                  town: Units) -> None:  # noqa: F811
    store = UserStore(store_path)
    keys = [k for k, cb in fuzz_app.callback_map.items() if "callback" in cb and "probe" not in k]
    report: dict[str, Counter[str]] = {}
    for role, user in ROLES.items():
        c = fuzz_app.server.test_client()
        if role == "screen":
            _, signed = store.create_token("fuzz-wall")
            assert c.get(f"/screen?token={signed}", follow_redirects=True).status_code == 200
        else:
            assert c.post("/auth/login", data={"username": user, "password": PW}).status_code == 302
        scope = store.get_user(user).scope if role != "screen" else None
        markers, ids = _truth(warehouse, scope) if scope else (set(), set())
        foreign_unit = town[1]
        before = len(store.audit_entries(limit=100_000, action="refused"))
        counts: Counter[str] = Counter()
        for key in keys:
            for kind, body in _mutations(fuzz_app, key, foreign_unit):
                r = c.post(CALLBACK, json=body)
                counts["tried"] += 1
                assert r.status_code < 500, (role, kind, key, r.status_code, r.get_data(as_text=True)[:300])
                if r.status_code >= 400:
                    counts["refused"] += 1
                text = r.get_data(as_text=True)
                if markers or ids:
                    decoded = json.dumps(json.loads(text), ensure_ascii=False) if text.startswith("{") else text
                    # a code the request named may be echoed back in the refusal; its name and rows may not
                    echoed = {foreign_unit} if foreign_unit in json.dumps(body) else set()
                    leaked = [m for m in (markers - echoed) | ids if m in decoded]
                    assert not leaked, (role, kind, key, leaked[:5])
        big = c.post(CALLBACK, data=b'{"output": "' + b"x" * (2 << 20) + b'"}', content_type="application/json")
        counts["tried"] += 1
        assert big.status_code == 413
        counts["refused"] += 1
        entries = store.audit_entries(limit=100_000, action="refused")
        counts["audited"] = len(entries) - before
        expected_actor = "token:" if role == "screen" else user
        assert all(e.actor and e.actor.startswith(expected_actor) for e in entries[:counts["audited"]])
        assert counts["audited"] == counts["refused"], (role, counts)
        report[role] = counts
    print("\ncallback fuzz:", json.dumps({r: dict(c) for r, c in report.items()}, ensure_ascii=False))
    assert all(c["tried"] > 100 and c["refused"] > 20 for c in report.values())
