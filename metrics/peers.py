"""Peer groups: the units a unit is ranked and scored against (街镇 with 街镇 of its kind, stations by
station type, departments by their group). Read by both ``metrics.scores`` (volume bands per group)
and ``metrics.ranking`` (ranks restart in every group), so it lives in neither."""

from __future__ import annotations

import duckdb

from etl.schema import PATH_LEVELS


def peer_groups(con: duckdb.DuckDBPyConnection, level: str) -> dict[str, str]:
    if level in PATH_LEVELS:
        sql, params = "SELECT unit_code, peer_group FROM org_unit WHERE level = $l", {"l": level}
    elif level == "station":
        sql, params = "SELECT station_code, station_type FROM station", {}
    elif level == "department":
        sql, params = "SELECT dept_code, peer_group FROM department", {}
    else:
        return {}
    return {str(k): (str(g) if g is not None else "all") for k, g in con.execute(sql, params).fetchall()}
