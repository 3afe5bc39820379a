"""The briefing archive's downloads: ``/reports/file/<scope>/<kind>-<period>.<pdf|xlsx>``.

The request guard has authenticated the request (this is not a page path, so it did not ask
``may_open``): here the role must be allowed /reports, the briefing's scope must lie in the user's
subtree, and the download goes through ``access.export_rows`` (the screen role refused, an audit
entry written), as every export does. Files are looked up in the index, never built from the URL."""

from __future__ import annotations

from collections.abc import Iterable

import dash
import flask
import pandas as pd

from dashboard import access, data
from dashboard.reports import archive

PREFIX = "/reports/file"
MIMETYPES = {"pdf": "application/pdf",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def file_href(entry: archive.Entry, fmt: str) -> str:
    return f"{PREFIX}/{entry.stem}.{fmt}"


def visible(entries: Iterable[archive.Entry]) -> list[archive.Entry]:
    """The briefings of the user's scope and below; a whole-warehouse one only for an unscoped user."""
    entries = list(entries)
    principal = access.current_principal()
    if principal.scope is None:
        return entries
    keep = set(access.within_scope(pd.DataFrame({"unit_code": [e.scope for e in entries]}, dtype=object),
                                   principal)["unit_code"])
    return [e for e in entries if e.scope and e.scope in keep]


def send_report(scope: str, name: str) -> flask.Response:
    principal = access.current_principal()
    if not access.may_open(principal.role, "/reports"):
        flask.abort(403)
    stem, _, fmt = name.rpartition(".")
    if fmt not in MIMETYPES:
        flask.abort(404)
    root = archive.root_of(data.settings())
    entry = next((e for e in visible(archive.read_index(root)) if e.stem == f"{scope}/{stem}"), None)
    path = entry.path(root, fmt) if entry else None
    if entry is None or path is None or not path.is_file():
        flask.abort(404)  # unknown, or another scope's: the same answer, so no existence leaks
    try:
        access.export_rows(pd.DataFrame({"unit_code": [entry.scope or None]}, dtype=object), f"report.{fmt}",
                           filters={"kind": entry.kind, "scope": entry.scope or "all", "period": entry.label})
    except access.AccessDenied:
        flask.abort(403)
    download = f"{entry.scope_name}_{'月报' if entry.kind == 'monthly' else '周报'}_{entry.label}.{fmt}"
    return flask.send_file(path, mimetype=MIMETYPES[fmt], as_attachment=True, download_name=download,
                           max_age=0)


def register(app: dash.Dash) -> None:
    app.server.add_url_rule(f"{PREFIX}/<scope>/<name>", "vitals_report_file", send_report)
