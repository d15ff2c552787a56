"""The demo world's store traffic: counters of the direct stores with two broken ones, and the
face vendor's matches — with consent for most, and some of members who never gave it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyarrow.compute as pc

from omniretail.demo.layout import read_export


def test_counters_follow_the_stores_with_two_broken(world_dir: Path) -> None:
    stores = read_export(world_dir, "exports/master/stores.csv").to_pylist()
    doors = read_export(world_dir, "exports/counter/counter_doors.csv").to_pylist()
    counts = read_export(world_dir, "exports/counter/counter_counts.csv")
    assert {d["门店编码"] for d in doors} < {s["store_code"] for s in stores}  # direct only
    assert counts.column("时段开始")[0].as_py().startswith("2025-10-01")
    ins = [int(x) for x in counts.column("进店人数").to_pylist()]
    assert min(ins) >= 0
    assert sum(ins) > 0
    # out > in over a store-day: the miscounting sensor (September 2026)
    day_in: dict[tuple[str, str], int] = defaultdict(int)
    day_out: dict[tuple[str, str], int] = defaultdict(int)
    for r in counts.to_pylist():
        key = (r["门店编码"], r["时段开始"][:10])
        day_in[key] += int(r["进店人数"])
        day_out[key] += int(r["出店人数"])
    over = {k for k in day_in if day_out[k] > day_in[k]}
    assert over
    assert {d[:7] for _, d in over} == {"2026-09"}
    assert len({s for s, _ in over}) == 1
    # a main door that stops after 14:00 in the last days of the world
    last = counts.filter(pc.starts_with(counts.column("时段开始"), "2026-10-31")).to_pylist()
    late = defaultdict(int)
    for r in last:
        if r["门编码"] == "D1" and r["时段开始"][11:13] >= "14":
            late[r["门店编码"]] += int(r["进店人数"])
    assert any(v == 0 for v in late.values())


def test_face_matches_and_consent(world_dir: Path) -> None:
    events = read_export(world_dir, "exports/visits/visits.jsonl").to_pylist()
    kinds = defaultdict(set)
    for e in events:
        kinds[e["event"]].add(e["userId"])
        assert not {"image", "face_image", "template", "embedding"} & set(e["properties"] or {})
    granted = kinds["Face Recognition Consent Granted"]
    matched = kinds["Face Matched"]
    assert granted
    assert kinds["Face Recognition Consent Withdrawn"] <= granted
    assert matched & granted  # most matches are of consented members
    assert matched - granted  # and some are not: the pipeline must leave them out
