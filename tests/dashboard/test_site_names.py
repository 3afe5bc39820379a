"""The site's names as `vitals site set` records them: the site name in the page header, the browser
title and the wall's title; the hotline's name (a US city's 311) on /hotline, in the nav, on the wall's
hotline panel and in the briefings. Set after the first load, read per request (no restart)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import pytest
from typer.testing import CliRunner

from dashboard import data, shell
from dashboard.cli import app as cli
from dashboard.components import hotline_view
from dashboard.components.page import run
from dashboard.reports import generate
from dashboard.reports.render import document
from dashboard.screen import model
from dashboard.screen.config import parse
from tests.clock import anchor_day, pinned_settings
from tests.dashboard.minimal_warehouse import app_in_request, copy_warehouse
from tests.dashboard.test_any_city import _walk, text


@pytest.fixture(scope="module")
def named(tiny_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the run's warehouse renamed with the CLI, as a US site would after its first load."""
    wh = copy_warehouse(tiny_warehouse, tmp_path_factory.mktemp("named"))
    r = CliRunner().invoke(cli, ["site", "set", "--name", "斯普林菲尔德/Springfield", "--hotline-name", "311",
                                 "-w", str(wh)])
    assert r.exit_code == 0, r.output
    assert "site_name_en = Springfield" in r.output and "hotline_name_zh = 311" in r.output
    return wh


def _app(wh: Path, **kw: Any) -> Iterator[dash.Dash]:
    yield from app_in_request(pinned_settings(wh, **kw))


@pytest.fixture
def app_named(named: Path) -> Iterator[dash.Dash]:
    # vitals.toml still says otherwise: the warehouse's record wins, as for its zone
    yield from _app(named, site_name_zh="旧名", site_name_en="Old name")


def _wall(**query: Any) -> Any:
    return dash.page_registry["dashboard.pages.screen"]["layout"](**query)


def _h1(page: Any) -> str:
    return str(next(n for n in _walk(page) if type(n).__name__ == "H1").children[0])


def _nav_hotline(lang: str) -> str:
    links = shell.nav_links("/hotline", {}, lang)  # type: ignore[arg-type]
    return str(next(link.children for link in links if link.id["page"] == "hotline"))


def test_site_name_in_header_browser_title_and_wall(app_named: dash.Dash) -> None:
    assert data.site_name("zh") == "斯普林菲尔德" and data.site_name("en") == "Springfield"
    header = [n.children for n in _walk(app_named.layout()) if "cv-brand-site" in str(getattr(n, "className", ""))]
    assert sorted(header) == ["Springfield", "斯普林菲尔德"]
    # the tab title: the first document, and each page's as the router navigates (Dash calls the callable)
    title = dash.page_registry["dashboard.pages.screen"]["title"]
    assert callable(title) and title() == "斯普林菲尔德 · 城运体征 · 大屏"
    assert dash.page_registry["dashboard.pages.hotline"]["title"]() == "斯普林菲尔德 · 城运体征"
    html = app_named.index()
    assert re.search(r"<title>斯普林菲尔德 · 城运体征</title>", html), html[:400]
    for lang, name in (("zh", "斯普林菲尔德"), ("en", "Springfield")):
        wall = _wall(lang=lang)
        site = next(n for n in _walk(wall) if getattr(n, "className", None) == "scr-site")
        assert site.children == name


def test_home_page_names_the_recorded_site(app_named: dash.Dash) -> None:
    body = text(dash.page_registry["dashboard.pages.home"]["layout"](lang="en"))
    assert "Springfield" in body and "Old name" not in body


def test_hotline_name_on_the_page_nav_and_wall(app_named: dash.Dash) -> None:
    assert _h1(run("hotline", {}, hotline_view.render)) == "311"
    assert _h1(run("hotline", {"lang": "en"}, hotline_view.render)) == "311"
    assert _nav_hotline("zh") == "311" and _nav_hotline("en") == "311"
    wall = text(_wall())
    assert "今日311工单（按小时）" in wall
    chips = [n.children for n in _walk(_wall()) if getattr(n, "className", "") == "scr-chip-name"]
    assert "311" in chips and not any("12345" in str(c) for c in chips)  # the freshness chip too
    assert "311 orders today by hour" in text(_wall(lang="en"))
    # the overview's satisfaction tile is named after the site's hotline too
    for lang, label in (("zh", "311满意率"), ("en", "311 satisfaction")):
        cfg = parse({"lang": lang}, data.settings())
        dims = {d.key: d.label for d in model.vitals(cfg, model.now(cfg)).dimensions}
        assert dims.get("12345") == label, dims


def test_without_a_hotline_name_it_is_12345(tiny_warehouse: Path) -> None:
    for _ in _app(tiny_warehouse):
        assert _h1(run("hotline", {}, hotline_view.render)) == "12345 热线"
        assert _h1(run("hotline", {"lang": "en"}, hotline_view.render)) == "12345 hotline"
        assert _nav_hotline("zh") == "热线" and _nav_hotline("en") == "Hotline"
        assert "今日12345 热线工单（按小时）" in text(_wall())
        cfg = parse({}, data.settings())
        assert {d.key: d.label for d in model.vitals(cfg, model.now(cfg)).dimensions}.get("12345") == "12345满意率"


def test_briefing_names_the_site_and_its_hotline(named: Path) -> None:
    settings = pinned_settings(named, site_name_zh="旧名")
    b = generate.briefing(settings, "monthly", None, f"{anchor_day():%Y-%m}")
    assert (b.site_name, b.hotline_name) == ("斯普林菲尔德", "311")
    doc = document(b)
    assert "五、顽症（311，" in doc and "斯普林菲尔德 · " in doc and "旧名" not in doc
    assert any(line.startswith(("顽症（311，", f"{b.label}无顽症（311，")) or "无顽症（311，" in line
               for line in b.summary)
