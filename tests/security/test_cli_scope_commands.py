"""Store scope in the rest of the CLI: with ``--as`` (or an API key) the chain-wide jobs —
imports, the pipeline, the demo, the quarantine, scheduled jobs, users and keys — are refused to
anyone without the ``admin`` permission, naming the role in Chinese and English and changing
nothing; chain-wide figures are refused to store users; reports are limited to the caller's
stores; commands naming a customer treat another store's customer as unknown. Without ``--as``
the local operator keeps full rights."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.platform import db, migrate
from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.auth.scope import OutOfScope
from omniretail.platform.errors import NotFound

A, B = "C000000001", "C000000002"  # home stores S1 and S2


@pytest.fixture
def instance(home: Path) -> dict[str, Any]:
    from omniretail.care.desk import service as desk
    from omniretail.cdp.profile.models import Customer
    from omniretail.omnichannel.store.models import Store
    from omniretail.platform.auth import service

    migrate.upgrade()
    now = datetime.now(UTC) - timedelta(hours=1)
    with db.session_scope() as s:
        stores = {}
        for code in ("S1", "S2"):
            st = Store(code=code, name=f"门店{code}", kind="direct", store_type="street")
            s.add(st)
            s.flush()
            stores[code] = st.id
        for cid, code in ((A, "S1"), (B, "S2")):
            s.add(Customer(customer_id=cid, home_store_code=code, home_store_id=stores[code]))
        service.create_user(s, username="mgr", password="manager-pass-1",
                            role="store_manager", store_ids=[stores["S1"]])  # fmt: skip
        service.create_user(s, username="hq", password="analyst-pass-1", role="analyst")
        service.create_user(s, username="boss", password="admin-pass-11", role="admin")
        _, key = service.create_api_key(s, name="s2-key", scopes=["read", "write"],
                                        store_ids=[stores["S2"]])  # fmt: skip
        for cid, store, subject in ((A, "S1", "S1 退货问题"), (B, "S2", "S2 投诉内容"),
                                    (None, None, "总部 渠道问题")):  # fmt: skip
            desk.open_ticket(s, subject=subject, now=now, customer_id=cid, store_code=store)
    return {"key": key}


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    """The command's exception, or its output."""
    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return result.exception
    assert result.exit_code == 0, result.output
    return result.output


ADMIN_JOBS = [
    ("import", "--mapping", "pos", "orders.csv"),
    ("pipeline", "run"),
    ("demo", "--scale", "0.001", "--no-serve"),
    ("demo-respond", "--campaign", "X"),
    ("quality", "reprocess"),
    ("quality", "quarantine"),
    ("quality", "show", "1"),
    ("quality", "fix", "1", "--set", "a=b"),
    ("guide", "tasks"),
    ("guide", "import-chats", "chats.jsonl"),
    ("alerts", "scan"),
    ("jobs", "run", "segments.refresh"),
    ("users", "create", "-u", "eve", "--role", "admin", "--password", "eve-pass-123"),
    ("apikey", "create", "--name", "mine", "--scope", "admin"),
]


@pytest.mark.parametrize("who", ["mgr", "hq", "key"])
def test_chain_wide_jobs_need_an_administrator(instance: dict[str, Any], who: str) -> None:
    from omniretail.platform.config import get_settings

    as_ = [] if who == "key" else ["--as", who]
    env = {"OMNIRETAIL_API_KEY": instance["key"]} if who == "key" else None
    for args in ADMIN_JOBS:
        err = run(*as_, *args, env=env)
        assert isinstance(err, PermissionDenied), (who, args, err)
        # names the role needed, in both languages, and who asked
        assert "管理员（admin 角色）" in err.detail, err.detail
        assert "role admin" in err.detail, err.detail
        assert err.field == "--as"
    home = get_settings().home
    assert not (home / "analytics" / "pipeline_run.json").exists()  # nothing ran
    assert not (home / "demo-world").exists()
    with db.session_scope() as s:
        from omniretail.platform.auth.models import ApiKey, User

        assert s.query(User).filter_by(username="eve").count() == 0
        assert s.query(ApiKey).filter_by(name="mine").count() == 0
    # an administrator named with --as may (a user is created; the audit would name them)
    run("--as", "boss", "users", "create", "-u", "eve", "--role", "clerk",
        "--password", "eve-pass-123")  # fmt: skip
    # and without --as the local operator keeps full rights
    run("apikey", "create", "--name", "mine", "--scope", "read")


def test_chain_wide_figures_are_refused_to_store_users(instance: dict[str, Any]) -> None:
    chain = [
        ("identity", "constraints"),
        ("identity", "evaluate", "--truth", "world"),
        ("guide", "evaluate"),
        ("forecast", "evaluate", "--source", "pos"),
        ("churn", "evaluate", "--source", "pos"),
        ("clv", "fit", "--source", "pos", "--calibration-end", "2026-01-01"),
    ]
    for args in chain:
        err = run("--as", "mgr", *args)
        assert isinstance(err, OutOfScope), (args, err)
        assert "全连锁" in err.detail, err.detail
        assert "chain-wide" in err.detail, err.detail
    # a head-office analyst (every store) sees them
    assert run("--as", "hq", "identity", "constraints").strip().startswith("[")


def test_reports_are_limited_to_the_callers_stores(
    instance: dict[str, Any], tmp_path: Path
) -> None:
    def export(*who: str, env: dict[str, str] | None = None) -> list[dict[str, str]]:
        out = tmp_path / f"tickets-{len(list(tmp_path.iterdir()))}.csv"
        run(*who, "desk", "export", "--out", str(out), env=env)
        with out.open(encoding="utf-8-sig") as f:
            return list(csv.DictReader(f))

    everyone = export()
    assert {r["store_code"] for r in everyone} == {"S1", "S2", ""}
    mine = export("--as", "mgr")  # their store's tickets and the chain-level one
    assert {r["store_code"] for r in mine} == {"S1", ""}
    assert "S2 投诉内容" not in {r["subject"] for r in mine}
    keyed = export(env={"OMNIRETAIL_API_KEY": instance["key"]})
    assert {r["store_code"] for r in keyed} == {"S2", ""}
    # a role without personal-data access gets no subject (what the customer wrote)
    assert {r["subject"] for r in export("--as", "hq")} == {""}
    sla = run("--as", "mgr", "desk", "sla", "--by", "store_code")
    assert "S1" in sla
    assert "S2" not in sla
    assert "S2" in run("desk", "sla", "--by", "store_code")


def test_commands_naming_a_customer_see_only_the_callers_stores(
    instance: dict[str, Any], tmp_path: Path
) -> None:
    for args in (
        ("identity", "merge", A, B, "--reason", "same person"),
        ("identity", "unmerge", B, "--record", "pos:1", "--reason", "two people"),
        ("assistant", "ask", "我的积分有多少", "--customer", B),
    ):
        err = run("--as", "mgr", *args)
        assert isinstance(err, NotFound), (args, err)  # unknown, as through the API
    # community groups: only into the caller's stores
    groups = tmp_path / "groups.csv"
    groups.write_text("群名称,群主,成员\n", encoding="utf-8")
    for store in ("S2", None):
        err = run("--as", "mgr", "community", "import", str(groups),
                  *(("--store", store) if store else ()))  # fmt: skip
        assert isinstance(err, OutOfScope), (store, err)
        assert err.field == "store"
