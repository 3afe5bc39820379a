"""Component ids of the rankings page (/rankings)."""

from __future__ import annotations


class RankIds:
    GRID = "rankings-grid"
    XLSX = "rankings-xlsx"
    CSV = "rankings-csv"
    PRINT = "rankings-print"
    DOWNLOAD = "rankings-download"
