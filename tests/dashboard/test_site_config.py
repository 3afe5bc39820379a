"""One config source: the ``[metrics]`` section of the app's ``Settings`` reaches every metrics call
(here: a site target for 联勤联动事项结案率 on /stations and the wall's station bars), and the metrics
layer reads no ``vitals.toml`` of its own from the working directory."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dash
import pytest

import metrics
from dashboard import data
from dashboard.app import create_app
from dashboard.components import stations_view
from dashboard.components.page import context_from_search, run
from dashboard.screen import model
from dashboard.screen.config import ScreenConfig
from etl.settings import Settings
from tests.dashboard.test_pages import find

SITE = {"indicators": {"station_closure_rate": {"target": 0.5}}}


@pytest.fixture
def site_ctx(warehouse: Path) -> Iterator[dash.Dash]:
    app = create_app(Settings(warehouse=warehouse, sections={"metrics": SITE}))
    with app.server.test_request_context("/"):
        yield app
        app.server.do_teardown_appcontext()


def test_the_apps_metrics_section_is_what_pages_pass_down(site_ctx: dash.Dash) -> None:
    assert data.metrics_config() == SITE
    c = context_from_search("")
    sc = metrics.station_closure(c.con, c.query, overrides=SITE)
    assert sc.district.target == 0.5
    # the meeting count under the site target, counted independently from the per-station values
    meeting = int((sc.stations["value"] >= 0.5).sum())
    page = run("stations", {}, stations_view.render)
    note = " ".join(str(x.children) for x in find(page, lambda x: getattr(x, "className", None) == "cv-kpi-target"))
    # the declared 85% appears nowhere as a target (a bare "85" can be a count: "129/185")
    assert f"其中 {meeting} 个达标 · 目标 50.0%" in note and "目标 85" not in note and "85.0%" not in note


def test_the_walls_station_target_is_the_sites(site_ctx: dash.Dash) -> None:
    view = model._stations(ScreenConfig(), datetime(2026, 6, 10, 12, 0))
    assert view.target == 0.5
    assert view.meeting == sum(1 for r in view.rows if r.rate is not None and r.rate >= 0.5)


def test_metrics_ignore_a_vitals_toml_in_the_working_directory(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "vitals.toml").write_text("[metrics.indicators.station_closure_rate]\ntarget = 0.5\n",
                                          encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VITALS_CONFIG", str(tmp_path / "vitals.toml"))
    assert metrics.target_of("station_closure_rate") == 0.85  # the declaration: no file is read
    assert metrics.target_of("station_closure_rate", SITE) == 0.5


def test_no_metrics_module_loads_the_settings() -> None:
    root = Path(metrics.__file__).resolve().parent
    offenders = [p.name for p in sorted(root.glob("*.py"))
                 for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                 if isinstance(node, ast.ImportFrom) and any(a.name == "load_settings" for a in node.names)]
    assert offenders == []
