"""The briefing (vitals report): printed by Chromium for the tiny demo at a pinned instant, read back
with poppler (pdfinfo, pdffonts, pdftotext, pdftoppm) and checked against what /stations and
/rankings show for the same scope and period."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import dash
import openpyxl
import pytest

from dashboard.app import create_app
from dashboard.callbacks import rankings as rank_cb
from dashboard.components import figures, stations_view
from dashboard.components.page import run
from dashboard.reports import archive
from dashboard.reports.briefing import parse_period, ranked_levels
from dashboard.reports.generate import generate
from dashboard.reports.pdf import ChromiumMissing, chromium_path
from etl.settings import Settings
from metrics.hierarchy import Hierarchy, Level
from tests.dashboard.test_pages import find

NOW = datetime(2026, 12, 3, 10, 0)
TOWN = "310118002000"  # 盈浦街道, the tiny demo's one 街镇
POPPLER = all(shutil.which(t) for t in ("pdfinfo", "pdffonts", "pdftotext", "pdftoppm"))
needs_print = pytest.mark.skipif(not POPPLER or not Path("/usr/bin/chromium").exists(),
                                 reason="needs Debian chromium and poppler-utils (make system-deps)")


@pytest.fixture(scope="module")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from etl.demo import build_demo

    root = tmp_path_factory.mktemp("report-wh")
    build_demo(root / "vitals.duckdb", scale="tiny", now=NOW)
    return Settings(warehouse=root / "vitals.duckdb", sections={"site": {"now": NOW.isoformat()}})


@pytest.fixture(scope="module")
def report(pinned: Settings) -> archive.Entry:
    return generate(pinned, "monthly", TOWN, "2026-11")


@pytest.fixture
def page_ctx(pinned: Settings) -> Iterator[dash.Dash]:
    app = create_app(pinned)
    with app.server.test_request_context("/"):
        yield app
        app.server.do_teardown_appcontext()


def _pdf(pinned: Settings, entry: archive.Entry) -> Path:
    return entry.path(archive.root_of(pinned), "pdf")


def _pdftext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _sheet(content: bytes, name: str) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(io.BytesIO(content))[name]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "排名")
    return [dict(zip(rows[head], r, strict=True)) for r in rows[head + 1:]]


def test_periods_parse_to_the_calendar() -> None:
    p, label = parse_period("monthly", "2026-11", date(2026, 12, 3))
    assert (p.start, p.end, label) == (datetime(2026, 11, 1), datetime(2026, 12, 1), "2026-11")
    p, label = parse_period("weekly", "2026-W47", date(2026, 12, 3))
    assert (p.start, p.end, label) == (datetime(2026, 11, 16), datetime(2026, 11, 23), "2026-W47")
    p, label = parse_period("weekly", "2026-11-19", date(2026, 12, 3))
    assert label == "2026-W47"
    # no period: the last whole one before today (what a timer on the 1st / on Monday reports)
    assert parse_period("monthly", None, date(2027, 1, 1))[1] == "2026-12"
    assert parse_period("weekly", None, date(2026, 12, 3))[1] == "2026-W48"  # Thursday of W49 → W48
    from metrics.query import QueryError

    for bad in ("2026-13", "11/2026", "2026-1"):
        with pytest.raises(QueryError):
            parse_period("monthly", bad, date(2026, 12, 3))


def test_ranked_levels_are_those_below_the_scope() -> None:
    qingpu = Hierarchy(tuple(Level(s, 1, 0) for s in ("district", "town", "grid", "village", "microgrid")))
    assert ranked_levels(qingpu, "town") == ("grid", "village", "station", "department")
    assert ranked_levels(qingpu, None) == ("town", "grid", "village", "station", "department")
    six = Hierarchy(tuple(Level(s, 1, 0) for s in ("city", "district", "town", "grid", "village", "microgrid")))
    assert ranked_levels(six, None) == ("district", "town", "grid", "village", "station", "department")
    nyc = Hierarchy((Level("district", 1, 0), Level("grid", 71, 71)))
    assert ranked_levels(nyc, None) == ("grid", "station", "department")


def test_missing_chromium_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VITALS_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(ChromiumMissing, match="apt-get install chromium"):
        chromium_path()


@needs_print
def test_pdf_pages_fonts_and_headings(pinned: Settings, report: archive.Entry, tmp_path: Path) -> None:
    pdf = _pdf(pinned, report)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    assert 3 <= pages <= 12
    assert "(A4)" in info
    # Chromium (Skia) embeds the CFF-based Noto CJK collection as Type 3 glyph programs: every font must be
    # embedded and carry a Unicode map (text extractable, no missing glyphs replaced by boxes)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in f and f.split()[-3] == "yes" for f in fonts), fonts
    text = _pdftext(pdf)
    flat = _flat(text)
    for heading in ("盈浦街道城市运行月度考核通报", "摘要", "一、城市体征与目标", "二、综合评价排名",
                    "三、联勤联动工作站结案率（目标85%）", "四、紧急案件响应", "五、顽症", "附：数据新鲜度"):
        assert heading in flat, heading
    # running heads and page numbers from the @page margin boxes, on every page
    assert flat.count("青浦区·盈浦街道·城运体征") == pages
    for n in range(1, pages + 1):
        assert f"第{n}页/共{pages}页" in flat
    assert "2026年11月" in flat and "数据截至2026-12-0310:00" in flat
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == pages
    assert all(p.stat().st_size > 5_000 for p in pngs)  # drawn pages, not blank ones


@needs_print
def test_numbers_equal_the_stations_page(pinned: Settings, report: archive.Entry, page_ctx: dash.Dash) -> None:
    page = run("stations", {"unit": TOWN, "date": "2026-11-01"}, stations_view.render)
    meeting = find(page, lambda c: getattr(c, "id", None) == "stations-meeting")[0].children  # "4 / 5"
    rate = find(page, lambda c: getattr(c, "id", None) == "stations-rate")[0].children  # "91.7%"
    met, with_value = (int(x) for x in meeting.split(" / "))
    flat = _flat(_pdftext(_pdf(pinned, report)))
    assert f"有应结案件的站点{with_value}个" in flat
    assert f"达到85%的{met}个，低于{with_value - met}个" in flat
    assert f"全部站点合计{rate}" in flat
    assert f"{with_value - met}个站点低于85%" in _flat(report.summary[1])


@needs_print
def test_rankings_equal_the_rankings_page_export(pinned: Settings, report: archive.Entry, page_ctx: dash.Dash) -> None:
    book = archive.root_of(pinned) / f"{report.stem}.xlsx"
    flat = _flat(_pdftext(_pdf(pinned, report)))
    for level, sheet in (("grid", "排名-责任网格"), ("station", "排名-联勤联动工作站")):
        sent = rank_cb.export(f"?unit={TOWN}&date=2026-11-01&level={level}", "xlsx")
        page_rows = _sheet(base64.b64decode(sent["content"]), "排名")
        ours = _sheet(book.read_bytes(), sheet)
        assert len(ours) == len(page_rows) > 0
        for a, b in zip(ours, page_rows, strict=True):
            for col in ("排名", "单位", "代码", "同类组", "组内排名", "指标值", "等级", "名次变化", "末位"):
                assert a[col] == b[col], (level, col, a, b)
        bottoms = [r["单位"] for r in page_rows if r["末位"] == "是"]
        assert bottoms, level
        for name in bottoms:
            assert name in flat
    grid = _sheet(book.read_bytes(), "排名-责任网格")
    for r in grid:  # every grid is printed (few rows) with its score, one decimal as every page shows scores
        assert f"{r['单位']}{figures.num(r['指标值'])}" in flat


@needs_print
def test_rerun_replaces_the_period(pinned: Settings, report: archive.Entry) -> None:
    root = archive.root_of(pinned)
    later = generate(pinned, "monthly", TOWN, "2026-11", now=datetime(2026, 12, 4, 9, 0))
    same = [e for e in archive.read_index(root) if (e.kind, e.scope, e.label) == ("monthly", TOWN, "2026-11")]
    assert len(same) == 1 and same[0].generated_at == "2026-12-04T09:00:00"
    assert later.path(root, "pdf") == report.path(root, "pdf")
    assert "生成于2026-12-0409:00" in _flat(_pdftext(later.path(root, "pdf")))
    assert not list(root.rglob("*.part"))


def test_cli_says_what_is_missing(pinned: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dashboard.cli import app

    config = tmp_path / "vitals.toml"
    config.write_text(f'[warehouse]\npath = "{pinned.warehouse}"\n[site]\nnow = "{NOW.isoformat()}"\n'
                      f'[reports]\ndir = "{tmp_path / "reports"}"\n', encoding="utf-8")
    monkeypatch.setenv("VITALS_CONFIG", str(config))
    monkeypatch.delenv("VITALS_WAREHOUSE", raising=False)
    monkeypatch.setenv("VITALS_CHROMIUM", "/nonexistent/chromium")
    runner = CliRunner()
    res = runner.invoke(app, ["report", "monthly", "--scope", TOWN, "--period", "2026-11"])
    assert res.exit_code == 2 and "apt-get install chromium" in res.output
    assert not (tmp_path / "reports").exists() or not list((tmp_path / "reports").rglob("*.pdf"))
    res = runner.invoke(app, ["report", "monthly", "--scope", "nowhere", "--period", "2026-11"])
    assert res.exit_code == 2 and "unknown unit 'nowhere'" in res.output
    res = runner.invoke(app, ["report", "weekly", "--period", "2026-W60"])
    assert res.exit_code == 2 and "ISO week" in res.output
