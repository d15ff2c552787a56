"""Stock locations and items for inventory and fulfilment tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from omniretail.omnichannel.inventory import service as inv
from omniretail.omnichannel.inventory.schemas import LocationCreate

# three stores around People's Square, Shanghai, one franchise, and a warehouse further out
PLACES = {
    "S1": ("门店A", 31.2304, 121.4737, "store", False),
    "S2": ("门店B", 31.2200, 121.4800, "store", False),
    "S3": ("加盟店C", 31.2400, 121.4600, "store", True),
    "W1": ("仓B", 31.1000, 121.3000, "warehouse", False),
}


def world(session: Session, *, skus: tuple[str, ...] = ("SKU1", "SKU2"), stock: int = 10) -> None:
    for code, (name, lat, lng, kind, franchise) in PLACES.items():
        inv.register_location(
            session,
            data=LocationCreate(
                code=code,
                name=name,
                kind=kind,
                latitude=lat,
                longitude=lng,
                franchise=franchise,
                region="华东",
                city="上海",
                priority=10 if kind == "warehouse" else 50,
            ),
        )
    for sku in skus:
        inv.register_item(session, sku=sku, name=f"商品{sku}")
        for code in PLACES:
            if stock:
                inv.receive(
                    session, location=code, sku=sku, quantity=stock, key=f"init:{code}:{sku}"
                )
    session.commit()
