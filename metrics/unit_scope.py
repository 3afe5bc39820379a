"""Where a unit sits in the org_unit hierarchy: what access control needs to clamp a query.

``dashboard.access`` asks two questions of a user's unit scope: which units lie in its subtree
(rows outside it are dropped) and which units lie above a requested unit (a request for the whole
district by a 街镇 user is clamped down to the 街镇). Both are single recursive queries with bound
parameters; an unknown code yields just itself, which lies in no one else's subtree.
"""

from __future__ import annotations

import duckdb

_LINEAGE = """
WITH RECURSIVE up(code, depth) AS (
    SELECT ?::VARCHAR, 0
    UNION ALL
    SELECT o.parent_code, up.depth + 1 FROM org_unit o JOIN up ON o.unit_code = up.code
    WHERE o.parent_code IS NOT NULL AND up.depth < 16
)
SELECT code FROM up ORDER BY depth
"""

_SUBTREE = """
WITH RECURSIVE down(code, depth) AS (
    SELECT ?::VARCHAR, 0
    UNION ALL
    SELECT o.unit_code, down.depth + 1 FROM org_unit o JOIN down ON o.parent_code = down.code
    WHERE down.depth < 16
)
SELECT DISTINCT code FROM down
"""


def unit_lineage(con: duckdb.DuckDBPyConnection, unit_code: str) -> tuple[str, ...]:
    """The unit and its ancestors, nearest first: (village, grid, town, district)."""
    return tuple(str(r[0]) for r in con.execute(_LINEAGE, [unit_code]).fetchall())


def unit_subtree(con: duckdb.DuckDBPyConnection, unit_code: str) -> frozenset[str]:
    """The unit and every unit below it."""
    return frozenset(str(r[0]) for r in con.execute(_SUBTREE, [unit_code]).fetchall())


def unit_exists(con: duckdb.DuckDBPyConnection, unit_code: str) -> bool:
    """Whether ``unit_code`` is a unit of the warehouse (a scope must name one)."""
    row = con.execute("SELECT count(*) FROM org_unit WHERE unit_code = ?", [unit_code]).fetchone()
    return row is not None and int(row[0]) > 0
