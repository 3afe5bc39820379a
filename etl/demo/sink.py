"""Where the generator's frames go: Parquet files in the canonical demo format, counted per kind."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from etl import schema
from etl.demo.sensors import ReadingChunk

PATH = (*schema.PATH_COLUMNS, "load_run_id")
READINGS_SCHEMA = pa.schema([("sensor_id", pa.dictionary(pa.int32(), pa.string())), ("ts", pa.timestamp("us")),
                             ("value", pa.float64())])


def columns(table: str) -> list[str]:
    """The warehouse table's columns minus the unit path (the ETL fills it from ``org_unit``)."""
    return [c for c in schema.TABLE_BY_NAME[table].column_names if c not in PATH]


class Sink:
    """Writes each frame to ``<kind><tag>.parquet`` and remembers the files and row counts per kind.

    A kind may have several files (one per district and batch at city scale): the ETL loads a kind's
    files one after another, so no file, and no frame in memory, has to hold a whole kind.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.files: dict[str, list[Path]] = {}
        self.rows: dict[str, int] = {}

    def _add(self, kind: str, path: Path, n: int) -> None:
        self.files.setdefault(kind, []).append(path)
        self.rows[kind] = self.rows.get(kind, 0) + n

    def put(self, kind: str, df: pd.DataFrame, tag: str = "", row_group: int = 250_000) -> None:
        path = self.out_dir / f"{kind}{tag}.parquet"
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=row_group,
                       compression="zstd")
        self._add(kind, path, len(df))

    def readings(self, chunks: Iterable[ReadingChunk], tag: str = "") -> None:
        # One file per chunk of ≤250 sensors (≤2.2M rows): the ETL stages a file at a time, so its memory
        # stays bounded; a single 40M-row file needed >15 GB to stage at district scale.
        for i, ch in enumerate(chunks, start=1):
            sid = pa.array(ch.sensor_ids, pa.string()).dictionary_encode()
            t = pa.table({"sensor_id": sid, "ts": pa.array(ch.ts), "value": pa.array(ch.value)},
                         schema=READINGS_SCHEMA)
            path = self.out_dir / f"readings{tag}-{i:03d}.parquet"
            pq.write_table(t, path, row_group_size=500_000, compression="zstd")
            self._add("readings", path, len(ch.value))
