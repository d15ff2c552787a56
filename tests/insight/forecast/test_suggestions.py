"""Replenishment suggestions from published forecasts, stock on hand and pack sizes; approval
recorded once with who and when."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from omniretail.insight.forecast import service
from omniretail.insight.forecast.errors import SuggestionAlreadyDecided
from omniretail.insight.forecast.pipeline import run_forecasts
from omniretail.insight.forecast.schemas import Decision, SuggestRequest
from omniretail.omnichannel.inventory import service as inventory
from omniretail.omnichannel.inventory.schemas import LocationCreate
from omniretail.omnichannel.product import service as products
from omniretail.omnichannel.product.schemas import ProductCreate
from omniretail.omnichannel.store import service as stores
from omniretail.omnichannel.store.errors import UnknownStore
from omniretail.omnichannel.store.schemas import StoreCreate
from omniretail.platform.config import get_settings
from omniretail.platform.engine import open_engine, publish_snapshot
from omniretail.platform.errors import DomainError


def publish_forecasts(world: dict[str, pa.Table]) -> dict[str, Any]:
    settings = get_settings()
    eng = open_engine(settings=settings)
    try:
        for name, table in world.items():
            eng.register_arrow(name, table)
        out = run_forecasts(eng)
    finally:
        eng.close()
    publish_snapshot(settings)
    return out


@pytest.fixture
def store_with_forecasts(session: Any, small_world: dict[str, pa.Table], home: Path) -> str:
    publish_forecasts(small_world)
    code = service.forecast_store_codes()[0]
    stores.create_store(session, data=StoreCreate(code=code, name="测试店"))
    skus = sorted({r["sku"] for r in small_world["dim_product"].to_pylist()})
    products.upsert_products(
        session,
        products=[
            ProductCreate(sku=s, name=s, price=Decimal("9.90"), pack_size=6 if i % 2 else 1)
            for i, s in enumerate(skus)
        ],
    )
    inventory.register_location(session, data=LocationCreate(code=code, name="测试店"))
    inventory.register_item(session, sku=skus[0])
    inventory.receive(session, location=code, sku=skus[0], quantity=500, key="r1")
    session.flush()
    return code


def test_suggestions_order_up_to_in_packs(session: Any, store_with_forecasts: str) -> None:
    code = store_with_forecasts
    rows = service.suggest(session, data=SuggestRequest(store_code=code, service_level=0.95))
    assert rows
    for r in rows:
        assert r.suggested_qty % r.pack_size == 0
        assert r.order_up_to >= r.forecast_cover - 1  # a 95 % quantile is not below the mean
        need = max(r.order_up_to - r.on_hand - r.on_order, 0)
        assert need <= r.suggested_qty < need + r.pack_size or (need == 0 and r.suggested_qty == 0)
    stocked = [r for r in rows if r.on_hand == 500]
    assert len(stocked) == 1
    assert stocked[0].suggested_qty == 0  # 500 on hand covers a store's week
    # re-running replaces the proposals, no duplicates
    again = service.suggest(session, data=SuggestRequest(store_code=code, service_level=0.95))
    assert sorted(r.id for r in again) == sorted(r.id for r in rows)


def test_approval_is_recorded_once(session: Any, store_with_forecasts: str) -> None:
    code = store_with_forecasts
    rows = service.suggest(session, data=SuggestRequest(store_code=code))
    row = next(r for r in rows if r.suggested_qty > 0)
    done = service.decide(
        session, suggestion_id=row.id, decision=Decision(approve=True), user="店长王"
    )
    assert (done.status, done.approved_qty, done.decided_by) == (
        "approved",
        row.suggested_qty,
        "店长王",
    )
    assert done.decided_at is not None
    with pytest.raises(SuggestionAlreadyDecided, match="已于"):
        service.decide(session, suggestion_id=row.id, decision=Decision(approve=False), user="x")
    # a later run keeps the decision as it was
    kept = {r.id: r for r in service.suggest(session, data=SuggestRequest(store_code=code))}
    assert kept[row.id].status == "approved"
    # an approved order still on its way counts as on order the next day
    nxt = service.suggest(
        session,
        data=SuggestRequest(
            store_code=code,
            review_date=row.review_date.fromordinal(row.review_date.toordinal() + 1),
        ),
    )
    assert next(r for r in nxt if r.sku == row.sku).on_order == row.suggested_qty


def test_bad_input_is_named(session: Any, store_with_forecasts: str) -> None:
    code = store_with_forecasts
    with pytest.raises(UnknownStore):
        service.suggest(session, data=SuggestRequest(store_code="NOPE"))
    rows = service.suggest(session, data=SuggestRequest(store_code=code))
    packed = next(r for r in rows if r.pack_size == 6)
    with pytest.raises(DomainError, match="整箱") as err:
        service.decide(
            session, suggestion_id=packed.id, decision=Decision(approve=True, quantity=7), user="u"
        )
    assert err.value.field == "quantity"
    assert service.get_suggestion(session, suggestion_id=packed.id).status == "proposed"
    with pytest.raises(DomainError, match="没有编号"):
        service.decide(session, suggestion_id=99999, decision=Decision(approve=True), user="u")
