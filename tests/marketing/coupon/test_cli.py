"""``omniretail coupon`` and ``omniretail loyalty`` on a fresh instance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.marketing.coupon.errors import CouponConflict
from omniretail.platform import migrate
from omniretail.platform.errors import InvalidInput

TEMPLATE_YAML = """\
code: CLI-5
name: 立减5元
name_en: 5 off
kind: amount_off
rules: {amount: "5"}
min_spend: "20"
valid_days: 14
scope:
  include: {channels: [pos]}
"""
BASKET = {
    "customer_id": "C100",
    "store_code": "S1",
    "channel_code": "pos",
    "lines": [{"sku": "A", "quantity": 1, "unit_price": "30.00"}],
}


def run(*args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return json.loads(result.output.strip().splitlines()[-1])


def test_coupon_cli_round_trip(home: Path, tmp_path: Path) -> None:
    migrate.upgrade()
    (tmp_path / "t.yaml").write_text(TEMPLATE_YAML, encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(BASKET), encoding="utf-8")
    (tmp_path / "tmall.json").write_text(json.dumps({**BASKET, "channel_code": "tmall"}))
    assert run("coupon", "create-template", str(tmp_path / "t.yaml"))["code"] == "CLI-5"
    code = run("coupon", "issue", "--template", "CLI-5", "--customer", "C100")["code"]
    (tmp_path / "ids.txt").write_text("C1\nC2\n\nC2\n")
    batch = [
        "coupon",
        "issue",
        "--template",
        "CLI-5",
        "--customers-file",
        str(tmp_path / "ids.txt"),
    ]
    assert run(*batch, "--campaign", "cmp")["issued"] == 2
    assert run(*batch, "--campaign", "cmp")["already_issued"] == 2
    ok = run("coupon", "validate", code, "--basket", str(tmp_path / "b.json"))
    assert ok["discount"] == "5.00"
    bad = run("coupon", "validate", code, "--basket", str(tmp_path / "tmall.json"), code=1)
    assert bad["reason"] == "wrong_channel"
    first = run("coupon", "redeem", code, "--order", "O1", "--basket", str(tmp_path / "b.json"))
    again = run("coupon", "redeem", code, "--order", "O1", "--basket", str(tmp_path / "b.json"))
    assert (first["replayed"], again["replayed"]) == (False, True)
    result = CliRunner().invoke(
        app, ["coupon", "redeem", code, "--order", "O2", "--basket", str(tmp_path / "b.json")]
    )
    assert isinstance(result.exception, CouponConflict)
    assert result.exception.reason == "already_used"
    assert run("coupon", "reverse", code, "--return", "R1")["coupon_status"] == "issued"
    assert run("coupon", "expire") == {"expired": 0}
    (tmp_path / "bad.yaml").write_text("code: X\nkind: nope\n")
    result = CliRunner().invoke(app, ["coupon", "create-template", str(tmp_path / "bad.yaml")])
    assert isinstance(result.exception, InvalidInput)


def test_loyalty_cli(home: Path) -> None:
    migrate.upgrade()
    args = [
        "loyalty",
        "earn",
        "--customer",
        "C9",
        "--source",
        "pos",
        "--order",
        "P1",
        "--amount",
        "66.6",
        "--at",
        "2026-05-01T10:00:00+08:00",
    ]
    assert run(*args)["points"] == 66
    assert run(*args)["replayed"] is True
    assert (
        run("loyalty", "redeem", "--customer", "C9", "--points", "6", "--ref", "R1")["balance"]
        == 60
    )
    acct = run("loyalty", "account", "C9")
    assert acct["verified"] is True
    assert acct["balance"] == 60
    assert run("loyalty", "expire") == {"accounts": 0, "points_expired": 0}
    result = CliRunner().invoke(
        app,
        [
            "loyalty",
            "earn",
            "--customer",
            "C9",
            "--source",
            "pos",
            "--order",
            "P2",
            "--amount",
            "x",
        ],
    )
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.field == "amount"
