"""The readings rollup: which 15-minute cells of each day a sensor sent a reading in (issue 19).

The IoT online rate (``metrics.sensors.reporting``: distinct reporting slots per sensor over the
window) was the one statement of the wall's cold refresh no indicator rollup answers: at district
scale it reads 30 days of readings (3.4M rows) for ~0.6 s of CPU. Its count is not additive as such
(distinct slots), but it is once the slot grid is fixed: a sensor's slots start at ``w0`` (the period
start, or its installation when later) and last its interval. When that interval is a whole number of
15-minute cells that divides a day and ``w0`` lies on the day's grid of that interval, every slot is a
run of whole cells of one day, so "received slots" = per day, the slots with at least one set cell.

So the rollup keeps, per sensor and day, ``cells``: a 96-bit mask (UHUGEINT) of the 15-minute cells
holding at least one reading, and ``readings``, their count. It depends on the readings only (not on
the sensors' declared intervals), so a sensors load never makes it stale; a day's row is recomputed
from that day's readings by the load that touches the day (late and duplicate readings included:
``etl.rollups.refresh_rollups``). The read (``metrics.sensors.reporting``) counts, for each sensor
that fits, the slots in ``[w0, t1)`` from the rollup (``t1``: the start of the slot holding the as-of
instant) and the last, partial slot ``[t1, as-of)`` from the rows of that one day; a sensor that does
not fit (an interval of 5 or 10 minutes, 25, one not dividing the day, or installed off its grid
inside the window) is counted from its rows, as before. Exact either way: tests/metrics/test_readings_rollup.py.

Declared here, written into ``etl/rollup_sql.py`` by ``python -m metrics.rollups`` (next to the
indicator rollups, with a fingerprint of its own: a rollup import from Spark, which does not build
it, replaces the indicator rollups only).
"""

from __future__ import annotations

import hashlib

import duckdb

from etl.rollup_spec import RollupColumn, RollupSpec

from .snapshot_facts import fact

NAME = "rollup_sensor_readings_day"
META_KEY = "readings_rollup"
CELL_MIN = 15  # minutes per cell: 96 cells a day fit one UHUGEINT
CELLS = 24 * 60 // CELL_MIN

_CELL = f"(hour(ts) * {60 // CELL_MIN} + minute(ts) // {CELL_MIN})"
_SELECT = f"""SELECT CAST(ts AS DATE) AS day, sensor_id, count(*) AS readings,
  bit_or(CAST(1 AS UHUGEINT) << CAST({_CELL} AS UHUGEINT)) AS cells
FROM sensor_readings
WHERE ts IS NOT NULL AND sensor_id IS NOT NULL"""
_GROUP = "\nGROUP BY CAST(ts AS DATE), sensor_id"
_DAYS = (" AND ts >= CAST($day_lo AS TIMESTAMP) AND ts < CAST($day_hi AS TIMESTAMP)"
         " AND list_contains($days, CAST(ts AS DATE))")

SPEC = RollupSpec(
    name=NAME, fact="sensor_readings", anchor="ts",
    columns=(RollupColumn("day", "DATE", "day of `ts`"),
             RollupColumn("sensor_id", "VARCHAR", "sensors.sensor_id"),
             RollupColumn("readings", "BIGINT", "readings of the sensor that day"),
             RollupColumn("cells", "UHUGEINT", f"bit k set: a reading in the day's {CELL_MIN}-minute cell k"
                          f" (k = 0 … {CELLS - 1}, from midnight)")),
    build_sql=_SELECT + _GROUP,
    refresh_sql=_SELECT + _DAYS + _GROUP,
)
FINGERPRINT = hashlib.sha256(SPEC.build_sql.encode()).hexdigest()[:16]


def ready(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this warehouse's readings rollup was built by the current declaration (else: rows)."""
    def look_up() -> bool:
        has_meta = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'warehouse_meta'").fetchone()
        if not has_meta or not has_meta[0]:
            return False
        row = con.execute("SELECT value FROM warehouse_meta WHERE key = $k", {"k": META_KEY}).fetchone()
        return row is not None and row[0] == FINGERPRINT
    return fact(con, "readings_rollup_ready", look_up)


# --- the read: received slots of the sensors that fit, from the rollup --------------------------------

# ``iv``: sensor_id, w0, interval_min (metrics.sensors.reporting's CTE). A sensor fits when its interval
# is a whole number of cells dividing the day and w0 is on the day's grid of that interval.
FITS = (f"interval_min = floor(interval_min) AND CAST(interval_min AS BIGINT) % {CELL_MIN} = 0"
        " AND 1440 % CAST(interval_min AS BIGINT) = 0"
        " AND epoch_us(w0 - date_trunc('day', w0)) % (CAST(interval_min AS BIGINT) * 60000000) = 0")


def _u(x: str) -> str:
    return f"CAST({x} AS UHUGEINT)"


def _cell(ts: str) -> str:
    return f"(hour({ts}) * {60 // CELL_MIN} + minute({ts}) // {CELL_MIN})"


# "Which slots hold a set cell" without a per-slot loop: fold the mask so that bit p says whether any of
# cells p … p + h - 1 is set (OR of shifted copies, the window doubled while it fits in h, then widened
# to exactly h: at most 7 shifts for h ≤ 96), then count the bits at the slot starts k·h of the wanted
# range (``masks``: one mask per distinct h and range, a handful per read).
_STEPS = tuple(range(6))  # windows 2, 4 … 64 cells: h ≤ 96
_FOLD = ", ".join(
    f"{'x' if k == 0 else f'y{k - 1}'} | ({'x' if k == 0 else f'y{k - 1}'} >> "
    f"{_u(f'CASE WHEN h >= {2 << k} THEN {1 << k} ELSE 0 END')}) AS y{k}" for k in _STEPS)
_LAST = f"y{_STEPS[-1]}"
_WIDE = f"({_LAST} | ({_LAST} >> {_u('h - (1 << CAST(floor(log2(h)) AS INTEGER))')}))"


def received_sql(iv: str = "iv") -> str:
    """CTEs (to follow ``iv`` in a WITH list) ending in ``fast_got(sensor_id, received)``: the received
    slots over [w0, $at) of every sensor of ``iv`` that fits, and ``fast(sensor_id)`` listing them.
    Parameters: ``$at`` and ``$at_day`` (midnight before $at: no slot holding $at starts earlier)."""
    return f"""fast AS (
      SELECT sensor_id, w0, CAST(interval_min AS BIGINT) // {CELL_MIN} AS h,
             -- t1: the start of the sensor's slot holding $at (the slots of a day-dividing interval
             -- start at midnight); the rollup answers [w0, t1), the rows of $at's day [t1, $at)
             greatest(w0, CAST($at_day AS TIMESTAMP) + to_minutes(CAST(floor(
               (epoch(CAST($at AS TIMESTAMP)) - epoch(CAST($at_day AS TIMESTAMP))) / 60 / interval_min)
               * interval_min AS BIGINT))) AS t1
      FROM {iv} WHERE {FITS}
    ), fast_days AS (
      -- a, b: the day's wanted slots [a, b) (the first day from w0's slot, the last up to t1's)
      SELECT f.sensor_id, f.h, r.cells AS x,
             CASE WHEN r.day = CAST(f.w0 AS DATE) THEN {_cell('f.w0')} // f.h ELSE 0 END AS a,
             CASE WHEN r.day = CAST(f.t1 AS DATE) THEN {_cell('f.t1')} // f.h ELSE {CELLS} // f.h END AS b
      FROM {NAME} r JOIN fast f USING (sensor_id)
      WHERE r.day >= CAST($s AS DATE) AND r.day <= CAST($at AS DATE)
        AND r.day >= CAST(f.w0 AS DATE) AND r.day <= CAST(f.t1 AS DATE)
    ), masks AS (
      SELECT h, a, b, list_reduce(list_prepend({_u('0')}, list_transform(range(a, b),
               lambda k: {_u('1')} << {_u('k * h')})), lambda p, q: p | q) AS m
      FROM (SELECT DISTINCT h, a, b FROM fast_days)
    ), fast_cells AS (
      SELECT d.sensor_id, sum(bit_count(CAST({_WIDE} & m.m AS HUGEINT))) AS received
      FROM (SELECT sensor_id, h, a, b, x, {_FOLD} FROM fast_days) d JOIN masks m USING (h, a, b)
      GROUP BY d.sensor_id
    ), fast_tail AS (
      SELECT DISTINCT r.sensor_id FROM sensor_readings r JOIN fast f USING (sensor_id)
      WHERE r.ts >= CAST($at_day AS TIMESTAMP) AND r.ts < $at AND r.ts >= f.t1
    ), fast_got AS (
      SELECT f.sensor_id, coalesce(c.received, 0) + (t.sensor_id IS NOT NULL)::BIGINT AS received
      FROM fast f LEFT JOIN fast_cells c USING (sensor_id) LEFT JOIN fast_tail t USING (sensor_id)
    ), slow AS (
      SELECT * FROM {iv} ANTI JOIN fast USING (sensor_id)
    )"""
