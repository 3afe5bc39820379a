"""Placeholder for the staffing page (built by the pages issue, which replaces this module)."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.i18n import lang_of, t

dash.register_page(__name__, path="/staffing", order=60, nav_key="nav.staffing")


def layout(lang: str | None = None, **_query: Any) -> html.Div:
    lang = lang_of(lang)
    return html.Div(
        [html.H1(t("nav.staffing", lang)), html.P(t("placeholder.body", lang), className="cv-muted")],
        className="cv-page cv-placeholder",
    )
