"""Well-formed ``/_dash-update-component`` bodies for any registered callback, built from the
app's own callback map (what the browser would post), for the access and fuzz tests."""

from __future__ import annotations

import json
from typing import Any

import dash

from dashboard.auth.callback_rules import WILDCARDS, output_specs


def concrete_id(spec_id: Any, page: str) -> Any:
    """A registered id with its wildcards filled: ``page`` for the page key, ``"x"`` elsewhere."""
    if isinstance(spec_id, str) and spec_id.startswith("{"):
        spec_id = json.loads(spec_id)
    if not isinstance(spec_id, dict):
        return spec_id
    return {k: ((page if k == "page" else "x") if v in WILDCARDS else v) for k, v in spec_id.items()}


def _many(spec_id: Any) -> bool:
    if isinstance(spec_id, str) and spec_id.startswith("{"):
        spec_id = json.loads(spec_id)
    return isinstance(spec_id, dict) and any(v in (["ALL"], ["ALLSMALLER"]) for v in spec_id.values())


def _item(spec_id: Any, prop: str, page: str, value: Any, with_value: bool) -> Any:
    entry: dict[str, Any] = {"id": concrete_id(spec_id, page), "property": prop}
    if with_value:
        entry["value"] = value
    return [entry] if _many(spec_id) else entry


def body_for(app: dash.Dash, key: str, page: str = "cases", values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body for callback ``key``; ``values`` by ``"id.property"`` of plain ids (else None)."""
    cb = app.callback_map[key]
    values = values or {}

    def items(kind: str) -> list[Any]:
        return [_item(i["id"], i["property"], page, values.get(f"{i['id']}.{i['property']}"), True)
                for i in cb.get(kind, [])]

    outs = [_item(i, p, page, None, False) for i, p in output_specs(key)]
    first = cb["inputs"][0] if cb.get("inputs") else None
    return {"output": key, "outputs": outs if key.startswith("..") else outs[0], "inputs": items("inputs"),
            "state": items("state"),
            "changedPropIds": [f"{first['id']}.{first['property']}"] if first and not _many(first["id"]) else []}
