"""The README's screenshots, taken by a script instead of by hand (issue 18).

    PYTHONPATH=. .venv/bin/python bench/screenshots.py [--scale town] [--warehouse PATH] [--out docs/img]
        [--walls 1920x1080,5760x1080] [--pages] [--dpr 0.75] [--wall-dpr 0.6] [--now 2026-12-07T10:30]

Builds the Qingpu demo at ``--scale`` in a scratch directory (unless ``--warehouse`` names a built
one), serves it with waitress on a free port with the site clock pinned at ``--now`` (sign-in off, as
``make demo``), and shoots with Debian's Chromium:
- the wall (``/screen?kiosk=1``) at each ``--walls`` size → ``<out>/screen-<w>x<h>.png``;
- with ``--pages``, every desk page in Chinese at 1920×1080 → ``<out>/page-<name>.png``.

``--dpr`` (pages, 0.75: saved at 1440×810) and ``--wall-dpr`` (walls, 0.6; never wider than 2304 px, so a
5760×1080 wall is laid out at full size and saved at 2304×432) keep the committed PNGs small (≤ ~400 KB:
the script warns above); use 1 to look at detail.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WALL_READY = (".scr-kpi-value", ".scr-leaflet path.scr-unit", "#scr-hourly .scr-col", "#scr-stations .scr-bar")
# desk pages (path, file name); each is ready when the router has drawn it and its charts settled
PAGES = (("/", "home"), ("/rankings", "rankings"), ("/reports", "reports"), ("/stations", "stations"),
         ("/cases", "cases"), ("/hotline", "hotline"), ("/sensors", "sensors"), ("/staffing", "staffing"),
         ("/audit", "audit"))
NOT_LOADING = "() => !document.querySelector('[data-dash-is-loading]')"
MAX_WIDTH = 2304  # px of a saved image (a 5760-wide wall at 0.4)
MAX_KB = 400  # what a committed screenshot may weigh


def _size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def shoot(url: str, out: Path, walls: list[tuple[int, int]], pages: bool, dpr: float, wall_dpr: float) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)

        def page_at(w: int, h: int, dpr: float = dpr) -> Any:
            # bypass_csp: Playwright's wait_for_function evaluates its predicate in the page (the CSP has no eval);
            # an image at most MAX_WIDTH wide (a 5760-wide wall is laid out at full size, saved smaller)
            ctx = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=min(dpr, MAX_WIDTH / w),
                                      locale="zh-CN", bypass_csp=True)
            return ctx, ctx.new_page()

        for w, h in walls:
            ctx, page = page_at(w, h, wall_dpr)  # the map's clusters and shapes weigh: walls a little smaller
            page.goto(url + "/screen?kiosk=1", wait_until="load")
            for sel in WALL_READY:
                page.wait_for_selector(sel, state="attached", timeout=60_000)
            page.wait_for_timeout(2000)  # the clientside fit, the marker clusters, the feed's first frame
            path = out / f"screen-{w}x{h}.png"
            page.screenshot(path=str(path))
            saved.append(path)
            ctx.close()
        if pages:
            for route, name in PAGES:
                ctx, page = page_at(1920, 1080)
                page.goto(url + route, wait_until="networkidle")
                page.wait_for_selector("#shell-nav-links a", state="attached", timeout=60_000)
                page.wait_for_function(NOT_LOADING, timeout=60_000)
                page.wait_for_timeout(1500)  # plotly draws its async chunk after the layout
                path = out / f"page-{name}.png"
                page.screenshot(path=str(path))
                saved.append(path)
                ctx.close()
        browser.close()
    return saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="town", help="demo scale to build (tiny, town, district)")
    ap.add_argument("--warehouse", type=Path, help="a built warehouse (vitals.duckdb) instead of building one")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    ap.add_argument("--walls", default="1920x1080,5760x1080", help="comma-separated wall sizes")
    ap.add_argument("--pages", action="store_true", help="also shoot every desk page (zh, 1920x1080)")
    ap.add_argument("--dpr", type=float, default=0.75, help="device pixel ratio of the saved images (at most "
                    f"{MAX_WIDTH} px wide)")
    ap.add_argument("--wall-dpr", type=float, default=0.6, help="device pixel ratio of the wall images")
    ap.add_argument("--now", type=datetime.fromisoformat, help="the demo's and the site's instant (default: now)")
    args = ap.parse_args()

    from tests.browser.conftest import start_server, stop_server

    now = (args.now or datetime.now()).replace(second=0, microsecond=0)
    scratch = Path(tempfile.mkdtemp(prefix="vitals-shots-"))
    warehouse = args.warehouse
    if warehouse is None:
        from etl.demo import build_demo

        warehouse = scratch / "vitals.duckdb"
        build_demo(warehouse, scale=args.scale, now=now)
    server = start_server(warehouse, scratch / "server.log", now=now)
    try:
        walls = [_size(s) for s in args.walls.split(",") if s]
        for path in shoot(server.url, args.out, walls, args.pages, args.dpr, args.wall_dpr):
            kb = path.stat().st_size // 1024
            print(f"{path} {kb} KB" + (f"  (over {MAX_KB} KB: lower --dpr)" if kb > MAX_KB else ""))
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
