"""Manual merge / unmerge: audited constraints that every later run honours; explanations."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from omniretail.cdp.identity import explain, service
from omniretail.cdp.identity.errors import InvalidMerge
from omniretail.cdp.profile import service as profile_service
from omniretail.cdp.profile.models import Customer
from omniretail.platform import migrate
from omniretail.platform.auth.models import AuditLog
from omniretail.platform.db import session_scope
from omniretail.platform.engine import open_published, publish_snapshot
from omniretail.platform.engine.snapshot import published_engine
from tests.cdp.identity.factories import identity_map, record, run_steps

ROWS = [
    record("pos", "M1", member_id="M1", phone="+8613811110001", name="甲"),
    record("app", "A1", member_id="A1", phone="+8613811110001", name="甲"),
    record("miniprogram", "o1", openid="o1", unionid="u1", name="甲"),
    record("wecom", "w1", wecom_external_userid="w1", unionid="u1", name="甲"),
]


def _run(rows: list[dict] | None = None) -> dict[str, str]:
    run_steps(rows, "identity", "unify", "publish_customers")
    publish_snapshot()
    return identity_map()


@pytest.fixture
def store(home: Path) -> Path:
    migrate.upgrade()
    return home


def test_merge_is_audited_applied_and_honoured(store: Path) -> None:
    ids = _run(ROWS)
    keep, other = ids["pos:M1"], ids["miniprogram:o1"]
    assert keep != other
    engine = published_engine()
    with session_scope() as s:
        out = profile_service.merge_customers(
            s, engine, customer_id=keep, other_customer_id=other, actor="ops", reason="同一人"
        )
    engine.close()
    assert out["identities_moved"] > 0
    with session_scope() as s:
        gone = s.scalar(select(Customer).where(Customer.customer_id == other))
        assert (gone.status, gone.merged_into) == ("merged", keep)
        [entry] = s.scalars(select(AuditLog).where(AuditLog.action == "identity.merge")).all()
        assert (entry.actor, entry.object_id, entry.reason) == ("ops", keep, "同一人")
        assert entry.detail["merged"] == other
    after = _run()
    assert after["wecom:w1"] == after["pos:M1"] == keep
    assert {r["record_key"]: r["cluster_rule"] for r in _map_rules()}["miniprogram:o1"] in (
        "manual",
        "deterministic:unionid",
    )
    engine = published_engine()
    try:
        found = explain.explain(engine, keep, record_a="pos:M1", record_b="wecom:w1")
    finally:
        engine.close()
    [chain] = found.chains
    rules = [link.rule for link in chain.links]
    assert "manual" in rules
    assert chain.links[0].from_key == "pos:M1"
    assert chain.links[-1].to_key == "wecom:w1"
    manual = next(link for link in chain.links if link.rule == "manual")
    assert manual.evidence is not None
    assert manual.evidence["by"] == "ops"
    assert manual.evidence["reason"] == "同一人"
    with session_scope() as s:
        gone = s.scalar(select(Customer).where(Customer.customer_id == other))
        assert gone.status == "merged"


def _map_rules() -> list[dict]:
    engine = open_published()
    assert engine is not None
    try:
        return engine.fetch_rows("SELECT record_key, cluster_rule FROM identity_map")
    finally:
        engine.close()


def test_unmerge_splits_at_next_run_and_stays_split(store: Path) -> None:
    ids = _run(ROWS)
    customer = ids["pos:M1"]
    engine = published_engine()
    with session_scope() as s:
        out = service.unmerge_records(
            s,
            engine,
            customer_id=customer,
            record_keys=["app:A1"],
            actor="ops",
            reason="家人共用手机号",
        )
        assert out["cannot_links"] == 1
        assert service.list_constraints(s)[0]["kind"] == "cannot_link"
    engine.close()
    after = _run()
    assert after["pos:M1"] == customer
    assert after["app:A1"] != customer
    again = _run()
    assert again == after
    with session_scope() as s:
        assert s.scalar(select(AuditLog.action).where(AuditLog.object_id == customer)) == (
            "identity.unmerge"
        )


def test_merge_after_unmerge_lifts_the_cannot_link(store: Path) -> None:
    ids = _run(ROWS)
    engine = published_engine()
    with session_scope() as s:
        service.unmerge_records(
            s, engine, customer_id=ids["pos:M1"], record_keys=["app:A1"], actor="ops", reason="x"
        )
    engine.close()
    split = _run()
    engine = published_engine()
    with session_scope() as s:
        out = profile_service.merge_customers(
            s,
            engine,
            customer_id=split["pos:M1"],
            other_customer_id=split["app:A1"],
            actor="ops",
            reason="核实为同一人",
        )
        assert out["cannot_links_lifted"] == 1
    engine.close()
    merged = _run()
    assert merged["app:A1"] == merged["pos:M1"] == ids["pos:M1"]


def test_bad_manual_decisions_are_refused(store: Path) -> None:
    ids = _run(ROWS)
    engine = published_engine()
    try:
        with session_scope() as s:
            with pytest.raises(InvalidMerge, match="itself"):
                profile_service.merge_customers(
                    s,
                    engine,
                    customer_id=ids["pos:M1"],
                    other_customer_id=ids["pos:M1"],
                    actor="a",
                    reason="r",
                )
            with pytest.raises(InvalidMerge, match="does not belong"):
                service.unmerge_records(
                    s,
                    engine,
                    customer_id=ids["pos:M1"],
                    record_keys=["miniprogram:o1"],
                    actor="a",
                    reason="r",
                )
            with pytest.raises(InvalidMerge, match="not all"):
                service.unmerge_records(
                    s,
                    engine,
                    customer_id=ids["pos:M1"],
                    record_keys=["pos:M1", "app:A1"],
                    actor="a",
                    reason="r",
                )
            with pytest.raises(InvalidMerge, match="reason"):
                profile_service.merge_customers(
                    s,
                    engine,
                    customer_id=ids["pos:M1"],
                    other_customer_id=ids["wecom:w1"],
                    actor="a",
                    reason=" ",
                )
    finally:
        engine.close()


def test_cli_explain_merge_and_constraints(store: Path, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from omniretail.cli.main import app

    ids = _run(ROWS)
    runner = CliRunner()
    out = runner.invoke(app, ["identity", "explain", "13811110001"])
    assert out.exit_code == 0, out.output
    found = json.loads(out.output)
    assert found["customer_id"] == ids["pos:M1"]
    assert {r["record_key"] for r in found["records"]} == {"pos:M1", "app:A1"}
    [chain] = found["chains"]
    assert chain["links"][0]["rule"] == "deterministic:phone"
    out = runner.invoke(
        app,
        ["identity", "explain", "wecom:w1", "--record", "wecom:w1", "--record", "miniprogram:o1"],
    )
    assert json.loads(out.output)["chains"][0]["links"][0]["rule"] == "deterministic:unionid"
    out = runner.invoke(
        app,
        [
            "identity",
            "merge",
            ids["pos:M1"],
            ids["wecom:w1"],
            "--reason",
            "同一人",
            "--actor",
            "ops",
        ],
    )
    assert out.exit_code == 0, out.output
    listed = json.loads(runner.invoke(app, ["identity", "constraints"]).output)
    assert [c["kind"] for c in listed] == ["must_link"]
    missing = runner.invoke(app, ["identity", "evaluate", "--truth", str(tmp_path)])
    assert missing.exit_code != 0
