"""Liaison stations (联勤联动工作站): /stations[?sel=<station>] — see ``dashboard.components.stations_view``."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.components.page import run
from dashboard.components.stations_view import PAGE, render

dash.register_page(__name__, path="/stations", order=20, nav_key="nav.stations")


def layout(**query: Any) -> html.Div:
    return run(PAGE, query, render)
