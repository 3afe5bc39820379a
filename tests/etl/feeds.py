"""Generated IoT exports for the sensor-feed tests: a station's channels and its readings as CSV."""

from __future__ import annotations

from pathlib import Path

from etl.mapping import SourceMapping, parse_mapping
from etl.snapshots import open_readonly

SENSORS_TOML = """
source_system = "st"
kind = "sensors"
[fields]
source_id = "id"
sensor_type = "type"
threshold_warning = "warn"
threshold_alarm = "alarm"
expected_interval_min = { constant = 60 }
"""


def sensors_mapping(extra: str = "") -> SourceMapping:
    return parse_mapping(SENSORS_TOML + extra, "sensors.toml")


def sensors_mapping_with_thresholds(thresholds: str) -> SourceMapping:
    """The sensors mapping with its two threshold lines replaced by ``thresholds``."""
    base = "\n".join(line for line in SENSORS_TOML.splitlines() if not line.startswith("threshold_"))
    return parse_mapping(base + "\n" + thresholds, "sensors.toml")


def readings_mapping(body: str) -> SourceMapping:
    return parse_mapping('source_system = "st"\nkind = "readings"\n' + body, "readings.toml")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def sensors_csv(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    return write(path, "id,type,warn,alarm\n" + "".join(",".join(r) + "\n" for r in rows))


def query(warehouse: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with open_readonly(warehouse) as con:
        return con.execute(sql, params or []).fetchall()
