"""Compile a mapping's field specs into SQL expressions over a staging table.

Only identifiers from the mapping (quoted) and from etl.schema are interpolated; every value from a
mapping (map keys and values, constants, formats, regexes, zones) is bound as a parameter, collected
in a :class:`Sql` builder alongside the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from etl.mapping import FieldSpec

_TEMPLATE_RE = re.compile(r"\{([^{}:]+)(?::0?(\d+))?\}")


def q(identifier: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + identifier.replace('"', '""') + '"'


def sql_str(value: Any) -> str:
    """A mapping value as the text it is compared / stored as (TOML booleans become 'true'/'false')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Sql:
    """SQL text with its positional parameters, built up piece by piece."""

    params: list[Any] = field(default_factory=list)

    def bind(self, value: Any) -> str:
        # Numbered placeholders: an expression may be repeated in the text (CASE arms) and still
        # refer to the same parameter.
        self.params.append(value)
        return f"${len(self.params)}"


class SpecError(ValueError):
    pass


def _is_text(type_: str) -> bool:
    return type_.upper() == "VARCHAR"


def base_expr(spec: FieldSpec, types: dict[str, str], sql: Sql, label: str) -> tuple[str, str]:
    """(expression, type) of a field before conversion to its warehouse type."""
    if spec.constant is not None:
        expr, typ = f"CAST({sql.bind(sql_str(spec.constant))} AS VARCHAR)", "VARCHAR"
    elif spec.template is not None:
        expr, typ = _template(spec, types, sql, label), "VARCHAR"
    else:
        col = spec.column or ""
        if col not in types:
            raise SpecError(f"{label}: source column {col!r} not in the file (columns: {', '.join(types)})")
        expr, typ = q(col), types[col]
        if spec.regex is not None:
            groups = re.compile(spec.regex).groupindex
            (name, idx), = groups.items()
            expr = _group(expr, typ, spec, name, idx, sql)
            typ = "VARCHAR"
        elif _is_text(typ):
            expr = f"nullif(trim({expr}), '')"
    if spec.null_if:
        text = f"trim(CAST({expr} AS VARCHAR))"
        # Numbers compare as numbers too, so "-73.9" blanks "-73.900" as well.
        nums = [float(v) for v in spec.null_if if _is_number(v)]
        num_arm = f" OR list_contains({sql.bind(nums)}::DOUBLE[], TRY_CAST({text} AS DOUBLE))" if nums else ""
        expr = (f"(CASE WHEN list_contains({sql.bind(list(spec.null_if))}, {text}){num_arm} THEN NULL"
                f" ELSE {expr} END)")
    if spec.map:
        key = f"CAST({expr} AS VARCHAR)"
        whens = " ".join(
            f"WHEN {key} = {sql.bind(k)} THEN CAST({sql.bind(sql_str(v))} AS VARCHAR)" for k, v in spec.map.items()
        )
        els = f"CAST({sql.bind(sql_str(spec.default))} AS VARCHAR)" if spec.default is not None else key
        # A NULL stays NULL: "missing" must not turn into the default silently.
        expr = f"(CASE WHEN {expr} IS NULL THEN NULL {whens} ELSE {els} END)"
        typ = "VARCHAR"
    elif spec.default is not None:
        expr = f"coalesce(CAST({expr} AS VARCHAR), CAST({sql.bind(sql_str(spec.default))} AS VARCHAR))"
        typ = "VARCHAR"
    return expr, typ


def _group(col_expr: str, typ: str, spec: FieldSpec, name: str, idx: int, sql: Sql) -> str:
    text = f"CAST({col_expr} AS VARCHAR)" if not _is_text(typ) else f"trim({col_expr})"
    g = f"nullif(regexp_extract({text}, {sql.bind(spec.regex)}, {int(idx)}), '')"
    gmap = spec.group_maps.get(name)
    if gmap:
        whens = " ".join(f"WHEN {sql.bind(k)} THEN {sql.bind(sql_str(v))}" for k, v in gmap.items())
        g = f"(CASE {g} {whens} ELSE NULL END)"  # an unmapped group value makes the code unknown
    return g


def _template(spec: FieldSpec, types: dict[str, str], sql: Sql, label: str) -> str:
    tmpl = spec.template or ""
    groups = dict(re.compile(spec.regex).groupindex) if spec.regex else {}
    parts: list[str] = []
    pos = 0
    for m in _TEMPLATE_RE.finditer(tmpl):
        if m.start() > pos:
            parts.append(f"CAST({sql.bind(tmpl[pos:m.start()])} AS VARCHAR)")
        var, width = m.group(1), m.group(2)
        if var in groups:
            piece = _group(q(spec.column or ""), types.get(spec.column or "", "VARCHAR"), spec, var, groups[var], sql)
        elif var in types:
            piece = f"nullif(trim(CAST({q(var)} AS VARCHAR)), '')"
            gmap = spec.group_maps.get(var)
            if gmap:
                whens = " ".join(f"WHEN {sql.bind(k)} THEN {sql.bind(sql_str(v))}" for k, v in gmap.items())
                piece = f"(CASE {piece} {whens} ELSE {piece} END)"
        else:
            raise SpecError(f"{label}: template variable {{{var}}} is neither a column nor a regex group")
        if width:
            piece = f"lpad({piece}, {int(width)}, '0')"
        parts.append(piece)
        pos = m.end()
    if pos < len(tmpl):
        parts.append(f"CAST({sql.bind(tmpl[pos:])} AS VARCHAR)")
    # `||` propagates NULL: a template with a missing piece is missing, not half-filled.
    return "(" + " || ".join(parts or ["NULL::VARCHAR"]) + ")"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# Spreadsheets store a date as days since 1899-12-30 (43563.359259 = 2019-04-08 08:37:20); typed date
# cells read as text arrive in that form too. Only 5-digit serials (1927-2173) are taken as dates, so
# a year ("2019") or a compact date ("20190408") is never mistaken for one.
_SERIAL_RE = r"^\d{5}(\.\d+)?$"


def excel_serial(expr: str) -> str:
    """TIMESTAMP from a spreadsheet serial day number in text ``expr``, else NULL."""
    return (f"(CASE WHEN regexp_matches({expr}, '{_SERIAL_RE}') THEN TIMESTAMP '1899-12-30'"
            f" + to_microseconds(CAST(round(CAST({expr} AS DOUBLE) * 86400) * 1000000 AS BIGINT)) END)")


def parse_ts(expr: str, src_type: str, sql: Sql, formats: tuple[str, ...], site_zone: str) -> tuple[str, bool]:
    """(TIMESTAMP expression in the source's own zone, whether it is already in the site zone)."""
    src = src_type.upper()
    if src == "VARCHAR":
        parsed = f"try_strptime({expr}, {sql.bind(list(formats))})" if formats else f"TRY_CAST({expr} AS TIMESTAMP)"
        return f"coalesce({parsed}, {excel_serial(expr)})", False
    if src.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"timezone({sql.bind(site_zone)}, {expr})", True
    if src in ("DOUBLE", "FLOAT", "DECIMAL") or src.startswith("DECIMAL"):
        return excel_serial(f"CAST({expr} AS VARCHAR)"), False
    return f"TRY_CAST({expr} AS TIMESTAMP)", False


TRUE_WORDS = ["true", "t", "1", "yes", "y", "是", "√"]
FALSE_WORDS = ["false", "f", "0", "no", "n", "否", "×"]


def convert(expr: str, src_type: str, target: str, sql: Sql, *, formats: tuple[str, ...], zone: str | None,
            site_zone: str, bounds: tuple[str, str] | None = None) -> str:
    """Convert ``expr`` to the warehouse type; a non-null input that fails gives NULL (checked later).

    ``bounds`` (two TIMESTAMP SQL expressions): a parsed time outside them gives NULL too, before any
    zone arithmetic (which would overflow on a year 9999)."""
    target = target.upper()
    src = src_type.upper()
    if target == "VARCHAR":
        return f"CAST({expr} AS VARCHAR)"
    if target in ("TIMESTAMP", "DATE"):
        ts, in_site_zone = parse_ts(expr, src, sql, formats, site_zone)
        if in_site_zone:
            zone = None
        if bounds is not None:
            ts = f"(CASE WHEN {ts} BETWEEN {bounds[0]} AND {bounds[1]} THEN {ts} END)"
        if zone and zone != site_zone:
            ts = f"timezone({sql.bind(site_zone)}, timezone({sql.bind(zone)}, {ts}))"
        return f"CAST({ts} AS DATE)" if target == "DATE" else ts
    if target in ("DOUBLE", "INTEGER", "BIGINT"):
        if src == "VARCHAR":
            # Spreadsheet exports quote thousands separators ("1,017,901").
            return f"TRY_CAST(replace({expr}, ',', '') AS {target})"
        return f"TRY_CAST({expr} AS {target})"
    if target == "BOOLEAN":
        if src == "BOOLEAN":
            return expr
        low = f"lower(trim(CAST({expr} AS VARCHAR)))"
        return (f"(CASE WHEN list_contains({sql.bind(TRUE_WORDS)}, {low}) THEN true"
                f" WHEN list_contains({sql.bind(FALSE_WORDS)}, {low}) THEN false ELSE NULL END)")
    return f"TRY_CAST({expr} AS {target})"
