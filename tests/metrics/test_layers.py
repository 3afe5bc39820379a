"""The metrics package's own structure: no import circle, no private helper used across modules,
no Dash. Read from the source (AST), so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import metrics

METRICS = Path(metrics.__file__).resolve().parent


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) of every import in a module, relative ones resolved to ``metrics.*``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = "metrics" + ("." + base if base else "")
            names = [a.name for a in node.names]
            if not node.module and node.level:  # ``from . import x``: each name is a module
                out += [(f"metrics.{n}", [], node.lineno) for n in names]
            else:
                out.append((base, names, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
    return out


def graph() -> dict[str, set[str]]:
    mods = {f"metrics.{p.stem}": p for p in METRICS.glob("*.py") if p.stem != "__init__"}
    return {m: {t for t, _, _ in imports(p) if t in mods and t != m} for m, p in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(m: str) -> None:
        state[m] = "open"
        stack.append(m)
        for t in sorted(g.get(m, ())):
            if state.get(t) == "open":
                found.append([*stack[stack.index(t):], t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = "done"

    for m in sorted(g):
        if m not in state:
            visit(m)
    return found


def test_no_import_circle_in_metrics() -> None:
    assert cycles(graph()) == []


def test_the_circle_check_sees_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_ranking_and_scores_share_peer_groups_from_their_own_module() -> None:
    g = graph()
    assert "metrics.ranking" not in g["metrics.scores"]
    assert "metrics.peers" in g["metrics.scores"] and "metrics.peers" in g["metrics.ranking"]


def test_no_private_helper_is_imported_across_modules() -> None:
    offenders = [f"{p.name}:{line} {name} from {mod}" for p in sorted(METRICS.glob("*.py"))
                 for mod, names, line in imports(p) if mod.startswith("metrics")
                 for name in names if name.startswith("_") and name != "__future__"]
    assert offenders == []


def test_metrics_imports_no_dash_or_flask() -> None:
    offenders = [f"{p.name}:{line} {mod}" for p in sorted(METRICS.glob("*.py"))
                 for mod, _, line in imports(p) if mod.split(".")[0] in ("dash", "flask", "dashboard")]
    assert offenders == []
