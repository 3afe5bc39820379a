"""Refuse a numeric column whose decimal mark cannot be trusted, before anything is written.

A decimal comma read under the default convention ("2,6" with ',' as thousands separator) becomes 26:
a plausible value that no range check catches. So a text column is scanned once: values that can only
be decimal commas ("2,6", "19,50"), values that can only be decimal points ("2.6"), and values that read
differently under the two conventions ("1,017": 1017 or 1.017). Mixing the first two is refused
whatever the mapping says; the others are refused unless the mapping declares ``[numbers]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from etl.mapping import NumberFormat
from etl.transform import q

_COMMA_DECIMAL = r"^[+-]?\d*,\d+$"          # one comma, no point
_COMMA_GROUPS = r"^[+-]?\d{1,3}(,\d{3})+$"  # also a valid thousands grouping
_POINT_DECIMAL = r"^[+-]?\d*\.\d+$"          # one point, no comma
_POINT_GROUPS = r"^[+-]?\d{1,3}(\.\d{3})+$"
_AMBIGUOUS_COMMA = r"^[+-]?\d{1,3},\d{3}$"   # 1,017: thousands or decimal
_SURE_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3}){2,}(\.\d+)?$|^[+-]?\d{1,3}(,\d{3})+\.\d+$"


class NumberFormatError(ValueError):
    """A numeric column whose values do not fit one decimal convention; names the mapping option."""


@dataclass(frozen=True)
class _Counts:
    comma_decimal: int
    point_decimal: int
    ambiguous: int
    sure_thousands: int
    comma_example: str | None
    point_example: str | None


def _counts(con: duckdb.DuckDBPyConnection, table: str, column: str) -> _Counts:
    c = f"trim(CAST({q(column)} AS VARCHAR))"
    comma = f"(regexp_full_match({c}, $1) AND NOT regexp_full_match({c}, $2))"
    point = f"(regexp_full_match({c}, $3) AND NOT regexp_full_match({c}, $4))"
    row = con.execute(
        f"SELECT count_if({comma}), count_if({point}), count_if(regexp_full_match({c}, $5)),"
        f" count_if(regexp_full_match({c}, $6)), min({c}) FILTER ({comma}), min({c}) FILTER ({point})"
        f" FROM {table} WHERE contains({c}, ',') OR contains({c}, '.')",
        [_COMMA_DECIMAL, _COMMA_GROUPS, _POINT_DECIMAL, _POINT_GROUPS, _AMBIGUOUS_COMMA, _SURE_THOUSANDS],
    ).fetchone()
    assert row is not None
    comma_decimal, point_decimal, ambiguous, sure_thousands = (int(v or 0) for v in row[:4])
    return _Counts(comma_decimal, point_decimal, ambiguous, sure_thousands, row[4], row[5])


def check_column(con: duckdb.DuckDBPyConnection, table: str, column: str, numbers: NumberFormat,
                 label: str) -> None:
    """Raise :class:`NumberFormatError` when ``column`` of ``table`` mixes or hides its decimal mark."""
    # Every refusal below needs a comma (a decimal comma, or '1,017'), so a column without one passes
    # on a plain scan (issue 19: the six regular expressions over every coordinate of a 1M-row file
    # cost a second).
    comma = con.execute(f"SELECT 1 FROM {table} WHERE contains(CAST({q(column)} AS VARCHAR), ',') LIMIT 1")
    if comma.fetchone() is None:
        return
    n = _counts(con, table, column)
    if n.comma_decimal and n.point_decimal:
        raise NumberFormatError(
            f"{label}: column {column!r} mixes decimal commas ({n.comma_example!r}) and decimal points"
            f" ({n.point_example!r}); one file must use one convention ([numbers] decimal)")
    if numbers.declared:
        return
    if n.comma_decimal:
        raise NumberFormatError(
            f"{label}: column {column!r} has values written with a decimal comma ({n.comma_example!r});"
            ' declare it in the mapping: [numbers] decimal = ","')
    if n.ambiguous and not n.point_decimal and not n.sure_thousands:
        raise NumberFormatError(
            f"{label}: column {column!r} has values like '1,017' that read as 1017 (thousands separator)"
            ' or 1.017 (decimal comma); declare which: [numbers] decimal = "," or [numbers] thousands = ","')
