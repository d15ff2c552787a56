"""Saved segments: definitions in the operational store, member snapshots with history."""

from __future__ import annotations

import pytest

from omniretail.insight.segment import service
from omniretail.insight.segment.errors import SegmentNameTaken
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.insight.conftest import load_world, run_insight


def test_refresh_keeps_snapshot_history(sqlite_session, small_world, tmp_path) -> None:
    engine = DuckDBEngine()
    load_world(engine, small_world)
    run_insight(
        engine,
        tmp_path,
        steps=["insight.features", "insight.rfm", "insight.lifecycle", "insight.tags"],
    )
    vip = service.create_segment(
        sqlite_session,
        name="高价值女性",
        rule={
            "all": [
                {"field": "gender", "op": "eq", "value": "F"},
                {"field": "rfm_group", "op": "eq", "value": "重要价值"},
            ]
        },
    )
    manual = service.create_segment(
        sqlite_session, name="manual", rule={"field": "kol", "op": "is_true"}, refresh="manual"
    )
    with pytest.raises(SegmentNameTaken):
        service.create_segment(
            sqlite_session, name="manual", rule={"field": "kol", "op": "is_true"}
        )

    first = service.refresh_segments(engine, sqlite_session)
    assert list(first) == ["高价值女性"]  # manual segments are not refreshed by the schedule
    expected = len(service.segment_member_ids(engine, vip.rule))
    assert first["高价值女性"] == vip.last_count == expected > 0
    service.refresh_segments(engine, sqlite_session)
    service.refresh_segments(engine, sqlite_session, only=[manual.id])
    snaps = service.snapshots(sqlite_session, vip.id)
    assert [s.member_count for s in snaps] == [expected, expected]
    per_snapshot = engine.fetch_rows(
        "SELECT snapshot_id, count(*) AS n FROM segment_members WHERE segment_id = ? "
        "GROUP BY snapshot_id ORDER BY snapshot_id",
        [vip.id],
    )
    assert [r["snapshot_id"] for r in per_snapshot] == sorted(s.id for s in snaps)
    assert len(service.snapshots(sqlite_session, manual.id)) == 1

    service.delete_segment(sqlite_session, manual.id)
    assert [s.name for s in service.list_segments(sqlite_session)] == ["高价值女性"]
    assert service.list_segments(sqlite_session, store_codes=["S0001"]) == []
    engine.close()
