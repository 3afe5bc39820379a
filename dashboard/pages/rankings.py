"""Rankings (考核排名): /rankings — see ``dashboard.components.rankings_view``."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.components.page import run
from dashboard.components.rankings_view import PAGE, render

dash.register_page(__name__, path="/rankings", order=10, nav_key="nav.rankings")


def layout(**query: Any) -> html.Div:
    return run(PAGE, query, render)
