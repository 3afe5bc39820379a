"""?lang=en on /sensors, /staffing and /hotline: every label (KPI tiles, panel titles, table headers, state
and shift words, legends, empty-figure notes) is English. Data values may stay Chinese (unit, sensor and
category names are the source's own text): they are taken from the warehouse and removed before the check."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import duckdb
import pytest

from dashboard.components import hotline_view, sensors_view, staffing_view
from dashboard.components.page import run

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# where a page carries values, not labels: filter choices and click actions name the data itself
VALUE_KEYS = {"value", "customdata", "href", "data", "id"}


@pytest.fixture
def data_text(warehouse: Path) -> list[str]:
    con = duckdb.connect(str(warehouse / "vitals.duckdb") if warehouse.is_dir() else str(warehouse), read_only=True)
    try:
        vals: set[str] = set()
        for sql in ("SELECT name_zh FROM org_unit", "SELECT major_name FROM case_category",
                    "SELECT minor_name FROM case_category", "SELECT name FROM sensors",
                    "SELECT sensor_type FROM sensors",
                    "SELECT category FROM hotline_orders", "SELECT subcategory FROM hotline_orders",
                    "SELECT channel FROM hotline_orders", "SELECT status FROM hotline_orders"):
            vals |= {str(r[0]) for r in con.execute(sql).fetchall() if r[0]}
    finally:
        con.close()
    return sorted(vals, key=len, reverse=True)  # longest first: a name containing another goes whole


def _strings(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in VALUE_KEYS or (isinstance(v, dict | list) and k == "data"):  # figure traces: labels
                yield from _strings(v, k)
    elif isinstance(node, list | tuple):
        for v in node:
            yield from _strings(v, key)
    elif isinstance(node, str):
        yield key, node


def _json(component: Any) -> Any:
    return json.loads(json.dumps(component.to_plotly_json(),
                                 default=lambda x: x.to_plotly_json() if hasattr(x, "to_plotly_json") else str(x)))


@pytest.mark.parametrize("page,render,query", [
    ("sensors", sensors_view.render, {}), ("sensors", sensors_view.render, {"period": "year"}),
    ("staffing", staffing_view.render, {}), ("staffing", staffing_view.render, {"period": "quarter"}),
    ("hotline", hotline_view.render, {}), ("hotline", hotline_view.render, {"sel": "unit", "period": "quarter"}),
])
def test_english_pages_have_no_chinese_labels(ctx: dash.Dash, data_text: list[str], page: str, render: Any,
                                              query: dict[str, str]) -> None:
    tree = _json(run(page, {**query, "lang": "en"}, render))
    left = []
    for key, s in _strings(tree):
        if not CJK.search(s):
            continue
        rest = s
        for v in data_text:
            rest = rest.replace(v, "")
        if CJK.search(rest):
            left.append((key, s))
    assert left == []
    # and the same page in Chinese does have Chinese labels: the check can fail
    zh = [s for _k, s in _strings(_json(run(page, query, render))) if CJK.search(s)]
    assert any(all(v not in s for v in data_text) for s in zh)
