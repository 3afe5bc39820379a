"""Sensors (物联感知): /sensors[?sel=<sensor type>&sensor=<id>] — see ``dashboard.components.sensors_view``."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.components.page import run
from dashboard.components.sensors_view import PAGE, render

dash.register_page(__name__, path="/sensors", order=50, nav_key="nav.sensors")


def layout(**query: Any) -> html.Div:
    return run(PAGE, query, render)
