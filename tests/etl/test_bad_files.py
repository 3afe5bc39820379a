"""A corpus of bad files, generated here, each with its expected outcome: loaded with (read, loaded,
rejected) counts and the reasons, or refused with a one-line message. read = loaded + rejected always;
a refused file leaves the published data as it was and a failed etl_run with the error."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from etl.cli import app
from etl.load import LoadError, load_files
from etl.mapping import parse_mapping
from etl.snapshots import open_readonly

HEAD = "id,received,closed,status,category\n"
GOOD = "".join(f"{i},2018-10-21 08:00:00,2018-10-21 10:00:00,Closed,Noise\n" for i in range(1, 6))
MAPPING = """
source_system = "t"
kind = "hotline"
[time]
formats = ["%Y-%m-%d %H:%M:%S"]
zone = "Asia/Shanghai"
not_after = "2030-01-01"
[fields]
source_id = "id"
received_at = "received"
closed_at = "closed"
status = "status"
category = "category"
"""
ZH_FIELD = "噪" * (10 * 1024 * 1024 // 3)  # 10 MB of UTF-8
GBK_BODY = (HEAD + GOOD + "6,2018-10-21 08:00:00,,Open,噪音扰民\n").encode("gbk")


@dataclass(frozen=True)
class Case:
    write: Callable[[Path], None]
    outcome: str  # "loaded" or the start of the one-line error
    counts: tuple[int, int, int] = (0, 0, 0)  # read, loaded, rejected
    reasons: tuple[tuple[str, int], ...] = ()
    encoding: str = "auto"


def _text(body: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda p: p.write_bytes(body.encode(encoding))


CORPUS: dict[str, Case] = {
    "empty.csv": Case(_text(""), "empty file"),
    "bom_only.csv": Case(lambda p: p.write_bytes(codecs.BOM_UTF8 + b"\r\n"), "empty file"),
    "header_only.csv": Case(_text(HEAD), "loaded"),
    "no_final_newline.csv": Case(_text(HEAD + GOOD.rstrip("\n")), "loaded", (5, 5, 0)),
    "truncated_mid_field.csv": Case(_text(HEAD + GOOD + "6,2018-10-21 08:"), "loaded", (6, 5, 1),
                                    (("truncated_line", 1),)),
    "truncated_in_quote.csv": Case(_text(HEAD + GOOD + '6,2018-10-21 08:00:00,,Open,"Noi'), "loaded", (6, 5, 1),
                                   (("truncated_line", 1),)),
    "field_10mb_chinese.csv": Case(_text(HEAD + GOOD + f"6,2018-10-21 08:00:00,,Open,{ZH_FIELD}\n"),
                                   "loaded", (6, 6, 0)),
    "field_10mb_chinese_gbk.csv": Case(_text(HEAD + GOOD + f"6,2018-10-21 08:00:00,,Open,{ZH_FIELD}\n", "gbk"),
                                       "loaded", (6, 6, 0)),
    "field_3mb_ascii.csv": Case(_text(HEAD + "6,2018-10-21 08:00:00,,Open," + "x" * (3 << 20) + "\n" + GOOD),
                                "loaded", (6, 6, 0)),
    "line_70mb.csv": Case(_text(HEAD + "6,2018-10-21 08:00:00,,Open," + "x" * (70 << 20) + "\n"),
                          "CSV Error on Line: 2: a line is longer than 64 MB"),
    "gbk_declared_utf8.csv": Case(lambda p: p.write_bytes(GBK_BODY), "not valid UTF-8 at byte 338",
                                  encoding="utf-8"),
    "gbk_auto.csv": Case(lambda p: p.write_bytes(GBK_BODY), "loaded", (6, 6, 0)),
    "utf16_bom.csv": Case(_text(HEAD + GOOD, "utf-16"), "loaded", (5, 5, 0)),
    "semicolon_crlf.csv": Case(_text((HEAD + GOOD).replace(",", ";").replace("\n", "\r\n")), "loaded", (5, 5, 0)),
    "absurd_years.csv": Case(_text(HEAD + GOOD + "6,2099-01-01 00:00:00,,Open,x\n7,9999-12-31 23:59:59,,Open,x\n"
                                   "8,0001-01-01 00:00:00,,Open,x\n"
                                   "9,2018-10-21 08:00:00,0001-01-01 00:00:00,Closed,x\n"),
                             "loaded", (9, 5, 4), (("timestamp_out_of_range", 4),)),
    "excel_serials.csv": Case(_text(HEAD + "1,43563.359259,43563.5,Closed,x\n2,43563,,Open,x\n3,4356,,Open,x\n"),
                              "loaded", (3, 2, 1), (("bad_timestamp", 1),)),
}


def _mapping(encoding: str) -> object:
    return parse_mapping(MAPPING + f'[file]\nencoding = "{encoding}"\n', "bad_files.toml")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_file(tmp_path: Path, name: str) -> None:
    case = CORPUS[name]
    f = tmp_path / name
    case.write(f)
    wh = tmp_path / "data" / "vitals.duckdb"
    m = _mapping(case.encoding)
    if case.outcome != "loaded":
        with pytest.raises(LoadError) as err:
            load_files(wh, "hotline", [f], m)  # type: ignore[arg-type]
        assert case.outcome in str(err.value) and "\n" not in str(err.value)
        con = open_readonly(wh)
        runs = con.execute("SELECT status, message FROM etl_run").fetchall()
        assert con.execute("SELECT count(*) FROM hotline_orders").fetchone() == (0,)
        con.close()
        assert runs == [("failed", str(err.value))]
        return
    rep = load_files(wh, "hotline", [f], m)  # type: ignore[arg-type]
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == case.counts
    assert rep.rows_read == rep.rows_loaded + rep.rows_rejected
    assert tuple(rep.files[0].reasons) == case.reasons


def _loaded(tmp_path: Path, name: str) -> duckdb.DuckDBPyConnection:
    """The warehouse after loading one corpus file."""
    f = tmp_path / name
    CORPUS[name].write(f)
    wh = tmp_path / "data" / "vitals.duckdb"
    load_files(wh, "hotline", [f], _mapping("auto"))  # type: ignore[arg-type]
    return open_readonly(wh)


def test_truncated_line_is_the_last_line_and_the_rest_loads(tmp_path: Path) -> None:
    con = _loaded(tmp_path, "truncated_in_quote.csv")
    assert con.execute("SELECT line, reason FROM etl_reject").fetchall() == [(7, "truncated_line")]
    assert con.execute("SELECT list(source_id ORDER BY source_id) FROM hotline_orders").fetchone() == (
        ["1", "2", "3", "4", "5"],)


def test_big_fields_arrive_whole(tmp_path: Path) -> None:
    con = _loaded(tmp_path, "field_10mb_chinese.csv")
    assert con.execute("SELECT length(category) FROM hotline_orders WHERE source_id = '6'").fetchone() == (
        len(ZH_FIELD),)


def test_excel_serials_are_times(tmp_path: Path) -> None:
    con = _loaded(tmp_path, "excel_serials.csv")
    got = con.execute("SELECT source_id, strftime(received_at, '%Y-%m-%d %H:%M:%S'),"
                      " strftime(closed_at, '%Y-%m-%d %H:%M') FROM hotline_orders ORDER BY 1").fetchall()
    # 43563 days after 1899-12-30 is 2019-04-08; .359259 of a day is 8 h 37 min 20 s, .5 is noon.
    assert got == [("1", "2019-04-08 08:37:20", "2019-04-08 12:00"), ("2", "2019-04-08 00:00:00", None)]
    assert con.execute("SELECT field, raw_value, reason FROM etl_reject").fetchall() == [
        ("received", "4356", "bad_timestamp")]


def test_cli_refusal_is_one_line_exit_2_and_keeps_data(tmp_path: Path) -> None:
    ok, bad = tmp_path / "ok.csv", tmp_path / "empty.csv"
    ok.write_text(HEAD + GOOD)
    bad.write_text("")
    mp = tmp_path / "m.toml"
    mp.write_text(MAPPING)
    wh = tmp_path / "data" / "vitals.duckdb"
    runner = CliRunner(env={"COLUMNS": "300"})
    assert runner.invoke(app, ["load", "hotline", str(ok), "-m", str(mp), "-w", str(wh)]).exit_code == 0
    r = runner.invoke(app, ["load", "hotline", str(bad), "-m", str(mp), "-w", str(wh)])
    assert r.exit_code == 2 and "empty file" in r.output and "Traceback" not in r.output
    con = open_readonly(wh)
    assert con.execute("SELECT count(*) FROM hotline_orders").fetchone() == (5,)
    assert con.execute("SELECT run_id, status FROM etl_run ORDER BY 1").fetchall() == [(1, "succeeded"), (2, "failed")]


TYPED_MAPPING = """
source_system = "t"
kind = "hotline"
[file]
format = "parquet"
[time]
future_days = 2
[fields]
source_id = "id"
received_at = "received"
status = "status"
"""


def _typed_file(path: Path) -> Path:
    """A Parquet file whose times are typed TIMESTAMP cells (no text to parse): one ordinary, one in 2099."""
    import pandas as pd

    pd.DataFrame({"id": ["1", "2"], "status": ["Open", "Open"],
                  "received": pd.to_datetime(["2018-10-21 08:00", "2099-01-01 00:00"])}).to_parquet(path)
    return path


def test_a_typed_timestamp_out_of_range_is_a_reject_not_a_blank(tmp_path: Path) -> None:
    # a typed cell is never parsed, so the bound must be checked on its own: before, the 2099 row was
    # loaded with an empty received_at and no reject
    wh = tmp_path / "data" / "vitals.duckdb"
    rep = load_files(wh, "hotline", [_typed_file(tmp_path / "t.parquet")], parse_mapping(TYPED_MAPPING, "t.toml"))
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (2, 1, 1)
    con = open_readonly(wh)
    assert con.execute("SELECT source_id, received_at IS NULL FROM hotline_orders").fetchall() == [("1", False)]
    assert con.execute("SELECT line, field, reason FROM etl_reject").fetchall() == [
        (2, "received", "timestamp_out_of_range")]


def test_the_bound_follows_the_instant_the_data_describes(tmp_path: Path) -> None:
    # a demo generated for a pinned instant ahead of the wall clock loads whole: the bound is as_of + future_days
    from datetime import datetime

    from etl.load import load_into
    from etl.snapshots import writer

    wh = tmp_path / "data" / "vitals.duckdb"
    with writer(wh) as con:
        rep = load_into(con, "hotline", [_typed_file(tmp_path / "t.parquet")], parse_mapping(TYPED_MAPPING, "t.toml"),
                        as_of=datetime(2098, 12, 31, 12, 0))
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (2, 2, 0)
