"""How /m is served (the page module ``dashboard/pages/mobile.py`` registers it with Dash).

Served twice from one layout function: Flask answers a request for ``/m`` with the layout written
out as one self-contained HTML document (numbers, styles inlined, no script: ≈ 10–30 KB gzipped, the
first view on a slow 3G link in about one round trip), and Dash renders the same layout when the
desk app routes to /m. The Dash index would first fetch every component bundle the app imports
(AG Grid ≈ 360 KB and Leaflet ≈ 96 KB gzipped among them, ≈ 700 KB in all) before showing anything.
The page has no callbacks: every control is a link, so the request guard's page rule (``/m`` in
the role's pages) and ``access.scoped`` decide what a URL shows.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import duckdb
import flask
from dash import html

from dashboard.access import AccessDenied
from dashboard.components import static_html
from dashboard.components.mobile_view import PATH, render
from dashboard.components.page import context, error_box
from dashboard.i18n import lang_of
from etl.settings import PROJECT_ROOT
from metrics.connection import WarehouseMissing
from metrics.query import QueryError

CSS = PROJECT_ROOT / "assets" / "mobile.css"
MIN_GZIP = 1024


def _view(query: Mapping[str, Any]) -> tuple[list[Any], int]:
    """The page body and its HTTP status (the share link of a view the reader may not see: 403)."""
    params = {k: v for k, v in query.items() if k != "view"}
    try:
        ctx = context(params)
        ctx = replace(ctx, extra={**ctx.extra, "view": str(query.get("view") or "")})
        return render(ctx), 200
    except AccessDenied as exc:
        return [error_box(exc, query.get("lang"))], 403
    except QueryError as exc:
        return [error_box(exc, query.get("lang"))], 400
    except (WarehouseMissing, duckdb.Error, KeyError, ValueError) as exc:
        return [error_box(exc, query.get("lang"))], 200


def _root(children: list[Any], lang: str) -> html.Div:
    return html.Div(children, className="cv-m", id="mobile-root", lang="en" if lang == "en" else "zh-CN")


def layout(**query: Any) -> html.Div:
    body, _ = _view(query)
    return _root(body, lang_of(query.get("lang")))


def document() -> flask.Response:
    """GET /m: the layout as one HTML document (the guard has signed the reader in and checked /m)."""
    query = {k: v for k, v in flask.request.args.items()}
    lang = lang_of(query.get("lang"))
    body, status = _view(query)
    page = (
        f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # no icon request: a browser would otherwise fetch /favicon.ico (7 KB on a slow link)
        '<meta name="color-scheme" content="light dark"><link rel="icon" href="data:,">'
        "<title>城运体征 · 手机版</title>"
        f"<style>{CSS.read_text(encoding='utf-8')}</style></head>"
        f'<body class="cv-m-body">{static_html.render(_root(body, lang))}</body></html>'
    )
    raw = page.encode("utf-8")
    resp = flask.Response(raw, status=status, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"  # per reader and scope: never from a shared cache
    resp.headers["Vary"] = "Accept-Encoding, Cookie"
    if len(raw) >= MIN_GZIP and "gzip" in flask.request.headers.get("Accept-Encoding", ""):
        resp.set_data(gzip.compress(raw, 6))
        resp.headers["Content-Encoding"] = "gzip"
    return resp


def install(server: flask.Flask) -> None:
    """Serve /m as a document (a rule more specific than Dash's catch-all page route)."""
    server.add_url_rule(PATH, "vitals_mobile", document)
