"""Reading a module's source for the layer-rule tests: its string literals, as written."""

from __future__ import annotations

import ast


def string_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal of a module; an f-string's expressions become ``{}``."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            out.append((node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.lineno, node.value))
    return out
