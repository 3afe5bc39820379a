"""One briefing end to end: read the warehouse snapshot, build, print, archive."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dashboard.data import site_text
from dashboard.i18n import t
from dashboard.reports import archive
from dashboard.reports.briefing import Briefing, Kind, build, parse_period
from dashboard.reports.pdf import print_pdf
from dashboard.reports.render import document
from dashboard.reports.workbook import workbook
from etl.settings import Settings
from metrics.connection import open_readonly
from metrics.status import warehouse_meta


def site_now(settings: Settings) -> datetime:
    from dashboard.data import site_now as now_of

    return now_of(settings)


def briefing(settings: Settings, kind: Kind, scope: str | None, period: str | None,
             now: datetime | None = None) -> Briefing:
    now = now or site_now(settings)
    p, label = parse_period(kind, period, now.date())
    con = open_readonly(Path(settings.warehouse))
    try:
        facts = warehouse_meta(con)  # `vitals site set --name / --hotline-name` win over vitals.toml
        site = site_text(facts, "site_name", "zh", settings.site_name_zh)
        return build(con, kind, scope, p, label, site, now, settings.section("metrics"),
                     hotline_name=site_text(facts, "hotline_name", "zh", t("hotline.name")))
    finally:
        con.close()


def generate(settings: Settings, kind: Kind, scope: str | None, period: str | None,
             now: datetime | None = None) -> archive.Entry:
    """Write the PDF and the .xlsx of the period into the archive and index it; returns the entry."""
    b = briefing(settings, kind, scope, period, now)
    entry = archive.Entry(b.kind, b.scope or "", b.scope_name, b.label, b.period_text, f"{b.period.start:%Y-%m-%d}",
                          f"{b.period.end:%Y-%m-%d}", f"{b.generated_at:%Y-%m-%dT%H:%M:%S}",
                          f"{b.data_now:%Y-%m-%dT%H:%M:%S}" if b.data_now else "", b.summary)
    root = archive.root_of(settings)
    archive.check_names(entry.kind, entry.scope, entry.label)
    print_pdf(document(b), entry.path(root, "pdf"))
    archive.write_files(root, entry, {"xlsx": workbook(b)})
    archive.record(root, entry)
    return entry
