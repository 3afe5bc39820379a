"""Which page each registered callback belongs to, and whether a callback request is well formed.

A callback is authorised by what it *outputs*, never by how a request names its inputs: Dash passes
input values to the function by position, so a request that renamed ``pathname`` to ``pathnameX``
still rendered ``/cases`` for a wall token (issue 16). ``CallbackIndex.check`` therefore first
matches the request against the callback as registered — the output key must be one the app
registered, and every output, input and state must name the registered id (or fit its wildcard
pattern) and the registered property, in the registered order — then names the page it acts for:

- a callback defined in ``dashboard/callbacks/<page>.py`` (or a page module) → that page;
- Dash's page router → the page its ``pathname`` input names (matched the way the router matches);
- the shared pattern-matching callbacks (``dashboard/callbacks/pages_shared.py``) → the ``page``
  key of their ids, the same in every id, one of ``SHARED_PAGES``;
- any other module (the shell's language and menu callbacks) → no page: any signed-in role.

The request guard refuses a malformed request with 400 and a page the role may not open with 403.
Pure functions of the registered callbacks and the request body: no Flask here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dashboard.auth.model import SHARED_PAGES, normalise_path

ROUTER_MODULE = "dash.dash"
SHARED_MODULE = "dashboard.callbacks.pages_shared"
PAGE_MODULES = ("dashboard.callbacks.", "dashboard.pages.")
WILDCARDS = (["MATCH"], ["ALL"], ["ALLSMALLER"])
MAX_ITEMS = 500  # concrete ids under one ALL pattern: a page holds a few dozen
Spec = tuple[Any, str]  # (registered id: a string or a pattern dict, property)


class BadCallback(ValueError):
    """A callback request that does not match any registered callback (400), or names a page the
    shared callbacks do not serve (403); the message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Registered:
    outputs: tuple[Spec, ...]
    inputs: tuple[Spec, ...]
    state: tuple[Spec, ...]
    kind: str  # "page", "router", "shared" or "shell"
    page: str | None  # the page path of a "page" callback


@dataclass(frozen=True)
class Verdict:
    """A well-formed request: the page paths it acts for (empty: a shell callback)."""

    pages: tuple[str, ...]
    output: str


def _id(raw: str) -> Any:
    return json.loads(raw) if raw.startswith("{") else raw


def output_specs(key: str) -> tuple[Spec, ...]:
    """``"..a.children...b.data.."`` / ``"a.children@hash"`` → ((id, property), ...)."""
    key = key.split("@", 1)[0]
    parts = key[2:-2].split("...") if key.startswith("..") and key.endswith("..") else [key]
    out = []
    for part in parts:
        cid, _, prop = part.rpartition(".")
        out.append((_id(cid), prop))
    return tuple(out)


def _specs(items: Any) -> tuple[Spec, ...]:
    return tuple((_id(str(i["id"])), str(i["property"])) for i in items or [])


def build_index(callback_map: Mapping[str, Any], page_paths: Mapping[str, str]) -> dict[str, Registered]:
    """Every server-side callback of the app: its registered ids and the page it belongs to.

    ``page_paths`` maps a page module's last name to its path (``cases`` → ``/cases``)."""
    index: dict[str, Registered] = {}
    for key, cb in callback_map.items():
        func = cb.get("callback")
        if func is None:  # clientside: runs in the browser, never posted
            continue
        module = str(getattr(func, "__module__", "") or "")
        kind, page = "shell", None
        if module == ROUTER_MODULE:
            kind = "router"
        elif module == SHARED_MODULE:
            kind = "shared"
        elif module.startswith(PAGE_MODULES):
            page = page_paths.get(module.rsplit(".", 1)[-1])
            # A callback module without a page of its name (a shared helper) fails closed: no role
            # has a page called that, so nobody may call it until it is mapped.
            kind, page = "page", page or "/" + module.rsplit(".", 1)[-1] + "?unmapped"
        index[key] = Registered(output_specs(key), _specs(cb.get("inputs")), _specs(cb.get("state")), kind, page)
    return index


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _id_fits(spec: Any, concrete: Any) -> bool:
    if isinstance(spec, str):
        return bool(concrete == spec)
    if not isinstance(concrete, dict) or set(concrete) != set(spec):
        return False
    for k, v in spec.items():
        if v in WILDCARDS:
            if not _scalar(concrete[k]):
                return False
        elif concrete[k] != v:
            return False
    return True


def _is_pattern(spec_id: Any) -> bool:
    return isinstance(spec_id, dict) and any(v in WILDCARDS for v in spec_id.values())


def _prop(entry: dict[str, Any], what: str) -> Any:
    """An entry's property; an output of an ``allow_duplicate`` callback is sent as ``href@<hash>``."""
    prop = entry.get("property")
    return prop.split("@", 1)[0] if what == "outputs" and isinstance(prop, str) else prop


def _entries(spec: Spec, item: Any, what: str) -> list[dict[str, Any]]:
    """The concrete ``{id, property[, value]}`` entries a request gives for one registered spec."""
    spec_id, prop = spec
    many = isinstance(item, list)
    if many and not _is_pattern(spec_id):
        raise BadCallback(f"{what}: a list for a plain id")
    entries = item if many else [item]
    if len(entries) > MAX_ITEMS:
        raise BadCallback(f"{what}: too many ids")
    for e in entries:
        if not isinstance(e, dict) or _prop(e, what) != prop or not _id_fits(spec_id, e.get("id")):
            raise BadCallback(f"{what}: id or property does not match the callback")
    return entries


def _matched(specs: tuple[Spec, ...], items: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(items, list) or len(items) != len(specs):
        raise BadCallback(f"{what}: expected {len(specs)} item(s)")
    out: list[dict[str, Any]] = []
    for spec, item in zip(specs, items, strict=True):
        out.extend(_entries(spec, item, what))
    return out


def check(index: Mapping[str, Registered], body: Any, page_paths: Mapping[str, str]) -> Verdict:
    """The pages a callback request acts for, or ``BadCallback`` when it matches no registered callback."""
    if not isinstance(body, dict):
        raise BadCallback("body is not a JSON object")
    key = body.get("output")
    if not isinstance(key, str) or key not in index:
        raise BadCallback("unknown callback")
    reg = index[key]
    outputs = body.get("outputs")
    out_items = outputs if len(reg.outputs) > 1 else [outputs]
    # (a property the component does not have yet is sent without "value": not an error)
    entries = _matched(reg.outputs, out_items, "outputs")
    inputs = _matched(reg.inputs, body.get("inputs"), "inputs")
    state = _matched(reg.state, body.get("state", []), "state")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or len(changed) > MAX_ITEMS or not all(isinstance(c, str) for c in changed):
        raise BadCallback("changedPropIds")
    if reg.kind == "page":
        return Verdict((str(reg.page),), key)
    if reg.kind == "router":
        (path,) = [e.get("value") for e in inputs if e.get("property") == "pathname"]
        if not isinstance(path, str):
            raise BadCallback("pathname is not a string")
        return Verdict((router_page(path, page_paths),), key)
    if reg.kind == "shared":
        names = {e["id"].get("page") for e in entries + inputs + state if isinstance(e.get("id"), dict)}
        if len(names) != 1 or not isinstance(page := next(iter(names)), str) or page not in SHARED_PAGES:
            raise BadCallback(f"无此页面 / no such page: {', '.join(sorted(map(str, names)))[:60]}", status=403)
        return Verdict((page_paths.get(page, "/" + page),), key)
    return Verdict((), key)


def router_page(path: str, page_paths: Mapping[str, str]) -> str:
    """The page path Dash's router renders for ``path``: it ignores case and a trailing slash, so
    ``/CASES/`` must be judged as ``/cases``; a path that is no page renders the 404 page."""
    wanted = normalise_path(path).lower()
    for p in page_paths.values():
        if normalise_path(p).lower() == wanted:
            return normalise_path(p)
    return normalise_path(path)
