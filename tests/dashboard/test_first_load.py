"""Compression and the wall's lean index, through the Flask test client (the byte budget is checked in
tests/browser/test_first_load.py, where a real browser counts what moved)."""

from __future__ import annotations

import gzip
import re

import brotli
import dash

from dashboard import lazy_bundles

GRID_SRC = re.compile(r'<script src="[^"]*/dash_ag_grid/[^"]*"')


def _index(app: dash.Dash, path: str, encoding: str) -> tuple[str, str | None, int]:
    r = app.server.test_client().get(path, headers={"Accept-Encoding": encoding})
    assert r.status_code == 200
    body = r.get_data()
    enc = r.headers.get("Content-Encoding")
    text = gzip.decompress(body) if enc == "gzip" else brotli.decompress(body) if enc == "br" else body
    return text.decode(), enc, len(body)


def test_gzip_and_brotli_are_served_and_shrink_the_index(app: dash.Dash) -> None:
    plain, enc_plain, n_plain = _index(app, "/cases", "identity")
    as_gzip, enc_gzip, n_gzip = _index(app, "/cases", "gzip")
    as_br, enc_br, n_br = _index(app, "/cases", "gzip, br")
    assert (enc_plain, enc_gzip, enc_br) == (None, "gzip", "br")
    scripts = re.compile(r'<script src="([^"]*)"')
    assert scripts.findall(plain) == scripts.findall(as_gzip) == scripts.findall(as_br) != []
    assert n_gzip < n_plain / 2 and n_br < n_plain / 2


def test_component_bundles_are_compressed(app: dash.Dash) -> None:
    html_text, _, _ = _index(app, "/cases", "identity")
    src = re.search(r'<script src="([^"]*/dash_leaflet/[^"]*)"', html_text)
    assert src is not None
    client = app.server.test_client()
    plain = client.get(src.group(1), headers={"Accept-Encoding": "identity"}).get_data()
    packed = client.get(src.group(1), headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain
    assert len(packed.get_data()) < len(plain) / 2


def test_the_wall_names_the_grid_bundle_inertly_other_pages_load_it(app: dash.Dash) -> None:
    wall, _, _ = _index(app, "/screen", "identity")
    cases, _, _ = _index(app, "/cases", "identity")
    assert not GRID_SRC.search(wall)
    inert = re.search(r'<script type="text/x-cv-lazy" data-namespace="dash_ag_grid" '
                      r'data-components="AgGrid" data-src="([^"]*)"', wall)
    assert inert is not None
    assert GRID_SRC.search(cases) and inert.group(1) in cases  # the same fingerprinted URL
    assert "text/x-cv-lazy" not in cases
    # the lazy loader comes after the inert tag that it reads
    assert wall.index("text/x-cv-lazy") < wall.index("lazy_bundles.js")


def test_lean_paths_and_the_grid_components() -> None:
    assert lazy_bundles.is_lean("screen") and not lazy_bundles.is_lean("cases")
    assert lazy_bundles.component_names("dash_ag_grid") == ["AgGrid"]
