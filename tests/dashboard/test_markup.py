"""No loaded text reaches an HTML-rendering property unescaped (issue 16, defect 1).

Leaflet binds a GeoJSON feature's ``tooltip`` / ``popup`` property as HTML. The warehouse here has
hostile text in unit names, case categories, hotline categories and addresses and sensor types;
every page with a map (and the wall's map callback) is rendered through Flask's dispatch, and every
``tooltip`` / ``popup`` string anywhere in the answers is parsed as HTML: it may hold only the wall
tooltip's own table markup, never an element or attribute that came from data, and the hostile
text must come back as typed once the escaping is undone (so the data did reach the tooltips).
On main before the fix, the case points, the hotspot map and the wall's unit and marker tooltips
carried ``<img src=x onerror=...>`` raw.
"""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import dash
import duckdb
import pytest

from dashboard.app import create_app
from dashboard.components import markup
from tests.clock import pinned_settings
from tests.dashboard.minimal_warehouse import copy_warehouse, publish

HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script>&amp;\"'"
# The markup the wall's unit tooltip is built from (dashboard/screen/panels.py unit_tooltip).
OWN_TAGS = {"div", "b", "table", "tr", "td"}
ROUTER = ".._pages_content.children..._pages_store.data.."


def _poison(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE org_unit SET name_zh = ? || unit_code, name_en = ? || unit_code", [HOSTILE, HOSTILE])
    con.execute("UPDATE cases SET category_code = ? || category_code", [HOSTILE])
    con.execute("UPDATE case_category SET category_code = ? || category_code", [HOSTILE])
    con.execute("UPDATE hotline_orders SET category = ?, address = ?", [HOSTILE + "市容", HOSTILE + "路1号"])
    con.execute("UPDATE sensors SET sensor_type = ? || sensor_type, name = ? || name", [HOSTILE, HOSTILE])


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, tiny_warehouse: Path) -> dash.Dash:
    root = tmp_path_factory.mktemp("hostile-markup")
    copy_warehouse(tiny_warehouse, root)
    with pytest.MonkeyPatch.context() as mp:  # a page test: auth off (the demo principal)
        mp.setenv("VITALS_AUTH", "off")
        return create_app(pinned_settings(publish(root, _poison)))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _html_strings(node: Any, out: list[str]) -> None:
    """Every string held under a ``tooltip`` / ``popup`` key anywhere in a JSON answer."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in markup.HTML_PROPERTIES:
                out.extend(v if isinstance(v, list) else [v])
            else:
                _html_strings(v, out)
    elif isinstance(node, list):
        for v in node:
            _html_strings(v, out)


def assert_inert(strings: list[str]) -> None:
    for s in strings:
        parser = _Tags()
        parser.feed(str(s))
        for tag, attrs in parser.tags:
            assert tag in OWN_TAGS, f"data became a <{tag}> element in a tooltip: {s[:200]!r}"
            assert all(name == "class" for name, _ in attrs), f"data became an attribute: {s[:200]!r}"


def _post(app: dash.Dash, body: dict[str, Any]) -> Any:
    r = app.server.test_client().post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.get_json()


def _page(app: dash.Dash, path: str, search: str = "") -> Any:
    return _post(app, {"output": ROUTER, "outputs": [{"id": "_pages_content", "property": "children"},
                                                    {"id": "_pages_store", "property": "data"}],
                       "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                                  {"id": "_pages_location", "property": "search", "value": search}],
                       "changedPropIds": ["_pages_location.pathname"], "state": []})


def _wall_map(app: dash.Dash) -> Any:
    key = next(k for k in app.callback_map if "scr-map-units.data" in k)
    cb = app.callback_map[key]
    values = {"scr-map-scope.data": None, "scr-refreshed.data": 1, "scr-config.data": {},
              "scr-map-fingerprints.data": {}}

    def items(kind: str) -> list[dict[str, Any]]:
        return [{**i, "value": values[f"{i['id']}.{i['property']}"]} for i in cb[kind]]

    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
               for part in key.split("@")[0].strip(".").split("...")]
    return _post(app, {"output": key, "outputs": outputs, "inputs": items("inputs"), "state": items("state"),
                       "changedPropIds": ["scr-refreshed.data"]})


def test_escape_helpers_show_text_as_typed() -> None:
    assert markup.text(HOSTILE) == html.escape(HOSTILE, quote=True)
    assert html.unescape(markup.tooltip("a<b", "c&d", sep="：")) == "a<b：c&d"
    assert markup.text("x\x00y") == "xy"


@pytest.mark.parametrize(("path", "search"), [("/cases", "?period=day"), ("/cases", "?period=month"),
                                               ("/hotline", "?period=month"), ("/screen", ""),
                                               ("/stations", ""), ("/sensors", ""), ("/staffing", "")])
def test_page_tooltips_are_inert(app: dash.Dash, path: str, search: str) -> None:
    strings: list[str] = []
    _html_strings(_page(app, path, search), strings)
    assert_inert(strings)


def test_map_tooltips_carry_the_hostile_text_as_typed(app: dash.Dash) -> None:
    strings: list[str] = []
    for path, search in (("/cases", "?period=day"), ("/hotline", "?period=month")):
        _html_strings(_page(app, path, search), strings)
    answer = _wall_map(app)
    _html_strings(answer, strings)
    assert_inert(strings)
    shown = [html.unescape(s) for s in strings]
    assert sum(HOSTILE in s for s in shown) >= 3, json.dumps(strings[:5], ensure_ascii=False)[:500]
    wall = answer["response"]
    units = wall["scr-map-units"]["data"]["features"]
    assert units and all(HOSTILE in html.unescape(f["properties"]["tooltip"]) for f in units)


def test_no_html_rendering_props_on_data_in_source() -> None:
    """Source rule: Dash components that render HTML are not used on data anywhere in the dashboard."""
    root = Path(__file__).resolve().parents[2] / "dashboard"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for banned in ("dangerously_allow_html", "dangerouslySetInnerHTML", "dl.Popup(", "dl.Tooltip(",
                       "html.Iframe(", "srcDoc"):
            assert banned not in text, f"{path.name} uses {banned}"
