"""数据状态 / Data status: what the warehouse holds, per source, and the recent loads."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from dashboard import data
from dashboard.callbacks.home import render
from dashboard.i18n import lang_of, t
from dashboard.pages.home_ids import HomeIds

dash.register_page(__name__, path="/", order=0, nav_key="nav.home", title="城运体征 · 数据状态")


def layout(lang: str | None = None, **_query: Any) -> html.Div:
    lang = lang_of(lang)
    cfg = data.settings()
    return html.Div(
        className="cv-page cv-home",
        children=[
            html.H1(t("home.title", lang)),
            html.P(t("home.intro", lang), className="cv-lede"),
            dcc.Store(id=HomeIds.LANG, data=lang),
            dcc.Interval(id=HomeIds.TICK, interval=cfg.refresh_seconds * 1000),
            html.Div(render(lang=lang), id=HomeIds.CONTENT),
        ],
    )

