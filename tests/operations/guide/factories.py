"""A small world for the shopping-guide tests: two stores, four clerks, a cashier and some
customers in the operational store."""

from __future__ import annotations

from sqlalchemy.orm import Session

from omniretail.cdp.profile.models import Customer
from omniretail.omnichannel.staff import service as staff_service
from omniretail.omnichannel.staff.schemas import StaffCreate
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.schemas import StoreCreate

CLERKS = ("G1", "G2", "G3", "G4")


def guide_world(session: Session, *, customers: int = 10) -> list[str]:
    store_service.upsert_stores(
        session,
        stores=[
            StoreCreate(code="S1", name="江汉路店", region="华中", province="湖北", city="武汉"),
            StoreCreate(code="S2", name="光谷店", region="华中", province="湖北", city="武汉"),
        ],
    )
    staff_service.upsert_staff(
        session,
        staff=[
            StaffCreate(staff_id="G1", name="李导购", role="clerk", store_code="S1"),
            StaffCreate(staff_id="G2", name="王导购", role="clerk", store_code="S1"),
            StaffCreate(staff_id="G3", name="张导购", role="clerk", store_code="S2"),
            StaffCreate(staff_id="G4", name="赵店长", role="manager", store_code="S2"),
            StaffCreate(staff_id="K1", name="钱收银", role="cashier", store_code="S1"),
            StaffCreate(staff_id="X1", name="孙离职", role="clerk", store_code="S1",
                        is_active=False),
        ],
    )  # fmt: skip
    ids = [f"C{i:09d}" for i in range(1, customers + 1)]
    session.add_all(
        Customer(customer_id=c, phone=f"+86138{i:08d}", sources=["pos"], home_store_code="S1")
        for i, c in enumerate(ids, start=1)
    )
    session.flush()
    return ids
