"""Shown for unknown paths: a calm message, never a traceback."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.i18n import lang_of, t

dash.register_page(__name__, path="/404")


def layout(lang: str | None = None, **_query: Any) -> html.Div:
    lang = lang_of(lang)
    return html.Div(
        [html.H1(t("error.notfound.title", lang)), html.P(t("error.notfound.body", lang))],
        className="cv-page cv-message",
    )
