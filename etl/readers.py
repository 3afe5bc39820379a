"""Read one source file into a DuckDB staging table, with a 1-based source line per row.

Text formats are staged all-VARCHAR so that every value is seen exactly as exported (parsing happens
in SQL with reasons for failures); Parquet keeps its types, which lets the large readings files pass
through without a round trip through text. Reading happens inside DuckDB, never row by row in Python.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import importlib.util
import io
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from etl.mapping import FileOptions

_SNIFF_BYTES = 1 << 20
# A longer CSV line fails the file with a one-line error. DuckDB's read buffer must hold a whole line;
# by default it is 16 lines' worth, which would be gigabytes here, so it is set to two.
MAX_LINE_BYTES = 64 << 20


class ReadError(ValueError):
    """A file that cannot be read with the mapping's options."""


@dataclass(frozen=True)
class Staged:
    table: str  # temp table with __line plus the source columns
    rows: int
    columns: tuple[str, ...]
    types: dict[str, str]
    # lines are physical lines for CSV (header = line 1), record numbers for other formats
    line_kind: str
    # __line of a last CSV record cut off mid-line (no final newline, too few fields or an open quote)
    truncated_line: int | None = None
    # the rows as exported (a sentinel such as -200 still there), for the evidence kept with rejects
    raw_table: str = ""


def extension_path(package: str, name: str) -> str:
    """Path of an extension binary inside its PyPI wheel (extensions are never downloaded)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ReadError(f"python package {package} is not installed (needed for the {name} extension)")
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.rglob(f"{name}.duckdb_extension"))
    if not found:
        raise ReadError(f"{name}.duckdb_extension not found inside {root}")
    return str(found[0])


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(f"LOAD '{extension_path('duckdb_extension_' + name, name)}'")


def detect_format(path: Path, declared: str) -> str:
    if declared != "auto":
        return declared
    name = path.name.lower()
    for suffix, fmt in ((".csv.gz", "csv"), (".csv", "csv"), (".tsv", "csv"), (".txt", "csv"), (".xlsx", "xlsx"),
                        (".parquet", "parquet"), (".geojson", "geojson"), (".json", "json"), (".ndjson", "json")):
        if name.endswith(suffix):
            return fmt
    raise ReadError(f"{path}: cannot tell the format from the name; set file.format in the mapping")


def _open_bytes(path: Path):  # type: ignore[no-untyped-def]
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def detect_encoding(path: Path) -> str:
    """utf-8 (with or without BOM) when the head decodes as UTF-8, utf-16 by its BOM (Excel's "Unicode
    text"), else gb18030 (a superset of GBK)."""
    with _open_bytes(path) as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # A multi-byte character may be cut at the sniff boundary: ignore an incomplete tail.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def check_utf8(path: Path) -> None:
    """Fail with the byte offset of the first invalid UTF-8 sequence (DuckDB's own message names neither
    the encoding nor the place, and some invalid input crashes its reader)."""
    dec = codecs.getincrementaldecoder("utf-8")(errors="strict")
    offset = 0
    with _open_bytes(path) as fh:
        while chunk := fh.read(1 << 22):
            try:
                dec.decode(chunk)
            except UnicodeDecodeError as exc:
                _bad_bytes(path, "UTF-8", offset + exc.start)
            offset += len(chunk)
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            _bad_bytes(path, "UTF-8", offset - len(exc.object) + exc.start)


def _bad_bytes(path: Path, encoding: str, offset: int) -> None:
    where = "of the decompressed data" if path.name.lower().endswith(".gz") else ""
    hint = " (try encoding = \"gb18030\" for a Chinese export)" if encoding == "UTF-8" else ""
    raise ReadError(f"{path}: not valid {encoding} at byte {offset:,}{where}: set file.encoding in the mapping{hint}")


def is_empty(path: Path) -> bool:
    """Nothing but a BOM and whitespace."""
    with _open_bytes(path) as fh:
        head = fh.read(4096)
    return not head.removeprefix(codecs.BOM_UTF8).strip()


CSV_DELIMITERS = (",", "\t", ";", "|")


def sniff_delimiter(header: str) -> str:
    """The candidate that splits the header line (outside quotes) into the most fields."""
    counts = dict.fromkeys(CSV_DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def first_line(path: Path, skip: int = 0) -> str:
    """The first line of a UTF-8 file (BOM removed) after ``skip`` preamble lines, read in pieces: a
    header is never huge, but a headerless file's first line may be."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    lines = head.split(b"\n", skip + 1)
    line = (lines[skip] if len(lines) > skip else b"").rstrip(b"\r").removeprefix(codecs.BOM_UTF8)
    return line.decode("utf-8", errors="replace")


def csv_columns(path: Path, delimiter: str, header: bool, skip: int = 0) -> list[str]:
    """Column names as DuckDB's sniffer would give them (blank → column<i>, repeats → name_<k>)."""
    first = next(csv.reader([first_line(path, skip)], delimiter=delimiter, quotechar='"'), [])
    if not header:
        return [f"column{i}" for i in range(len(first))]
    names: list[str] = []
    for i, raw in enumerate(first):
        name = raw.strip() or f"column{i}"
        base, k = name, 1
        while name in names:
            name = f"{base}_{k}"
            k += 1
        names.append(name)
    return names


def _truncated_tail(path: Path, delimiter: str, ncols: int) -> bool:
    """A last line without its newline that has too few fields or an unclosed quote."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - (1 << 20)))
        tail = fh.read()
    if not tail or tail.endswith((b"\n", b"\r")):
        return False
    last = tail.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
    fields, quoted = 1, False
    for ch in last:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            fields += 1
    return quoted or fields < ncols


def _transcode(path: Path, encoding: str, tmpdir: Path) -> Path:
    """DuckDB reads UTF-8 only (no network for the encodings extension): stream-convert to UTF-8."""
    out = tmpdir / (path.name.removesuffix(".gz") + ".utf8.csv")
    dec = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with _open_bytes(path) as src, out.open("w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(1 << 22):
                dst.write(dec.decode(chunk))
            dst.write(dec.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        _bad_bytes(path, encoding, exc.start)
    return out


def _literal(text: str) -> str:
    """A SQL string literal, for the one place a value cannot be bound: a view over a file path."""
    return "'" + text.replace("'", "''") + "'"


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def stage(con: duckdb.DuckDBPyConnection, path: Path, opts: FileOptions, table: str, tmpdir: Path | None = None,
          ) -> Staged:
    """Create temp table ``table`` from ``path``; returns its shape."""
    if not path.exists():
        raise ReadError(f"{path}: file not found")
    fmt = detect_format(path, opts.format)
    drop_relation(con, table)
    line_kind = "record"
    truncated: int | None = None
    if fmt in ("csv", "json", "geojson", "xlsx") and is_empty(path):
        raise ReadError(f"{path}: empty file (no header, no rows)")
    try:
        if fmt == "csv":
            line_kind = "line"
            enc = detect_encoding(path) if opts.encoding == "auto" else opts.encoding
            src = path
            own_tmp = None
            if enc.replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
                if tmpdir is None:
                    own_tmp = tempfile.TemporaryDirectory(prefix="vitals-etl-")
                    tmpdir = Path(own_tmp.name)
                src = _transcode(path, enc, tmpdir)
            elif path.name.lower().endswith(".gz"):
                if tmpdir is None:
                    own_tmp = tempfile.TemporaryDirectory(prefix="vitals-etl-")
                    tmpdir = Path(own_tmp.name)
                src = _transcode(path, "utf-8", tmpdir)  # checks the UTF-8; plain text for the header and tail
            else:
                check_utf8(path)
            delim = opts.delimiter or sniff_delimiter(first_line(src, opts.skip))
            names = csv_columns(src, delim, opts.header, opts.skip)
            truncated_tail = _truncated_tail(src, delim, len(names))
            raw = table + "_raw"
            drop_relation(con, raw)
            # Our own header and no sniffing: DuckDB's sniffer gives up on a file whose last line is
            # cut inside a quote. null_padding keeps a short last line as a row (rejected below);
            # max_line_size lets a multi-megabyte field through instead of failing the whole file.
            # Only empty text is NULL here: the raw rows keep the mapping's null values for the rejects.
            con.execute(
                f"CREATE TEMP TABLE {raw} AS SELECT (row_number() OVER () + {opts.skip + opts.header})::BIGINT"
                f" AS __line, * FROM read_csv(?, columns = ?, auto_detect = false, nullstr = '', skip = ?,"
                f" header = {opts.header}, delim = ?, quote = '\"', escape = '\"', strict_mode = false,"
                f" null_padding = true, max_line_size = {MAX_LINE_BYTES}, buffer_size = {2 * MAX_LINE_BYTES})",
                [str(src), dict.fromkeys(names, "VARCHAR"), opts.skip, delim],
            )
            # Header is physical line 1 (after the preamble), so data row k sits on line k + 1 unless
            # blank lines or quoted fields spanning lines say otherwise: then the lines come from a parse.
            _physical_lines(con, raw, src, opts, delim)
            if truncated_tail:
                truncated = con.execute(f"SELECT max(__line) FROM {raw}").fetchone()[0]  # type: ignore[index]
            _null_view(con, raw, table, opts.null_values)
            if own_tmp is not None:
                own_tmp.cleanup()
        elif fmt == "xlsx":
            load_extension(con, "excel")
            sheet = ", sheet = ?" if opts.sheet else ""
            params = [str(path), *([opts.sheet] if opts.sheet else [])]
            con.execute(
                f"CREATE TEMP TABLE {table} AS SELECT (row_number() OVER () + 1)::BIGINT AS __line, *"
                f" FROM read_xlsx(?, all_varchar = true, header = true{sheet})",
                params,
            )
            drop_relation(con, table + "_raw")
            con.execute(f"ALTER TABLE {table} RENAME TO {table}_raw")
            _null_view(con, table + "_raw", table, opts.null_values)
        elif fmt == "parquet":
            # A view, not a copy: Parquet is already typed and columnar, and the readings files are
            # the big ones (tens of millions of rows), so they are scanned where they lie.
            con.execute(
                f"CREATE TEMP VIEW {table} AS SELECT * EXCLUDE (file_row_number),"
                f" (file_row_number + 1)::BIGINT AS __line FROM read_parquet({_literal(str(path))},"
                " file_row_number = true)",
            )
        elif fmt == "geojson" or (fmt == "json" and _looks_like_feature_collection(path)):
            _stage_geojson(con, path, table)
        elif fmt == "json":
            con.execute(
                f"CREATE TEMP TABLE {table} AS SELECT row_number() OVER ()::BIGINT AS __line, *"
                f" FROM read_json(?, format = 'auto', maximum_object_size = 1073741824)",
                [str(path)],
            )
        else:  # pragma: no cover - detect_format only returns the above
            raise ReadError(f"{path}: unsupported format {fmt}")
    except duckdb.Error as exc:
        raise ReadError(f"{path}: cannot read as {fmt}: {_explain(str(exc))}") from exc
    desc = con.execute(f"DESCRIBE {table}").fetchall()
    types = {r[0]: r[1] for r in desc}
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
    cols = tuple(c for c in types if c != "__line")
    raw_table = table + "_raw" if fmt in ("csv", "xlsx") else table
    return Staged(table, int(rows), cols, types, line_kind, truncated, raw_table)


def _explain(message: str) -> str:
    """DuckDB's first line, plus the line that says why when there is one (its second line quotes the
    offending row, which may be megabytes long)."""
    lines = message.splitlines()
    why = next((x for x in lines[1:] if x.startswith("Maximum line size")), None)
    if why:
        return f"{lines[0]}: a line is longer than {MAX_LINE_BYTES >> 20} MB ({why.split('. ')[1].rstrip('.')})"
    return lines[0] if lines else message


def drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a temp table or view of that name, whichever it is (DROP VIEW on a table is an error)."""
    row = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?"
                      " AND table_schema = 'main' AND table_catalog = 'temp'", [name]).fetchone()
    if row:
        con.execute(f"DROP {'VIEW' if row[0] == 'VIEW' else 'TABLE'} {name}")


def _null_view(con: duckdb.DuckDBPyConnection, raw: str, view: str, null_values: tuple[str, ...]) -> None:
    """View ``view`` over ``raw`` with the mapping's null values (and empty text) as NULL.

    A view over the raw rows rather than a second copy: the raw rows stay for the rejects' evidence.
    A view cannot take bound parameters, so the null strings are written as escaped literals.
    """
    drop_relation(con, view)
    cols = [r[0] for r in con.execute(f"DESCRIBE {raw}").fetchall() if r[0] != "__line"]
    nulls = sorted({v.strip() for v in null_values} | {""})
    lits = "[" + ", ".join(_literal(v) for v in nulls) + "]"

    def maybe(c: str) -> str:
        # trim() allocates a copy of every value: only where the value can match. Trimmed to '' means
        # all trim's spaces, so it starts with one (' ' or a non-ASCII space); trimmed to v contains v.
        return " OR ".join([f"{c} = ''", f"ascii({c}) = 32", f"ascii({c}) > 127",
                            *(f"contains({c}, {_literal(v)})" for v in nulls if v)])

    sel = ", ".join(f"CASE WHEN ({maybe(_q(c))}) AND list_contains({lits}, trim({_q(c)})) THEN NULL ELSE {_q(c)} END"
                    f" AS {_q(c)}" for c in cols)
    con.execute(f"CREATE TEMP VIEW {view} AS SELECT __line{', ' + sel if sel else ''} FROM {raw}")


def _physical_lines(con: duckdb.DuckDBPyConnection, table: str, path: Path, opts: FileOptions, delim: str) -> None:
    """Set ``__line`` to the physical line each record starts on when that is not header + k.

    Counting newlines is cheap; only a file whose line count differs from its record count (a preamble,
    blank lines, quoted fields spanning lines) is parsed again, with Python's csv module, whose
    ``line_num`` counts physical lines. The data records are the last ones of the file.
    """
    rows = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
    head = opts.skip + (1 if opts.header else 0)
    lines, last = 0, b"\n"
    with _open_bytes(path) as fh:
        while chunk := fh.read(1 << 22):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    if lines == rows + head:
        return
    csv.field_size_limit(sys.maxsize)
    starts: list[int] = []
    with _open_bytes(path) as fb, io.TextIOWrapper(fb, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delim, quotechar='"', doublequote=True)
        prev = 0
        try:
            for rec in reader:
                if rec:
                    starts.append(prev + 1)
                prev = reader.line_num
        except csv.Error:
            return  # the two parsers disagree: keep header + k rather than guess
    if len(starts) < rows + head:
        return  # the two parsers disagree: keep header + k rather than guess
    first = starts[len(starts) - rows:]
    con.register("__lines", pd.DataFrame({"__rn": np.arange(head + 1, head + 1 + rows, dtype=np.int64),
                                          "__phys": np.asarray(first, dtype=np.int64)}))
    try:
        con.execute(f"UPDATE {table} SET __line = l.__phys FROM __lines l WHERE {table}.__line = l.__rn")
    finally:
        con.unregister("__lines")


def _looks_like_feature_collection(path: Path) -> bool:
    with _open_bytes(path) as fh:
        head = fh.read(4096).decode("utf-8", errors="ignore")
    return "FeatureCollection" in head


def _stage_geojson(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    """One row per feature: its properties as VARCHAR columns plus ``geometry`` as GeoJSON text.

    Features are read as JSON so that mixed Polygon / MultiPolygon geometries keep their shape.
    """
    con.execute(
        "CREATE TEMP TABLE __features AS SELECT row_number() OVER ()::BIGINT AS __line, f"
        " FROM (SELECT unnest(features) AS f FROM read_json(?, columns = {features: 'JSON[]'},"
        " maximum_object_size = 1073741824))",
        [str(path)],
    )
    keys = [r[0] for r in con.execute(
        "SELECT DISTINCT unnest(json_keys(f, '$.properties')) AS k FROM __features ORDER BY k").fetchall()]
    props = "".join(f", json_extract_string(f, ?) AS {_q(k)}" for k in keys)
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT __line{props}, json_extract(f, '$.geometry')::VARCHAR AS geometry"
        " FROM __features ORDER BY __line",
        ["$.properties." + '"' + k.replace('"', '\\"') + '"' for k in keys],
    )
    con.execute("DROP TABLE __features")
