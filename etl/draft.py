"""`vitals etl draft-mapping FILE --kind K`: a first mapping for an export the project has never seen.

The file is sniffed (format, encoding, delimiter, Excel sheet), a sample is staged with the loader's own
reader, and each warehouse field is matched to a source column by its header (English and Chinese
names) and checked against the values (timestamps must parse, coordinates must be in range). The
result is commented TOML: what was guessed from what, what needs a look, what the file has besides.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb

from etl import schema
from etl.load import SENTINEL_MIN_ROWS, SENTINEL_SHARE
from etl.mapping import CANCELLED, KIND_TABLE, FileOptions
from etl.readers import detect_encoding, detect_format, first_line, sniff_delimiter, stage
from etl.transform import SERIAL_RE, is_number

SAMPLE_ROWS = 20000

# Header words per warehouse field, normalised (lower case, no spaces, '_' or '-'). An exact match
# beats a contained one; the first listed synonym wins ties.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "source_id": ("uniquekey", "id", "编号", "工单编号", "工单号", "案件编号", "案卷编号", "案件号", "orderid",
                  "caseid",
                  "requestid", "servicerequestid", "srnumber", "casenumber", "ticketid", "number", "单号", "序号",
                  "sensorid", "设备编号", "stationid", "rosterid", "排班编号"),
    "received_at": ("createddate", "created", "receivedat", "received", "受理时间", "来电时间", "创建时间", "登记时间",
                    "opendate", "opened", "requesteddatetime", "requestdate", "datecreated", "createdat", "提交时间",
                    "反映时间", "时间"),
    "reported_at": ("reportedat", "reported", "上报时间", "发现时间", "createddate", "created", "创建时间", "时间"),
    "registered_at": ("registeredat", "立案时间"),
    "dispatched_at": ("dispatchedat", "派遣时间", "派发时间", "派单时间"),
    "arrived_at": ("arrivedat", "到场时间", "到达时间"),
    "first_result_at": ("firstresultat", "首次反馈时间"),
    "disposed_at": ("disposedat", "处置时间", "处置完成时间"),
    "closed_at": ("closeddate", "closed", "closedat", "closedate", "办结时间", "结案时间", "完成时间", "resolveddate",
                  "datecompleted", "completeddate", "归档时间"),
    "due_at": ("duedate", "dueat", "due", "截止时间", "办理时限", "办结时限", "deadline"),
    "deadline_at": ("deadlineat", "deadline", "截止时间", "处置时限", "duedate"),
    "contacted_at": ("contactedat", "首次联系时间", "联系时间"),
    "callback_at": ("callbackat", "回访时间"),
    "category": ("complainttype", "category", "类别", "问题类型", "诉求类型", "一级分类", "requesttype", "servicename",
                 "servicerequesttype", "type", "分类", "问题分类"),
    "subcategory": ("descriptor", "subcategory", "二级分类", "子类", "subtype", "小类", "问题子类"),
    "category_code": ("categorycode", "类别编码", "小类编码", "案件类别编码"),
    "agency": ("agencyname", "agency", "承办单位", "处理部门", "责任单位", "办理单位", "department", "dept"),
    "dept_code": ("agency", "deptcode", "部门编码", "单位编码"),
    "status": ("status", "状态", "工单状态", "案件状态", "办理状态"),
    "channel": ("opendatachanneltype", "channel", "渠道", "来源渠道", "methodreceived", "source", "来电渠道"),
    "source": ("source", "来源", "案件来源"),
    "urgency": ("priority", "urgency", "紧急程度", "紧急度", "优先级"),
    "satisfaction": ("satisfaction", "满意度", "评价", "回访结果"),
    "address": ("incidentaddress", "address", "地址", "地点", "事发地址", "事发地点", "location", "streetaddress"),
    "content": ("description", "content", "诉求内容", "问题描述", "内容", "描述", "details", "工单内容", "来电内容"),
    "description": ("description", "问题描述", "描述", "内容", "details"),
    "citizen_name": ("姓名", "来电人", "来电人姓名", "联系人", "name"),
    "citizen_phone": ("电话", "联系电话", "来电号码", "phone", "phonenumber"),
    "name": ("name", "名称", "设备名称", "站点名称", "sensorname"),
    "name_zh": ("name_zh", "名称", "中文名称", "name"),
    "name_en": ("name_en", "英文名称", "englishname"),
    "unit_code": ("unitcode", "网格编码", "区划代码", "统一编码", "code", "编码", "boroughcode"),
    "parent_code": ("parentcode", "上级编码", "上级代码", "parent"),
    "level": ("level", "层级", "级别"),
    "sensor_type": ("sensortype", "设备类型", "type", "类型"),
    "sensor_id": ("sensorid", "设备编号", "station", "stationid", "站点"),
    "ts": ("ts", "time", "datetime", "timestamp", "时间", "监测时间", "date"),
    "value": ("value", "数值", "监测值", "reading"),
    "person_id": ("personid", "工号", "人员编号", "staffid", "employeeid"),
    "person_name": ("personname", "姓名", "name"),
    "duty_date": ("dutydate", "日期", "值班日期", "date"),
    "shift": ("shift", "班次"),
    "start_at": ("startat", "开始时间", "start"),
    "end_at": ("endat", "结束时间", "end"),
    "lon": ("longitude", "lon", "lng", "long", "经度", "x坐标", "gpsx"),
    "lat": ("latitude", "lat", "纬度", "y坐标", "gpsy"),
}
UNIT_CODE_WORDS = ("communityboard", "网格编码", "网格号", "社区编码", "村居编码", "unitcode", "区划代码", "ward",
                   "councildistrict", "district", "街道编码", "乡镇编码")
UNIT_NAME_WORDS = ("村居名称", "村居", "社区", "居委", "村委", "village", "community", "neighborhood", "街道", "街镇",
                   "乡镇", "borough", "town")
FINE_NAME_WORDS = ("村", "居", "社区", "village", "community", "neighborhood")
TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%y %H:%M",
    "%m/%d/%y %I:%M %p", "%m/%d/%Y", "%m/%d/%y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日", "%Y%m%d%H%M%S", "%Y%m%d",
)
STATUS_WORDS: dict[str, tuple[str, ...]] = {
    CANCELLED: ("cancel", "作废", "撤销", "撤单", "withdrawn", "duplicate", "invalid", "无效"),
    "closed": ("closed", "close", "结案", "办结", "已完成", "完成", "completed", "resolved", "done", "已解决", "归档"),
    "disposed": ("处置", "disposed"),
    "dispatched": ("派遣", "派发", "dispatched", "assigned", "已分派"),
    "registered": ("立案", "registered"),
    "reported": ("上报", "reported"),
    "open": ("open", "受理", "处理中", "办理中", "inprogress", "pending", "new", "started", "待"),
}
CASE_STATUSES = set(schema.CASE_STATUSES)
# Rough zones from where the points lie (lon range, lat range, zone): enough to propose, never to decide.
ZONES: tuple[tuple[tuple[float, float], tuple[float, float], str], ...] = (
    ((73.0, 135.0), (18.0, 54.0), "Asia/Shanghai"),
    ((-87.5, -66.0), (24.0, 48.0), "America/New_York"),
    ((-102.0, -87.5), (25.0, 49.0), "America/Chicago"),
    ((-114.0, -102.0), (31.0, 49.0), "America/Denver"),
    ((-125.0, -114.0), (32.0, 49.0), "America/Los_Angeles"),
    ((-10.0, 2.0), (49.5, 61.0), "Europe/London"),
    ((2.0, 25.0), (36.0, 56.0), "Europe/Berlin"),
    ((129.0, 146.0), (30.0, 46.0), "Asia/Tokyo"),
)


def norm(header: str) -> str:
    return re.sub(r"[\s_\-./()（）:：]+", "", header.lower())


@dataclass(frozen=True)
class Sniffed:
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: tuple[str, ...]
    columns: tuple[str, ...]
    rows: int
    header: bool
    cells: dict[str, list[str]]  # column -> the sampled rows' values as text ("" when empty), row-aligned

    def values(self, column: str) -> list[str]:
        """The non-empty sampled values of ``column``."""
        return [v for v in self.cells.get(column, []) if v]


def _sheets(path: Path) -> tuple[str, ...]:
    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/workbook.xml").decode("utf-8", errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return ()
    return tuple(re.findall(r'<sheet [^>]*name="([^"]*)"', xml))


def sniff(path: Path) -> Sniffed:
    """Read ``path`` as the loader would, with guessed options, and keep a sample of each column."""
    fmt = detect_format(path, "auto")
    enc = delim = sheet = None
    sheets: tuple[str, ...] = ()
    if fmt == "csv":
        enc = detect_encoding(path)
        if enc == "utf-8":
            delim = sniff_delimiter(first_line(path)) if not path.name.lower().endswith(".gz") else ","
    if fmt == "xlsx":
        sheets = _sheets(path)
        sheet = sheets[0] if sheets else None
    opts = FileOptions(format=fmt, encoding=enc or "auto", delimiter=delim, sheet=sheet)
    con = duckdb.connect()
    try:
        staged = stage(con, path, opts, "__stg")
        header = True
        if fmt == "csv" and _looks_like_data(staged.columns):
            # the first line is a record: numbers and times are not column names
            header = False
            staged = stage(con, path, replace(opts, header=False), "__stg")
        cols = staged.columns
        rows = staged.rows
        sel = ", ".join(f'CAST("{c.replace(chr(34), chr(34) * 2)}" AS VARCHAR)' for c in cols)
        data = con.execute(f"SELECT {sel} FROM __stg ORDER BY __line LIMIT {SAMPLE_ROWS}").fetchall()
    finally:
        con.close()
    cells = {c: ["" if r[i] is None else str(r[i]).strip() for r in data] for i, c in enumerate(cols)}
    return Sniffed(fmt, enc, delim, sheet, sheets, tuple(cols), int(rows), header, cells)


def _looks_like_data(names: Sequence[str]) -> bool:
    """A first line with a time in it, or mostly numbers, is a record: column names are neither."""
    return any(time_formats([n]) for n in names) or sum(map(_is_float, names)) * 2 >= len(names) > 1


# ----------------------------------------------------------------------------------------- guessing


def time_formats(values: Sequence[str]) -> list[str]:
    """Formats that parse at least 95% of the values, best first (several when a column mixes them)."""
    vals = values[:500]
    if not vals:
        return []
    counts = {}
    for fmt in TIME_FORMATS:
        ok = sum(_parses(v, fmt) for v in vals)
        if ok:
            counts[fmt] = ok
    if not counts:
        return []
    best = max(counts, key=lambda f: counts[f])
    covered = counts[best]
    out = [best]
    # A second format when the first leaves rows out (midnight written without a time, say).
    for fmt, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        if fmt not in out and covered < len(vals) and n < len(vals):
            out.append(fmt)
            covered += n
    return out if covered >= 0.95 * len(vals) else []


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def is_serial(values: Sequence[str]) -> bool:
    vals = values[:500]
    return bool(vals) and sum(bool(re.match(SERIAL_RE, v)) for v in vals) >= 0.95 * len(vals)


def _numbers(values: Sequence[str]) -> list[float]:
    return [float(v.replace(",", "")) for v in values[:2000] if _is_float(v)]


def _in_range(values: Sequence[str], lo: float, hi: float) -> bool:
    nums = _numbers(values)
    return bool(nums) and len(nums) >= 0.9 * len(values[:2000]) and all(lo <= x <= hi for x in nums)


def _score(field: str, header: str) -> int:
    """100 - rank for an exact synonym, 50 - rank for a contained one, 0 for none. Short English words
    ("name", "type", "id") only match exactly, so "Street Name" is not a citizen's name."""
    h = norm(header)
    syn = [norm(s) for s in SYNONYMS.get(field, ())]
    if h in syn or h == norm(field):
        return 100 - (syn.index(h) if h in syn else len(syn))
    hits = [i for i, s in enumerate(syn) if (len(s) >= 6 or (len(s) >= 2 and _has_cjk([s]))) and s in h]
    return 50 - min(hits) if hits else 0


@dataclass(frozen=True)
class Guess:
    field: str
    column: str
    why: str


def _fits(field: str, typ: str, values: Sequence[str]) -> bool:
    if not values:
        return True  # an empty column fits by name (a closed date no row has yet)
    if typ in ("TIMESTAMP", "DATE"):
        return bool(time_formats(values)) or is_serial(values)
    if field == "lon":
        return _in_range(values, -180.0, 180.0)
    if field == "lat":
        return _in_range(values, -90.0, 90.0)
    if typ in ("DOUBLE", "INTEGER", "BIGINT"):
        return len(_numbers(values)) >= 0.9 * len(values[:2000])
    return True


def guess_fields(kind: str, s: Sniffed) -> list[Guess]:
    table = schema.TABLE_BY_NAME[KIND_TABLE[kind]]
    skip = {"load_run_id", "source_system", *schema.PATH_COLUMNS,
            "case_id", "order_id", "roster_id", "cancelled"}
    if kind == "sensors":
        skip.add("sensor_id")  # derived from source_id
    types = {c.name: c.type for c in table.columns if c.name not in skip}
    cands: list[tuple[int, int, str, str]] = []
    for f, typ in types.items():
        for col in s.columns:
            sc = _score(f, col)
            if sc and _fits(f, typ, s.values(col)):
                required = 1 if next(c for c in table.columns if c.name == f).required else 0
                cands.append((sc, required, f, col))
    used_f: set[str] = set()
    used_c: set[str] = set()
    out: list[Guess] = []
    for sc, _req, f, col in sorted(cands, key=lambda t: (-t[0], -t[1], s.columns.index(t[3]))):
        if f in used_f or col in used_c:
            continue
        used_f.add(f)
        used_c.add(col)
        out.append(Guess(f, col, "header" if sc >= 90 else "header contains a known word"))
    # Required timestamps not found by name: the first column whose values are times.
    for f, typ in types.items():
        req = next(c for c in table.columns if c.name == f).required
        if req and f not in used_f and typ in ("TIMESTAMP", "DATE"):
            for col in s.columns:
                if col not in used_c and s.values(col) and _fits(f, typ, s.values(col)):
                    used_f.add(f)
                    used_c.add(col)
                    out.append(Guess(f, col, "values are times"))
                    break
    return out


def guess_zone(lons: Sequence[float], lats: Sequence[float]) -> str | None:
    if not lons:
        return None
    lon, lat = sorted(lons)[len(lons) // 2], sorted(lats)[len(lats) // 2]
    for (a, b), (c, d), zone in ZONES:
        if a <= lon <= b and c <= lat <= d:
            return zone
    return None


def _has_cjk(texts: Sequence[str]) -> bool:
    return any(re.search(r"[\u4e00-\u9fff]", t) for t in texts)


def status_map(values: Sequence[str], kind: str) -> tuple[dict[str, str], list[str], list[str]]:
    """(source value -> warehouse status, cancelled values, values left as they are)."""
    allowed = CASE_STATUSES if kind == "cases" else {"open", "closed", CANCELLED}
    mapping: dict[str, str] = {}
    cancelled: list[str] = []
    other: list[str] = []
    for v, _n in Counter(values).most_common(40):
        key = norm(v)
        hit = next((st for st, words in STATUS_WORDS.items() if st in allowed
                    and any(norm(w) in key for w in words)), None)
        if hit == CANCELLED:
            cancelled.append(v)
        elif hit:
            mapping[v] = hit
        else:
            other.append(v)
    return mapping, cancelled, other


# ------------------------------------------------------------------------------------------ writing


def q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _examples(values: Sequence[str], n: int = 3) -> str:
    seen = list(dict.fromkeys(values))[:n]
    return ", ".join(v if len(v) <= 30 else v[:27] + "..." for v in seen)


@dataclass(frozen=True)
class KnownUnits:
    """What the warehouse's org_unit holds, to test unit columns against (empty: no units loaded)."""

    codes: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> KnownUnits:
        rows = con.execute("SELECT unit_code, name_zh, name_en FROM org_unit").fetchall()
        return cls(frozenset(r[0] for r in rows), frozenset(n for r in rows for n in r[1:] if n))


def _share(values: Sequence[str], known: frozenset[str]) -> float:
    vals = [v for v in values if v]
    return sum(v in known for v in vals) / len(vals) if vals else 0.0


def draft_mapping(path: Path, kind: str, *, site_zone: str | None = None, source_system: str | None = None,
                  units: KnownUnits | None = None) -> str:
    """Commented TOML text of a first mapping for ``path`` as ``kind``; ``units`` (the warehouse's
    org_unit) lets unit columns be tested: a code or name column that matches no unit is left out."""
    if kind not in KIND_TABLE:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(sorted(KIND_TABLE))}")
    s = sniff(path)
    table = schema.TABLE_BY_NAME[KIND_TABLE[kind]]
    types = {c.name: c.type for c in table.columns}
    guesses = guess_fields(kind, s)
    by_field = {g.field: g for g in guesses}
    system = source_system or re.sub(r"[^a-z0-9]+", "_", path.name.lower().split(".")[0]).strip("_") or "source"
    zh = _has_cjk(s.columns)
    out: list[str] = [
        f"# Drafted by `vitals etl draft-mapping {path.name} --kind {kind}` from {s.rows:,} rows"
        f" ({min(s.rows, SAMPLE_ROWS):,} sampled).",
        "# Check every line marked CHECK, then load:",
        f"#   vitals etl load {kind} {path.name} --mapping THIS_FILE.toml",
        "# Format reference: docs/etl.md (Writing a mapping).",
        f"source_system = {q(system)}   # ids become {system}:<source_id>",
        f"kind = {q(kind)}",
        "",
        "[file]",
        f"format = {q(s.format)}",
    ]
    if s.encoding:
        out.append(f"encoding = {q(s.encoding)}   # sniffed" + ("" if s.encoding == "utf-8" else
                   " (gb18030 reads GBK too)" if s.encoding == "gb18030" else ""))
    if s.delimiter:
        out.append(f"delimiter = {q(s.delimiter)}")
    if not s.header:
        out.append("header = false   # the first line is data: columns are column0, column1, ...")
    if s.sheet:
        others = [x for x in s.sheets if x != s.sheet]
        out.append(f"sheet = {q(s.sheet)}" + (f"   # other sheets: {', '.join(others)}" if others else ""))
    nulls = sorted({v for c in s.columns for v in s.values(c) if v.upper() in ("NA", "N/A", "NULL", "NONE", "-")})
    out.append(f"null_values = {json.dumps(['', *nulls], ensure_ascii=False)}")

    # ---- time
    fmts: list[str] = []
    serial_cols: list[str] = []
    for g in guesses:
        if types.get(g.field) in ("TIMESTAMP", "DATE"):
            vals = s.values(g.column)
            if is_serial(vals):
                serial_cols.append(g.column)
            for f in time_formats(vals):
                if f not in fmts:
                    fmts.append(f)
    lon_g, lat_g = by_field.get("lon"), by_field.get("lat")
    pts: list[tuple[str, str]] = []
    if lon_g and lat_g:
        pts = [(a, b) for a, b in zip(s.cells[lon_g.column], s.cells[lat_g.column], strict=True) if a and b]
    lons = [float(a.replace(",", "")) for a, _b in pts if _is_float(a) and _is_float(_b)]
    lats = [float(b.replace(",", "")) for a, b in pts if _is_float(a) and _is_float(b)]
    zone = guess_zone(lons, lats) or ("Asia/Shanghai" if zh else None)
    has_time = any(t in ("TIMESTAMP", "DATE") for t in types.values())
    tl = ["", "[time]", f"formats = {json.dumps(fmts, ensure_ascii=False)}"
          + ("" if fmts else "   # CHECK: no format fitted the sampled times")]
    if serial_cols:
        tl.append(f"# {', '.join(serial_cols)}: spreadsheet serial days (43563.36 = 2019-04-08 08:38), read"
                  " without a format")
    if zone:
        why = "from where the points lie" if lons else "Chinese headers"
        tl.append(f"zone = {q(zone)}   # CHECK: guessed {why}; the zone the export's clock shows")
    else:
        tl.append(f"zone = {q(site_zone or 'UTC')}   # CHECK: nothing in the file tells the zone")
    if site_zone and zone and zone != site_zone:
        tl.append(f"# the site zone is {site_zone}: if the site is in {zone}, `vitals site set --timezone {zone}`")
    out += tl if has_time else []

    # ---- fields
    out += ["", "[fields]"]
    required = [c.name for c in table.columns if c.required]
    for c in table.columns:
        found = by_field.get(c.name)
        if found is None or c.name in ("lon", "lat"):
            continue
        vals = s.values(found.column)
        note = f"   # {found.why}; e.g. {_examples(vals)}" if vals else f"   # {found.why}; empty in the sample"
        if c.name == "status" and vals:
            line, check = _status_line(found.column, vals, kind)
            out += [line + note, *check]
        elif c.name == "level" and vals and not set(vals) <= set(schema.LEVELS):
            out.append(_level_line(found.column, vals) + note)
        else:
            out.append(f"{c.name} = {q(found.column)}{note}")
    derived = {"case_id", "order_id", "roster_id", "source_system", "unit_code"}
    if kind == "sensors":
        derived.add("sensor_id")
    tail: list[str] = []
    used = {g.column for g in guesses}
    if kind == "units":
        lines, tail, more = _unit_table(s, by_field, system, zh)
        used |= more
        out += lines
        derived |= {"unit_code", "parent_code", "level", "name_zh"}
    for f in required:
        if f not in by_field and f not in derived:
            out.append(f"# CHECK: {f} is required and no column matched: {f} = \"<column>\""
                       f" (or {{ constant = \"...\" }})")

    # ---- coords
    if lon_g and lat_g:
        datum = "GCJ-02" if (zone == "Asia/Shanghai" or zh) else "WGS-84"
        if any(w in norm(lon_g.column) for w in ("bd", "baidu", "百度")):
            datum = "BD-09"
        out += ["", "[coords]"]
        sentinel = _sentinel(pts)
        if sentinel:
            (x, y), n = sentinel
            out.append(f"# CHECK: {n:,} of {len(pts):,} sampled points ({n / len(pts):.1%}) are ({x}, {y}): a"
                       " geocoder's placeholder? blanked here (the rows stay); drop null_if if it is a real place")
            out.append(f"lon = {{ column = {q(lon_g.column)}, null_if = [{q(x)}] }}")
            out.append(f"lat = {{ column = {q(lat_g.column)}, null_if = [{q(y)}] }}")
        else:
            out.append(f"lon = {q(lon_g.column)}")
            out.append(f"lat = {q(lat_g.column)}")
        out.append(f"datum = {q(datum)}   # CHECK: WGS-84 (GPS), GCJ-02 (AMap/Tencent), BD-09 (Baidu)")
        out.append("check_jurisdiction = true   # reject points outside the loaded units' polygons")

    # ---- unit
    if "unit_code" in types and kind != "units":
        out += _unit_lines(s, used={g.column for g in guesses}, has_point=bool(lon_g and lat_g), units=units)

    out += tail
    # a column is used when a setting (not a comment) names it
    settings_text = "\n".join(line.split("   #")[0] for line in out if not line.startswith("#"))
    unused = [c for c in s.columns if c not in used and c != "geometry" and q(c) not in settings_text]
    if unused:
        out += ["", "# Columns not used (add any under [fields] if it fits one of the fields below):"]
        out += [f"#   {c}: {_examples(s.values(c)) or '(empty in the sample)'}" for c in unused]
    free = [c.name for c in table.columns if c.name not in by_field and c.name not in derived
            and f"\n{c.name} = " not in "\n" + settings_text
            and c.name not in ("load_run_id", *schema.PATH_COLUMNS, "cancelled")]
    if free:
        out.append(f"# Fields of {kind} not filled: {', '.join(free)}")
    return "\n".join(out) + "\n"


def _is_float(text: str) -> bool:
    return is_number(text.replace(",", ""))  # thousands separators allowed while drafting


def _sentinel(pts: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], int] | None:
    """The point the loader would warn about (etl.load.sentinel_point_warnings), from the sample."""
    if not pts:
        return None
    (pt, n), = Counter(pts).most_common(1)
    return (pt, n) if n >= SENTINEL_MIN_ROWS and n > SENTINEL_SHARE * len(pts) else None


LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "district": ("county", "district", "city", "区", "县", "市"),
    "town": ("town", "street", "subdistrict", "borough", "街道", "镇", "乡"),
    "grid": ("grid", "网格"),
    "village": ("village", "community", "neighborhood", "社区", "村", "居委"),
    "microgrid": ("microgrid", "微网格"),
}


def _level_line(column: str, values: Sequence[str]) -> str:
    """The file's level words mapped to the warehouse levels (district, town, grid, village, microgrid)."""
    mapping: dict[str, str] = {}
    for v in dict.fromkeys(values):
        # longest word first: 微网格 is a microgrid, not a grid
        hits = [(len(w), lvl) for lvl, words in LEVEL_WORDS.items() for w in words if w in v.lower()]
        if hits:
            mapping[v] = max(hits)[1]
    unmapped = [v for v in dict.fromkeys(values) if v not in mapping]
    line = f"level = {{ column = {q(column)}, map = {{ " + ", ".join(f"{q(k)} = {q(v)}" for k, v in mapping.items())
    line += " } }"
    return line + (f"   # CHECK: no level for {', '.join(unmapped)}" if unmapped else "")


def _status_line(column: str, values: Sequence[str], kind: str) -> tuple[str, list[str]]:
    mapping, cancelled, other = status_map(values, kind)
    parts = [f"column = {q(column)}"]
    if mapping:
        parts.append("map = { " + ", ".join(f"{q(k)} = {q(v)}" for k, v in mapping.items()) + " }")
    if cancelled:
        parts.append(f"cancelled = {json.dumps(cancelled, ensure_ascii=False)}")
    check = [f"# CHECK status values kept as they are: {', '.join(other[:10])}"] if other else []
    return "status = { " + ", ".join(parts) + " }", check


def _unit_table(s: Sniffed, by_field: dict[str, Guess], system: str,
                zh: bool) -> tuple[list[str], list[str], set[str]]:
    """Lines for a units file: its code and name columns, a root declared for a file that lists one level
    (a US city's council districts), and [geometry] for a GeoJSON."""
    lines: list[str] = []
    taken = {g.column for g in by_field.values()}
    code = by_field["unit_code"].column if "unit_code" in by_field else next(
        (c for c in s.columns if c not in taken and c != "geometry" and s.values(c)
         and len(set(s.values(c))) == len(s.cells[c])), None)
    if "unit_code" not in by_field:
        lines.append(f"unit_code = {q(code)}   # CHECK: values are unique in the file" if code else
                     '# CHECK: unit_code is required: unit_code = "<column with a unique code per unit>"')
    name = next((by_field[f].column for f in ("name_zh", "name_en") if f in by_field), None)
    if "name_zh" not in by_field:
        # The pages show name_zh in Chinese and name_en in English: without Chinese names, both are the same.
        src = name or code
        lines.append(f"name_zh = {q(src)}   # CHECK: no Chinese names in the file; the same names serve both"
                     if src else '# CHECK: name_zh is required: name_zh = "<column>"')
    elif "name_en" not in by_field and not _has_cjk(s.values(by_field["name_zh"].column)):
        lines.append(f"name_en = {q(by_field['name_zh'].column)}   # the names are not Chinese: English too")
    tail: list[str] = []
    root = system.upper()
    if "parent_code" not in by_field:
        lines.append(f"parent_code = {{ constant = {q(root)} }}   # one level in the file: under the root below")
        lines.append('level = { constant = "town" }   # CHECK: the level of these units (district is the root)')
        tail += ["", "[[constant_rows]]   # the root the file does not list: the city",
                 f"unit_code = {q(root)}", 'level = "district"',
                 f"name_zh = {q(root)}   # CHECK: the city's name", f"name_en = {q(root)}"]
    elif "level" not in by_field:
        lines.append('level = { constant = "town" }   # CHECK: the level of these units')
    if "geometry" in s.columns:
        tail = ["", "[geometry]", 'column = "geometry"',
                f"datum = {q('GCJ-02' if zh else 'WGS-84')}   # CHECK: GeoJSON is WGS-84 unless made from a"
                " Chinese map", "approximate = false", *tail]
    return lines, tail, {c for c in (code, name) if c}


def _unit_lines(s: Sniffed, used: set[str], has_point: bool, units: KnownUnits | None) -> list[str]:
    code = next((c for c in s.columns if c not in used and any(norm(w) in norm(c) for w in UNIT_CODE_WORDS)), None)
    name = next((c for c in s.columns if c not in used and c != code
                 and any(norm(w) in norm(c) for w in UNIT_NAME_WORDS)), None)
    notes: list[str] = []
    if units is not None and units.codes:
        # With units loaded, a column is kept only if its values are units: a code that is present but
        # unknown stops the chain (unknown_unit), so a wrong code column would cost every row its unit.
        if code and _share(s.values(code), units.codes) < 0.5:
            notes.append(f"# {code}: {_share(s.values(code), units.codes):.0%} of sampled values are unit codes;"
                         " not used (a regex + template can rewrite them into codes: docs/etl.md)")
            code = None
        if name and _share(s.values(name), units.names) < 0.5:
            notes.append(f"# {name}: {_share(s.values(name), units.names):.0%} of sampled values are unit names;"
                         " not used")
            name = None
    chain: list[str] = []
    if code:
        chain.append("code")
    fine = name is not None and any(w in norm(name) for w in FINE_NAME_WORDS)
    if name and fine:
        chain.append("name")
    if has_point:
        chain.append("point")
    if name and not fine:
        chain.append("name")
    out = ["", "[unit]   # how a row finds its unit (load the units first); the first method that works wins",
           *notes]
    if not chain:
        out.append("# CHECK: no unit column or coordinates found; rows load without a unit")
        out.append("chain = []")
    else:
        out.append(f"chain = {json.dumps(chain)}")
    if code:
        out.append(f"code = {q(code)}   # CHECK: values must equal org_unit.unit_code; e.g. "
                   f"{_examples(s.values(code))} (a regex + template can rewrite them)")
    if name:
        out.append(f"name = {q(name)}   # matched on org_unit name_zh / name_en; e.g."
                   f" {_examples(s.values(name))}")
    out.append("required = false   # CHECK: true rejects rows whose unit is not found (unit_unresolved)")
    return out
