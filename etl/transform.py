"""Compile a mapping's field specs into SQL expressions over a staging table.

Only identifiers from the mapping (quoted) and from etl.schema are interpolated; every value from a
mapping (map keys and values, constants, formats, regexes, zones) is bound as a parameter, collected
in a :class:`Sql` builder alongside the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from etl.mapping import NONE_WORD, FieldSpec, NumberFormat

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


def _value(value: Any, sql: Sql) -> str:
    """A declared value as SQL text; "none" is an explicit NULL (a channel with no threshold)."""
    if isinstance(value, str) and value.strip().lower() == NONE_WORD:
        return "NULL::VARCHAR"
    return f"CAST({sql.bind(sql_str(value))} AS VARCHAR)"


def base_expr(spec: FieldSpec, types: dict[str, str], sql: Sql, label: str) -> tuple[str, str]:
    """(expression, type) of a field before conversion to its warehouse type."""
    if spec.constant is not None:
        expr, typ = _value(spec.constant, sql), "VARCHAR"
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
        nums = [float(v) for v in spec.null_if if is_number(v)]
        num_arm = f" OR list_contains({sql.bind(nums)}::DOUBLE[], TRY_CAST({text} AS DOUBLE))" if nums else ""
        expr = (f"(CASE WHEN list_contains({sql.bind(list(spec.null_if))}, {text}){num_arm} THEN NULL"
                f" ELSE {expr} END)")
    if spec.map:
        key = f"CAST({expr} AS VARCHAR)"
        whens = " ".join(
            f"WHEN {key} = {sql.bind(k)} THEN {_value(v, sql)}" for k, v in spec.map.items()
        )
        els = _value(spec.default, sql) if spec.default is not None else key
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


def is_number(text: str) -> bool:
    """Whether Python reads ``text`` as a number (a null_if value, a drafted column's cell)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


# Spreadsheets store a date as days since 1899-12-30 (43563.359259 = 2019-04-08 08:37:20); typed date
# cells read as text arrive in that form too. Only 5-digit serials (1927-2173) are taken as dates, so
# a year ("2019") or a compact date ("20190408") is never mistaken for one.
SERIAL_RE = r"^\d{5}(\.\d+)?$"


def excel_serial(expr: str) -> str:
    """TIMESTAMP from a spreadsheet serial day number in text ``expr``, else NULL."""
    return (f"(CASE WHEN regexp_matches({expr}, '{SERIAL_RE}') THEN TIMESTAMP '1899-12-30'"
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


DEFAULT_NUMBERS = NumberFormat()
# A clock time followed by a UTC offset: "…12:00:00Z", "…12:00+08:00", "…12:00:00 -0500".
OFFSET_RE = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"


def _has_offset_format(formats: tuple[str, ...]) -> bool:
    return any("%z" in f or "%Z" in f for f in formats)


def _bounded(ts: str, bounds: tuple[str, str] | None) -> str:
    return ts if bounds is None else f"(CASE WHEN {ts} BETWEEN {bounds[0]} AND {bounds[1]} THEN {ts} END)"


def _timestamp(expr: str, sql: Sql, formats: tuple[str, ...], zone: str | None, site_zone: str,
               bounds: tuple[str, str] | None) -> str:
    """A text timestamp as the site's local time. A value with an offset (``%z`` formats, ISO ``Z`` /
    ``+08:00`` without formats) is an instant: converted to the site zone, the mapping's zone unused.
    A naive value (or a spreadsheet serial day number) is a clock time in the mapping's zone (the
    site's when none is given). ``bounds`` apply to the parsed time before any zone arithmetic."""
    def to_site(naive: str) -> str:
        if zone and zone != site_zone:
            return f"timezone({sql.bind(site_zone)}, timezone({sql.bind(zone)}, {naive}))"
        return naive

    with_offsets = not formats or _has_offset_format(formats)
    if formats and with_offsets:
        # strptime with %z gives TIMESTAMPTZ for every format of the list; a naive match is then the
        # clock time read as UTC, so timezone('UTC', ...) gives that clock time back.
        # DuckDB's %z reads +00:00 / +0000 but not ISO's Z, which means +00:00.
        zulu = (f"(CASE WHEN contains({expr}, 'Z') THEN regexp_replace(trim({expr}), 'Z$', '+00:00')"
                f" ELSE trim({expr}) END)")  # the regex only where it can match
        parsed = f"try_strptime({zulu}, {sql.bind(list(formats))})"
        instant, naive = parsed, f"timezone('UTC', {parsed})"
    elif formats:
        instant, naive = "", f"try_strptime({expr}, {sql.bind(list(formats))})"
    else:
        instant, naive = f"TRY_CAST({expr} AS TIMESTAMPTZ)", f"TRY_CAST({expr} AS TIMESTAMP)"
    local = to_site(_bounded(f"coalesce({naive}, {excel_serial(expr)})", bounds))
    if not with_offsets:
        return local
    utc = _bounded(f"timezone('UTC', {instant})", bounds)
    # The regex costs more than the rest of a naive timestamp's parse: a cheap necessary condition goes
    # first (an offset is a Z, a '+', or a '-' after the time's ':'); a CASE condition's AND short-circuits.
    text = f"trim({expr})"
    maybe = f"(contains({expr}, 'Z') OR contains({expr}, '+') OR {expr} LIKE '%:%-%')"
    return (f"(CASE WHEN {maybe} AND regexp_matches({text}, {sql.bind(OFFSET_RE)})"
            f" THEN timezone({sql.bind(site_zone)}, timezone('UTC', {utc})) ELSE {local} END)")


def number_text(expr: str, sql: Sql, numbers: NumberFormat) -> str:
    """Text written with ``numbers``' marks as text DuckDB casts (no separator, '.' as decimal)."""
    out = f"trim({expr})"
    if numbers.thousands:
        out = f"replace({out}, {sql.bind(numbers.thousands)}, '')"
    if numbers.decimal != ".":
        out = f"replace({out}, {sql.bind(numbers.decimal)}, '.')"
    return out


def convert(expr: str, src_type: str, target: str, sql: Sql, *, formats: tuple[str, ...], zone: str | None,
            site_zone: str, bounds: tuple[str, str] | None = None, numbers: NumberFormat = DEFAULT_NUMBERS) -> str:
    """Convert ``expr`` to the warehouse type; a non-null input that fails gives NULL (checked later).

    ``bounds`` (two TIMESTAMP SQL expressions): a parsed time outside them gives NULL too, before any
    zone arithmetic (which would overflow on a year 9999)."""
    target = target.upper()
    src = src_type.upper()
    if target == "VARCHAR":
        return f"CAST({expr} AS VARCHAR)"
    if target in ("TIMESTAMP", "DATE"):
        if src == "VARCHAR":
            ts = _timestamp(expr, sql, formats, zone, site_zone, bounds)
        else:
            ts, in_site_zone = parse_ts(expr, src, sql, formats, site_zone)
            ts = _bounded(ts, bounds)
            if zone and zone != site_zone and not in_site_zone:
                ts = f"timezone({sql.bind(site_zone)}, timezone({sql.bind(zone)}, {ts}))"
        return f"CAST({ts} AS DATE)" if target == "DATE" else ts
    if target in ("DOUBLE", "INTEGER", "BIGINT"):
        if src == "VARCHAR":
            return f"TRY_CAST({number_text(expr, sql, numbers)} AS {target})"
        return f"TRY_CAST({expr} AS {target})"
    if target == "BOOLEAN":
        if src == "BOOLEAN":
            return expr
        low = f"lower(trim(CAST({expr} AS VARCHAR)))"
        return (f"(CASE WHEN list_contains({sql.bind(TRUE_WORDS)}, {low}) THEN true"
                f" WHEN list_contains({sql.bind(FALSE_WORDS)}, {low}) THEN false ELSE NULL END)")
    return f"TRY_CAST({expr} AS {target})"
