"""Customer ids survive re-runs; merges and splits are logged."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from tests.cdp.identity.factories import identity_map, record, run_steps, work_rows


def _people() -> list[dict]:
    return [
        record(
            "pos",
            "M1",
            member_id="M1",
            phone="+8613811110001",
            name="甲",
            registered_at=datetime(2020, 5, 1),
        ),
        record("app", "A1", member_id="A1", phone="+8613811110001", name="甲"),
        record("pos", "M2", member_id="M2", phone="+8613811110002", name="乙"),
        record("app", "A2", member_id="A2", phone="+8613811110002", name="乙"),
        record("miniprogram", "o3", openid="o3", phone="+8613811110003", name="丙"),
    ]


def test_rerun_keeps_every_id(home: Path) -> None:
    run_steps(_people(), "identity")
    first = identity_map()
    run_steps(None, "identity")
    assert identity_map() == first
    assert work_rows("SELECT * FROM identity_changes") == []


def test_new_records_keep_ids_and_get_new_ones(home: Path) -> None:
    run_steps(_people(), "identity")
    first = identity_map()
    rows = [
        *reversed(_people()),  # order of the input does not matter
        record("miniprogram", "o9", openid="o9", phone="+8613811110009", name="丁"),
        record("miniprogram", "o1", openid="o1", phone="+8613811110001", name="甲"),
    ]
    run_steps(rows, "identity")
    second = identity_map()
    for key, cid in first.items():
        assert second[key] == cid
    assert second["miniprogram:o1"] == first["pos:M1"]
    assert second["miniprogram:o9"] not in set(first.values())
    assert int(second["miniprogram:o9"][1:]) > max(int(c[1:]) for c in first.values())


def test_merge_keeps_the_id_of_the_larger_cluster_and_logs_it(home: Path) -> None:
    rows = _people()
    run_steps(rows, "identity")
    first = identity_map()
    # o3 now shows the phone of person 2: clusters {M2, A2} and {o3} merge
    rows[4]["phone"] = "+8613811110002"
    rows[4]["name"] = "乙"
    run_steps(rows, "identity")
    second = identity_map()
    assert second["miniprogram:o3"] == second["pos:M2"] == first["pos:M2"]
    changes = work_rows("SELECT customer_id, change, related_customer_id FROM identity_changes")
    assert changes == [
        {
            "customer_id": first["miniprogram:o3"],
            "change": "merged",
            "related_customer_id": first["pos:M2"],
        }
    ]
    logs = list((home / "analytics" / "identity" / "changes").glob("*.parquet"))
    assert len(logs) == 1


def test_split_gets_a_new_id_and_ids_are_never_reused(home: Path) -> None:
    rows = _people()
    run_steps(rows, "identity")
    first = identity_map()
    rows[1]["phone"] = "+8613811110099"  # A1 no longer shares M1's phone
    run_steps(rows, "identity")
    second = identity_map()
    assert second["pos:M1"] == first["pos:M1"]  # tie on votes: the part seen first keeps it
    assert second["app:A1"] not in set(first.values())
    changes = work_rows("SELECT customer_id, change, related_customer_id FROM identity_changes")
    assert changes == [
        {"customer_id": second["app:A1"], "change": "split", "related_customer_id": first["pos:M1"]}
    ]
    state = json.loads((home / "analytics" / "identity" / "state.json").read_text())
    assert state["last_customer_number"] == int(second["app:A1"][1:])
    # a record that disappears leaves its id retired, never handed out again
    run_steps([r for r in rows if r["record_key"] != "miniprogram:o3"], "identity")
    gone = work_rows("SELECT customer_id, change FROM identity_changes")
    assert gone == [{"customer_id": first["miniprogram:o3"], "change": "gone"}]
    run_steps(rows, "identity")
    assert identity_map()["miniprogram:o3"] not in set(first.values()) | set(second.values())
