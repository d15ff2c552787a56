"""Opening balances: the POS member export's 会员等级 and 积分余额 go through the demo mapping
into std_loyalty_balances and, by the pipeline step, into the points ledger — once per card
(a rerun adds nothing), as buckets the ledger verifies, with the tier for accounts without
one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from omniretail.cdp.ingest.mapping import load_mapping
from omniretail.marketing.loyalty import ledger, service
from omniretail.marketing.loyalty.models import PointsEntry
from omniretail.marketing.loyalty.pipeline import opening_balances
from omniretail.marketing.loyalty.schemas import TierCreate
from omniretail.platform.config import get_settings
from omniretail.platform.db import session_scope
from omniretail.platform.pipeline import PipelineContext
from tests.cdp.quality.helpers import import_text, standardize

MAPPING = Path(__file__).parents[3] / "src/omniretail/cdp/ingest/mappings/demo/pos_members.yaml"
MEMBERS = """会员卡号,姓名,手机号,性别,生日,开卡门店,开卡时间,会员等级,积分余额
P001,张三,13811110001,男,1990-01-02,S001,2024-01-05 10:00:00,金卡,2400
P002,李四,13811110002,女,,S001,2024-02-05 10:00:00,银卡,0
P003,王五,13811110003,女,,S002,2024-03-05 10:00:00,钻石卡,9000
P004,赵六,13811110004,男,,S002,2024-03-06 10:00:00,普卡,300
"""


def test_pos_cards_open_their_points_and_tiers_once(sqlite_session: Any, tmp_path: Path) -> None:
    with session_scope() as s:
        for code, name, rank in (("silver", "银卡", 1), ("gold", "金卡", 2)):
            service.create_tier(s, data=TierCreate(code=code, name=name, rank=rank))
        # a tier earned here is kept: P004's customer is already gold
        service.set_tier(s, customer_id="C4", tier_code="gold", actor="t", reason="earned")
    f = tmp_path / "members.csv"
    f.write_text(MEMBERS, encoding="utf-8-sig")
    _mapping, text = load_mapping(MAPPING)
    import_text(text, [f], source="pos")
    engine, _ = standardize()
    try:
        assert engine.scalar("SELECT sum(points) FROM std_loyalty_balances") == 11700
        engine.execute(
            "CREATE TABLE identity_map AS SELECT record_key, "
            "'C' || right(record_key, 1) AS customer_id FROM std_identity_records"
        )
        ctx = PipelineContext(engine=engine, settings=get_settings())
        first = opening_balances(ctx)
        again = opening_balances(ctx)
    finally:
        engine.close()
    assert first["opened"] == 3  # P002 has no points: only its tier
    assert first["points"] == 11700
    assert (again["opened"], again["already"]) == (0, 3)
    with session_scope() as s:
        views = {c: service.account_view(s, customer_id=c) for c in ("C1", "C2", "C3", "C4")}
        n = s.scalar(
            select(func.count()).select_from(PointsEntry).where(PointsEntry.kind == "opening")
        )
        buckets = ledger.buckets(s, ledger.get_account(s, "C3").id)
    assert n == 3
    assert {c: (v.balance, v.tier_code, v.verified) for c, v in views.items()} == {
        "C1": (2400, "gold", True),
        "C2": (0, "silver", True),
        "C3": (9000, None, True),  # 钻石卡 is no tier of this chain
        "C4": (300, "gold", True),
    }
    assert buckets[0].remaining == 9000
    assert buckets[0].expires_at is not None
