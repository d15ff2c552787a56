"""Customer 360 API: lookup by every identifier kind, masking by role, store scope, timeline,
search, explanation, and manual merge/unmerge through the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from omniretail.platform import db
from tests.cdp.profile import world


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    """One resolved world for the whole module (read-only tests), an admin client."""
    from omniretail.platform import config, migrate
    from omniretail.platform.auth import service

    mp = pytest.MonkeyPatch()
    mp.setenv("OMNIRETAIL_HOME", str(tmp_path_factory.mktemp("profile") / "home"))
    mp.setenv("OMNIRETAIL_DEMO", "1")
    mp.delenv("OMNIRETAIL_DATABASE_URL", raising=False)
    config.reset_settings()
    migrate.upgrade()
    with db.session_scope() as s:
        service.create_user(s, username="admin", password="admin-pass-1", role="admin")
    built = world.build()
    client = world.login("admin", "admin-pass-1")
    yield client, built
    client.close()
    mp.undo()
    config.reset_settings()


@pytest.mark.parametrize(
    "identifier",
    [
        world.PHONE,
        "13811110001",
        "+86 138 1111 0001",
        "0086-138-1111-0001",
        "１３８１１１１０００１",
        "o1",  # mini-program openid
        "u1",  # unionid
        "M1",  # member card
        "buyer1",  # platform buyer id
        "tmall:buyer1",  # source:record id
        "w1",  # WeCom external user id
        "zs@example.com",
        "ZS@Example.com",
    ],
)
def test_lookup_by_any_identifier(api, identifier: str) -> None:
    client, _ = api
    by_id = client.get(f"/api/v1/customers/{world.PHONE}").json()["customer"]["customer_id"]
    r = client.get(f"/api/v1/customers/{identifier}")
    assert r.status_code == 200, r.text
    assert r.json()["customer"]["customer_id"] == by_id
    assert client.get(f"/api/v1/customers/{by_id}").json()["customer"]["customer_id"] == by_id


def test_profile_is_the_golden_record_with_everything_around_it(api) -> None:
    client, _ = api
    body = client.get("/api/v1/customers/M1").json()
    c = body["customer"]
    assert c["name"] == "张三"  # POS is trusted for names over a mini-program nickname
    assert c["phone"] == world.PHONE
    assert c["city"] == "长沙"  # city: the most recent value
    assert c["home_store_code"] == "S001"
    assert c["email"] == "zs@example.com"
    assert c["golden_sources"]["name"] == "pos"
    assert set(c["sources"]) == {"pos", "miniprogram", "wecom", "tmall"}
    assert body["consent"] == {"sms": False, "email": None, "wechat": True, "app_push": None}
    assert {
        (e["source"], e["granted"]) for e in body["consent_events"] if e["channel"] == "sms"
    } == {("pos", True), ("miniprogram", False)}  # both kept; the opt-out wins
    kinds = {(i["kind"], i["source"]) for i in body["identities"]}
    assert {
        ("phone", "pos"),
        ("openid", "miniprogram"),
        ("unionid", "wecom"),
        ("platform_buyer_id", "tmall"),
        ("member_id", "pos"),
    } <= kinds
    assert body["orders"]["orders"] == 31
    assert body["orders"]["paid_orders"] == 30
    assert body["orders"]["paid_amount"] == 600.0
    assert {r["channel_code"] for r in body["orders"]["by_channel"]} == {"pos", "tmall"}
    assert set(body["channels"]) >= {"pos", "miniprogram", "wecom", "tmall"}
    explanation = body["explanation"]
    assert len(explanation["records"]) == 4
    assert {e["rule"] for e in explanation["edges"]} >= {
        "deterministic:phone",
        "deterministic:unionid",
    }


def test_timeline_is_paged_across_channels(api) -> None:
    client, _ = api
    first = client.get("/api/v1/customers/M1/timeline?size=10").json()
    assert first["total"] == 36  # 31 orders + 5 events
    assert len(first["items"]) == 10
    assert first["items"][0]["kind"] == "event"  # newest first
    last = client.get("/api/v1/customers/M1/timeline?size=10&page=4").json()
    assert len(last["items"]) == 6
    assert {i["kind"] for i in last["items"]} == {"order"}


def test_search(api) -> None:
    client, _ = api
    assert client.get("/api/v1/customers?q=李").json()["items"][0]["name"] == "李四"
    assert client.get("/api/v1/customers?q=0002").json()["items"][0]["name"] == "李四"
    assert client.get("/api/v1/customers?q=o1").json()["items"][0]["name"] == "张三"
    assert client.get("/api/v1/customers?q=nobody").json()["count"] == 0


def test_personal_data_is_masked_for_roles_without_it(api) -> None:
    analyst = world.login("ana", "analyst-pass-1")
    body = analyst.get("/api/v1/customers/13811110001").json()
    c = body["customer"]
    assert c["name"] == "张*"
    assert c["phone"] == "138****0001"
    assert c["email"] == "z***@example.com"
    assert c["address"].endswith("****")
    phones = [i["value"] for i in body["identities"] if i["kind"] == "phone"]
    assert phones
    assert all(p == "138****0001" for p in phones)
    evidence = [
        e["evidence"] for e in body["explanation"]["edges"] if e["rule"] == "deterministic:phone"
    ]
    assert evidence
    assert all(e["value"] == "138****0001" for e in evidence)
    # no fishing by name for a role that may not see names
    assert analyst.get("/api/v1/customers?q=李").json()["count"] == 0
    explained = analyst.get("/api/v1/identity/explain/M1").json()
    assert all(
        link["evidence"].get("value") != world.PHONE
        for chain in explained["chains"]
        for link in chain["links"]
    )


def test_store_manager_sees_only_customers_of_their_stores(api) -> None:
    manager = world.login("mgr1", "manager-pass-1")
    mine = manager.get("/api/v1/customers/M1")
    assert mine.status_code == 200
    assert mine.json()["customer"]["phone"] == world.PHONE  # a manager may see personal data
    other = manager.get("/api/v1/customers/M2")
    assert other.status_code == 404
    assert other.json()["errors"][0]["field"] == "id"
    assert manager.get("/api/v1/customers/M2/timeline").status_code == 404
    assert [i["name"] for i in manager.get("/api/v1/customers?q=李").json()["items"]] == []


def test_unknown_customer_is_a_problem_naming_the_field(api) -> None:
    client, _ = api
    r = client.get("/api/v1/customers/C999999999")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "id"


def test_platform_ids_and_member_cards_are_masked_for_roles_without_personal_data(api) -> None:
    """Security review finding 10: WeChat unionid, WeCom external user id and member card
    numbers were shown in full to roles without personal-data access."""
    raw = {"unionid": "u1", "wecom_external_userid": "w1", "member_id": "M1"}
    analyst = world.login("ana", "analyst-pass-1")
    body = analyst.get("/api/v1/customers/13811110001").json()
    shown = {(i["kind"], i["value"]) for i in body["identities"]}
    for kind, value in raw.items():
        assert any(k == kind for k, _ in shown), kind
        assert (kind, value) not in shown, kind
    evidence = [e["evidence"] for e in body["explanation"]["edges"] if e["evidence"]]
    assert not [e for e in evidence if e.get("kind") in raw and e.get("value") == raw[e["kind"]]]
    explained = analyst.get("/api/v1/identity/explain/M1").json()
    for edge in explained["edges"]:
        ev = edge["evidence"] or {}
        assert ev.get("value") != raw.get(ev.get("kind", ""), object()), edge
    # a role with personal-data access still sees them
    manager = world.login("mgr1", "manager-pass-1")
    full = {
        (i["kind"], i["value"]) for i in manager.get("/api/v1/customers/M1").json()["identities"]
    }
    assert ("unionid", "u1") in full


def test_loyalty_reads_and_writes_are_store_scoped(api) -> None:
    """Security review finding 2 (loyalty part): a store-A manager could read a store-B
    customer's points account and ledger and earn or adjust points for them."""
    client, _ = api
    cid = {
        m: client.get(f"/api/v1/customers/{m}").json()["customer"]["customer_id"]
        for m in ("M1", "M2")
    }

    def earn(c, customer: str, order: str) -> int:  # type: ignore[no-untyped-def]
        body = {"customer_id": customer, "source": "pos", "order_id": order, "amount": "20",
                "occurred_at": "2026-03-01T10:00:00+08:00"}  # fmt: skip
        return int(c.post("/api/v1/loyalty/earn", json=body).status_code)

    assert earn(client, cid["M2"], "SCOPE-1") == 200  # a chain-wide admin
    manager = world.login("mgr1", "manager-pass-1")  # store S001; M1 is S001's, M2 is S002's
    assert earn(manager, cid["M1"], "SCOPE-2") == 200
    assert earn(manager, cid["M2"], "SCOPE-3") == 404
    assert manager.get(f"/api/v1/loyalty/accounts/{cid['M1']}").status_code == 200
    for path in (
        f"/api/v1/loyalty/accounts/{cid['M2']}",
        f"/api/v1/loyalty/accounts/{cid['M2']}/entries",
    ):
        r = manager.get(path)
        assert r.status_code == 404, (path, r.text)
    m2 = cid["M2"]
    for path, body in [
        ("/api/v1/loyalty/adjust", {"customer_id": m2, "points": 5, "ref": "s-a", "note": "x"}),
        ("/api/v1/loyalty/redeem", {"customer_id": m2, "points": 1, "ref": "s-r"}),
        ("/api/v1/loyalty/refund-redemption", {"customer_id": m2, "ref": "s-r", "return_id": "x"}),
        ("/api/v1/loyalty/reverse", {"customer_id": m2, "source": "pos", "order_id": "SCOPE-1",
                                     "return_id": "r", "returned_amount": "1"}),
    ]:  # fmt: skip
        assert manager.post(path, json=body).status_code in (403, 404), path
    assert client.get(f"/api/v1/loyalty/accounts/{cid['M2']}").json()["balance"] == 20
    # the console's member page too
    assert manager.get(f"/loyalty/members/{cid['M2']}").status_code == 404
    assert manager.get(f"/loyalty/members/{cid['M1']}").status_code == 200
    assert client.get(f"/loyalty/members/{cid['M2']}").status_code == 200


def test_a_clerk_created_without_a_store_sees_no_customer(api) -> None:
    from omniretail.platform.auth import service as auth

    with db.session_scope() as s:
        auth.create_user(s, username="clerk0", password="clerk-pass-1", role="clerk")
    clerk = world.login("clerk0", "clerk-pass-1")
    assert clerk.get("/api/v1/customers/M1").status_code == 404
    assert clerk.get("/api/v1/customers?q=张").json()["count"] == 0


def test_customer_tags_are_store_scoped(api) -> None:
    client, _ = api
    m2 = client.get("/api/v1/customers/M2").json()["customer"]["customer_id"]
    admin = client.get(f"/api/v1/tags/customers/{m2}")
    manager = world.login("mgr1", "manager-pass-1").get(f"/api/v1/tags/customers/{m2}")
    assert admin.status_code != 404, admin.text
    assert manager.status_code == 404, manager.text
    assert manager.json()["errors"][0]["field"] == "customer_id"


def test_an_api_key_can_be_limited_to_stores(api) -> None:
    from fastapi.testclient import TestClient

    from omniretail.omnichannel.store import service as store_service
    from omniretail.platform.auth import service as auth
    from omniretail.web.app import create_app

    with db.session_scope() as s:
        ids = store_service.store_ids_by_code(s, codes=["S001"])
        _, plain = auth.create_api_key(s, name="pos-s001", scopes=["read"], store_ids=[ids["S001"]])
    pos = TestClient(create_app(), headers={"x-api-key": plain})
    assert pos.get("/api/v1/customers/M1").status_code == 200
    assert pos.get("/api/v1/customers/M2").status_code == 404
