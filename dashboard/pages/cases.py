"""Cases (案件分析): /cases — see ``dashboard.components.cases_view`` for the panels."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.components.cases_view import PAGE, render
from dashboard.components.page import run

dash.register_page(__name__, path="/cases", order=30, nav_key="nav.cases")


def layout(**query: Any) -> html.Div:
    return run(PAGE, query, render)
