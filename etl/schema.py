"""The warehouse schema, declared once as data.

DDL, the schema documentation (docs/schema.md) and the ETL's list of loadable fields all come from
these declarations, so they cannot drift apart.

Conventions
- Timestamps are naive local times of the site time zone (``warehouse_meta.timezone``); the ETL
  converts each source's zone on the way in.
- Coordinates are in the site datum (``warehouse_meta.datum``, GCJ-02 for Shanghai); the ETL
  converts WGS-84 / GCJ-02 / BD-09 inputs on the way in.
- Fact rows carry the code of every level above their unit (city/district/town/grid/village), filled by
  the ETL from ``org_unit``, so one scan can GROUP BY any level without a recursive join.
- Rates are never stored: the metrics layer computes them from these rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl import rollup_sql  # generated from the metrics declarations: the rollup tables of the docs

# The six hierarchy slots, top first. A site fills the ones its hierarchy has (1 to 6 levels), top-down or
# not (New York: city → community districts uses district and grid); it names them (`vitals site set
# --level`), the slot is only where a level sits (metrics/hierarchy.py).
LEVELS = ("city", "district", "town", "grid", "village", "microgrid")
LEVEL_ZH = {"city": "市", "district": "区", "town": "街镇", "grid": "责任网格", "village": "村居",
            "microgrid": "微网格"}
# The slots fact rows and org_unit carry a code column for (``<slot>_code``): every slot but the lowest,
# whose units are the rows' own ``unit_code``.
PATH_LEVELS = LEVELS[:-1]
PATH_COLUMNS = tuple(f"{lv}_code" for lv in PATH_LEVELS)
# The 13 micro-grid / responsibility-block types (domain.md §2).
BLOCK_TYPES = (
    "小区", "企业/园区", "楼宇", "商业体", "公共机构", "学校", "风景区",
    "文体", "医疗", "养老", "工地", "公共区域", "其他",
)
CASE_STATUSES = ("reported", "registered", "dispatched", "arrived", "disposed", "closed", "cancelled")
CASE_SOURCES = ("patrol", "station_patrol", "smart", "citizen_qr", "hotline_12345", "hotline_12319", "hotline_110")
PROACTIVE_SOURCES = ("patrol", "station_patrol", "smart")
URGENCIES = ("urgent", "general")
SHIFTS = ("day", "night", "on_call")
SEVERITIES = ("warning", "alarm")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str
    required: bool = False  # required on load: a row without it is rejected


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # natural key used for upserts (not necessarily an index)
    primary_key: bool = True  # False for very large tables where an ART index would cost more than it saves
    loadable_as: str | None = None  # the `vitals etl load <kind>` that writes it
    # New rows are appended in this column's order: each row group then spans a short time, so DuckDB's
    # zone maps skip the row groups outside a time-windowed read (a month's rows, a drill's row block).
    stored_order: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def ddl(self) -> str:
        cols = [f"    {c.name} {c.type}" for c in self.columns]
        if self.key and self.primary_key:
            cols.append(f"    PRIMARY KEY ({', '.join(self.key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n" + ",\n".join(cols) + "\n);"


def _C(name: str, type_: str, doc: str, required: bool = False) -> Column:
    return Column(name, type_, doc, required)


UNIT_PATH = (
    _C("city_code", "VARCHAR", "city (市) code: the sixth level, above the district"),
    _C("district_code", "VARCHAR", "district (区) code"),
    _C("town_code", "VARCHAR", "街镇 code"),
    _C("grid_code", "VARCHAR", "责任网格 code"),
    _C("village_code", "VARCHAR", "村居 code"),
    _C("unit_code", "VARCHAR", "the lowest unit the row belongs to (any level)"),
)

TABLES: tuple[Table, ...] = (
    Table(
        "warehouse_meta",
        "Key/value facts about the warehouse: site name, timezone, datum, schema version, data 'now'.",
        (_C("key", "VARCHAR", "name", True), _C("value", "VARCHAR", "value")),
        key=("key",),
    ),
    Table(
        "org_unit",
        "The unit hierarchy, 1 to 6 levels: (city →) district → 街镇 → 责任网格 → 村居 → 微网格 (domain.md §2).",
        (
            _C("unit_code", "VARCHAR", "unique code (12-digit statistical code where one exists)", True),
            _C("parent_code", "VARCHAR", "code of the parent unit (NULL for the root)"),
            _C("level", "VARCHAR", "city | district | town | grid | village | microgrid", True),
            _C("name_zh", "VARCHAR", "Chinese name", True),
            _C("name_en", "VARCHAR", "English / pinyin name"),
            _C("block_type", "VARCHAR", "微网格 type, one of the 13 block types"),
            _C("area_type", "VARCHAR", "urban | rural | industrial | scenic: drives the demo's category mix"),
            _C("is_key_unit", "BOOLEAN", "one of the key management units with seed 002 targets"),
            _C("peer_group", "VARCHAR", "peer group for fair rankings (e.g. street vs town)"),
            _C("lon", "DOUBLE", "centroid longitude (site datum)"),
            _C("lat", "DOUBLE", "centroid latitude (site datum)"),
            _C("centroid_derived", "BOOLEAN", "true when the centroid was derived, not published"),
            *UNIT_PATH[:-1],
        ),
        key=("unit_code",),
        loadable_as="units",
    ),
    Table(
        "unit_geometry",
        "Polygons of units, as GeoJSON in the site datum; `approximate` marks derived shapes.",
        (
            _C("unit_code", "VARCHAR", "unit", True),
            _C("geojson", "VARCHAR", "GeoJSON geometry (Polygon/MultiPolygon)", True),
            _C("datum", "VARCHAR", "datum of the coordinates (always the site datum once loaded)"),
            _C("approximate", "BOOLEAN", "derived (e.g. Voronoi) rather than surveyed"),
            _C("source", "VARCHAR", "provenance"),
            _C("min_lon", "DOUBLE", "bounding box"),
            _C("min_lat", "DOUBLE", "bounding box"),
            _C("max_lon", "DOUBLE", "bounding box"),
            _C("max_lat", "DOUBLE", "bounding box"),
        ),
        key=("unit_code",),
    ),
    Table(
        "station",
        "Liaison stations (联勤联动工作站) and village work stations (村居工作站).",
        (
            _C("station_code", "VARCHAR", "code", True),
            _C("name_zh", "VARCHAR", "name", True),
            _C("name_en", "VARCHAR", "English name"),
            _C("station_type", "VARCHAR", "liaison | village"),
            _C("is_demonstration", "BOOLEAN", "one of the demonstration stations (示范站)"),
            _C("lon", "DOUBLE", "longitude"),
            _C("lat", "DOUBLE", "latitude"),
            *UNIT_PATH,
        ),
        key=("station_code",),
    ),
    Table(
        "department",
        "Functional / disposal departments (派出所, 城管中队, 市场所, 房管所, 物业, 保洁 ...).",
        (
            _C("dept_code", "VARCHAR", "code", True),
            _C("name_zh", "VARCHAR", "name", True),
            _C("name_en", "VARCHAR", "English name"),
            _C("dept_type", "VARCHAR", "派出所 | 城管中队 | 市场所 | 房管所 | 物业 | 保洁 | 水务 | 绿化 | 其他"),
            _C("peer_group", "VARCHAR", "peer group for the volume bands of the department evaluation"),
            _C("town_code", "VARCHAR", "街镇 it serves (NULL for district-wide)"),
        ),
        key=("dept_code",),
    ),
    Table(
        "case_category",
        "Case categories: 部件/事件 families, major and minor classes, time limits (domain.md §4).",
        (
            _C("category_code", "VARCHAR", "family letter + major + minor, e.g. E01003", True),
            _C("family", "VARCHAR", "部件 | 事件", True),
            _C("major_code", "VARCHAR", "major class code"),
            _C("major_name", "VARCHAR", "major class name"),
            _C("minor_code", "VARCHAR", "minor class code (3 digits)"),
            _C("minor_name", "VARCHAR", "minor class name", True),
            _C("deadline_hours", "DOUBLE", "handling time limit in hours"),
            _C("time_basis", "VARCHAR", "紧急工作时 | 工作时 | 工作日 | 自然日"),
        ),
        key=("category_code",),
    ),
    Table(
        "cases",
        "Grid-management cases (网格案件) with every lifecycle timestamp (domain.md §3).",
        (
            _C("case_id", "VARCHAR", "warehouse id: source_system:source_id", True),
            _C("source_system", "VARCHAR", "which system exported it", True),
            _C("source_id", "VARCHAR", "id in the source system", True),
            _C("source", "VARCHAR", "discovery source: " + " | ".join(CASE_SOURCES)),
            _C("proactive", "BOOLEAN", "found by staff or machines before a citizen complained (先行发现)"),
            _C("urgency", "VARCHAR", "urgent | general"),
            _C("category_code", "VARCHAR", "case_category.category_code"),
            _C("family", "VARCHAR", "部件 | 事件"),
            _C("major_code", "VARCHAR", "major class"),
            _C("status", "VARCHAR", "latest status: " + " | ".join(CASE_STATUSES)),
            _C("reported_at", "TIMESTAMP", "reported / discovered", True),
            _C("registered_at", "TIMESTAMP", "registered (立案)"),
            _C("dispatched_at", "TIMESTAMP", "dispatched (派单)"),
            _C("arrived_at", "TIMESTAMP", "staff on site"),
            _C("first_result_at", "TIMESTAMP", "first disposal result"),
            _C("disposed_at", "TIMESTAMP", "disposed (处置)"),
            _C("closed_at", "TIMESTAMP", "closed after verification (结案)"),
            _C("deadline_at", "TIMESTAMP", "handling deadline"),
            _C("cancelled", "BOOLEAN", "cancelled / invalid (作废): excluded from every rate"),
            _C("rework_count", "INTEGER", "times the result failed inspection (返工)"),
            _C("escalated", "BOOLEAN", "escalated one level (上提一级)"),
            _C("supervision_report", "BOOLEAN", "a verified supervision report (监督举报核实)"),
            _C("station_code", "VARCHAR", "liaison station handling it, if any"),
            _C("dept_code", "VARCHAR", "disposal department"),
            _C("alarm_id", "VARCHAR", "sensor alarm it came from, if any"),
            _C("hotline_order_id", "VARCHAR", "hotline order it came from, if any"),
            *UNIT_PATH,
            _C("lon", "DOUBLE", "longitude (site datum)"),
            _C("lat", "DOUBLE", "latitude (site datum)"),
            _C("address", "VARCHAR", "address text (personal data: masked for roles without clearance)"),
            _C("description", "VARCHAR", "free text"),
            _C("load_run_id", "BIGINT", "etl_run that last wrote the row"),
        ),
        key=("case_id",),
        primary_key=False,  # unique by the loader: in-file duplicates rejected, merge by anti-join
        loadable_as="cases",
        stored_order="reported_at",
    ),
    Table(
        "case_status_history",
        "Status changes of cases, when the source provides them (kept across upserts).",
        (
            _C("case_id", "VARCHAR", "case", True),
            _C("status", "VARCHAR", "status entered", True),
            _C("changed_at", "TIMESTAMP", "when", True),
            _C("load_run_id", "BIGINT", "etl_run that recorded it"),
        ),
        key=("case_id", "status", "changed_at"),
        primary_key=False,
    ),
    Table(
        "hotline_orders",
        "12345 hotline work orders (工单).",
        (
            _C("order_id", "VARCHAR", "warehouse id: source_system:source_id", True),
            _C("source_system", "VARCHAR", "which system exported it", True),
            _C("source_id", "VARCHAR", "id in the source system", True),
            _C("channel", "VARCHAR", "12345 | 12319 | 110 | app | ..."),
            _C("received_at", "TIMESTAMP", "received", True),
            _C("category", "VARCHAR", "category text as the hotline classifies it"),
            _C("subcategory", "VARCHAR", "sub-category text"),
            _C("urgency", "VARCHAR", "urgent | general"),
            _C("agency", "VARCHAR", "handling agency / department text"),
            _C("dept_code", "VARCHAR", "department code when known"),
            _C("status", "VARCHAR", "open | closed | other source status"),
            _C("first_contact", "BOOLEAN", "handler contacted the citizen first (NULL = not recorded)"),
            _C("contacted_at", "TIMESTAMP", "first contact"),
            _C("due_at", "TIMESTAMP", "due time"),
            _C("closed_at", "TIMESTAMP", "closed (办结)"),
            _C("resolution", "VARCHAR", "resolved (实际解决) | explained (解释说明) | NULL"),
            _C("satisfaction", "VARCHAR", "satisfied | basic | unsatisfied | NULL (no callback)"),
            _C("callback_at", "TIMESTAMP", "callback (回访) time"),
            _C("case_id", "VARCHAR", "grid case it was turned into, if any"),
            *UNIT_PATH,
            _C("lon", "DOUBLE", "longitude (site datum)"),
            _C("lat", "DOUBLE", "latitude (site datum)"),
            _C("address", "VARCHAR", "address (personal data)"),
            _C("citizen_name", "VARCHAR", "caller name (personal data)"),
            _C("citizen_phone", "VARCHAR", "caller phone (personal data)"),
            _C("content", "VARCHAR", "complaint text (may contain personal data)"),
            _C("load_run_id", "BIGINT", "etl_run that last wrote the row"),
        ),
        key=("order_id",),
        primary_key=False,  # unique by the loader: in-file duplicates rejected, merge by anti-join
        loadable_as="hotline",
        stored_order="received_at",
    ),
    Table(
        "sensors",
        "IoT devices / channels (物联感知): one row per measured quantity of a device.",
        (
            _C("sensor_id", "VARCHAR", "warehouse id: source_system:source_id", True),
            _C("source_system", "VARCHAR", "which system exported it", True),
            _C("source_id", "VARCHAR", "id in the source system", True),
            _C("name", "VARCHAR", "display name"),
            _C("sensor_type", "VARCHAR", "air_pm25 | air_pm10 | water_level | manhole_tilt | smoke | noise | gas | ...",
               True),
            _C("metric", "VARCHAR", "measured quantity"),
            _C("uom", "VARCHAR", "unit of measure"),
            _C("threshold_warning", "DOUBLE", "reading at or beyond it raises a warning (NULL: none)"),
            _C("threshold_alarm", "DOUBLE", "reading at or beyond it raises an alarm (NULL: none)"),
            _C("physical_min", "DOUBLE", "readings below are physically impossible (rejected)"),
            _C("physical_max", "DOUBLE", "readings above are physically impossible (rejected)"),
            _C("expected_interval_min", "INTEGER", "minutes between readings; drives the online rate"),
            _C("installed_at", "TIMESTAMP", "installation"),
            _C("station_code", "VARCHAR", "liaison station, if any"),
            *UNIT_PATH,
            _C("lon", "DOUBLE", "longitude (site datum)"),
            _C("lat", "DOUBLE", "latitude (site datum)"),
            _C("load_run_id", "BIGINT", "etl_run that last wrote the row"),
            _C("threshold_direction", "VARCHAR",
               "above (at or above the thresholds is bad) | below (at or below) | outside (a band: above"
               " the thresholds or below the low ones); NULL: above, or below when alarm < warning"),
            _C("threshold_low_warning", "DOUBLE", "outside: at or below it raises a warning"),
            _C("threshold_low_alarm", "DOUBLE", "outside: at or below it raises an alarm"),
            _C("baseline", "DOUBLE", "reference a readings mapping's from_baseline subtracts readings from"
               " (mount height of a distance-to-water sensor: depth = baseline - distance)"),
        ),
        key=("sensor_id",),
        loadable_as="sensors",
    ),
    Table(
        "sensor_readings",
        "Readings. The largest table (~45M rows a year at district scale): no index, deduplicated by anti-join;"
        " each load stores its rows in time order (ts, sensor_id) so zone maps on ts prune time windows.",
        (
            _C("sensor_id", "VARCHAR", "sensor", True),
            _C("ts", "TIMESTAMP", "reading time", True),
            _C("value", "DOUBLE", "value", True),
            _C("load_run_id", "BIGINT", "etl_run that wrote the row"),
        ),
        key=("sensor_id", "ts"),
        primary_key=False,
        loadable_as="readings",
    ),
    Table(
        "sensor_alarms",
        "Alarms: runs of readings beyond a threshold, and whether they became cases.",
        (
            _C("alarm_id", "VARCHAR", "id", True),
            _C("sensor_id", "VARCHAR", "sensor", True),
            _C("severity", "VARCHAR", "warning | alarm", True),
            _C("started_at", "TIMESTAMP", "first reading beyond the threshold", True),
            _C("ended_at", "TIMESTAMP", "first reading back within (NULL = ongoing)"),
            _C("peak_value", "DOUBLE", "worst reading"),
            _C("case_id", "VARCHAR", "case it was turned into (联动), if any"),
            *UNIT_PATH,
            _C("load_run_id", "BIGINT", "etl_run that wrote the row"),
        ),
        key=("alarm_id",),
        stored_order="started_at",
    ),
    Table(
        "staffing_roster",
        "Staffing rosters (力量配置): who is on duty where, by day/night shift.",
        (
            _C("roster_id", "VARCHAR", "warehouse id: source_system:source_id", True),
            _C("source_system", "VARCHAR", "which system exported it", True),
            _C("source_id", "VARCHAR", "id in the source system", True),
            _C("person_id", "VARCHAR", "person", True),
            _C("person_name", "VARCHAR", "name (personal data)"),
            _C("role", "VARCHAR", "网格员 | 城管 | 民警 | 市场监管 | 保洁 | 物业 | 值班长 | ..."),
            _C("dept_code", "VARCHAR", "department"),
            _C("station_code", "VARCHAR", "liaison station"),
            *UNIT_PATH,
            _C("duty_date", "DATE", "date the shift starts", True),
            _C("shift", "VARCHAR", "day | night | on_call", True),
            _C("start_at", "TIMESTAMP", "shift start"),
            _C("end_at", "TIMESTAMP", "shift end"),
            _C("hours", "DOUBLE", "hours"),
            _C("load_run_id", "BIGINT", "etl_run that last wrote the row"),
        ),
        key=("roster_id",),
        loadable_as="staffing",
        stored_order="duty_date",
    ),
    Table(
        "etl_run",
        "One row per ETL job: what was loaded, when, and how many rows were read, loaded and rejected.",
        (
            _C("run_id", "BIGINT", "id", True),
            _C("kind", "VARCHAR", "units | cases | hotline | sensors | readings | staffing | demo"
               " | rollups (`vitals etl import-rollups`)", True),
            _C("source_system", "VARCHAR", "mapping's source system"),
            _C("mapping", "VARCHAR", "mapping file"),
            _C("files", "VARCHAR", "JSON list of files"),
            _C("started_at", "TIMESTAMP", "start (UTC)"),
            _C("finished_at", "TIMESTAMP", "end (UTC)"),
            _C("status", "VARCHAR", "running | succeeded | failed | deleted (its rows removed by `vitals etl delete`)"),
            _C("rows_read", "BIGINT", "rows read"),
            _C("rows_loaded", "BIGINT", "rows inserted or updated"),
            _C("rows_rejected", "BIGINT", "rows rejected"),
            _C("message", "VARCHAR", "summary or error"),
        ),
        key=("run_id",),
    ),
    Table(
        "etl_file",
        "Per-file counts of each run: rows_read = rows_loaded + rows_rejected.",
        (
            _C("run_id", "BIGINT", "run", True),
            _C("file", "VARCHAR", "path as given", True),
            _C("sha256", "VARCHAR", "content hash"),
            _C("rows_read", "BIGINT", "rows read"),
            _C("rows_loaded", "BIGINT", "rows loaded"),
            _C("rows_rejected", "BIGINT", "rows rejected"),
        ),
        key=("run_id", "file"),
    ),
    Table(
        "etl_reject",
        "Rejected rows with the reason: nothing read is silently dropped.",
        (
            _C("run_id", "BIGINT", "run", True),
            _C("kind", "VARCHAR", "load kind"),
            _C("file", "VARCHAR", "file", True),
            _C("line", "BIGINT", "1-based line (CSV: physical data line; other formats: record number)"),
            _C("field", "VARCHAR", "field that failed (source column name where known)"),
            _C("raw_value", "VARCHAR", "the offending value as read"),
            _C("reason", "VARCHAR", "machine-readable reason code", True),
            _C("detail", "VARCHAR", "human-readable explanation"),
            _C("raw_record", "VARCHAR", "the whole source row as JSON"),
        ),
        primary_key=False,
    ),
)

TABLE_BY_NAME = {t.name: t for t in TABLES}
SCHEMA_VERSION = "1"


def ddl() -> str:
    """CREATE every table, then add the columns declared since a warehouse was created (idempotent)."""
    adds = [f"ALTER TABLE {t.name} ADD COLUMN IF NOT EXISTS {c.name} {c.type};" for t in TABLES for c in t.columns]
    return "\n\n".join(t.ddl() for t in TABLES) + "\n\n" + "\n".join(adds)


def schema_markdown() -> str:
    """docs/schema.md, regenerated by `vitals schema-doc`; a test fails when the file is stale."""
    out = [
        "# Warehouse schema",
        "",
        "Generated from `etl/schema.py` (do not edit by hand; run `vitals schema-doc`).",
        "",
        "Conventions" + (__doc__ or "").split("Conventions", 1)[1].rstrip(),
        "",
    ]
    for t in TABLES:
        out += [f"## `{t.name}`", "", t.doc, ""]
        if t.key:
            unique = "; unique by the loader: a file's repeated keys are rejected, stored keys merged by join"
            out += [f"Natural key: `{', '.join(t.key)}`"
                    + ("" if t.primary_key else f" (not indexed{unique if t.loadable_as else ''})"), ""]
        if t.loadable_as:
            out += [f"Loaded by `vitals etl load {t.loadable_as}`.", ""]
        out += ["| column | type | required | meaning |", "|---|---|---|---|"]
        out += [f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | {c.doc} |" for c in t.columns]
        out.append("")
    out += _rollups_markdown()
    return "\n".join(out)


def _rollups_markdown() -> list[str]:
    out = ["# Rollups", "",
           "Derived tables the ETL keeps in step with the fact rows (`etl/rollups.py`, issue 19): per day of one",
           "timestamp column, leaf unit (with its path) and filter dimensions, one count per part of the",
           "additive indicators (docs/architecture.md, \"Rollups\"). Generated from the metrics declarations",
           "into `etl/rollup_sql.py` (`python -m metrics.rollups`); rebuilt whole when the declarations change.",
           "`rollup_sensor_readings_day` keeps the 15-minute cells with a reading per sensor and day, for the",
           "IoT online rate (metrics/readings_rollup.py).",
           ""]
    for r in (*rollup_sql.ROLLUPS, *rollup_sql.READINGS_ROLLUPS):
        out += [f"## `{r.name}`", "", f"`{r.fact}` by day of `{r.anchor}`.", "",
                "| column | type | meaning |", "|---|---|---|"]
        out += [f"| `{c.name}` | {c.type} | {c.doc} |" for c in r.columns]
        out.append("")
    return out
