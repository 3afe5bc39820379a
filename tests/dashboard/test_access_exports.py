"""Every download path in ``dashboard/`` goes through ``access.export_rows``.

A download is any function that hands bytes to the browser as a file (``dcc.send_*``, Flask's
``send_file``, a response with Content-Disposition) or formats a table for one (``to_csv``,
``to_xlsx``, pandas ``to_excel``). Each must also call ``access.export_rows`` — which masks personal
data, writes the audit entry and refuses the screen role — in the same function. A new export that
skips it fails here, before review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from etl.settings import PROJECT_ROOT

DASHBOARD = PROJECT_ROOT / "dashboard"
SINKS = {"send_bytes", "send_data_frame", "send_file", "send_string", "send_from_directory",
         "to_csv", "to_xlsx", "to_excel"}
# The formatters themselves (pure functions of rows already passed through the gate).
FORMATTERS = {DASHBOARD / "export.py"}


def _name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _disposition(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and "content-disposition" in n.value.lower()
               for n in ast.walk(node))


def ungated_downloads(source: str, filename: str = "<src>") -> list[str]:
    """``file:function`` of every function that sends a file without calling ``export_rows``."""
    tree = ast.parse(source, filename)
    bad = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        calls = {_name(c) for c in ast.walk(fn) if isinstance(c, ast.Call)}
        if (calls & SINKS or _disposition(fn)) and "export_rows" not in calls:
            bad.append(f"{filename}:{fn.name}")
    return sorted(set(bad))


def _modules() -> list[Path]:
    return sorted(p for p in DASHBOARD.rglob("*.py") if p not in FORMATTERS)


def test_the_scan_sees_the_dashboard_and_its_exports() -> None:
    files = _modules()
    assert len(files) > 20
    with_sinks = [p for p in files if any(s in p.read_text(encoding="utf-8") for s in ("send_bytes", "to_xlsx"))]
    assert with_sinks, "no export found: the scan would prove nothing"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(DASHBOARD)))
def test_every_download_goes_through_export_rows(path: Path) -> None:
    assert ungated_downloads(path.read_text(encoding="utf-8"), str(path)) == []


def test_download_modules_use_the_gate_of_dashboard_access() -> None:
    """``export_rows`` must be the access gate's, not a look-alike defined elsewhere."""
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        if "export_rows(" in text and path.name != "access.py":
            assert "access.export_rows(" in text or "from dashboard.access import" in text, path
            assert "def export_rows" not in text, path


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("def f(df):\n    return dcc.send_bytes(to_csv(df, C), 'a.csv')\n", ["<src>:f"]),
        ("def f(df):\n    return dcc.send_data_frame(df.to_csv, 'a.csv')\n", ["<src>:f"]),
        ("def f(p):\n    return flask.send_file(p)\n", ["<src>:f"]),
        ("def f(b):\n    return Response(b, headers={'Content-Disposition': 'attachment'})\n", ["<src>:f"]),
        ("def f(df):\n    df = access.export_rows(df, 'x')\n    return dcc.send_bytes(to_csv(df, C), 'a.csv')\n",
         []),
        ("def f(df):\n    return df.sum()\n", []),
    ],
)
def test_the_scan_catches_ungated_downloads(source: str, bad: list[str]) -> None:
    assert ungated_downloads(source) == bad


def test_no_page_renders_loaded_text_as_html() -> None:
    """Loaded hotline and case text reaches the browser only as React text: no component is told to
    interpret markup (``dangerously_allow_html``) and no Markdown is built from data."""
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "dangerously_allow_html":
                raise AssertionError(f"{path}:{node.value.lineno} uses dangerously_allow_html")
            if isinstance(node, ast.Call) and _name(node) == "Markdown":
                args = [*node.args, *(k.value for k in node.keywords if k.arg == "children")]
                assert all(isinstance(a, ast.Constant) for a in args), f"{path}:{node.lineno} Markdown of data"
