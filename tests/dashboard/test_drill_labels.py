"""The drill banner over a table says which rows it lists in words, not the URL's ``day:2026-12-03``."""

from __future__ import annotations

import dash
import pytest

from dashboard.components import cases_view, hotline_view
from dashboard.components.page import run
from tests.clock import anchor_day
from tests.dashboard.test_pages import find, text


def banner(page: str, render, **q: str) -> str:
    tree = run(page, {"date": anchor_day().isoformat(), **q}, render)
    (box,) = find(tree, lambda c: getattr(c, "id", None) == f"{page}-drill")
    return text(box)


@pytest.mark.parametrize(("drill", "zh", "en"), [
    ("day:{d}", "{d} 当日", "on {d}"),
    ("hour_dow:9:2", "周三 09:00–10:00 上报", "reported Wed 09:00–10:00"),
    ("hours:4", "处置时长 4–8 小时", "handling time 4–8 h"),
    ("hours:168", "处置时长 ≥ 168 小时", "handling time ≥ 168 h"),
    ("source:patrol", "来源 网格巡查发现", "Source Grid patrol"),
])
def test_cases_banner_names_the_drill(ctx: dash.Dash, drill: str, zh: str, en: str) -> None:
    d = anchor_day().isoformat()
    got = banner("cases", cases_view.render, drill=drill.format(d=d))
    assert zh.format(d=d) in got and drill.format(d=d) not in got
    assert en.format(d=d) in banner("cases", cases_view.render, drill=drill.format(d=d), lang="en")


def test_hotline_banner_names_the_day(ctx: dash.Dash) -> None:
    d = anchor_day().isoformat()
    got = banner("hotline", hotline_view.render, drill=f"day:{d}")
    assert f"{d} 当日" in got and "day:" not in got
