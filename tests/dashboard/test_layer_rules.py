"""The dashboard layer's rules, read from its source: it asks ``metrics`` and never writes SQL against
the warehouse. The one exception is the user store (``dashboard/auth/store.py``): its own SQLite
file of accounts and sessions, not the warehouse."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import dashboard
from tests.source_scan import string_literals

DASHBOARD = Path(dashboard.__file__).resolve().parent
USER_STORE = DASHBOARD / "auth" / "store.py"
# SQL keywords as this codebase writes them (upper case): prose ("select a unit from the list") is not SQL
SQL = re.compile(r"\bSELECT\b[\s\S]+\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
                 r"|\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+)?(?:TABLE|VIEW)\b|\bWHERE\s+\w+\s*(?:=|<|>|IN\b)")


def sql_in(source: str) -> list[str]:
    """String literals that read as SQL, and calls of a connection's ``execute``/``sql``."""
    found = [f"line {line}: {text[:60]!r}" for line, text in string_literals(source) if SQL.search(text)]
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "executemany", "sql", "query")):
            found.append(f"line {node.lineno}: .{node.func.attr}(...)")
    return found


def test_no_sql_in_the_dashboard() -> None:
    offenders = {str(p.relative_to(DASHBOARD)): got for p in sorted(DASHBOARD.rglob("*.py")) if p != USER_STORE
                 and (got := sql_in(p.read_text(encoding="utf-8")))}
    assert offenders == {}


def test_the_scan_sees_sql() -> None:
    assert sql_in('codes = [r[0] for r in con.execute("SELECT unit_code FROM unit_geometry").fetchall()]')
    assert sql_in('q = f"SELECT count(*) FROM {t} WHERE x = $x"')
    assert sql_in("con.sql(q)")
    assert not sql_in('label = "Select a unit from the list"\nhint = "where the cases are"')


def target_constants(source: str) -> list[str]:
    """Names with "target" in them bound to an expression holding a rate literal (a page's own copy of
    a target, e.g. ``STATION_TARGET = 0.85`` or ``target = ... else 0.85``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign):
            names, value = [t for t in node.targets if isinstance(t, ast.Name)], node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names, value = [node.target], node.value
        else:
            continue
        if value is None or not any("target" in n.id.lower() for n in names):
            continue
        if any(isinstance(c, ast.Constant) and isinstance(c.value, float) and 0 < c.value <= 1
               for c in ast.walk(value)):
            found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_targets_come_only_from_the_declared_indicators_and_config() -> None:
    offenders = {str(p.relative_to(DASHBOARD)): got for p in sorted(DASHBOARD.rglob("*.py"))
                 if (got := target_constants(p.read_text(encoding="utf-8")))}
    assert offenders == {}


def test_the_target_scan_sees_a_fallback() -> None:
    assert target_constants("STATION_TARGET = 0.85")
    assert target_constants('target = float(df["target"].iloc[0]) if df["target"].notna().any() else 0.85')
    assert not target_constants('target = sc.district.target\nopacity = 0.85')


def test_no_private_helper_is_imported_across_dashboard_modules() -> None:
    offenders = [f"{p.relative_to(DASHBOARD)}:{node.lineno} {a.name}" for p in sorted(DASHBOARD.rglob("*.py"))
                 for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                 if isinstance(node, ast.ImportFrom) and node.module != "__future__"
                 for a in node.names if a.name.startswith("_")]
    assert offenders == []
