"""Staffing (力量配置): /staffing — see ``dashboard.components.staffing_view``."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.components.page import run
from dashboard.components.staffing_view import PAGE, render

dash.register_page(__name__, path="/staffing", order=60, nav_key="nav.staffing")


def layout(**query: Any) -> html.Div:
    return run(PAGE, query, render)
