"""Hostile text loaded through the real ETL, then every page and wall view opened in Chromium.

The corpus is generated here (not copied): markup that would run (script, img/svg handlers,
``javascript:`` links, attribute breakouts), HTML entities, spreadsheet formulas (``= + - @``, tab-
and CR-prefixed), RTL overrides, zero-width characters, NUL and a 100 kB string. The tiny demo's
export files are rewritten so that every free-text field of every kind carries it (unit, station
and department names, category names, case addresses and descriptions, hotline categories,
agencies, addresses, names and content, sensor names, roster names and roles), and loaded with
``etl.load.load_into`` exactly as ``vitals etl load`` does.

Each page is opened with hooks on ``alert``/``confirm``/``prompt``, on ``window.__pwn`` (what the
payloads call), on dialogs and on CSP violations (an injected inline handler the policy blocked is
still a would-be execution, so it counts); every map feature is hovered so Leaflet draws its
tooltip. Expected: zero executions, and the payload text shown as typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from dashboard.screen.config import VIEWS
from etl.demo.build import mapping_for
from etl.demo.generate import KINDS, generate
from etl.load import load_into
from etl.snapshots import writer
from tests import clock
from tests.browser.conftest import LiveServer, start_server, stop_server

pytestmark = pytest.mark.browser

MARK = "window.__pwn"
SHOWN = f"<img src=x onerror={MARK}('img')>"  # the one looked for as typed on the pages


def corpus() -> list[str]:
    """Generated hostile strings; every one that could run calls ``window.__pwn``."""
    call = f"{MARK}(1)"
    markup = [SHOWN, f"<script>{call}</script>", f"<svg onload={call}>", f"<svg><script>{call}</script></svg>",
              f"<a href=\"javascript:{call}\">link</a>", f"\"><img src=x onerror={call}>",
              f"'><body onload={call}>", f"<iframe srcdoc=\"<script>parent.{call}</script>\">",
              f"<details open ontoggle={call}>", f"<math><mtext><img src=x onerror={call}>",
              f"javascript:{call}", "&lt;b&gt;entity&lt;/b&gt; &amp;amp; &#60;i&#62;"]
    formulas = [f"{c}cmd|' /C calc'!A0" for c in "=+-@"] + ["\t=1+1", "\r=1+1"]
    unicode = ["\u202etxt.exe", "a\u200bb\u200cc\u200dd\ufeff", "名称\u2066隔离\u2069", "NUL\x00x"]
    return markup + formulas + unicode


TEXT_COLUMNS = {
    "units": ("name_zh", "name_en"), "stations": ("name_zh", "name_en"), "departments": ("name_zh", "name_en"),
    "categories": ("major_name", "minor_name"), "sensors": ("name",), "cases": ("address", "description"),
    "hotline": ("category", "subcategory", "agency", "address", "citizen_name", "content"),
    "staffing": ("person_name", "role"),
}
BIG = "长" * 100_000  # one 100 kB-class value per text column


def _poison(path: Path, columns: tuple[str, ...], items: list[str]) -> None:
    df = pd.read_parquet(path)
    for col in columns:
        values = [items[(i + len(col)) % len(items)] for i in range(len(df))]
        if len(values) > 2:
            values[2] = BIG
        df[col] = pd.Series(values, index=df.index, dtype=object)
    df.to_parquet(path, index=False)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("hostile-corpus")
    files = generate(root / "export", scale="tiny", now=clock.NOW)
    items = corpus()
    for kind, cols in TEXT_COLUMNS.items():
        _poison(files.files[kind][0], cols, items)
    # every unit's Chinese name starts with the payload looked for as typed (names are never masked)
    units = pd.read_parquet(files.files["units"][0])
    units["name_zh"] = pd.Series([f"{SHOWN} {c}" for c in units["unit_code"]], index=units.index, dtype=object)
    units.to_parquet(files.files["units"][0], index=False)
    warehouse = root / "vitals.duckdb"
    with writer(warehouse, fresh=True) as con:
        for kind in KINDS:
            load_into(con, kind, list(files.files[kind]), mapping_for(kind))
        con.execute("INSERT INTO warehouse_meta (key, value) VALUES ('data_now', ?) ON CONFLICT (key) DO UPDATE"
                    " SET value = excluded.value", [files.now.isoformat(sep=" ")])
    con = duckdb.connect(str(warehouse), read_only=True)
    try:  # the corpus is in the warehouse, not rejected on the way
        assert con.execute("SELECT count(*) FROM org_unit WHERE starts_with(name_zh, ?)", [SHOWN]).fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM org_unit WHERE name_en = ?", ["\u202etxt.exe"]).fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM hotline_orders WHERE content LIKE '%<script>%'").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM cases WHERE length(description) >= 100000").fetchone()[0] > 0
    finally:
        con.close()
    server = start_server(warehouse, root / "server.log")  # auth off, the clock pinned
    yield server
    stop_server(server)


HOOKS = """
window.__runs = [];
window.__pwn = function (x) { window.__runs.push('pwn:' + x); };
for (const f of ['alert', 'confirm', 'prompt']) { window[f] = function (x) { window.__runs.push(f + ':' + x); }; }
document.addEventListener('securitypolicyviolation',
    e => window.__runs.push('csp:' + e.violatedDirective + ' ' + (e.sample || '')));
"""
HOVER = """() => {
  const els = Array.from(document.querySelectorAll('.leaflet-interactive, .leaflet-marker-icon')).slice(0, 60);
  for (const el of els) { el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
                          el.dispatchEvent(new MouseEvent('mouseout', {bubbles: true})); }
  els.slice(0, 5).forEach(el => el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})));
  return Array.from(document.querySelectorAll('.leaflet-tooltip')).map(t => t.innerText).join('\\n');
}"""
PAGES = {"/": ".cv-table td", "/rankings": ".ag-row", "/stations": ".js-plotly-plot",
         "/cases?period=day": ".leaflet-container", "/cases": ".ag-row", "/hotline": ".leaflet-container",
         "/sensors": ".js-plotly-plot", "/staffing": ".js-plotly-plot", "/reports": "h1", "/audit": "h1", "/m": "body",
         **{f"/screen?kiosk=1&view={v}": ".scr-kpi-value" for v in VIEWS}, "/screen?mode=emergency": ".scr-kpi-value"}


def test_hostile_corpus_never_runs_and_shows_as_typed(browser: Any, hostile: LiveServer) -> None:
    executions: dict[str, list[str]] = {}
    shown: dict[str, bool] = {}
    for path, ready in PAGES.items():
        ctx = browser.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
        try:
            ctx.add_init_script(HOOKS)
            page = ctx.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d, acc=dialogs: (acc.append(d.message), d.dismiss()))
            page.goto(hostile.url + path, wait_until="load")
            page.wait_for_selector(ready, state="attached", timeout=60_000)
            page.wait_for_timeout(1500)  # the late renders (grid rows, map layers, refresh ticks)
            tips = page.evaluate(HOVER)
            page.wait_for_timeout(300)
            runs = list(page.evaluate("window.__runs")) + dialogs
            executions[path] = runs
            text = page.evaluate("document.body.innerText") + "\n" + tips
            shown[path] = SHOWN in text
            # nothing the corpus holds became an element or a handler
            injected = "document.querySelectorAll('[onerror],[onload],[ontoggle],iframe[srcdoc]').length"
            assert page.evaluate(injected) == 0, path
        finally:
            ctx.close()
    assert {p: r for p, r in executions.items() if r} == {}
    # the payload shows as typed (escaped, not stripped) where unit names are listed
    assert shown["/rankings"] and shown["/cases"] and shown["/screen?kiosk=1&view=overview"], shown
    print("\nhostile corpus:", len(corpus()) + 1, "strings,", len(PAGES), "pages,",
          sum(len(r) for r in executions.values()), "executions")
