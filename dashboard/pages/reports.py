"""考核通报 / Briefings: /reports lists the archived briefings (``vitals report``) the user may read —
those of their scope's subtree — with download links served by ``dashboard.callbacks.reports`` under
the same checks and audit as exports. The list is read from the archive's index, not the warehouse."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard import data
from dashboard.callbacks.reports import file_href, visible
from dashboard.i18n import lang_of, t
from dashboard.reports import archive

dash.register_page(__name__, path="/reports", order=15, nav_key="nav.reports", title="城运体征 · 考核通报")

KIND = {"monthly": ("月报", "Monthly"), "weekly": ("周报", "Weekly")}


def layout(lang: str | None = None, **_query: Any) -> html.Div:
    lang = lang_of(lang)
    en = lang == "en"
    entries = visible(archive.read_index(archive.root_of(data.settings())))
    head = [t(f"reports.col.{c}", lang) for c in ("period", "kind", "scope", "generated", "data_now", "summary",
                                                   "files")]
    rows = [html.Tr([
        html.Td(e.period_text), html.Td(KIND[e.kind][1 if en else 0] if e.kind in KIND else e.kind),
        html.Td(e.scope_name), html.Td(e.generated_at.replace("T", " ")[:16]),
        html.Td(e.data_now.replace("T", " ")[:16] or "—"),
        html.Td(html.Ul([html.Li(s) for s in e.summary], className="cv-report-summary")),
        html.Td([html.A("PDF", href=file_href(e, "pdf"), className="cv-link"), " · ",
                 html.A("Excel", href=file_href(e, "xlsx"), className="cv-link")]),
    ]) for e in entries]
    body: list[Any] = [html.H1(t("reports.title", lang)), html.P(t("reports.intro", lang), className="cv-muted")]
    if rows:
        body.append(html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
                               className="cv-table", id="reports-table"))
    else:
        body.append(html.P(t("reports.none", lang), id="reports-none"))
    return html.Div(body, className="cv-page cv-reports")
