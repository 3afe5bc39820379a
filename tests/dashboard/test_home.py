"""Shell, data access and the data-status page, without a browser."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import dash
from dash import html

from dashboard import data, shell
from dashboard.app import create_app
from dashboard.callbacks.home import render
from dashboard.i18n import STRINGS, age_text, lang_of, t, t_or
from etl.settings import Settings
from metrics import status
from tests.clock import pinned_settings
from tests.dashboard.minimal_warehouse import build_minimal, site_now


def _text(component: object) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
                      ensure_ascii=False)


def test_every_string_has_both_languages():
    for key, (zh, en) in STRINGS.items():
        assert zh and en, key
    assert t("nav.screen") == "大屏" and t("nav.screen", "en") == "Big screen"
    assert t("no.such.key", "en") == "no.such.key"
    assert lang_of("en") == "en" and lang_of(None) == "zh" and lang_of(["en"]) == "en" and lang_of("xx") == "zh"
    assert age_text(3.5, "zh") == "3 分钟前" and age_text(125, "en") == "2 h ago" and age_text(None) == "—"


def test_index_html_has_no_external_urls(app: dash.Dash):
    client = app.server.test_client()
    for path in ("/", "/screen", "/rankings?lang=en"):
        page = client.get(path)
        assert page.status_code == 200
        body = page.data.decode()
        assert '<html lang="zh-CN">' in body
        assert not re.findall(r"https?://", body), re.findall(r"https?://[^\"' ]+", body)
        # every script and stylesheet is served by this app
        for src in re.findall(r'(?:src|href)="([^"]+)"', body):
            assert src.startswith("/"), src
            assert client.get(src).status_code == 200, src


def test_pages_registered_with_nav_labels(app: dash.Dash):
    paths = {p["path"]: p for p in dash.page_registry.values()}
    for path in ("/", "/screen", "/rankings", "/stations", "/cases", "/hotline", "/sensors", "/staffing"):
        assert path in paths, path
        assert paths[path]["nav_key"] in STRINGS
    order = [p["path"] for p in shell.nav_pages()]
    assert order[:2] == ["/", "/screen"]


def test_shell_language_and_kiosk():
    links, toggle, toggle_href, root, lang = shell.update_shell("/screen", "?lang=en&kiosk=1&scale=2")
    assert lang == "en" and toggle == "中文"
    assert "is-kiosk" in root and "lang-en" in root
    assert toggle_href == "/screen?kiosk=1&scale=2"  # back to Chinese (the default), other params kept
    hrefs = [link.href for link in links]
    assert "/rankings?lang=en&kiosk=1" in hrefs
    assert [link.children for link in links][:2] == ["Data status", "Big screen"]
    links, toggle, toggle_href, root, lang = shell.update_shell("/", "")
    assert lang == "zh" and toggle == "English" and toggle_href == "/?lang=en" and "is-kiosk" not in root
    assert links[0].children == "数据状态" and "is-active" in links[0].className


def test_home_renders_sources(ctx: dash.Dash):
    out = _text(render(lang="zh"))
    for key in ("cases", "hotline", "readings", "staffing"):
        assert t(f"source.{key}", "zh") in out
    assert "vitals-" in out  # the snapshot file name
    assert "Traceback" not in out
    out_en = _text(render(lang="en"))
    assert "Grid cases" in out_en and "Sensor readings" in out_en


def test_load_runs_show_kind_and_result_in_the_readers_language(ctx: dash.Dash):
    runs = status.recent_runs(data.connection(), 8)
    assert not runs.empty
    zh, en = _text(render(lang="zh")), _text(render(lang="en"))
    for r in runs.itertuples():
        assert t(f"source.{r.kind}", "zh") != f"source.{r.kind}", r.kind  # every loaded kind has a label
        assert f'"{t(f"source.{r.kind}", "zh")}"' in zh and f'"{t(f"source.{r.kind}", "en")}"' in en
        assert f'"{t(f"run.status.{r.status}", "zh")}"' in zh
    assert '"succeeded"' not in zh and '"成功"' not in en
    assert t_or("source.telemetry", "telemetry", "zh") == "telemetry"  # a kind without a label shows as stored
    assert t_or("source.cases", "cases", "en") == "Grid cases"
    from etl.mapping import KIND_TABLE

    assert [k for k in KIND_TABLE if t(f"source.{k}") == f"source.{k}"] == []  # every loadable kind is labelled


def test_source_status_counts(ctx: dash.Dash):
    con = data.connection()
    extents = {e.key: e for e in status.source_extents(con)}
    assert extents["cases"].rows == con.execute("SELECT count(*) FROM cases").fetchone()[0] > 0
    assert extents["cases"].last is not None and extents["cases"].first < extents["cases"].last
    fresh = {f.key: f for f in status.freshness(tuple(extents.values()), site_now())}
    assert fresh["units"].state == "static"
    assert fresh["readings"].state == "ok"
    # a year later every timed source is stale
    later = {f.key: f for f in status.freshness(tuple(extents.values()), site_now() + timedelta(days=366))}
    assert later["cases"].state == "stale" and later["readings"].state == "stale"


def test_missing_warehouse_is_a_friendly_message(tmp_path: Path):
    app = create_app(pinned_settings(tmp_path / "nothing" / "vitals.duckdb"))
    with app.server.test_request_context("/"):
        out = render(lang="zh")
        assert isinstance(out, html.Div)
        assert "cv-message-missing" in out.className
        assert t("error.missing.title", "zh") in _text(out)
    # and the page itself still serves
    assert app.server.test_client().get("/").status_code == 200


def test_connection_follows_the_snapshot_link(tmp_path: Path, settings: Settings):
    root = tmp_path / "wh"
    link = build_minimal(root)
    app = create_app(replace(settings, warehouse=link))
    with app.server.test_request_context("/"):
        first = data.current_snapshot()
        n = data.connection().execute("SELECT count(*) FROM cases").fetchone()[0]
        assert data.per_snapshot("n", lambda c: c.execute("SELECT count(*) FROM cases").fetchone()[0]) == n
        app.server.do_teardown_appcontext()
    from tests.dashboard.minimal_warehouse import publish

    publish(root, lambda con: con.execute("DELETE FROM cases WHERE case_id LIKE 'fx:1%'"))
    with app.server.test_request_context("/"):
        assert data.current_snapshot() != first
        m = data.connection().execute("SELECT count(*) FROM cases").fetchone()[0]
        assert m < n
        assert data.per_snapshot("n", lambda c: c.execute("SELECT count(*) FROM cases").fetchone()[0]) == m
        app.server.do_teardown_appcontext()


def test_a_failed_load_shows_its_error():
    import pandas as pd

    from dashboard.callbacks.home import _runs_table

    runs = pd.DataFrame({
        "run_id": [2, 1], "kind": ["hotline", "hotline"], "source_system": ["t", "t"],
        "status": ["failed", "succeeded"],
        "rows_read": [0, 5], "rows_loaded": [0, 5], "rows_rejected": [0, 0],
        "finished_at": pd.to_datetime(["2026-03-02 10:00", "2026-03-01 10:00"]),
        "message": ["x.csv: empty file (no header, no rows)", '{"bad_timestamp": 1}'],
    })
    out = _text(_runs_table(runs, "en"))
    assert '"Failed"' in out and "x.csv: empty file (no header, no rows)" in out
    assert "bad_timestamp" not in out  # a success's reason counts are not an error message
