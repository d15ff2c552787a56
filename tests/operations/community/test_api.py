"""The community API: an export imported with its bad rows named, a full live code answered
with a problem naming what to do, a check-in retried the same day returning the first."""

from __future__ import annotations

from typing import Any

from omniretail.platform import db
from tests.omnichannel.factories import retail_world


def test_community_over_http(client: Any) -> None:
    with db.session_scope() as s:
        retail_world(s)
    text = (
        "群ID,群名称,群主,成员ID,成员昵称,入群时间,入群方式\n"
        "w1,福利群,E1,u1,小王,2026-11-01 10:00,9\n"  # 9: no such join scene
    )
    r = client.post("/api/v1/community/groups/import", json={"csv_text": text, "store_code": "S1"})
    assert r.status_code == 200, r.text
    assert r.json()["errors"][0]["field"] == "入群方式"
    r = client.post(
        "/api/v1/community/groups",
        json={"chat_id": "w1", "name": "福利群", "store_code": "S1", "kind": "service"},
    )
    assert r.status_code == 200, r.text
    r = client.put("/api/v1/community/codes", json={"code": "Q", "name": "活码", "groups": ["w1"]})
    assert r.status_code == 200, r.text
    with db.session_scope() as s:
        from omniretail.operations.community import livecode
        from omniretail.operations.community.schemas import JoinIn

        for i in range(200):
            livecode.join(s, code="Q", data=JoinIn(member_key=f"m{i}"))
    r = client.post("/api/v1/community/codes/Q/joins", json={"member_key": "x"})
    assert r.status_code == 409
    assert r.json()["type"].endswith("community-groups-full")
    assert "请添加新群" in r.json()["message_zh"]
    assert client.get("/api/v1/community/codes").json()[0]["needs_group"] is True
    one = client.post("/api/v1/community/checkins", json={"member_key": "m1"}).json()
    two = client.post("/api/v1/community/checkins", json={"member_key": "m1"}).json()
    assert (one["replayed"], two["replayed"], two["streak"]) == (False, True, 1)
    assert client.get("/api/v1/community/health").json()[0]["members"] == 200
