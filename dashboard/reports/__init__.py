"""Scheduled briefings (考核通报): a period's numbers from the metrics layer, printed to PDF and .xlsx and
archived under the data folder (docs/reports.md)."""
