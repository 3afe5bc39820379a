"""大屏 / Command-hall big screen (/screen). Built in issue 4."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.i18n import lang_of, t
from dashboard.pages.screen_ids import ScreenIds

dash.register_page(__name__, path="/screen", order=5, nav_key="nav.screen")


def layout(lang: str | None = None, **_query: Any) -> html.Div:
    lang = lang_of(lang)
    return html.Div([html.H1(t("nav.screen", lang))], id=ScreenIds.ROOT, className="cv-page")
