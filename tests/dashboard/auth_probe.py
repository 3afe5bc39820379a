"""A probe callback for access-control tests, and a server that serves the real app with it.

The probe is what every data callback of a page does: it builds a ``Query`` from untrusted callback
input, passes it through ``access.scoped``, reads rows, and passes them through ``access.mask_rows``
before they leave the server. Tests post to it by raw HTTP as any role, with any unit or payload.

    python -m tests.dashboard.auth_probe --port N --warehouse W --config C   # waitress, real app + probe
"""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dash
from dash import Input, Output

from dashboard import access, data
from metrics.query import Period, Query, QueryError

PROBE_OUT = "probe-out"
COLUMNS = ("order_id", "district_code", "town_code", "grid_code", "village_code", "unit_code",
           "citizen_name", "citizen_phone", "address", "content")


def add_probe(app: dash.Dash) -> None:
    @app.callback(Output(PROBE_OUT, "children"), Input("probe-unit", "value"), Input("probe-category", "value"))
    def probe(unit: Any, category: Any) -> str:
        try:
            period = Period.custom(date(2000, 1, 1), data.site_now().date() + timedelta(days=1))
            q = access.scoped(Query(period, unit=None if unit is None else str(unit),
                                    category=None if category is None else str(category)))
        except QueryError as exc:
            return json.dumps({"error": str(exc)}, ensure_ascii=False)
        # Test code may write SQL; every value is bound.
        rows = data.connection().execute(
            f"SELECT {', '.join(COLUMNS)} FROM hotline_orders"
            " WHERE (?::VARCHAR IS NULL OR ? IN (district_code, town_code, grid_code, village_code, unit_code))"
            " AND (?::VARCHAR IS NULL OR category = ?) ORDER BY order_id",
            [q.unit, q.unit, q.category, q.category],
        ).df()
        rows = access.mask_rows(rows)
        return json.dumps({"unit": q.unit, "rows": rows.astype(object).where(rows.notna(), None).to_dict("records")},
                          ensure_ascii=False)


def body(unit: Any, category: Any = None) -> dict[str, Any]:
    """The JSON a browser posts to /_dash-update-component for the probe."""
    return {
        "output": f"{PROBE_OUT}.children",
        "outputs": {"id": PROBE_OUT, "property": "children"},
        "inputs": [{"id": "probe-unit", "property": "value", "value": unit},
                   {"id": "probe-category", "property": "value", "value": category}],
        "changedPropIds": ["probe-unit.value"],
        "state": [],
    }


def answer(response_json: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response_json["response"][PROBE_OUT]["children"])


def main() -> None:  # pragma: no cover - run as a subprocess by the served tests
    import os

    from waitress import serve

    from dashboard.app import create_app
    from etl.settings import load_settings

    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--config", type=Path, required=True)
    args = ap.parse_args()
    os.environ["VITALS_WAREHOUSE"] = str(args.warehouse)
    app = create_app(load_settings(args.config))
    add_probe(app)
    serve(app.server, host="127.0.0.1", port=args.port, threads=4)


if __name__ == "__main__":  # pragma: no cover
    main()
