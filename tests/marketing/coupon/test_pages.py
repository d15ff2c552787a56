"""Console pages: coupon templates (list + create form), coupon center, member points ledger."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def test_create_template_from_the_console_form(client: TestClient) -> None:
    page = client.get("/coupons")
    assert page.status_code == 200
    assert 'data-testid="empty-state"' in page.text
    form = {
        "csrf_token": _csrf(page.text),
        "code": "WEB-15",
        "name": "满80减15",
        "kind": "spend_save",
        "tiers": "80:15, 150:30",
        "valid_days": "14",
        "per_customer_limit": "1",
        "claimable": "1",
        "include_channels": "pos, miniprogram",
    }
    r = client.post("/coupons/templates", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    listing = client.get(r.headers["location"])
    assert 'data-testid="created"' in listing.text
    assert 'data-template="WEB-15"' in listing.text
    api = client.get("/api/v1/coupons/templates/WEB-15").json()
    assert api["rules"]["tiers"] == [{"spend": "80", "save": "15"}, {"spend": "150", "save": "30"}]
    assert api["scope"]["include"]["channels"] == ["pos", "miniprogram"]

    bad = client.post("/coupons/templates", data={**form, "code": "WEB-BAD", "tiers": "10:20"})
    assert bad.status_code == 422
    assert "spend &gt; save" in bad.text or "spend > save" in bad.text
    assert 'value="WEB-BAD"' in bad.text  # the form keeps what was typed
    no_csrf = client.post(  # no field and none of the header the client's scripts send
        "/coupons/templates",
        data={k: v for k, v in form.items() if k != "csrf_token"},
        headers={"X-CSRF-Token": ""},
    )
    assert no_csrf.status_code == 403


def test_coupon_center_page(client: TestClient) -> None:
    client.post(
        "/api/v1/coupons/templates",
        json={
            "code": "CTR",
            "name": "领券中心券",
            "kind": "amount_off",
            "rules": {"amount": "5"},
            "valid_days": 7,
            "claimable": True,
            "total_limit": 10,
        },
    )
    client.post("/api/v1/coupons/center/CTR/claim", json={"customer_id": "C42"})
    page = client.get("/coupons/center", params={"customer_id": "C42"})
    assert page.status_code == 200
    assert 'data-template="CTR"' in page.text
    assert 'data-testid="held"' in page.text
    assert ">9<" in page.text  # nine left


def test_member_points_ledger_page(client: TestClient) -> None:
    client.post(
        "/api/v1/loyalty/earn",
        json={
            "customer_id": "C77",
            "source": "pos",
            "order_id": "P1",
            "amount": "50",
            "occurred_at": datetime.now(UTC).isoformat(),
        },
    )
    r = client.get("/loyalty", params={"customer_id": "C77"}, follow_redirects=False)
    assert r.headers["location"] == "/loyalty/members/C77"
    page = client.get("/loyalty/members/C77")
    assert page.status_code == 200
    assert 'data-kind="earn"' in page.text
    assert "+50" in page.text
    # a chain-wide user may name a customer not published yet (to give points or a tier): the
    # page says there is no points account instead of refusing
    nobody = client.get("/loyalty/members/NOBODY")
    assert nobody.status_code == 200
    assert 'data-kind="earn"' not in nobody.text
    assert 'data-testid="member-form"' in client.get("/loyalty").text
