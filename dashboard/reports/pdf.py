"""HTML → PDF with Debian's Chromium, headless, as a subprocess: production needs no browser package
(Playwright is a test dependency only) and nothing is downloaded."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
TIMEOUT_S = 180


class ChromiumMissing(RuntimeError):
    """No Chromium to print with; the message says how to get one."""


def chromium_path() -> str:
    """``VITALS_CHROMIUM`` if set, else the first of the usual names on PATH."""
    explicit = os.environ.get("VITALS_CHROMIUM")
    for name in ((explicit,) if explicit else CANDIDATES):
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing("the PDF briefing is printed by Chromium, which was not found: install Debian's "
                          "`chromium` (apt-get install chromium fonts-noto-cjk) or set VITALS_CHROMIUM to its path")


def print_pdf(html: str, out: Path) -> None:
    """Print ``html`` to ``out`` (A4 from the document's @page). Written beside ``out`` first and moved
    into place, so a failed print leaves the previous file."""
    browser = chromium_path()
    with tempfile.TemporaryDirectory(prefix="vitals-report-") as tmp:
        src, pdf = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_text(html, encoding="utf-8")
        cmd = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
               f"--user-data-dir={Path(tmp) / 'profile'}", "--no-pdf-header-footer",
               # lets the inline plotly.js draw before printing; no network is used
               "--virtual-time-budget=15000", "--run-all-compositor-stages-before-draw",
               f"--print-to-pdf={pdf}", src.as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
            raise RuntimeError(f"Chromium could not print the briefing (exit {done.returncode}): "
                               f"{done.stderr.strip()[-500:]}")
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        shutil.copyfile(pdf, part)
        os.replace(part, out)
