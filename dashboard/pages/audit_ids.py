"""Component ids of /audit, in one place (tests and the page share them)."""

from __future__ import annotations


class AuditIds:
    """The page's component ids, in one place."""

    FORM = "audit-filter"
    ACTION = "audit-action"
    ACTOR = "audit-actor"
    START = "audit-start"
    END = "audit-end"
    SUBMIT = "audit-submit"
    PREV = "audit-prev"
    NEXT = "audit-next"
    COUNT = "audit-count"
    TABLE = "audit-table"
