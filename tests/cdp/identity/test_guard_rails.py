"""Deterministic linking and each guard-rail against over-merging."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.cdp.identity.factories import identity_map, record, run_steps, work_rows


def test_strong_identifiers_link_across_sources(home: Path) -> None:
    rows = [
        record("pos", "M1", member_id="M1", phone="+8613811112222", name="张三"),
        record("miniprogram", "o1", openid="o1", unionid="u1", phone="+8613811112222"),
        record("wecom", "wm1", wecom_external_userid="wm1", unionid="u1", name="张三"),
        record("app", "A1", member_id="A1", email="zs@example.cn", name="张三"),
        record("jd", "j1", platform_buyer_id="j1", email="ZS@example.cn"),
        record("pos", "M2", member_id="M2", phone="+8613899990000", name="李四"),
    ]
    out = run_steps(rows, "identity")["identity"]
    ids = identity_map()
    assert ids["pos:M1"] == ids["miniprogram:o1"] == ids["wecom:wm1"]
    assert ids["app:A1"] == ids["jd:j1"]  # email compared case-insensitively
    assert ids["pos:M1"] != ids["app:A1"]
    assert ids["pos:M2"] not in {ids["pos:M1"], ids["app:A1"]}
    assert out["customers"] == 3
    rules = {r["record_key"]: r["cluster_rule"] for r in work_rows("SELECT * FROM identity_map")}
    assert rules["wecom:wm1"] == "deterministic:unionid"
    assert rules["pos:M2"] == "singleton"
    assert all(len(c) == 10 and c.startswith("C") for c in ids.values())


def test_store_phone_used_by_many_walk_ins_is_shared(home: Path) -> None:
    store_phone = "+8602787654321"
    rows = [
        record("pos", f"W{i}", member_id=f"W{i}", phone=store_phone, name=f"顾客{i}")
        for i in range(60)
    ]
    run_steps(rows, "identity")
    ids = identity_map()
    assert len(set(ids.values())) == 60
    shared = work_rows("SELECT * FROM identity_shared_values")
    assert shared == [
        {
            "kind": "phone",
            "value": store_phone,
            "records": 60,
            "names": 60,
            "source_records": 60,
            "source_names": 60,
            "reason": "too_many_records",
        }
    ]


def test_many_gift_cards_of_one_buyer_link_but_many_pos_cards_do_not(home: Path) -> None:
    """A company buys 25 gift cards on its contact's phone: one buyer (the gift-card source
    allows 40 records per value); 25 POS cards on one phone are a store or clerk phone."""
    buyer, clerk = "+8613711112222", "+8613733334444"
    rows = [
        record("giftcard", f"G{i}", phone=buyer, name="王建国" if i % 5 else "王建國")
        for i in range(25)
    ] + [record("pos", f"M{i}", member_id=f"M{i}", phone=clerk, name=f"顾客{i}") for i in range(25)]
    run_steps(rows, "identity")
    ids = identity_map()
    assert len({ids[f"giftcard:G{i}"] for i in range(25)}) == 1
    assert len({ids[f"pos:M{i}"] for i in range(25)}) == 25
    shared = work_rows("SELECT value, reason FROM identity_shared_values")
    assert shared == [{"value": clerk, "reason": "too_many_records_in_one_source"}]


def test_value_used_by_too_many_different_names_is_shared(home: Path) -> None:
    phone = "+8613700001111"
    sources = ["pos", "app", "miniprogram", "wecom", "tmall", "jd", "groupbuy", "giftcard", "x"]
    rows = [record(src, "R1", phone=phone, name=f"名{i}") for i, src in enumerate(sources)]
    run_steps(rows, "identity")
    assert len(set(identity_map().values())) == 9
    [shared] = work_rows("SELECT reason, names FROM identity_shared_values")
    assert shared == {"reason": "too_many_names", "names": 9}


def test_different_names_within_one_source_make_a_value_shared(home: Path) -> None:
    phone = "+8613700001111"
    rows = [
        record("pos", f"M{i}", member_id=f"M{i}", phone=phone, name=n)
        for i, n in enumerate(["王芳", "李娜", "赵敏"])
    ]
    rows.append(record("app", "A1", phone=phone, name="王芳"))
    run_steps(rows, "identity")
    assert len(set(identity_map().values())) == 4
    [shared] = work_rows("SELECT reason, source_names FROM identity_shared_values")
    assert shared == {"reason": "too_many_names_in_one_source", "source_names": 3}


def test_many_records_in_one_source_make_a_value_shared(home: Path) -> None:
    phone = "+8613700001111"
    rows = [record("pos", f"M{i}", member_id=f"M{i}", phone=phone, name="王芳") for i in range(4)]
    run_steps(rows, "identity")
    assert len(set(identity_map().values())) == 4
    [shared] = work_rows("SELECT reason, source_records FROM identity_shared_values")
    assert shared == {"reason": "too_many_records_in_one_source", "source_records": 4}


def test_same_person_with_name_variants_is_not_shared(home: Path) -> None:
    phone = "+8613700001111"
    rows = [
        record("pos", "M1", member_id="M1", phone=phone, name="王芳"),
        record("miniprogram", "o1", openid="o1", phone=phone, name="王 芳"),
        record("app", "A1", member_id="A1", phone=phone, name="芳芳"),
    ]
    run_steps(rows, "identity")
    assert len(set(identity_map().values())) == 1


def test_blocked_values_never_link(home: Path) -> None:
    rows = [
        record("pos", "M1", member_id="M1", phone="+8613800138000", name="测试"),
        record("app", "A1", member_id="A1", phone="+8613800138000", name="测试"),
        record("app", "A2", member_id="A2", email="test01@shop.cn", name="甲"),
        record("jd", "j2", platform_buyer_id="j2", email="test01@shop.cn", name="甲"),
    ]
    run_steps(rows, "identity")
    ids = identity_map()
    assert ids["pos:M1"] != ids["app:A1"]  # blocked value
    assert ids["app:A2"] != ids["jd:j2"]  # blocked pattern test%@%
    reasons = {r["value"]: r["reason"] for r in work_rows("SELECT * FROM identity_shared_values")}
    assert reasons == {"+8613800138000": "blocked", "test01@shop.cn": "blocked"}


def test_configured_blocked_value(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "identity.yaml").write_text(
        yaml.safe_dump({"blocked_values": {"unionid": ["u-shared"]}}), encoding="utf-8"
    )
    rows = [
        record("miniprogram", "o1", openid="o1", unionid="u-shared"),
        record("wecom", "w1", wecom_external_userid="w1", unionid="u-shared"),
    ]
    run_steps(rows, "identity")
    ids = identity_map()
    assert ids["miniprogram:o1"] != ids["wecom:w1"]


def test_source_scoped_ids_do_not_link_across_platforms(home: Path) -> None:
    rows = [
        record("tmall", "buyer1", platform_buyer_id="buyer1", name="甲"),
        record("jd", "buyer1", platform_buyer_id="buyer1", name="乙"),
    ]
    run_steps(rows, "identity")
    ids = identity_map()
    assert ids["tmall:buyer1"] != ids["jd:buyer1"]


def test_two_member_cards_of_one_source_split_on_the_weakest_link(home: Path) -> None:
    # A and C share a phone (weight 8), B and C share an email (weight 7): one cluster would
    # hold two POS member cards, so the weaker email link is cut.
    rows = [
        record("pos", "M1", member_id="M1", phone="+8613811112222", name="张三"),
        record("pos", "M2", member_id="M2", email="family@qq.com", name="张四"),
        record(
            "miniprogram",
            "o1",
            openid="o1",
            phone="+8613811112222",
            email="family@qq.com",
            name="张三",
        ),
    ]
    out = run_steps(rows, "identity")["identity"]
    ids = identity_map()
    assert ids["pos:M1"] == ids["miniprogram:o1"]
    assert ids["pos:M2"] != ids["pos:M1"]
    assert out["deterministic"]["conflicting_clusters"] == 1
    [rejected] = work_rows("SELECT rule, reason FROM identity_rejected_edges")
    assert rejected == {"rule": "deterministic:email", "reason": "conflicting_member_id:pos"}


def test_long_chains_converge(home: Path) -> None:
    # a chain a0 - a1 - ... - a99 where neighbours share a phone
    rows = [
        record(
            "app",
            f"A{i:03d}",
            member_id=f"A{i:03d}",
            phone=f"+86138{i:08d}",
            email=f"p{i + 1}@x.cn",
            name="链",
        )
        for i in range(100)
    ]
    for i in range(100):
        rows[i]["email"] = f"e{i // 2}@x.cn" if i % 2 == 0 else f"e{(i - 1) // 2}@x.cn"
        if i % 2 == 1 and i + 1 < 100:
            rows[i + 1]["phone"] = rows[i]["phone"]
    # records alternate email / phone links: a path of length 99
    conflicts = {"conflicting_kinds": []}
    (home / "config").mkdir(parents=True)
    (home / "config" / "identity.yaml").write_text(yaml.safe_dump(conflicts), encoding="utf-8")
    out = run_steps(rows, "identity")["identity"]
    assert len(set(identity_map().values())) == 1
    assert out["deterministic"]["rounds"] < 20


def test_two_cards_under_the_same_name_are_a_duplicate_not_a_conflict(home: Path) -> None:
    rows = [
        record("pos", "M1", member_id="M1", phone="+8613811112222", name="张三"),
        record("pos", "M9", member_id="M9", phone="+8613811112222", name="张三"),
        record("pos", "M5", member_id="M5", email="z@qq.com", name="张三"),
        record("app", "A1", member_id="A1", phone="+8613811112222", email="z@qq.com"),
    ]
    out = run_steps(rows, "identity")["identity"]
    assert len(set(identity_map().values())) == 1
    assert out["final"]["conflicting_clusters"] == 0


def test_links_asserted_by_a_source_are_edges(home: Path) -> None:
    import pyarrow as pa

    from omniretail.platform.engine import open_engine

    engine = open_engine("duckdb")
    engine.register_arrow(
        "std_identity_links",
        pa.table(
            {
                "source": ["events"],
                "left_key": ["events:dev1"],
                "right_key": ["app:A1"],
                "link_type": ["login"],
                "observed_at": pa.array([None], pa.timestamp("us")),
            }
        ),
    )
    engine.close()
    rows = [
        record("events", "dev1", name=None),
        record("app", "A1", member_id="A1", name="张三"),
        record("events", "dev2", name=None),
    ]
    out = run_steps(rows, "identity")["identity"]
    ids = identity_map()
    assert out["source_links"] == 1
    assert ids["events:dev1"] == ids["app:A1"] != ids["events:dev2"]
    rules = {r["record_key"]: r["cluster_rule"] for r in work_rows("SELECT * FROM identity_map")}
    assert rules["events:dev1"] == "link:login"
