"""导购 in the browser: a clerk on a phone-sized screen works through today's birthday and
dormant tasks — sends the birthday one through WeCom with its coupon, records the dormant
customer's refusal and a store visit — and HQ sees the clerk in the ranking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.e2e.conftest import LiveServer, log_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
CLERK = ("GE2E", "clerk-pass-e2e-1")


def _seed(server: LiveServer) -> None:
    from omniretail.cdp.profile.models import Customer
    from omniretail.marketing.coupon import service as coupon_service
    from omniretail.marketing.coupon.schemas import TemplateCreate
    from omniretail.omnichannel.staff import service as staff_service
    from omniretail.omnichannel.staff.schemas import StaffCreate
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.schemas import StoreCreate
    from omniretail.operations.guide import service
    from omniretail.operations.guide.models import GuideTask
    from omniretail.operations.guide.tasks import COUPON_FOR, MESSAGE_FOR
    from omniretail.platform.auth import service as auth_service
    from omniretail.platform.db import make_engine
    from omniretail.platform.timezone import chain_now

    engine = make_engine(f"sqlite:///{server.home / 'omniretail.db'}")
    with Session(engine) as s:
        store_service.upsert_stores(s, stores=[StoreCreate(code="GD1", name="导购测试店")])
        staff_service.upsert_staff(s, staff=[
            StaffCreate(staff_id=CLERK[0], name="陈导购", role="clerk", store_code="GD1"),
        ])  # fmt: skip
        s.add_all(Customer(customer_id=f"C90000000{i}", sources=["pos"], home_store_code="GD1")
                  for i in range(1, 4))  # fmt: skip
        s.flush()
        at = datetime.now(UTC) - timedelta(days=3)
        for i in range(1, 4):
            service.claim(s, customer_id=f"C90000000{i}", staff_code=CLERK[0], source="store_qr",
                          source_ref="QR-GD1", at=at)  # fmt: skip
        coupon_service.create_template(s, data=TemplateCreate.model_validate({
            "code": "GUIDE_BIRTHDAY", "name": "生日礼券", "kind": "amount_off",
            "rules": {"amount": "10"}, "min_spend": "50", "valid_days": 30, "face_value": "10",
        }))  # fmt: skip
        today = chain_now().date()
        tasks = (("C900000001", "birthday", 50), ("C900000002", "dormant_high_value", 70))
        for cid, kind, prio in tasks:
            s.add(GuideTask(day=today, staff_code=CLERK[0], store_code="GD1", customer_id=cid,
                            kind=kind, priority=prio, message=MESSAGE_FOR[kind],
                            coupon_template=COUPON_FOR[kind] if kind == "birthday" else None,
                            status="open"))  # fmt: skip
        store_id = store_service.store_ids_by_code(s, codes=["GD1"])["GD1"]
        auth_service.create_user(s, username=CLERK[0], password=CLERK[1], role="clerk",
                                 display_name="陈导购", store_ids=[store_id])  # fmt: skip
        s.commit()
    engine.dispose()


def test_clerk_works_through_todays_tasks_on_a_phone(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer, screenshot
) -> None:
    _seed(live_server)
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, *CLERK)
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/guide/me")
    assert "导购工作台" in page.content()
    birthday = page.locator("[data-kind=birthday]")
    dormant = page.locator("[data-kind=dormant_high_value]")
    assert "生日快乐" in birthday.locator("[data-testid=task-message]").inner_text()
    assert dormant.get_attribute("data-status") == "open"
    # the page fits the phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "guide-workbench-phone")
    birthday.locator("[data-testid=send]").click()
    assert "券码" in page.locator("[data-testid=guide-msg]").inner_text()
    assert page.locator("[data-kind=birthday]").get_attribute("data-status") == "sent"
    page.locator("[data-kind=dormant_high_value] [data-testid=refused]").click()
    assert page.locator("[data-kind=dormant_high_value]").get_attribute("data-status") == (
        "refused"
    )
    page.select_option("[data-testid=visit-customer]", "C900000003")
    page.click("[data-testid=record-visit]")
    assert "已记录拜访" in page.locator("[data-testid=guide-msg]").inner_text()
    assert page.locator("[data-customer='C900000001']").count() == 1
    screenshot(page, "guide-workbench-done-phone")
    context.close()
    assert not errors, errors

    hq = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN",
                             timezone_id="Asia/Shanghai")  # fmt: skip
    page = hq.new_page()
    log_in(page, *live_server.admin)
    page.wait_for_url(f"{live_server.url}/")
    page.goto("/guide")
    row = page.locator(f"[data-staff={CLERK[0]}]")
    assert "陈导购" in row.inner_text()
    assert "2 / 2" in row.inner_text()  # both tasks closed
    screenshot(page, "guide-hq-phone")
    hq.close()
