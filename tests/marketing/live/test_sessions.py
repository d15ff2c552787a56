"""Live sessions through the API: recorded with their evidence, a session without an end
flagged, bad input refused naming the field, the viewer export's bad rows rejected with the
reason while the good ones replace the figures (a re-import does not add up)."""

from __future__ import annotations

from typing import Any

SESSION = {
    "code": "DY-1001",
    "platform": "douyin",
    "account": "良品官方旗舰店",
    "host": "小雅",
    "title": "双十一预热专场",
    "started_at": "2026-10-20T19:00:00+08:00",
    "ended_at": "2026-10-20T22:30:00+08:00",
    "codes": ["LP1020"],
    "link_params": ["live_dy1001"],
    "coupon_batches": ["DY1020-20OFF"],
    "products": ["SKU001", "SKU002"],
    "cost_fen": 1_500_000,
}


def test_sessions_and_viewer_export(client: Any) -> None:
    r = client.post("/api/v1/live/sessions", json=SESSION)
    assert r.status_code == 201, r.text
    assert r.json()["flag"] is None
    assert client.post("/api/v1/live/sessions", json=SESSION).status_code == 409
    open_ended = {**SESSION, "code": "KS-7", "platform": "kuaishou", "ended_at": None}
    assert client.post("/api/v1/live/sessions", json=open_ended).status_code == 201
    bad = {**SESSION, "code": "X-1", "ended_at": "2026-10-20T18:00:00+08:00"}
    r = client.post("/api/v1/live/sessions", json=bad)
    assert r.status_code == 422
    assert "ended_at is before started_at" in r.text
    r = client.post("/api/v1/live/sessions", json={**SESSION, "code": "Y", "platform": "myspace"})
    assert r.status_code == 422

    export = (
        "\ufeff场次编码,观看人数,最高在线,点赞,评论,分享,新增关注\n"
        'DY-1001,"12,345",2100,8800,950,120,430\n'
        "KS-7,800,,,,,\n"
        "NOPE,10,1,1,1,1,1\n"
        "DY-1001,abc,1,1,1,1,1\n"
        "KS-7,-5,1,1,1,1,1\n"
        ",5,1,1,1,1,1\n"
    )
    r = client.post(
        "/api/v1/live/viewers", content=export.encode(), headers={"content-type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["imported"] == 2
    assert [(x["row"], x["reason"]) for x in body["rejected"]] == [
        (3, "unknown_session"),
        (4, "invalid:viewers"),
        (5, "negative:viewers"),
        (6, "missing_session"),
    ]
    again = client.post(
        "/api/v1/live/viewers", content=export.encode(), headers={"content-type": "text/csv"}
    )
    assert again.json()["imported"] == 2
    rows = {s["code"]: s for s in client.get("/api/v1/live/sessions").json()}
    assert rows["DY-1001"]["viewers"] == 12_345  # replaced, not added
    assert rows["KS-7"]["flag"] == "no_end"
    assert rows["KS-7"]["viewers"] == 800
    r = client.post(
        "/api/v1/live/viewers", content="场次,人数\nA,1\n".encode(),
        headers={"content-type": "text/csv"},
    )  # fmt: skip
    assert r.status_code == 422
    assert "场次编码" in r.text
