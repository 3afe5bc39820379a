"""All-or-nothing loads and reading while writing, across real processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from etl.load import load_files
from etl.snapshots import WarehouseLocked, current_snapshot, open_readonly, writer
from tests.etl.conftest import demo_units

ROOT = Path(__file__).resolve().parents[2]
N = 3000  # cases per batch


def cases_file(path: Path, batch: int) -> Path:
    ids = [f"{batch}-{i}" for i in range(N)]
    pd.DataFrame({
        "case_id": [f"demo:{i}" for i in ids], "source_system": "demo", "source_id": ids, "status": "reported",
        "reported_at": pd.Timestamp("2026-01-01 10:00"), "unit_code": "V1",
    }).to_parquet(path)
    return path


def count(warehouse: Path) -> int:
    con = open_readonly(warehouse)
    try:
        return con.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        con.close()


def run_py(code: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, **kw)


def test_sigkill_mid_load_keeps_previous_snapshot(tmp_path, warehouse):
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    load_files(warehouse, "cases", [cases_file(tmp_path / "c0.parquet", 0)], "demo_cases")
    published = current_snapshot(warehouse)
    ready = tmp_path / "ready"
    child = run_py(f"""
        import time
        from etl.load import load_into
        from etl.snapshots import writer
        with writer({str(warehouse)!r}) as con:
            load_into(con, "cases", [{str(cases_file(tmp_path / "c1.parquet", 1))!r}], "demo_cases")
            open({str(ready)!r}, "w").close()
            time.sleep(120)  # killed here: written but not published
    """)
    deadline = time.time() + 60
    while not ready.exists():
        assert child.poll() is None and time.time() < deadline, "child failed before the kill"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert current_snapshot(warehouse) == published
    assert count(warehouse) == N
    num = lambda p: int(re.search(r"\d+", p.name).group())  # noqa: E731  (vitals-<n>, delta-<n>.on-<base>)
    orphans = [p for p in (warehouse.parent / "snapshots").glob("*.duckdb") if num(p) > num(published)]
    assert orphans, "the killed writer left its unpublished copy"
    # The lock died with the process; the next load proceeds and removes the orphan.
    load_files(warehouse, "cases", [cases_file(tmp_path / "c2.parquet", 2)], "demo_cases")
    assert count(warehouse) == 2 * N
    assert not any(p.exists() for p in orphans)


def test_readers_see_old_or_new_never_half(tmp_path, warehouse):
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    files = [cases_file(tmp_path / f"c{b}.parquet", b) for b in range(5)]
    log = tmp_path / "reads.txt"
    reader = run_py(f"""
        import time
        from etl.snapshots import open_readonly
        out = open({str(log)!r}, "w")
        end = time.time() + 60
        while time.time() < end:
            con = open_readonly({str(warehouse)!r})
            n = con.execute("SELECT count(*) FROM cases").fetchone()[0]
            m = con.execute("SELECT coalesce(sum(rows_loaded), 0) FROM etl_file"
                            " WHERE file LIKE '%c_.parquet'").fetchone()[0]
            con.close()
            out.write(f"{{n}} {{m}}\\n"); out.flush()
            if n == {5 * N}:
                break
    """, stderr=subprocess.PIPE)
    time.sleep(0.5)
    for f in files:
        load_files(warehouse, "cases", [f], "demo_cases")
    _, err = reader.communicate(timeout=90)
    assert reader.returncode == 0, err.decode()
    reads = [tuple(map(int, line.split())) for line in log.read_text().splitlines()]
    assert len(reads) > 5
    for n, m in reads:
        assert n % N == 0 and n == m, (n, m)  # cases and the run log agree: one consistent snapshot
    assert reads[-1][0] == 5 * N


def test_second_writer_waits_or_fails_clearly(tmp_path, warehouse):
    with writer(warehouse) as con:
        con.execute("SELECT 1")
        with pytest.raises(WarehouseLocked, match="another load is writing"), writer(warehouse, wait=False):
            pass
    with writer(warehouse, wait=False) as con:  # released after the first finished
        assert con.execute("SELECT value FROM warehouse_meta WHERE key = 'datum'").fetchone() == ("GCJ-02",)


@pytest.mark.real_clock  # compares file times (the kernel's, never faked) with time.time()
def test_old_snapshots_are_cleaned_after_grace_keeping_two(tmp_path, warehouse):
    for _ in range(5):
        with writer(warehouse, grace_seconds=0.0) as con:
            con.execute("SELECT 1")
    snaps = sorted((warehouse.parent / "snapshots").glob("*.duckdb"))
    assert [p.name for p in snaps] == ["vitals-4.duckdb", "vitals-5.duckdb"]
    assert current_snapshot(warehouse) == snaps[-1]
    duckdb.connect(str(snaps[0]), read_only=True).close()  # the previous one is still readable


def _wait_for(path: Path, child: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while not path.exists():
        assert child.poll() is None and time.time() < deadline, "child failed before the kill"
        time.sleep(0.05)


@pytest.mark.parametrize("phase", ["delta", "compaction"])
def test_sigkill_mid_incremental_load_keeps_previous_state(tmp_path, warehouse, phase):
    """Killed after writing its delta (or, past the delta limit, its compacted base) but before the
    swap: the published pair stays, and the next load removes the orphan and proceeds."""
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")
    load_files(warehouse, "cases", [cases_file(tmp_path / "c0.parquet", 0)], "demo_cases")
    published = current_snapshot(warehouse)
    assert published is not None and published.name.startswith("delta-"), "the published state is a pair"
    ready = tmp_path / "ready"
    env = {**os.environ, "VITALS_DELTA_MAX_ROWS": "1" if phase == "compaction" else "500000"}
    child = run_py(f"""
        import time
        from etl.load import load_into
        from etl.snapshots import load_writer
        with load_writer({str(warehouse)!r}) as con:
            load_into(con, "cases", [{str(cases_file(tmp_path / "c1.parquet", 1))!r}], "demo_cases")
            open({str(ready)!r}, "w").close()
            time.sleep(120)  # killed here: written but not published
    """, env=env)
    _wait_for(ready, child)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert current_snapshot(warehouse) == published
    assert count(warehouse) == N
    prefix = "delta-" if phase == "delta" else "vitals-"
    orphans = [p for p in (warehouse.parent / "snapshots").glob(f"{prefix}*.duckdb") if p != published
               and int(re.search(r"\d+", p.name).group()) > int(re.search(r"\d+", published.name).group())]
    assert orphans, "the killed writer left its unpublished file"
    load_files(warehouse, "cases", [cases_file(tmp_path / "c2.parquet", 2)], "demo_cases")
    assert count(warehouse) == 2 * N
    assert not any(p.exists() for p in orphans)


def test_sigkill_at_any_moment_of_incremental_loads(tmp_path, warehouse):
    """Loads killed at moments spread over their run (start-up, staging, the delta copy, the write,
    compaction, the swap): every time, the warehouse opens on the state before or after the load."""
    load_files(warehouse, "units", [demo_units(tmp_path / "u.parquet")], "demo_units")

    def load(i: int, compact: bool) -> subprocess.Popen:
        env = {**os.environ, "VITALS_DELTA_MAX_ROWS": "1" if compact else "500000"}
        return run_py(f"""
            from etl.load import load_files
            load_files({str(warehouse)!r}, "cases", [{str(cases_file(tmp_path / f"k{i}.parquet", 10 + i))!r}],
                       "demo_cases")
        """, env=env, stderr=subprocess.DEVNULL)

    # the moments are fractions of how long a whole load takes on this machine (a fixed delay is past the
    # end of the load on an idle machine and before its start on a busy one)
    t0 = time.monotonic()
    assert load(0, False).wait() == 0
    whole = time.monotonic() - t0
    loaded, killed = count(warehouse), 0
    assert loaded == N
    for i, frac in enumerate((0.3, 0.45, 0.6, 0.7, 0.8, 0.9), start=1):
        child = load(i, compact=i % 3 == 0)  # every third compacts
        time.sleep(frac * whole)
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            killed += 1
        child.wait()
        n = count(warehouse)
        assert n in (loaded, loaded + N), (frac, n, loaded)
        loaded = n
    assert killed, "no load was interrupted"
    load_files(warehouse, "cases", [cases_file(tmp_path / "last.parquet", 99)], "demo_cases")
    assert count(warehouse) == loaded + N


def test_loader_threads_and_memory_come_from_the_environment(tmp_path, warehouse, monkeypatch):
    """VITALS_ETL_THREADS caps the loader's DuckDB threads (one thread spends about half the CPU of two
    on a CSV read, issue 19); VITALS_ETL_MEMORY its memory; a malformed value is refused, not ignored."""
    monkeypatch.setenv("VITALS_ETL_THREADS", "1")
    monkeypatch.setenv("VITALS_ETL_MEMORY", "512MB")
    with writer(warehouse) as con:
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        memory = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert (int(threads), memory) == (1, "488.2 MiB")  # DuckDB reports 512 MB (decimal) in MiB
    monkeypatch.setenv("VITALS_ETL_THREADS", "two")
    with pytest.raises(ValueError, match="VITALS_ETL_THREADS"), writer(warehouse):
        pass
