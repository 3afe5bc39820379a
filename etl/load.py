"""Load exports into the warehouse: stage → transform → validate → upsert, all set-based SQL.

Every row read ends up either loaded or in ``etl_reject`` with a reason (first failing check wins),
so ``rows_read = rows_loaded + rows_rejected`` per file and per run. Loads are idempotent: rows are
upserted by natural key and only rows whose content differs are written.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from etl import schema
from etl.datum import convert as datum_convert
from etl.mapping import CANCELLED, FieldSpec, MappingError, SourceMapping, load_mapping
from etl.number_format import NumberFormatError, check_column
from etl.overlay import visible
from etl.readers import ReadError, Staged, drop_relation, load_extension, stage
from etl.rollups import FACTS as ROLLUP_FACTS
from etl.rollups import refresh_rollups, touched_days
from etl.settings import Settings
from etl.snapshots import load_writer
from etl.thresholds import DIRECTIONS
from etl.transform import SpecError, Sql, base_expr, convert, parse_ts, q

PATH_COLS = schema.PATH_COLUMNS
ID_FIELDS = {"cases": "case_id", "hotline": "order_id", "sensors": "sensor_id", "staffing": "roster_id"}
# (later, earlier, reason): a row whose later timestamp precedes the earlier one is rejected.
ORDER_CHECKS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "cases": (("closed_at", "reported_at", "closed_before_reported"),
              ("disposed_at", "reported_at", "negative_duration"),
              ("dispatched_at", "reported_at", "negative_duration"),
              ("arrived_at", "reported_at", "negative_duration")),
    "hotline": (("closed_at", "received_at", "closed_before_reported"),
                ("contacted_at", "received_at", "negative_duration")),
    "staffing": (("end_at", "start_at", "negative_duration"),),
    "alarms": (("ended_at", "started_at", "negative_duration"),),
}
# Physical ranges that hold for every source; mappings add their own under [checks].
DEFAULT_CHECKS: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "staffing": {"hours": (0.0, 24.0)},
    "cases": {"rework_count": (0.0, None), "lon": (-180.0, 180.0), "lat": (-90.0, 90.0)},
    "hotline": {"lon": (-180.0, 180.0), "lat": (-90.0, 90.0)},
    "sensors": {"expected_interval_min": (0.0, None), "lon": (-180.0, 180.0), "lat": (-90.0, 90.0)},
}
REASONS = {
    "missing_required": "a required field is empty",
    "bad_timestamp": "the timestamp does not match the mapping's formats",
    "timestamp_out_of_range": "the timestamp lies outside [time] not_before .. not_after (or load time + future_days)",
    "truncated_line": "the file ends in the middle of this line (an interrupted export or copy)",
    "bad_number": "not a number",
    "bad_value": "not a recognised value",
    "closed_before_reported": "closed before it was reported / received",
    "negative_duration": "a later lifecycle time precedes the earlier one",
    "unknown_unit": "the unit code is not in org_unit",
    "unit_unresolved": "no unit found by code, name or location",
    "outside_jurisdiction": "coordinates lie outside the jurisdiction (bounding box of unit geometry)",
    "duplicate_id": "the same id appears more than once in the file",
    "out_of_range": "value outside the physical range",
    "unknown_sensor": "reading for a sensor that is not loaded",
    "bad_geometry": "geometry is not valid GeoJSON",
}
LEVEL_ORDER = {lvl: i for i, lvl in enumerate(schema.LEVELS)}

Progress = Callable[[str, int, int], None]  # (file, files done, files total)


class LoadError(RuntimeError):
    """A load that cannot run (bad mapping for this file, unreadable input); nothing is written."""


@dataclass(frozen=True)
class FileReport:
    file: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    inserted: int
    updated: int
    unchanged: int
    reasons: tuple[tuple[str, int], ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadReport:
    run_id: int
    kind: str
    source_system: str
    files: tuple[FileReport, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = ()  # the run's own and every file's

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            for r, n in f.reasons:
                out[r] = out.get(r, 0) + n
        return out


def _meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM warehouse_meta").fetchall())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> int:
    row = con.execute(sql, list(params)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def load_files(warehouse: Path | str, kind: str, files: Iterable[Path | str], mapping: Path | str | SourceMapping,
               *, settings: Settings | None = None, progress: Progress | None = None,
               accept_zone: bool = False) -> LoadReport:
    """Load ``files`` of one kind into a new snapshot of ``warehouse`` and publish it (all or nothing).
    ``accept_zone``: the mapping's time zone differs from the site's on purpose (see :func:`zone_refusal`)."""
    m = load_mapping(mapping)
    paths = [Path(f) for f in files]
    for p in paths:
        if not p.exists():
            raise LoadError(f"{p}: file not found")
    with (recording_failure(warehouse, settings, kind, m, paths),
          load_writer(warehouse, settings, inputs=paths) as con):
        return load_into(con, kind, paths, m, progress=progress, accept_zone=accept_zone)


FAILURES = (LoadError, MappingError, ReadError, SpecError, duckdb.Error)


@contextmanager
def recording_failure(warehouse: Path | str, settings: Settings | None, kind: str, m: SourceMapping,
                      paths: Sequence[Path]) -> Iterator[None]:
    """Around a load's ``writer``: when the load fails, its snapshot is thrown away (the previous data
    stays published), and a snapshot that differs only by a failed ``etl_run`` row with the error is
    published instead, so the data-status page shows the failure and not just an old success."""
    try:
        yield
    except FAILURES as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        with load_writer(warehouse, settings) as con:
            now = datetime.now(UTC).replace(tzinfo=None)
            con.execute(
                "INSERT INTO etl_run (run_id, kind, source_system, mapping, files, started_at, finished_at, status,"
                " rows_read, rows_loaded, rows_rejected, message)"
                " SELECT coalesce(max(run_id), 0) + 1, ?, ?, ?, ?, ?, ?, 'failed', 0, 0, 0, ? FROM etl_run",
                [kind, m.source_system, m.path, json.dumps([str(p) for p in paths]), now, now, message],
            )
        raise


def load_into(con: duckdb.DuckDBPyConnection, kind: str, files: Iterable[Path | str],
              mapping: Path | str | SourceMapping, *, progress: Progress | None = None,
              as_of: datetime | None = None, accept_zone: bool = False) -> LoadReport:
    """Load ``files`` into the open warehouse connection (usually from :func:`etl.snapshots.writer`).

    ``as_of`` is the instant the files describe (a demo generated for a pinned instant): timestamps up to
    it plus the mapping's ``future_days`` pass the bound; by default the wall clock's. A mapping whose
    [time] zone is not the site's is refused unless ``accept_zone`` (:func:`zone_refusal`)."""
    m = load_mapping(mapping)
    if m.kind != kind:
        raise MappingError(f"mapping {m.path} is for kind {m.kind!r}, not {kind!r}")
    paths = [Path(f) for f in files]
    meta = _meta(con)
    site_zone = meta.get("timezone", "Asia/Shanghai")
    if not accept_zone and (refusal := zone_refusal(m, site_zone)):
        raise LoadError(refusal)
    run_id = _count(con, "SELECT coalesce(max(run_id), 0) + 1 FROM etl_run")
    started = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "INSERT INTO etl_run (run_id, kind, source_system, mapping, files, started_at, status)"
        " VALUES (?, ?, ?, ?, ?, ?, 'running')",
        [run_id, kind, m.source_system, m.path, json.dumps([str(p) for p in paths]), started],
    )
    reports: list[FileReport] = []
    con.execute("CREATE OR REPLACE TEMP TABLE __rollup_days (fact VARCHAR, day DATE)")
    with tempfile.TemporaryDirectory(prefix="vitals-etl-") as tmp:
        if m.constant_rows:
            _load_constant_rows(con, m, run_id)
        for i, p in enumerate(paths):
            if progress:
                progress(str(p), i, len(paths))
            try:
                rep = _load_file(con, m, p, run_id, meta, Path(tmp), as_of)
            except (ReadError, SpecError) as exc:
                raise LoadError(str(exc)) from exc
            con.execute(
                "INSERT INTO etl_file VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, str(p), _sha256(p), rep.rows_read, rep.rows_loaded, rep.rows_rejected],
            )
            reports.append(rep)
        if progress:
            progress("", len(paths), len(paths))
    if kind == "units":
        refresh_unit_paths(con)
    _refresh_touched_rollups(con)
    warnings = [*zone_warnings(m, site_zone), *(w for r in reports for w in r.warnings)]
    report = LoadReport(run_id, kind, m.source_system, tuple(reports), tuple(warnings))
    con.execute(
        "UPDATE etl_run SET finished_at = ?, status = 'succeeded', rows_read = ?, rows_loaded = ?,"
        " rows_rejected = ?, message = ? WHERE run_id = ?",
        [datetime.now(UTC).replace(tzinfo=None), report.rows_read, report.rows_loaded, report.rows_rejected,
         json.dumps(report.reasons, ensure_ascii=False), run_id],
    )
    return report


def _refresh_touched_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the rollup days this load's files touched (``_upsert`` noted them), in the load's
    transaction: readers of the published snapshot see rollups that match its rows."""
    days: dict[str, set[date]] = {}
    for fact, day in con.execute("SELECT DISTINCT fact, day FROM __rollup_days").fetchall():
        days.setdefault(str(fact), set()).add(day)
    con.execute("DROP TABLE __rollup_days")
    refresh_rollups(con, days)


def zone_refusal(m: SourceMapping, site_zone: str) -> str | None:
    """The time-zone trap: a mapping whose [time] zone is not the site's is far more often a site set up
    in the wrong zone (a new warehouse defaults to Asia/Shanghai) than a feed from elsewhere, and loading
    it would store every time shifted by hours. So it is refused, naming both ways out; ``--accept-zone``
    says the zone is intended and the times are converted to the site zone."""
    if not m.time_zone or m.time_zone == site_zone:
        return None
    return (f"mapping {m.path} says times are in {m.time_zone} but this site's zone is {site_zone}; nothing"
            f" loaded. If the site is in {m.time_zone}: `vitals site set --zone {m.time_zone}` (re-expresses"
            f" stored times), then load again; if the mapping's zone is wrong, fix [time] zone in the mapping;"
            f" if the feed really is in {m.time_zone}: load with --accept-zone (times converted to {site_zone})")


def zone_warnings(m: SourceMapping, site_zone: str) -> list[str]:
    """A source zone that differs from the site's is converted, which is right for a feed from elsewhere
    and wrong when the site itself was set up in the wrong zone: a field's own zone (and an accepted
    [time] zone, see :func:`zone_refusal`) loads with this warning."""
    zones = {z for z in (m.time_zone, *(f.zone for f in m.fields.values())) if z}
    return [f"times are converted from {z} (mapping) to the site zone {site_zone}: if this site is in {z},"
            f" run `vitals site set --timezone {z}` (re-expresses stored times) and load again"
            for z in sorted(zones) if z != site_zone]


# Share of a file's loaded rows on one point above which the point is probably a placeholder.
SENTINEL_SHARE = 0.01
SENTINEL_MIN_ROWS = 10


def sentinel_point_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One coordinate pair carrying > 1% of the loaded rows is a geocoder's placeholder far more often
    than a real hotspot (City Hall for 'address unknown')."""
    row = con.execute(
        "SELECT lon, lat, count(*) AS n, sum(count(*)) OVER () AS total FROM __y WHERE __reason IS NULL"
        " AND lon IS NOT NULL AND lat IS NOT NULL GROUP BY lon, lat ORDER BY n DESC, lon, lat LIMIT 1").fetchone()
    if row is None:
        return []
    lon, lat, n, total = row
    if n < SENTINEL_MIN_ROWS or n <= SENTINEL_SHARE * total:
        return []
    return [f"{n:,} of {int(total):,} located rows ({n / total:.1%}) sit on one point ({lon:.6f}, {lat:.6f},"
            " site datum): a geocoder placeholder? blank it with null_if on [coords] lon and lat"]


# --------------------------------------------------------------------------------------------- fields


def _field_specs(m: SourceMapping, staged_types: dict[str, str]) -> dict[str, FieldSpec]:
    table = schema.TABLE_BY_NAME[m.table]
    specs: dict[str, FieldSpec] = {}
    if m.identity:
        for c in table.column_names:
            if c in staged_types and c not in ("load_run_id", *PATH_COLS):
                specs[c] = FieldSpec(column=c)
    specs.update(m.fields)
    cols = table.column_names
    if "source_system" in cols and "source_system" not in specs:
        specs["source_system"] = FieldSpec(constant=m.source_system)
    id_field = ID_FIELDS.get(m.kind)
    if id_field and id_field not in specs and "source_id" in specs:
        specs[id_field] = FieldSpec(template="{__source_system}:{__source_id}")
    if m.coords is not None:
        specs["lon"], specs["lat"] = m.coords.lon, m.coords.lat
    status = specs.get("status")
    if ("cancelled" in cols and "cancelled" not in specs and status is not None and status.column
            and CANCELLED in status.map.values()):
        # cases carry a cancelled flag of their own: the status values declared cancelled set it
        specs["cancelled"] = FieldSpec(column=status.column, map={k: True for k, v in status.map.items()
                                                                   if v == CANCELLED}, default=False)
    return specs


def _label(spec: FieldSpec, name: str) -> str:
    return spec.column or name


def _build_transform(m: SourceMapping, src: str, types: dict[str, str], site_zone: str,
                     kind: str, as_of: datetime | None = None) -> tuple[str, list[object], list[str]]:
    # __x is updated in place for datum conversion and geometry checks; otherwise a view suffices and
    # the big readings files are materialised once (in __y) instead of three times.
    materialize = m.coords is not None or m.geometry is not None
    """CREATE TEMP TABLE __x: typed fields + the first failing row-local check as (__reason, __field, __raw)."""
    table = schema.TABLE_BY_NAME[m.table]
    coltypes = {c.name: c.type for c in table.columns}
    required = {c.name for c in table.columns if c.required}
    specs = _field_specs(m, types)
    sql = Sql()
    latest = as_of if as_of is not None else datetime.now(UTC)
    not_after = m.not_after or (latest + timedelta(days=m.future_days)).date()
    bounds: tuple[str, str] | None = None  # bound on first use: an unused parameter is an error
    inner: list[str] = []
    outer: list[str] = []
    checks: list[tuple[str, str, str, str]] = []  # (condition, reason, field label, raw expr)
    fields: list[str] = []
    id_field = ID_FIELDS.get(kind)
    for name, spec in specs.items():
        if name not in coltypes:
            continue
        label = _label(spec, name)
        if id_field and name == id_field and spec.template == "{__source_system}:{__source_id}":
            expr = f"({q('__r_source_system')} || ':' || {q('__r_source_id')})"
            inner.append(f"NULL::VARCHAR AS {q('__r_' + name)}")
            outer.append(f"CAST({expr} AS VARCHAR) AS {q(name)}")
            fields.append(name)
            continue
        expr, typ = base_expr(spec, types, sql, f"fields.{name}")
        inner.append(f"{expr} AS {q('__r_' + name)}")
        raw = q("__r_" + name)
        target = coltypes[name]
        formats = spec.formats or m.time_formats
        zone = spec.zone or m.time_zone
        is_time = target.upper() in ("TIMESTAMP", "DATE")
        if is_time and bounds is None:
            bounds = (f"CAST({sql.bind(m.not_before.isoformat())} AS TIMESTAMP)",
                      f"CAST({sql.bind(not_after.isoformat())} AS TIMESTAMP)")
        conv = convert(raw, typ, target, sql, formats=formats, zone=zone, site_zone=site_zone,
                       bounds=bounds if is_time else None, numbers=m.numbers)
        if spec.scale is not None or spec.offset is not None:
            conv = (f"({conv} * {sql.bind(1.0 if spec.scale is None else spec.scale)}"
                    f" + {sql.bind(0.0 if spec.offset is None else spec.offset)})")
        outer.append(f"{conv} AS {q(name)}")
        fields.append(name)
        # a typed timestamp (Parquet, an Excel date cell) is bounds-checked too: out of range it must be a
        # reject, never a value quietly blanked
        if target.upper() != "VARCHAR" and (target.upper() != typ.upper() or is_time):
            if not is_time:
                reason = sql.bind({"BOOLEAN": "bad_value"}.get(target.upper(), "bad_number"))
            else:
                # Parsed but outside the plausible window (a 9999 placeholder, a 0001 default): its own reason.
                parsed, _ = parse_ts(raw, typ, sql, formats, site_zone)
                reason = (f"CASE WHEN {parsed} IS NULL THEN {sql.bind('bad_timestamp')}"
                          f" ELSE {sql.bind('timestamp_out_of_range')} END")
            checks.append((f"{raw} IS NOT NULL AND {q(name)} IS NULL", reason, label, f"CAST({raw} AS VARCHAR)"))
    missing = [c.name for c in table.columns if c.required and c.name not in fields and c.name != "unit_code"]
    if missing:
        raise SpecError(f"{m.path}: required field(s) {', '.join(missing)} have no source (column or mapping)")
    # Required fields (unit_code is checked by unit resolution, ids by their parts).
    for name in table.column_names:
        if name in required and name in fields and name != "unit_code":
            label = _label(specs[name], name)
            # Missing means empty in the source; a value that fails to parse gets its own reason below.
            derived = id_field == name and specs[name].template == "{__source_system}:{__source_id}"
            col = q(name) if derived else q("__r_" + name)
            checks.insert(0, (f"{col} IS NULL", sql.bind("missing_required"), label, "NULL"))
    for later, earlier, reason in ORDER_CHECKS.get(kind, ()):
        if later in fields and earlier in fields:
            checks.append((f"{q(later)} < {q(earlier)}", sql.bind(reason), _label(specs[later], later),
                           f"CAST({q(later)} AS VARCHAR) || ' < ' || CAST({q(earlier)} AS VARCHAR)"))
    ranges = dict(DEFAULT_CHECKS.get(kind, {}))
    for name, rc in m.checks.items():
        ranges[name] = (rc.min, rc.max)
    for name, (lo, hi) in ranges.items():
        if name not in fields:
            continue
        conds = []
        if lo is not None:
            conds.append(f"{q(name)} < {sql.bind(float(lo))}")
        if hi is not None:
            conds.append(f"{q(name)} > {sql.bind(float(hi))}")
        if conds:
            checks.append(("(" + " OR ".join(conds) + ")", sql.bind("out_of_range"), _label(specs[name], name),
                           f"CAST({q(name)} AS VARCHAR)"))
    extra_inner = []
    if m.unit is not None:
        for attr in ("code", "name"):
            spec = getattr(m.unit, attr)
            if spec is not None:
                e, _t = base_expr(spec, types, sql, f"unit.{attr}")
                extra_inner.append(f"CAST({e} AS VARCHAR) AS __u{attr}")
                outer.append(f"__u{attr}")
                # The value as exported, so a reject shows "Unspecified MANHATTAN" rather than NULL.
                raw_src = f"CAST({q(spec.column)} AS VARCHAR)" if spec.column and spec.column in types else "NULL"
                extra_inner.append(f"{raw_src} AS __u{attr}_raw")
                outer.append(f"__u{attr}_raw")
    if m.geometry is not None:
        gcol = m.geometry.column or "geometry"
        if gcol in types:
            extra_inner.append(f"CAST({q(gcol)} AS VARCHAR) AS __geometry")
        elif m.geometry_optional:
            extra_inner.append("NULL::VARCHAR AS __geometry")
        else:
            raise SpecError(f"geometry: source column {gcol!r} not in the file")
        outer.append("__geometry")
        acol = m.geometry_approximate_column
        if acol and acol in types:
            b = convert(q(acol), types[acol], "BOOLEAN", sql, formats=(), zone=None, site_zone=site_zone)
            extra_inner.append(f"{b} AS __gapprox")
        else:
            extra_inner.append(f"{'true' if m.geometry_approximate else 'false'} AS __gapprox")
        outer.append("__gapprox")

    # A wide file's value column (unpivot) is named in the reject by the column the value came from
    # ("CO(GT)", not "concentration"), so its raw value can be found in the row as exported.
    wide = m.unpivot.value if m.unpivot is not None and m.unpivot.name in types else None
    if wide is not None:
        extra_inner.append(f"CAST({q(m.unpivot.name)} AS VARCHAR) AS __upname")  # type: ignore[union-attr]

    def label_sql(label: str) -> str:
        return "__upname" if label == wide else sql.bind(label)

    def case(part: int) -> str:
        if not checks:
            return "NULL::VARCHAR"
        # reasons are SQL (bound values or a CASE), labels are bound here, raws are expressions
        arms = " ".join(f"WHEN {c[0]} THEN {label_sql(c[part]) if part == 2 else c[part]}" for c in checks)
        return f"(CASE {arms} ELSE NULL END)"

    # __r_source_system / __r_source_id must exist for the id template even if mapped under other names.
    src_cols = ["__line", *inner, *extra_inner]
    text = (
        ("CREATE OR REPLACE TEMP TABLE __x AS " if materialize else "")
        + "SELECT row_number() OVER ()::BIGINT AS __rid, __line, "
        + ", ".join(outer)
        + f", {case(1)} AS __reason, {case(2)} AS __field, CAST({case(3)} AS VARCHAR) AS __raw"
        + f" FROM (SELECT {', '.join(src_cols)} FROM {src})"
    )
    return text, sql.params, fields


# ------------------------------------------------------------------------------------------ per file


def _load_file(con: duckdb.DuckDBPyConnection, m: SourceMapping, path: Path, run_id: int, meta: dict[str, str],
               tmp: Path, as_of: datetime | None = None) -> FileReport:
    site_zone = meta.get("timezone", "Asia/Shanghai")
    site_datum = meta.get("datum", "GCJ-02")
    staged = stage(con, path, m.file, "__stg", tmp)
    src = staged.table
    types = {k: v for k, v in staged.types.items() if k != "__line"}
    if m.unpivot is not None:
        src, types = _unpivot(con, m, staged, types)
    rows_read = staged.rows if src == staged.table else _count(con, f"SELECT count(*) FROM {src}")
    _check_numbers(con, m, src, types)
    text, params, fields = _build_transform(m, src, types, site_zone, m.kind, as_of)
    x_inline: tuple[str, list[object]] | None = None
    if text.startswith("CREATE"):
        con.execute(text, params)
    else:
        x_inline = (text, params)  # folded into the __y statement: one materialisation for big files
    if m.coords is not None:
        _convert_coords(con, m.coords.datum, site_datum)
    if m.kind == "units" and m.geometry is not None:
        _check_geometry(con)
    _enrich(con, m, fields, x_inline, staged.truncated_line)
    rejected = _write_rejects(con, m, path, run_id, staged)
    warnings = tuple(sentinel_point_warnings(con)) if m.coords is not None else ()
    reasons = tuple(con.execute(
        "SELECT __reason, count(*) FROM __y WHERE __reason IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1").fetchall())
    # __y now holds every row with its reason and the rejects hold their evidence: the staged text is
    # no longer needed, and dropping it before the write keeps the two big copies out of memory at once
    # (issue 19: the staged text, __y and the write together made a 1M-row load's peak 2.8 GB).
    for t in _STAGING:
        drop_relation(con, t)
    inserted, updated, unchanged = _upsert(con, m, run_id, site_datum)
    loaded = inserted + updated + unchanged
    if loaded + rejected != rows_read:  # an invariant, not input validation
        raise LoadError(f"{path}: internal accounting error: read {rows_read} != loaded {loaded} + rejected {rejected}")
    for t in ("__y", "__new"):
        drop_relation(con, t)
    return FileReport(str(path), rows_read, loaded, rejected, inserted, updated, unchanged,
                      tuple((str(r), int(n)) for r, n in reasons), warnings)


# What a file's rows are staged and checked in before __y (views first: they depend on the tables).
_STAGING = ("__stg", "__x", "__long", "__stg_raw", "__pip")


def _check_numbers(con: duckdb.DuckDBPyConnection, m: SourceMapping, src: str, types: dict[str, str]) -> None:
    """Refuse the file when a text column read as a number hides its decimal mark (see etl.number_format)."""
    coltypes = {c.name: c.type.upper() for c in schema.TABLE_BY_NAME[m.table].columns}
    numeric = {name: spec.column for name, spec in _field_specs(m, types).items()
               if coltypes.get(name) in ("DOUBLE", "INTEGER", "BIGINT") and spec.column is not None
               and spec.regex is None and not spec.map and types.get(spec.column, "").upper() == "VARCHAR"}
    if not numeric:
        return
    # Only a column with a comma somewhere can be refused (etl.number_format): one read of the rows finds
    # them (the staged rows may be a view over the file, parsed again by every read).
    cols = list(dict.fromkeys(numeric.values()))
    probes = ", ".join(f"bool_or(contains({q(c)}, ','))" for c in cols)
    row = con.execute(f"SELECT {probes} FROM {src}").fetchone()
    with_comma = {c for c, hit in zip(cols, row or (), strict=False) if hit}
    for name, col in numeric.items():
        if col in with_comma:
            try:
                check_column(con, src, col, m.numbers, f"mapping {m.path}: [fields.{name}]")
            except NumberFormatError as exc:
                raise LoadError(str(exc)) from exc


def _unpivot(con: duckdb.DuckDBPyConnection, m: SourceMapping, staged: Staged,
             types: dict[str, str]) -> tuple[str, dict[str, str]]:
    up = m.unpivot
    assert up is not None
    missing = [c for c in up.columns if c not in types]
    if missing:
        raise SpecError(f"unpivot.columns: {', '.join(missing)} not in the file (columns: {', '.join(types)})")
    keep = [c for c in types if c not in up.columns]
    casts = ", ".join(f"CAST({q(c)} AS VARCHAR) AS {q(c)}" for c in up.columns)
    keep_sql = "".join(f", {q(c)}" for c in keep)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE __long AS SELECT * FROM (SELECT __line{keep_sql}, {casts} FROM {staged.table})"
        f" UNPIVOT INCLUDE NULLS ({q(up.value)} FOR {q(up.name)} IN ({', '.join(q(c) for c in up.columns)}))"
    )
    new_types = {c: types[c] for c in keep}
    new_types[up.name] = "VARCHAR"
    new_types[up.value] = "VARCHAR"
    return "__long", new_types


def _convert_coords(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    if source == target:
        return
    df = con.execute("SELECT __rid, lon, lat FROM __x WHERE lon IS NOT NULL AND lat IS NOT NULL").df()
    if df.empty:
        return
    lon, lat = datum_convert(df["lon"].to_numpy(np.float64), df["lat"].to_numpy(np.float64), source, target)
    conv = pd.DataFrame({"__rid": df["__rid"].to_numpy(), "lon": lon, "lat": lat})
    con.register("__conv", conv)
    try:
        con.execute("UPDATE __x SET lon = c.lon, lat = c.lat FROM __conv c WHERE __x.__rid = c.__rid")
    finally:
        con.unregister("__conv")


def _check_geometry(con: duckdb.DuckDBPyConnection) -> None:
    import shapely

    df = con.execute("SELECT __rid, __geometry FROM __x WHERE __geometry IS NOT NULL AND __reason IS NULL").df()
    if df.empty:
        return
    geoms = shapely.from_geojson(df["__geometry"].to_numpy(object), on_invalid="ignore")
    bad = df.loc[pd.isna(geoms) | ~shapely.is_valid_input(geoms), "__rid"]
    if len(bad):
        con.register("__bad", pd.DataFrame({"__rid": bad.to_numpy()}))
        try:
            con.execute("UPDATE __x SET __reason = 'bad_geometry', __field = 'geometry', __raw = left(__geometry, 200)"
                        " WHERE __rid IN (SELECT __rid FROM __bad)")
        finally:
            con.unregister("__bad")


def _enrich(con: duckdb.DuckDBPyConnection, m: SourceMapping, fields: list[str],
            x_inline: tuple[str, list[object]] | None = None, truncated_line: int | None = None) -> None:
    """__y = __x + unit resolution, path columns, jurisdiction, sensor checks and in-file duplicates."""
    joins: list[str] = []
    sel: list[str] = ["x.*"]
    reasons: list[str] = ["x.__reason"]
    field_e: list[str] = ["x.__field"]
    raw_e: list[str] = ["x.__raw"]
    # Continue the numbering of the inlined __x parameters, so one statement binds them all.
    sql = Sql(list(x_inline[1]) if x_inline else [])
    x_from = f"({x_inline[0]})" if x_inline else "__x"

    def add(cond: str, reason: str, field_: str, raw: str) -> None:
        reasons.append(f"CASE WHEN {cond} THEN {sql.bind(reason)} END")
        field_e.append(f"CASE WHEN {cond} THEN {sql.bind(field_)} END")
        raw_e.append(f"CASE WHEN {cond} THEN CAST({raw} AS VARCHAR) END")

    if truncated_line is not None:
        # First: whatever the cut-off line's fields say, they are not the exported values.
        cond = f"x.__line = {sql.bind(truncated_line)}"
        reasons.insert(0, f"CASE WHEN {cond} THEN {sql.bind('truncated_line')} END")
        field_e.insert(0, f"CASE WHEN {cond} THEN {sql.bind('(line)')} END")
        raw_e.insert(0, f"CASE WHEN {cond} THEN {sql.bind('(cut off)')} END")
    has_geom = _count(con, "SELECT count(*) FROM unit_geometry") > 0
    if m.coords is not None and m.coords.check_jurisdiction and has_geom:
        joins.append("CROSS JOIN (SELECT min(min_lon) AS a, min(min_lat) AS b, max(max_lon) AS c, max(max_lat) AS d"
                     " FROM unit_geometry) jb")
        add("x.lon IS NOT NULL AND x.lat IS NOT NULL"
            " AND NOT (x.lon BETWEEN jb.a AND jb.c AND x.lat BETWEEN jb.b AND jb.d)",
            "outside_jurisdiction", _label(m.coords.lon, "lon") + "/" + _label(m.coords.lat, "lat"),
            "CAST(x.lon AS VARCHAR) || ',' || CAST(x.lat AS VARCHAR)")

    unit_expr = "x.unit_code" if "unit_code" in fields else "NULL::VARCHAR"
    if m.unit is not None:
        parts: list[str] = []
        for method in m.unit.chain:
            if method == "code":
                joins.append("LEFT JOIN org_unit uc ON uc.unit_code = x.__ucode")
                parts.append("uc.unit_code")
            elif method == "name":
                lvl = f" WHERE level = {sql.bind(m.unit.name_level)}" if m.unit.name_level else ""
                joins.append(
                    "LEFT JOIN (SELECT n, min(unit_code) AS unit_code FROM"
                    " (SELECT name_zh AS n, unit_code FROM org_unit"
                    f"{lvl} UNION SELECT name_en, unit_code FROM org_unit{lvl}) WHERE n IS NOT NULL GROUP BY n"
                    " HAVING count(DISTINCT unit_code) = 1) un ON un.n = x.__uname")
                parts.append("un.unit_code")
            elif method == "point":
                _point_in_polygon(con, m.unit.point_level)
                joins.append("LEFT JOIN __pip pp ON pp.__rid = x.__rid")
                parts.append("pp.unit_code")
        if parts and m.unit.chain[0] == "code" and len(parts) > 1:
            # A code that is present but unknown is a data error (a stale code list), not a reason to
            # guess: the fallbacks only apply when the code is missing.
            unit_expr = f"coalesce({parts[0]}, CASE WHEN x.__ucode IS NULL THEN coalesce({', '.join(parts[1:])}) END)"
        elif parts:
            unit_expr = f"coalesce({', '.join(parts)})"
        code_label = _label(m.unit.code, "unit_code") if m.unit.code else "unit_code"
        if m.unit.code is not None and (m.unit.required or m.unit.chain == ("code",)):
            add(f"{unit_expr} IS NULL AND x.__ucode IS NOT NULL", "unknown_unit", code_label, "x.__ucode")
        if m.unit.required:
            tried = [f"coalesce(x.__u{a}, x.__u{a}_raw)" for a in ("code", "name") if getattr(m.unit, a) is not None]
            if m.coords is not None:
                tried.append("CAST(x.lon AS VARCHAR) || ',' || CAST(x.lat AS VARCHAR)")
            add(f"{unit_expr} IS NULL", "unit_unresolved", code_label, f"coalesce({', '.join(tried) or 'NULL'})")
    elif "unit_code" in fields and m.kind != "units":
        joins.append("LEFT JOIN org_unit uc ON uc.unit_code = x.unit_code")
        add("x.unit_code IS NOT NULL AND uc.unit_code IS NULL", "unknown_unit", "unit_code", "x.unit_code")

    table = schema.TABLE_BY_NAME[m.table]
    if "district_code" in table.column_names and m.kind != "units":
        joins.append(f"LEFT JOIN org_unit up ON up.unit_code = {unit_expr}")
        sel += [f"up.{c} AS {c}" for c in PATH_COLS]
    if "unit_code" in table.column_names and m.kind != "units":
        sel = [s if s != "x.*" else "x.* EXCLUDE (unit_code)" if "unit_code" in fields else s for s in sel]
        sel.append(f"{unit_expr} AS unit_code")

    if m.kind == "readings":
        joins.append("LEFT JOIN sensors s ON s.sensor_id = x.sensor_id")
        add("x.sensor_id IS NOT NULL AND s.sensor_id IS NULL", "unknown_sensor", "sensor_id", "x.sensor_id")
        value = "x.value"
        vspec = m.fields.get("value")
        if vspec is not None and vspec.from_baseline:
            # Distance to the water → depth: the sensor's baseline (mount height) minus the reading.
            value = "(s.baseline - x.value)"
            sel = [f"x.* REPLACE ({value} AS value)" if e == "x.*" else e for e in sel]
            add("x.value IS NOT NULL AND s.sensor_id IS NOT NULL AND s.baseline IS NULL", "missing_required",
                "baseline", "x.sensor_id")
        add(f"{value} < s.physical_min OR {value} > s.physical_max", "out_of_range", "value",
            f"CAST({value} AS VARCHAR) || ' not in [' || CAST(s.physical_min AS VARCHAR) || ', '"
            " || CAST(s.physical_max AS VARCHAR) || ']'")
    if m.kind == "sensors" and "threshold_direction" in fields:
        add(f"NOT list_contains({sql.bind(list(DIRECTIONS))}, x.threshold_direction)", "bad_value",
            _label(m.fields.get("threshold_direction") or FieldSpec(), "threshold_direction"),
            "x.threshold_direction")

    reason_sql = f"coalesce({', '.join(reasons)})"
    key = [k for k in table.key if k in fields or k == "unit_code"]
    y0 = (f"(SELECT {', '.join(sel)}, {reason_sql} AS __reason2,"
          f" coalesce({', '.join(field_e)}) AS __field2, coalesce({', '.join(raw_e)}) AS __raw2"
          f" FROM {x_from} x {' '.join(joins)})")
    # Duplicates: among rows that pass every other check, the first occurrence of a key wins. With
    # collapse_identical, exact repeats (a sensor named on every line of a readings file) are one
    # entity: the first is written, the repeats count as loaded-unchanged; a differing repeat is a duplicate.
    # the unit code and name as exported only serve the reasons above: not kept in __y (issue 19: every
    # column of __y is held for the whole write)
    unit_raw = [f"__u{a}{s}" for a in ("code", "name") if m.unit is not None and getattr(m.unit, a) is not None
                for s in ("", "_raw")]
    drop = ", ".join(["__reason, __field, __raw, __reason2, __field2, __raw2", *unit_raw])
    if key and m.collapse_identical:
        keys = ", ".join(f"z.{q(k)}" for k in key)
        ok = "(z.__reason2 IS NULL)"
        cols = [c for c in fields if c not in key]
        content = ", ".join(f"z.{q(c)}" for c in cols) or "NULL"
        dup = (f"min(z.__line) OVER (PARTITION BY {keys}, {content}, {ok}) >"
               f" min(z.__line) OVER (PARTITION BY {keys}, {ok})")
        rep = f"row_number() OVER (PARTITION BY {keys}, {content}, {ok} ORDER BY z.__line, z.__rid) = 1"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE __y AS SELECT * EXCLUDE (__dup, __rep, {drop}),"
            " coalesce(__reason2, CASE WHEN __dup THEN 'duplicate_id' END) AS __reason,"
            f" coalesce(__field2, CASE WHEN __dup THEN {sql.bind(key[0])} END) AS __field,"
            " coalesce(__raw2, CASE WHEN __dup THEN __keytext END) AS __raw,"
            " (__reason2 IS NULL AND NOT __dup AND NOT __rep) AS __collapsed"
            f" FROM (SELECT z.*, {ok} AND {dup} AS __dup, {rep} AS __rep,"
            f" concat_ws('|', {keys}) AS __keytext FROM {y0} z)",
            sql.params,
        )
        con.execute("ALTER TABLE __y DROP COLUMN __keytext")
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE __y AS SELECT * EXCLUDE ({drop}), __reason2 AS __reason,"
                f" __field2 AS __field, __raw2 AS __raw, false AS __collapsed FROM {y0}", sql.params)
    if key:
        # The repeats of a key marked afterwards, from a window over (key, line, rid) alone: the same
        # window over the whole rows (above) sorts every column and cost a sixth of a big load.
        keys = ", ".join(q(k) for k in key)
        con.execute(
            "UPDATE __y SET __reason = 'duplicate_id', __field = $1, __raw = concat_ws('|', " + keys + ")"
            " WHERE __rid IN (SELECT __rid FROM __y WHERE __reason IS NULL"
            f" QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY __line, __rid) > 1)", [key[0]])


def _point_in_polygon(con: duckdb.DuckDBPyConnection, level: str | None) -> None:
    """__pip(__rid, unit_code): the deepest unit whose polygon contains the row's point (bbox-prefiltered)."""
    load_extension(con, "spatial")
    ranks = " ".join(f"WHEN '{lvl}' THEN {i}" for lvl, i in LEVEL_ORDER.items())  # our own constants
    sql = Sql()
    lvl = f" AND o.level = {sql.bind(level)}" if level else ""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __geom AS SELECT g.unit_code, g.min_lon, g.min_lat, g.max_lon, g.max_lat,"
        f" ST_GeomFromGeoJSON(g.geojson) AS geom, CASE o.level {ranks} ELSE -1 END AS rnk"
        f" FROM unit_geometry g JOIN org_unit o ON o.unit_code = g.unit_code{lvl}",
        sql.params,
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __pip AS SELECT __rid, unit_code FROM (SELECT x.__rid, g.unit_code,"
        " row_number() OVER (PARTITION BY x.__rid ORDER BY g.rnk DESC, g.unit_code) AS rn"
        " FROM __x x JOIN __geom g ON x.lon BETWEEN g.min_lon AND g.max_lon AND x.lat BETWEEN g.min_lat AND g.max_lat"
        " WHERE ST_Contains(g.geom, ST_Point(x.lon, x.lat))) WHERE rn = 1"
    )
    con.execute("DROP TABLE __geom")


def _write_rejects(con: duckdb.DuckDBPyConnection, m: SourceMapping, path: Path, run_id: int,
                   staged: Staged) -> int:
    rejected = _count(con, "SELECT count(*) FROM __y WHERE __reason IS NOT NULL")
    if not rejected:
        return 0  # no evidence to fetch: a streamed CSV is not read again (issue 19)
    sql = Sql()
    run, kind, file = sql.bind(run_id), sql.bind(m.kind), sql.bind(str(path))
    arms = " ".join(f"WHEN {sql.bind(code)} THEN {sql.bind(text)}" for code, text in REASONS.items())
    # The whole row as exported: every column of the raw staging table, packed under a row alias no
    # column can shadow (``to_json(t)`` of a file with a column ``t`` was that one value). A value the
    # mapping's null_values blanked (a -200 sentinel) is taken back from that row as the raw value.
    raw = staged.raw_table or staged.table
    cols = [r[0] for r in con.execute(f"DESCRIBE {raw}").fetchall() if r[0] != "__line"]
    rec = "to_json(struct_pack(" + ", ".join(f"{q(c)} := r.{q(c)}" for c in cols) + "))" if cols else "NULL"
    con.execute(
        f"INSERT INTO etl_reject SELECT {run}, {kind}, {file}, y.__line, y.__field,"
        " coalesce(y.__raw, json_extract_string(y.__rec, '$.' || to_json(y.__field)::VARCHAR)), y.__reason,"
        f" CASE y.__reason {arms} ELSE y.__reason END, y.__rec"
        f" FROM (SELECT y.__line, y.__field, y.__raw, y.__reason, {rec}::VARCHAR AS __rec"
        f" FROM __y y LEFT JOIN {raw} r ON r.__line = y.__line WHERE y.__reason IS NOT NULL) y",
        sql.params,
    )
    return rejected


_STATUS_TS = {"closed": "closed_at", "disposed": "disposed_at", "dispatched": "dispatched_at",
              "arrived": "arrived_at", "registered": "registered_at"}


def _status_ts(cols: list[str]) -> str:
    """When the case entered its current status, from the lifecycle column of that status."""
    arms = " ".join(f"WHEN '{st}' THEN c.{col}" for st, col in _STATUS_TS.items() if col in cols)
    return f"coalesce(CASE c.status {arms} END, c.reported_at)" if arms else "c.reported_at"


def _upsert(con: duckdb.DuckDBPyConnection, m: SourceMapping, run_id: int, site_datum: str) -> tuple[int, int, int]:
    """Write valid rows; returns (inserted, updated, unchanged)."""
    table = schema.TABLE_BY_NAME[m.table]
    ycols = {r[0] for r in con.execute("DESCRIBE __y").fetchall()}
    skip = {"load_run_id"} | (set(PATH_COLS) if m.kind == "units" else set())
    cols = [c for c in table.column_names if c in ycols and c not in skip]
    has_run = "load_run_id" in table.column_names
    valid = _count(con, "SELECT count(*) FROM __y WHERE __reason IS NULL")
    allc = cols + (["load_run_id"] if has_run else [])
    collist = ", ".join(q(c) for c in allc)
    if not table.primary_key and table.stored_order is None:
        # sensor_readings: no index, dedupe by anti-join on the natural key. Rows go straight from
        # __y into the table (a view, not another 45M-row copy), stored in time order (ts, then the
        # rest of the key): each row group then spans a short time, so DuckDB's zone maps on `ts` skip
        # every row group outside a query's window (a sensor's series of a month, every sensor's last
        # reading in the last 7 days) and outside a later load's span (the dedupe below). Zone maps
        # cannot do that for sensor_id (string statistics keep an 8-byte prefix: 'demo:WL-'), nor
        # can a rowid range (DuckDB 1.5 scans every row for a rowid filter), so sensor order gains nothing.
        con.execute(f"CREATE OR REPLACE TEMP VIEW __new AS SELECT {', '.join(q(c) for c in cols)}"
                    " FROM __y WHERE __reason IS NULL AND NOT __collapsed")
        inserted, updated = _merge_keyed(con, table, cols, collist, run_id if has_run else None)
        if inserted and table.name in ROLLUP_FACTS:
            # the readings rollup keeps which cells of a day have a reading: new rows (late ones included)
            # change their days; a changed value of a stored reading changes no cell
            con.execute("INSERT INTO __rollup_days SELECT DISTINCT $1, CAST(ts AS DATE) FROM __new"
                        " WHERE ts IS NOT NULL", [table.name])
        return inserted, updated, valid - inserted - updated
    # A view, not a copy of the valid rows: the join below reads them once (a view takes no parameters;
    # the run id is our own integer).
    new_cols = f"{', '.join(q(c) for c in cols)}{f', {int(run_id)}::BIGINT AS load_run_id' if has_run else ''}"
    valid_rows = "FROM __y WHERE __reason IS NULL AND NOT __collapsed"
    con.execute(f"CREATE OR REPLACE TEMP VIEW __new AS SELECT {new_cols} {valid_rows}")
    keys = list(table.key)
    stored = visible(con, table.name)
    scan_order = "rowid"  # of the table __chg; of the view, __ord
    if _count(con, f"SELECT count(*) FROM (SELECT 1 FROM {stored} LIMIT 1)") == 0:
        scan_order = "__ord"
        # Nothing stored yet (a first load): every valid row is new, so no join with the stored keys and
        # no copy of the rows (issue 19: that copy held the whole file a third time). ``__ord`` is the
        # rows' order in __y, the order the INSERT below reads them in.
        con.execute(f"CREATE OR REPLACE TEMP VIEW __chg AS SELECT {new_cols}, true AS __is_new, rowid AS __ord"
                    f" {valid_rows}")
    else:
        on = " AND ".join(f"t.{q(k)} = n.{q(k)}" for k in keys)
        cmp_cols = [c for c in cols if c not in keys]
        same = " AND ".join(f"n.{q(c)} IS NOT DISTINCT FROM t.{q(c)}" for c in cmp_cols) or "true"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE __chg AS SELECT n.*, t.{q(keys[0])} IS NULL AS __is_new"
            f" FROM __new n LEFT JOIN {stored} t ON {on} WHERE t.{q(keys[0])} IS NULL OR NOT ({same})"
        )
    inserted = _count(con, "SELECT count(*) FROM __chg WHERE __is_new")
    updated = _count(con, "SELECT count(*) FROM __chg WHERE NOT __is_new")
    if (inserted or updated) and table.name in ROLLUP_FACTS:
        # before the write: an updated row's stored anchor days are the ones it leaves
        con.execute("INSERT INTO __rollup_days SELECT $1, unnest($2::DATE[])",
                    [table.name, sorted(touched_days(con, table.name, "__chg", keys[0], cols))])
    if inserted:
        # New rows in time order (``stored_order``: DuckDB keeps a plain INSERT's ORDER BY); a missing
        # time sorts last, the key breaks ties so reruns store alike. No index to maintain (issue 19:
        # an ART index on random ids cost more than the rest of the load): __chg holds only keys that
        # no stored row has, and the file's own duplicates were rejected, so the key stays unique.
        order = (f" ORDER BY {q(table.stored_order)} NULLS LAST, {', '.join(q(k) for k in keys)}"
                 if table.stored_order in cols and not _in_stored_order(con, table, keys, scan_order) else "")
        con.execute(f"INSERT INTO {table.name} ({collist}) SELECT {collist} FROM __chg WHERE __is_new{order}")
    if updated:
        _update_changed(con, table, allc, collist)
    if m.kind == "cases" and "status" in cols:
        # The latest state wins in `cases`; every state we have seen stays in the history.
        ts = _status_ts(cols)
        con.execute(
            f"INSERT INTO case_status_history SELECT DISTINCT c.case_id, c.status, {ts}, $1 FROM __chg c"
            f" WHERE c.status IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {visible(con, 'case_status_history')} h"
            f" WHERE h.case_id = c.case_id AND h.status = c.status AND h.changed_at = {ts})",
            [run_id],
        )
    if m.kind == "units" and m.geometry is not None:
        _write_geometry(con, m, site_datum)
    drop_relation(con, "__chg")
    return inserted, updated, valid - inserted - updated


def _in_stored_order(con: duckdb.DuckDBPyConnection, table: schema.Table, keys: list[str],
                     scan_order: str = "rowid") -> bool:
    """Whether ``__chg``'s new rows already lie in stored order (most exports are in time order): a
    plain INSERT keeps a scan's order, so the sort of the whole rows, the costliest step of a big
    load after parsing, can be skipped. Checked on (rowid, time, key) alone: a narrow sort."""
    ts = f"coalesce({q(table.stored_order or '')}, 'infinity'::TIMESTAMP)"  # a missing time sorts last
    row = (f"({ts}, {', '.join(q(k) for k in keys)})")
    # ``scan_order``: rowid of the table __chg, __ord of the view (our own names)
    return _count(con, f"SELECT count(*) FROM (SELECT {row} AS r, lag({row}) OVER (ORDER BY {scan_order}) AS p"
                       " FROM __chg WHERE __is_new) WHERE r < p") == 0


def _update_changed(con: duckdb.DuckDBPyConnection, table: schema.Table, allc: list[str], collist: str) -> None:
    """Write the changed rows of ``__chg`` (``NOT __is_new``) by key, without an index: updated in place
    where the table holds the key (they keep their place in the stored order); on a delta writer a row
    stored only in the base gets its copy in the delta, which replaces the base's (etl.overlay)."""
    keys = list(table.key)
    t = table.name
    match = " AND ".join(f"{t}.{q(k)} = c.{q(k)}" for k in keys)
    sets = ", ".join(f"{q(c)} = c.{q(c)}" for c in allc if c not in keys)
    if sets:
        con.execute(f"UPDATE {t} SET {sets} FROM (SELECT * FROM __chg WHERE NOT __is_new) c WHERE {match}")
    if visible(con, t) != t:
        on = " AND ".join(f"d.{q(k)} = c.{q(k)}" for k in keys)
        con.execute(f"INSERT INTO {t} ({collist}) SELECT {', '.join(f'c.{q(x)}' for x in allc)}"
                    f" FROM (SELECT * FROM __chg WHERE NOT __is_new) c ANTI JOIN {t} d ON {on}")


def _stored_span(con: duckdb.DuckDBPyConnection, keys: list[str]) -> tuple[str, list[object]]:
    """The filter naming the stored rows a file's rows can meet: its time span and the values of its other
    key column (its sensors). Bound as constants, both prune before the join: zone maps skip row groups
    outside the span, and the list of sensors is tested on the column's dictionary. Without the sensors,
    a backfill file (a year of 250 sensors) met every stored row of that year, so a load of many such
    files compared each with all the files before it (the city demo's 147 readings files)."""
    clauses: list[str] = []
    params: list[object] = []
    if "ts" in keys:
        lo, hi = con.execute("SELECT min(ts), max(ts) FROM __new").fetchone() or (None, None)
        params += [lo, hi]
        clauses.append(f"ts BETWEEN ${len(params) - 1} AND ${len(params)}")
    others = [k for k in keys if k != "ts"]
    if len(others) == 1:
        values = [r[0] for r in con.execute(f"SELECT DISTINCT {q(others[0])} FROM __new").fetchall()]
        params.append(values)
        clauses.append(f"{q(others[0])} = ANY(${len(params)})")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _merge_keyed(con: duckdb.DuckDBPyConnection, table: schema.Table, cols: list[str], collist: str,
                 run_id: int | None) -> tuple[int, int]:
    """Merge ``__new`` into an unindexed keyed table (sensor_readings); returns (inserted, updated).

    One left join of the new rows with the stored rows of their time span (zone maps on ``ts`` skip the
    rest) tells new keys from stored ones and stored ones with other values (a corrected export); the
    few changed rows are updated in place, the new ones appended in ``(ts, rest of the key)`` order (the
    ORDER BY fixes the physical order: DuckDB keeps a plain INSERT's order). A file whose span holds no
    stored row (the usual first load) skips the join."""
    keys = list(table.key)
    vals = [c for c in cols if c not in keys]
    order = ", ".join(f"n.{q(k)}" for k in sorted(keys, key=lambda k: k != "ts"))  # ts first
    run, params = (", $1::BIGINT", [run_id]) if run_id is not None else ("", [])
    span, span_params = _stored_span(con, keys)
    new_cols = ", ".join(f"n.{q(c)}" for c in cols)
    stored_rows = visible(con, table.name)  # on a delta: base ∪ delta
    if _count(con, f"SELECT count(*) FROM (SELECT 1 FROM {stored_rows}{span} LIMIT 1)", span_params) == 0:
        before = _count(con, f"SELECT count(*) FROM {table.name}")
        con.execute(f"INSERT INTO {table.name} ({collist}) SELECT {new_cols}{run} FROM __new n ORDER BY {order}",
                    params)
        return _count(con, f"SELECT count(*) FROM {table.name}") - before, 0
    on = " AND ".join(f"r.{q(k)} = n.{q(k)}" for k in keys)
    differs = " OR ".join(f"r.{q(c)} IS DISTINCT FROM n.{q(c)}" for c in vals) or "false"
    stored = ", ".join(q(c) for c in keys + vals)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE __m AS SELECT {new_cols}, r.{q(keys[0])} IS NOT NULL AS __hit,"
        f" r.{q(keys[0])} IS NOT NULL AND ({differs}) AS __chg"
        f" FROM __new n LEFT JOIN (SELECT {stored} FROM {stored_rows}{span}) r ON {on}", span_params
    )
    updated = _count(con, "SELECT count(*) FROM __m WHERE __chg")
    if updated and vals and stored_rows != table.name:
        # A delta holds a changed row only as its own copy, which replaces the base's by key.
        match = " AND ".join(f"{table.name}.{q(k)} = c.{q(k)}" for k in keys)
        con.execute(f"DELETE FROM {table.name} WHERE EXISTS (SELECT 1 FROM __m c WHERE c.__chg AND {match})")
        con.execute(f"INSERT INTO {table.name} ({collist}) SELECT {new_cols}{run} FROM __m n WHERE __chg"
                    f" ORDER BY {order}", params)
    elif updated and vals:
        t = table.name
        within = (f" AND {t}.ts BETWEEN (SELECT min(ts) FROM __m WHERE __chg) AND (SELECT max(ts) FROM __m WHERE __chg)"
                  if "ts" in keys else "")
        sets = ", ".join(f"{q(c)} = c.{q(c)}" for c in vals) + (", load_run_id = $1::BIGINT" if run_id else "")
        match = " AND ".join(f"{t}.{q(k)} = c.{q(k)}" for k in keys)
        con.execute(f"UPDATE {t} SET {sets} FROM (SELECT * FROM __m WHERE __chg) c WHERE {match}{within}", params)
    inserted = _count(con, "SELECT count(*) FROM __m WHERE NOT __hit")
    if inserted:
        con.execute(f"INSERT INTO {table.name} ({collist}) SELECT {new_cols}{run} FROM __m n WHERE NOT __hit"
                    f" ORDER BY {order}", params)
    con.execute("DROP TABLE __m")
    return inserted, updated


def reorder_readings(con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite ``sensor_readings`` in time order (``ts, sensor_id``), the order loads now store: for a
    warehouse loaded before, whose row groups each span the whole year (time-windowed reads then read
    every row group). Same rows, new physical order; returns the row count. Run inside ``writer``."""
    table = schema.TABLE_BY_NAME["sensor_readings"]
    n = _count(con, "SELECT count(*) FROM sensor_readings")
    con.execute("CREATE TEMP TABLE __readings AS SELECT * FROM sensor_readings ORDER BY ts, sensor_id")
    con.execute("DROP TABLE sensor_readings")
    con.execute(table.ddl())
    cols = ", ".join(q(c) for c in table.column_names)
    con.execute(f"INSERT INTO sensor_readings ({cols}) SELECT {cols} FROM __readings ORDER BY ts, sensor_id")
    con.execute("DROP TABLE __readings")
    if _count(con, "SELECT count(*) FROM sensor_readings") != n:  # an invariant, not input validation
        raise LoadError("reorder_readings: row count changed")
    return n


def convert_geojson(geojson: np.ndarray, src: str, dst: str) -> pd.DataFrame:
    """GeoJSON texts from datum ``src`` to ``dst`` with their bounding boxes (geojson, min_lon, ...)."""
    import shapely

    geoms = shapely.from_geojson(geojson)
    if src != dst:

        def _conv(xy: np.ndarray) -> np.ndarray:
            lon, lat = datum_convert(xy[:, 0], xy[:, 1], src, dst)
            return np.column_stack([lon, lat])

        geoms = shapely.transform(geoms, _conv)  # one vectorised call over every vertex
    bounds = shapely.bounds(geoms)
    return pd.DataFrame({"geojson": shapely.to_geojson(geoms), "min_lon": bounds[:, 0], "min_lat": bounds[:, 1],
                         "max_lon": bounds[:, 2], "max_lat": bounds[:, 3]})


def _write_geometry(con: duckdb.DuckDBPyConnection, m: SourceMapping, site_datum: str) -> None:
    df = con.execute("SELECT unit_code, __geometry, coalesce(__gapprox, false) AS approx FROM __y"
                     " WHERE __reason IS NULL AND NOT __collapsed"
                     " AND __geometry IS NOT NULL").df()
    if df.empty:
        return
    out = convert_geojson(df["__geometry"].to_numpy(object), m.geometry_datum, site_datum)
    out["unit_code"] = df["unit_code"].to_numpy(object)
    out["approx"] = df["approx"].to_numpy(bool)
    con.register("__geo", out)
    try:
        con.execute(
            "INSERT OR REPLACE INTO unit_geometry (unit_code, geojson, datum, approximate, source, min_lon, min_lat,"
            " max_lon, max_lat) SELECT unit_code, geojson, $1, approx, $2, min_lon, min_lat, max_lon, max_lat"
            " FROM __geo",
            [site_datum, m.source_system],
        )
    finally:
        con.unregister("__geo")


def _load_constant_rows(con: duckdb.DuckDBPyConnection, m: SourceMapping, run_id: int) -> None:
    """Rows the mapping declares outright (e.g. the city and boroughs above NYC community districts)."""
    table = schema.TABLE_BY_NAME[m.table]
    for row in m.constant_rows:  # a handful declared in the mapping, not data rows
        cols = [c for c in row if c in table.column_names]
        keys = list(table.key)
        upd = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in cols if c not in keys)
        con.execute(
            f"INSERT INTO {table.name} ({', '.join(q(c) for c in cols)}) VALUES ({', '.join('?' for _ in cols)})"
            f" ON CONFLICT ({', '.join(q(k) for k in keys)}) {'DO UPDATE SET ' + upd if upd else 'DO NOTHING'}",
            [row[c] for c in cols],
        )


def refresh_unit_paths(con: duckdb.DuckDBPyConnection) -> None:
    """Fill org_unit's city/district/town/grid/village codes from the parent chain (one recursive query)."""
    pivots = ", ".join(  # slot names are our own constants
        f"max(CASE WHEN o.level = '{lvl}' THEN a.anc END) AS {lvl}_code" for lvl in schema.PATH_LEVELS)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __paths AS WITH RECURSIVE a(unit_code, anc, depth) AS ("
        " SELECT unit_code, unit_code, 0 FROM org_unit"
        " UNION ALL SELECT a.unit_code, p.parent_code, a.depth + 1 FROM a JOIN org_unit p ON p.unit_code = a.anc"
        " WHERE p.parent_code IS NOT NULL AND a.depth < 12)"
        f" SELECT a.unit_code, {pivots} FROM a JOIN org_unit o ON o.unit_code = a.anc GROUP BY a.unit_code"
    )
    con.execute(
        f"UPDATE org_unit SET {', '.join(f'{c} = p.{c}' for c in PATH_COLS)} FROM __paths p"
        f" WHERE org_unit.unit_code = p.unit_code"
        f" AND ({' OR '.join(f'org_unit.{c} IS DISTINCT FROM p.{c}' for c in PATH_COLS)})"
    )
    con.execute("DROP TABLE __paths")
