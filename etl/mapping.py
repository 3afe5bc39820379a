"""Declarative mapping files: how one source system's export becomes warehouse rows.

A mapping is TOML (see docs/etl.md for the full format). Everything a new export needs — column
names, timestamp formats and zone, value maps, datum, unit resolution, unpivot, range checks — is
declared here so a new source loads without code changes. Parsing is strict: unknown keys and
wrong types fail with a message naming the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from etl import schema
from etl.datum import DATUMS

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
KIND_TABLE = {t.loadable_as: t.name for t in schema.TABLES if t.loadable_as}
# Reference tables a demo or a master-data export may carry besides the schema's loadable kinds.
KIND_TABLE |= {"alarms": "sensor_alarms", "stations": "station", "departments": "department",
               "categories": "case_category"}
FORMATS = ("auto", "csv", "xlsx", "parquet", "json", "geojson")
UNIT_METHODS = ("code", "name", "point")
_TEMPLATE_RE = re.compile(r"\{([^{}:]+)(?::0?(\d+))?\}")
CANCELLED = "cancelled"  # the warehouse status of orders / cases withdrawn before closure
# Timestamps outside [not_before, load time + future_days] are rejected as timestamp_out_of_range.
DEFAULT_NOT_BEFORE = date(1900, 1, 1)
DEFAULT_FUTURE_DAYS = 366


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class FieldSpec:
    """How one warehouse field is computed from a source row.

    Exactly one of ``column`` / ``template`` / ``constant``. ``regex`` (named groups) applies to
    ``column`` and its groups become template variables; ``group_maps`` maps group values;
    ``map`` maps the result; unmapped values become ``default`` when given, else pass through.
    """

    column: str | None = None
    template: str | None = None
    constant: Any = None
    regex: str | None = None
    group_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    map: Mapping[str, Any] = field(default_factory=dict)
    default: Any = None
    formats: tuple[str, ...] = ()
    zone: str | None = None
    # Numbers: value * scale + offset (unit conversion, e.g. mm -> m); ``from_baseline`` (readings'
    # value only) stores the sensor's ``baseline`` minus the converted value (distance -> depth).
    scale: float | None = None
    offset: float | None = None
    from_baseline: bool = False
    # Source values that mean "no value" for this field only (a geocoder's placeholder point, a
    # "1900-01-01" date): the value is blanked, the row is kept.
    null_if: tuple[str, ...] = ()

    def template_vars(self) -> list[str]:
        return [m.group(1) for m in _TEMPLATE_RE.finditer(self.template or "")]


@dataclass(frozen=True)
class FileOptions:
    format: str = "auto"
    encoding: str = "auto"
    delimiter: str | None = None
    sheet: str | None = None
    null_values: tuple[str, ...] = ("",)
    header: bool = True
    skip: int = 0  # CSV lines before the header (a logger's preamble)


@dataclass(frozen=True)
class NumberFormat:
    """How numbers are written in the source: ``decimal`` mark and ``thousands`` separator.

    ``declared`` is false when the mapping says nothing: then a column that looks written with a
    decimal comma, or that reads differently under the two conventions, is refused (never guessed).
    """

    decimal: str = "."
    thousands: str = ","
    declared: bool = False


@dataclass(frozen=True)
class UnitResolution:
    chain: tuple[str, ...] = ()
    code: FieldSpec | None = None
    name: FieldSpec | None = None
    name_level: str | None = None
    point_level: str | None = None
    required: bool = True


@dataclass(frozen=True)
class Coords:
    lon: FieldSpec
    lat: FieldSpec
    datum: str = "WGS-84"
    check_jurisdiction: bool = True


@dataclass(frozen=True)
class Unpivot:
    columns: tuple[str, ...]
    name: str = "__name"
    value: str = "__value"


@dataclass(frozen=True)
class RangeCheck:
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class SourceMapping:
    path: str
    source_system: str
    kind: str
    file: FileOptions
    fields: Mapping[str, FieldSpec]
    time_formats: tuple[str, ...] = ()
    time_zone: str | None = None
    not_before: date = DEFAULT_NOT_BEFORE
    not_after: date | None = None  # None: the load time + future_days
    future_days: int = DEFAULT_FUTURE_DAYS
    coords: Coords | None = None
    unit: UnitResolution | None = None
    unpivot: Unpivot | None = None
    checks: Mapping[str, RangeCheck] = field(default_factory=dict)
    identity: bool = False
    constant_rows: tuple[Mapping[str, Any], ...] = ()
    geometry: FieldSpec | None = None
    geometry_datum: str = "WGS-84"
    geometry_approximate: bool = False
    collapse_identical: bool = False
    geometry_approximate_column: str | None = None
    geometry_optional: bool = False  # a file without the geometry column loads units only
    numbers: NumberFormat = NumberFormat()

    @property
    def table(self) -> str:
        return KIND_TABLE[self.kind]


def _err(path: str, key: str, msg: str) -> MappingError:
    return MappingError(f"mapping {path}: [{key}] {msg}")


def _check_keys(path: str, where: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _err(path, where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _str_map(path: str, key: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _err(path, key, "must be a table of source value = warehouse value")
    return {str(k): v for k, v in raw.items()}


_FIELD_KEYS = {"column", "template", "constant", "regex", "group_maps", "map", "default", "formats", "format", "zone",
               "null_if", "cancelled", "scale", "offset", "from_baseline"}
NONE_WORD = "none"  # a map value or constant "none" means an explicit NULL (TOML has no null)


def _number(path: str, key: str, raw: Any) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _err(path, key, "must be a number")
    return float(raw)


def parse_field(path: str, key: str, raw: Any) -> FieldSpec:
    if isinstance(raw, str):
        return FieldSpec(column=raw)
    if not isinstance(raw, Mapping):
        raise _err(path, key, "must be a column name or a table {column|template|constant = ...}")
    _check_keys(path, key, raw, _FIELD_KEYS)
    sources = [k for k in ("column", "template", "constant") if k in raw]
    # column + regex + template is the one combination: the template formats the regex groups.
    combined = sources == ["column", "template"] and "regex" in raw
    if len(sources) != 1 and not combined:
        raise _err(path, key, "needs exactly one of column, template, constant (or column + regex + template)")
    regex = raw.get("regex")
    if regex is not None:
        if "column" not in raw:
            raise _err(path, key, "regex applies to a column: add column = ...")
        try:
            groups = re.compile(regex).groupindex
        except re.error as exc:
            raise _err(path, f"{key}.regex", f"invalid regular expression: {exc}") from exc
        if not groups:
            raise _err(path, f"{key}.regex", "needs named groups (?P<name>...) for the template")
        if "template" not in raw and len(groups) != 1:
            raise MappingError(f"mapping {path}: [{key}] regex with several groups needs a template")
    formats = raw.get("formats", raw.get("format", ()))
    if isinstance(formats, str):
        formats = (formats,)
    group_maps = raw.get("group_maps", {})
    null_if = raw.get("null_if", ())
    if isinstance(null_if, (str, int, float)):
        null_if = (null_if,)
    if not isinstance(null_if, (list, tuple)):
        raise _err(path, f"{key}.null_if", "must be a list of source values")
    value_map = _str_map(path, f"{key}.map", raw.get("map", {}))
    cancelled = raw.get("cancelled", ())
    if cancelled:
        if key != "fields.status":
            raise _err(path, key, "cancelled applies to the status field only")
        if not isinstance(cancelled, list):
            raise _err(path, f"{key}.cancelled", "must be a list of source status values")
        # Declared cancelled values become the warehouse status 'cancelled', which the metrics
        # leave out of closure (docs/metrics.md).
        value_map |= {str(v): CANCELLED for v in cancelled}
    spec = FieldSpec(
        column=raw.get("column"),
        template=raw.get("template"),
        constant=raw.get("constant"),
        regex=regex,
        group_maps={g: _str_map(path, f"{key}.group_maps.{g}", m) for g, m in _str_map(
            path, f"{key}.group_maps", group_maps).items()},
        map=value_map,
        default=raw.get("default"),
        formats=tuple(str(f) for f in formats),
        zone=raw.get("zone"),
        scale=_number(path, f"{key}.scale", raw.get("scale")),
        offset=_number(path, f"{key}.offset", raw.get("offset")),
        from_baseline=bool(raw.get("from_baseline", False)),
        null_if=tuple(str(v) for v in null_if),
    )
    return spec


def _numbers(path: str, raw: Mapping[str, Any]) -> NumberFormat:
    if not raw:
        return NumberFormat()
    _check_keys(path, "numbers", raw, {"decimal", "thousands"})
    decimal = raw.get("decimal", ".")
    if decimal not in (".", ","):
        raise _err(path, "numbers.decimal", f'must be "." or ",", not {decimal!r}')
    thousands = raw.get("thousands", "," if decimal == "." and "thousands" not in raw else "")
    if thousands not in ("", ",", ".", " ", "\u00a0", "'"):
        raise _err(path, "numbers.thousands", f"must be one of \"\", \",\", \".\", \" \", \"'\", not {thousands!r}")
    if thousands == decimal:
        raise _err(path, "numbers.thousands", f"cannot be the decimal mark {decimal!r}")
    return NumberFormat(decimal, thousands, True)


def _date(path: str, key: str, raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise _err(path, key, f"must be a date (1990-01-01), not {raw!r}") from exc


def _table(path: str, raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise _err(path, key, "must be a table")
    return value


def parse_mapping(text: str, path: str = "<string>") -> SourceMapping:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping {path} is not valid TOML: {exc}") from exc
    _check_keys(path, "top level", raw, {
        "source_system", "kind", "file", "time", "fields", "coords", "unit", "unpivot", "checks",
        "identity", "constant_rows", "geometry", "description", "collapse_identical", "numbers",
    })
    for req in ("source_system", "kind"):
        if not isinstance(raw.get(req), str) or not raw[req]:
            raise _err(path, req, "is required (a non-empty string)")
    kind = raw["kind"]
    if kind not in KIND_TABLE:
        raise _err(path, "kind", f"must be one of {', '.join(sorted(KIND_TABLE))}, not {kind!r}")
    table = schema.TABLE_BY_NAME[KIND_TABLE[kind]]

    f = _table(path, raw, "file")
    _check_keys(path, "file", f, {"format", "encoding", "delimiter", "sheet", "null_values", "header", "skip"})
    skip = f.get("skip", 0)
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise _err(path, "file.skip", f"must be a number of lines (0 or more), not {skip!r}")
    if f.get("format", "auto") not in FORMATS:
        raise _err(path, "file.format", f"must be one of {', '.join(FORMATS)}")
    fopts = FileOptions(
        format=f.get("format", "auto"), encoding=str(f.get("encoding", "auto")).lower(),
        delimiter=f.get("delimiter"), sheet=f.get("sheet"),
        null_values=tuple(f.get("null_values", ("",))), header=bool(f.get("header", True)), skip=skip,
    )

    t = _table(path, raw, "time")
    _check_keys(path, "time", t, {"formats", "zone", "not_before", "not_after", "future_days"})
    tformats = t.get("formats", ())
    tformats = (tformats,) if isinstance(tformats, str) else tuple(tformats)
    not_before = _date(path, "time.not_before", t.get("not_before", DEFAULT_NOT_BEFORE))
    not_after = _date(path, "time.not_after", t["not_after"]) if "not_after" in t else None
    future_days = t.get("future_days", DEFAULT_FUTURE_DAYS)
    if not isinstance(future_days, int) or future_days < 0:
        raise _err(path, "time.future_days", "must be a whole number of days >= 0")

    fields_raw = _table(path, raw, "fields")
    allowed = set(table.column_names) - {"load_run_id", *schema.PATH_COLUMNS}
    derived_ids = {"case_id", "order_id", "sensor_id", "roster_id"}
    fields: dict[str, FieldSpec] = {}
    for name, spec in fields_raw.items():
        if name not in allowed:
            raise _err(path, f"fields.{name}", f"is not a loadable field of {table.name}; "
                       f"fields: {', '.join(sorted(allowed))}")
        fields[name] = parse_field(path, f"fields.{name}", spec)
        if fields[name].from_baseline and (kind, name) != ("readings", "value"):
            raise _err(path, f"fields.{name}.from_baseline", "applies to a readings mapping's value only")
    identity = bool(raw.get("identity", False))
    if not identity:
        for c in table.columns:
            has_source = "source_id" in fields and c.name in derived_ids
            if c.required and c.name not in fields and not has_source and c.name != "source_system":
                raise _err(path, f"fields.{c.name}", f"is required for kind {kind} (add it to [fields])")

    coords = None
    if "coords" in raw:
        spec = _table(path, raw, "coords")
        _check_keys(path, "coords", spec, {"lon", "lat", "datum", "check_jurisdiction"})
        if "lon" not in spec or "lat" not in spec:
            raise _err(path, "coords", "needs lon and lat")
        datum = spec.get("datum", "WGS-84")
        if datum not in DATUMS:
            raise _err(path, "coords.datum", f"must be one of {', '.join(DATUMS)}, not {datum!r}")
        coords = Coords(parse_field(path, "coords.lon", spec["lon"]), parse_field(path, "coords.lat", spec["lat"]),
                        datum, bool(spec.get("check_jurisdiction", True)))

    unit = None
    if "unit" in raw:
        u = _table(path, raw, "unit")
        _check_keys(path, "unit", u, {"chain", "code", "name", "name_level", "point_level", "required"})
        chain = tuple(u.get("chain", [m for m in UNIT_METHODS if m in u or (m == "point" and coords)]))
        for m in chain:
            if m not in UNIT_METHODS:
                raise _err(path, "unit.chain", f"methods are {', '.join(UNIT_METHODS)}, not {m!r}")
            if m in ("code", "name") and m not in u:
                raise _err(path, f"unit.{m}", f"chain uses {m!r}: declare unit.{m}")
            if m == "point" and coords is None:
                raise _err(path, "unit.chain", "'point' needs a [coords] section")
        unit = UnitResolution(
            chain=chain,
            code=parse_field(path, "unit.code", u["code"]) if "code" in u else None,
            name=parse_field(path, "unit.name", u["name"]) if "name" in u else None,
            name_level=u.get("name_level"), point_level=u.get("point_level"),
            required=bool(u.get("required", True)),
        )

    unpivot = None
    if "unpivot" in raw:
        p = _table(path, raw, "unpivot")
        _check_keys(path, "unpivot", p, {"columns", "name", "value"})
        cols = p.get("columns")
        if not isinstance(cols, list) or not cols:
            raise _err(path, "unpivot.columns", "must be a non-empty list of source columns")
        unpivot = Unpivot(tuple(cols), p.get("name", "__name"), p.get("value", "__value"))

    checks: dict[str, RangeCheck] = {}
    for name, rc in _table(path, raw, "checks").items():
        if not isinstance(rc, Mapping):
            raise _err(path, f"checks.{name}", "must be a table {min = ..., max = ...}")
        _check_keys(path, f"checks.{name}", rc, {"min", "max"})
        checks[name] = RangeCheck(rc.get("min"), rc.get("max"))

    geometry = None
    gdatum, gapprox = "WGS-84", False
    gapprox_col: str | None = None
    goptional = False
    if "geometry" in raw:
        if kind != "units":
            raise _err(path, "geometry", "only units carry geometry")
        g = _table(path, raw, "geometry")
        _check_keys(path, "geometry", g, {"column", "datum", "approximate", "approximate_column", "optional"})
        geometry = FieldSpec(column=g.get("column", "geometry"))
        gapprox_col = g.get("approximate_column")
        goptional = bool(g.get("optional", False))
        gdatum = g.get("datum", "WGS-84")
        if gdatum not in DATUMS:
            raise _err(path, "geometry.datum", f"must be one of {', '.join(DATUMS)}")
        gapprox = bool(g.get("approximate", False))

    rows = raw.get("constant_rows", [])
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise _err(path, "constant_rows", "must be an array of tables [[constant_rows]]")
    for i, r in enumerate(rows):
        bad = sorted(set(r) - allowed)
        if bad:
            raise _err(path, f"constant_rows[{i}]", f"unknown field(s) {', '.join(bad)}")

    return SourceMapping(
        path=path, source_system=raw["source_system"], kind=kind, file=fopts, fields=fields,
        time_formats=tformats, time_zone=t.get("zone"), not_before=not_before, not_after=not_after,
        future_days=future_days, coords=coords, unit=unit, unpivot=unpivot,
        checks=checks, identity=identity, constant_rows=tuple(rows), geometry=geometry,
        geometry_datum=gdatum, geometry_approximate=gapprox,
        collapse_identical=bool(raw.get("collapse_identical", False)),
        geometry_approximate_column=gapprox_col, geometry_optional=goptional,
        numbers=_numbers(path, _table(path, raw, "numbers")),
    )


def resolve_mapping_path(name: str | Path) -> Path:
    """A mapping file path, or the name of a shipped mapping (``nyc311`` → etl/mappings/nyc311.toml)."""
    p = Path(name)
    if p.exists():
        return p
    shipped = MAPPINGS_DIR / (p.name if p.suffix == ".toml" else f"{p.name}.toml")
    if shipped.exists():
        return shipped
    available = ", ".join(sorted(x.stem for x in MAPPINGS_DIR.glob("*.toml")))
    raise MappingError(f"mapping {name} not found (not a file, not a shipped mapping: {available})")


def load_mapping(name: str | Path | SourceMapping) -> SourceMapping:
    if isinstance(name, SourceMapping):
        return name
    path = resolve_mapping_path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"mapping {path}: cannot read: {exc}") from exc
    return parse_mapping(text, str(path))


def kind_fields_markdown() -> str:
    """The loadable fields of each kind, required ones in bold (docs/etl.md; a test keeps it current)."""
    rows = ["| kind | table | fields |", "|---|---|---|"]
    for kind, table_name in KIND_TABLE.items():
        table = schema.TABLE_BY_NAME[table_name]
        names = [f"**{c.name}**" if c.required else c.name for c in table.columns
                 if c.name not in ("load_run_id", *schema.PATH_COLUMNS)]
        rows.append(f"| `{kind}` | `{table_name}` | {', '.join(names)} |")
    return "\n".join(rows)
