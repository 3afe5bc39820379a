"""Placeholder for the hotline page (built by the pages issue, which replaces this module)."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.i18n import lang_of, t

dash.register_page(__name__, path="/hotline", order=40, nav_key="nav.hotline")


def layout(lang: str | None = None, **_query: Any) -> html.Div:
    lang = lang_of(lang)
    return html.Div(
        [html.H1(t("nav.hotline", lang)), html.P(t("placeholder.body", lang), className="cv-muted")],
        className="cv-page cv-placeholder",
    )
