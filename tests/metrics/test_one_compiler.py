"""One compiler: declared predicates and measures become SQL only through ``metrics.compiler.render``.

The scan reads every ``metrics/`` module's string literals (f-strings with their holes) and fails when
one spells out a declared predicate or measure: such a copy misses the next change of the definition
(the as-of instant, the satisfaction weights), which is how two hand-formatted copies broke before.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import metrics
from metrics import compiler
from metrics.compiler import PERIOD_FREE, Bound, period_bound, render
from metrics.predicates import CASES, HOTLINE, TABLES
from metrics.query import QueryError
from tests.source_scan import string_literals

METRICS = Path(metrics.__file__).resolve().parent
OWNERS = {"predicates.py", "compiler.py"}  # where the fragments are declared and rendered
HOLE = r"(?:\$\w+|\{\}|[A-Za-z_]\w*\.\w+)"  # a placeholder became a $parameter, an f-string hole or a column


def literals(source: str) -> list[str]:
    return [text for _, text in string_literals(source)]


def fragment_pattern(template: str) -> re.Pattern[str]:
    """The template with any spacing and anything a placeholder may have become in its holes."""
    words = re.sub(r"\{[sea]\}", "\0", template).split()
    return re.compile(r"\s+".join(re.escape(w).replace("\0", HOLE) for w in words))


def declared_fragments() -> dict[str, re.Pattern[str]]:
    """Declared predicates and measures that are a rule: those over the period, and the longer ones
    (``case_id IS NOT NULL``, ``closed_at < {e}`` or a bare ``proactive`` is a column test, not a
    definition to copy)."""
    out = {}
    for ft in TABLES.values():
        for kind, decl in (("predicate", ft.predicates), ("measure", ft.measures)):
            for name, template in decl.items():
                if len(template) > 20 and (re.search(r"\{[sea]\}", template) or len(template) > 25):
                    out[f"{ft.name}.{kind} {name}"] = fragment_pattern(template)
    return out


def hand_formatted(source: str) -> list[str]:
    found = []
    texts = literals(source)
    for what, pattern in declared_fragments().items():
        if any(pattern.search(t) for t in texts):
            found.append(what)
    tree = ast.parse(source)
    for node in ast.walk(tree):
        # ``ft.predicates[name]`` / ``ft.measures[name]``: the raw template, formatted by the caller
        if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
                and node.value.attr in ("predicates", "measures")):
            found.append(f"raw .{node.value.attr}[...] at line {node.lineno}")
    return found


def test_no_metrics_module_formats_a_declared_predicate_by_hand() -> None:
    offenders = {p.name: got for p in sorted(METRICS.glob("*.py")) if p.name not in OWNERS
                 and (got := hand_formatted(p.read_text(encoding="utf-8")))}
    assert offenders == {}


def test_the_scan_catches_the_copies_it_replaced() -> None:
    # the very lines that were removed from metrics/ (explore, stations, staffing): each must be caught
    assert hand_formatted('X = "registered_at < $a AND (closed_at IS NULL OR closed_at >= $a) AND deadline_at < $a"')
    assert hand_formatted('h = ("date_diff(\'second\', registered_at, closed_at) / 3600.0 >= $d_lo")')
    assert hand_formatted('w = f"WHERE {s} AND registered_at >= $s AND registered_at < $e"')
    assert hand_formatted("def f(ft, n):\n    return ft.predicates[n].format(s='m.s', e='m.e', a='m.a')\n")
    assert hand_formatted('q = "SELECT count(*) FILTER (WHERE due_at >= $s0 AND due_at < $e0) FROM t"')
    # and does not flag what merely shares a column name
    assert not hand_formatted('w = "received_at >= $lookback AND category IS NOT NULL"')


def test_the_dead_and_duplicate_renderers_are_gone() -> None:
    assert not hasattr(compiler, "aggregate_sql")
    assert not hasattr(compiler, "predicate_sql")


def test_render_binds_the_given_bounds_and_names_its_parameters() -> None:
    got = render(CASES, ("due", "closed_by_end"), period_bound(1))
    assert got.where == ("(registered_at < $e1 AND deadline_at < $a1 AND (deadline_at >= $s1 OR closed_at IS NULL "
                         "OR closed_at >= $s1)) AND (closed_at < $e1)")
    assert got.params == frozenset({"s1", "e1", "a1"}) and got.measure is None
    sat = render(HOTLINE, ("rated",), PERIOD_FREE, "satisfaction_score")
    assert sat.params == frozenset({"w_satisfied", "w_basic", "w_unsatisfied"})
    assert render(CASES, ()).where == "true"


def test_render_refuses_a_period_predicate_without_its_bound() -> None:
    with pytest.raises(QueryError, match="needs the period bound"):
        render(CASES, ("registered",), PERIOD_FREE)
    with pytest.raises(QueryError, match="needs the period bound"):
        render(CASES, ("open_at_end",), Bound("$s", "$e", None))
    with pytest.raises(QueryError, match="not declared"):
        render(CASES, ("nonsense",), PERIOD_FREE)



def test_one_unit_scope() -> None:
    """The unit subtree filter is written once (``compiler.unit_clause``); the other modules ask for it."""
    scope = re.compile(r"=\s*\$unit\b|(district|town|grid|village)_code\s*=\s*[?$]")
    offenders = [p.name for p in sorted(METRICS.glob("*.py")) if p.name != "compiler.py"
                 and any(scope.search(t) for t in literals(p.read_text(encoding="utf-8")))]
    assert offenders == []
