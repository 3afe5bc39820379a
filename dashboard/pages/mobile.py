"""The leaders' phone view (手机版): /m — see ``dashboard.components.mobile_view`` (what it shows) and
``dashboard.components.mobile_page`` (how it is served: a script-free document first, this layout
when the desk app routes to /m)."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.components import mobile_page
from dashboard.components.mobile_view import PATH

dash.register_page(__name__, path=PATH, title="城运体征 · 手机版")


def layout(**query: Any) -> html.Div:
    return mobile_page.layout(**query)
