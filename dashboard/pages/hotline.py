"""Hotline (12345 热线): /hotline[?sel=unit] — see ``dashboard.components.hotline_view`` for the panels."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.components.hotline_view import PAGE, render
from dashboard.components.page import run

dash.register_page(__name__, path="/hotline", order=40, nav_key="nav.hotline")


def layout(**query: Any) -> html.Div:
    return run(PAGE, query, render)
