"""Writes the Springfield example: a made-up US city of four wards with a 311 export in the shape
US open-data portals publish (12-hour clock, Canceled status, a City Hall placeholder point).
Synthetic, so it can ship with the code; seeded, so it is the same on every run.

    python data/examples/springfield/generate.py
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
LON = (-89.70, -89.65, -89.60)
LAT = (39.75, 39.80, 39.85)
CITY_HALL = ("-89.650100", "39.801700")  # where the geocoder puts an address it cannot find
STREETS = ("5th St", "Monroe St", "Ash St", "Walnut St")
TYPES = ("Pothole", "Street Light Out", "Graffiti", "Missed Trash Pickup", "Noise Complaint", "Tree Trimming")


def wards() -> list[tuple[str, str, list[list[float]]]]:
    out = []
    for i, (x0, y0) in enumerate(((0, 0), (1, 0), (0, 1), (1, 1)), start=1):
        ring = [[LON[x0], LAT[y0]], [LON[x0 + 1], LAT[y0]], [LON[x0 + 1], LAT[y0 + 1]], [LON[x0], LAT[y0 + 1]],
                [LON[x0], LAT[y0]]]
        out.append((str(i), f"Ward {i}", ring))
    return out


def main() -> None:
    rnd = random.Random(311)
    features = [{"type": "Feature", "properties": {"ward": code, "name": name},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}} for code, name, ring in wards()]
    (HERE / "wards.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1))
    start = datetime(2019, 10, 1, 7, 0)
    rows = []
    for n in range(240):
        created = start + timedelta(minutes=rnd.randrange(0, 61 * 24 * 60))
        status = rnd.choices(("Closed", "Open", "Canceled"), (0.6, 0.3, 0.1))[0]
        closed = created + timedelta(hours=rnd.uniform(0.5, 240)) if status != "Open" else None
        if n % 16 == 0:
            lon, lat = CITY_HALL
        else:
            lon, lat = f"{rnd.uniform(LON[0], LON[2]):.6f}", f"{rnd.uniform(LAT[0], LAT[2]):.6f}"
        ward = "" if n % 7 == 0 else str(1 + (float(lon) > LON[1]) + 2 * (float(lat) > LAT[1]))
        rows.append({
            "Service Request Number": f"SR19-{100000 + n}",
            "Created Date": created.strftime("%m/%d/%Y %I:%M:%S %p"),
            "Closed Date": closed.strftime("%m/%d/%Y %I:%M:%S %p") if closed else "",
            "Status": status, "Request Type": rnd.choice(TYPES), "Ward": ward,
            "Street Address": f"{rnd.randrange(100, 3000)} {rnd.choice('NSEW')} {rnd.choice(STREETS)}",
            "Latitude": lat, "Longitude": lon,
        })
    with (HERE / "311_requests.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main()
