"""Finding 2's standing check: an access-control matrix. Every route of the API and the console
is classified below; each store-scoped caller of store A — a store manager, a clerk, an analyst,
a group-buy leader's login (which sees no store at all) and a store-scoped API key — calls every
GET route with store B's customer, store, order, fulfilment and SKU substituted for its
parameters (and as ``store``/``customer_id``/``q`` query parameters), and must see nothing of
store B's customers: no id, phone or e-mail of a
customer whose home store is B and who never bought in store A. Chain-wide aggregates (``A``)
and administrator routes (``X``) must answer 403. Writes that name a customer are tried with
store B's customer and must be refused.

The test fails on a route missing from ``ROUTES``: classify a new route when you add it.
``C`` names a customer, ``L`` lists or reports (filtered by the caller's stores), ``A`` a
chain-wide aggregate, ``X`` administrators only, ``N`` master data or the caller's own things
(still searched for store B's customers), ``W`` a write (only the probes in
``test_writes_naming_a_store_b_customer_are_refused`` are exercised here; the loyalty and coupon
writes are also covered in their domains' tests).
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from typer.testing import CliRunner

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/health"): "N",
    ("POST", "/api/v1/care/wecom/messages"): "W",
    ("GET", "/api/v1/care/wecom/callback"): "N",  # WeCom's URL check: signed, no store data
    ("POST", "/api/v1/care/wecom/callback"): "W",
    ("POST", "/api/v1/care/assistant/ask"): "W",
    ("GET", "/api/v1/care/tickets.csv"): "L",
    ("GET", "/api/v1/ingest/stats"): "L",
    ("GET", "/api/v1/ingest/batches"): "L",
    ("GET", "/api/v1/customers"): "L",
    ("GET", "/api/v1/customers/{identifier}"): "C",
    ("GET", "/api/v1/customers/{identifier}/timeline"): "C",
    ("GET", "/api/v1/identity/explain/{identifier}"): "C",
    ("POST", "/api/v1/identity/merge"): "W",
    ("POST", "/api/v1/identity/unmerge"): "W",
    ("GET", "/api/v1/identity/constraints"): "A",
    ("GET", "/api/v1/quality/report"): "L",
    ("GET", "/api/v1/quality/quarantine"): "L",
    ("GET", "/api/v1/quality/quarantine/{record_id}"): "L",
    ("PATCH", "/api/v1/quality/quarantine/{record_id}"): "W",
    ("GET", "/api/v1/customers/{customer_id}/scores"): "C",
    ("GET", "/api/v1/models/clv"): "L",
    ("GET", "/api/v1/models/churn"): "L",
    ("POST", "/api/v1/replenishment/suggestions"): "W",
    ("GET", "/api/v1/replenishment/suggestions"): "L",
    ("POST", "/api/v1/replenishment/suggestions/{suggestion_id}/decision"): "W",
    ("GET", "/api/v1/kpis"): "L",
    ("GET", "/api/v1/kpis/summary"): "A",
    ("GET", "/api/v1/kpis/cohorts"): "A",
    ("GET", "/api/v1/kpis/provinces"): "A",
    ("GET", "/api/v1/kpis/basket"): "A",
    ("GET", "/api/v1/kpis/basket/network"): "A",
    ("GET", "/api/v1/customers/{customer_id}/recommendations"): "C",
    ("GET", "/api/v1/products/{sku}/likely-customers"): "L",
    ("GET", "/api/v1/products/{sku}/bought-together"): "L",
    ("POST", "/api/v1/products/likely-customers"): "W",
    ("POST", "/api/v1/segments/preview"): "W",
    ("GET", "/api/v1/segments/dormant"): "L",
    ("GET", "/api/v1/segments"): "L",
    ("POST", "/api/v1/segments"): "W",
    ("GET", "/api/v1/segments/{segment_id}"): "L",
    ("DELETE", "/api/v1/segments/{segment_id}"): "W",
    ("GET", "/api/v1/segments/{segment_id}/snapshots"): "L",
    ("GET", "/api/v1/segments/{segment_id}/export.csv"): "L",
    ("GET", "/api/v1/tags"): "L",
    ("GET", "/api/v1/tags/customers/{customer_id}"): "C",
    ("GET", "/api/v1/traffic/kpis"): "L",
    ("GET", "/api/v1/traffic/hourly"): "L",
    ("GET", "/api/v1/traffic/sales-change"): "L",
    ("GET", "/api/v1/campaigns"): "L",
    ("POST", "/api/v1/campaigns"): "W",
    ("GET", "/api/v1/campaigns/{code}"): "L",
    ("PATCH", "/api/v1/campaigns/{code}"): "W",
    ("DELETE", "/api/v1/campaigns/{code}"): "W",
    ("POST", "/api/v1/campaigns/{code}/pause"): "W",
    ("POST", "/api/v1/campaigns/{code}/resume"): "W",
    ("POST", "/api/v1/campaigns/{code}/cancel"): "W",
    ("POST", "/api/v1/campaigns/{code}/risks"): "W",
    ("POST", "/api/v1/campaigns/{code}/launch"): "W",
    ("GET", "/api/v1/campaigns/{code}/report"): "L",
    ("POST", "/api/v1/campaigns/{code}/run-journey"): "W",
    ("GET", "/api/v1/coupons/templates"): "N",
    ("POST", "/api/v1/coupons/templates"): "W",
    ("GET", "/api/v1/coupons/templates/{code}"): "N",
    ("POST", "/api/v1/coupons/templates/{code}/status"): "W",
    ("GET", "/api/v1/coupons/templates/{code}/liability"): "A",
    ("POST", "/api/v1/coupons/issue"): "W",
    ("POST", "/api/v1/coupons/issue-batch"): "W",
    ("GET", "/api/v1/coupons/center"): "L",
    ("POST", "/api/v1/coupons/center/{template_code}/claim"): "W",
    ("GET", "/api/v1/coupons"): "L",
    ("POST", "/api/v1/coupons/validate"): "W",
    ("POST", "/api/v1/coupons/redeem"): "W",
    ("POST", "/api/v1/coupons/reverse"): "W",
    ("POST", "/api/v1/coupons/expire"): "W",
    ("GET", "/api/v1/coupons/{code}"): "L",
    ("GET", "/api/v1/loyalty/tiers"): "N",
    ("POST", "/api/v1/loyalty/tiers"): "W",
    ("POST", "/api/v1/loyalty/earn"): "W",
    ("POST", "/api/v1/loyalty/redeem"): "W",
    ("POST", "/api/v1/loyalty/adjust"): "W",
    ("POST", "/api/v1/loyalty/reverse"): "W",
    ("POST", "/api/v1/loyalty/refund-redemption"): "W",
    ("GET", "/api/v1/loyalty/accounts/{customer_id}"): "C",
    ("GET", "/api/v1/loyalty/accounts/{customer_id}/entries"): "C",
    ("POST", "/api/v1/loyalty/jobs/expire"): "W",
    ("POST", "/api/v1/loyalty/jobs/review-tiers"): "W",
    ("POST", "/api/v1/loyalty/jobs/birthday-coupons"): "W",
    ("GET", "/api/v1/promotions"): "N",
    ("POST", "/api/v1/promotions"): "W",
    ("POST", "/api/v1/promotions/price"): "W",
    ("POST", "/api/v1/promotions/checkout"): "W",
    ("POST", "/api/v1/promotions/teams/close-expired"): "W",
    ("POST", "/api/v1/promotions/teams/{group_id}/members"): "W",
    ("GET", "/api/v1/promotions/{code}"): "N",
    ("POST", "/api/v1/promotions/{code}/allocations"): "W",
    ("DELETE", "/api/v1/promotions/{code}/allocations/{order_id}"): "W",
    ("POST", "/api/v1/promotions/{code}/teams"): "W",
    ("GET", "/api/v1/channels"): "N",
    ("GET", "/api/v1/channels/{code}"): "N",
    ("POST", "/api/v1/fulfilments"): "W",
    ("GET", "/api/v1/fulfilments"): "L",
    ("POST", "/api/v1/fulfilments/from-order/{order_id}"): "W",
    ("GET", "/api/v1/fulfilments/kpis"): "L",
    ("POST", "/api/v1/fulfilments/verify"): "W",
    ("POST", "/api/v1/fulfilments/track"): "W",
    ("GET", "/api/v1/fulfilments/returns"): "L",
    ("POST", "/api/v1/fulfilments/returns"): "W",
    ("GET", "/api/v1/fulfilments/{fulfilment_id}"): "L",
    ("GET", "/api/v1/fulfilments/{fulfilment_id}/history"): "L",
    ("POST", "/api/v1/fulfilments/{fulfilment_id}/events/{event}"): "W",
    ("POST", "/api/v1/fulfilments/{fulfilment_id}/shortage"): "W",
    ("POST", "/api/v1/fulfilments/{fulfilment_id}/code"): "W",
    ("GET", "/api/v1/inventory/locations"): "N",
    ("PUT", "/api/v1/inventory/locations"): "W",
    ("PUT", "/api/v1/inventory/items"): "W",
    ("GET", "/api/v1/inventory/levels"): "L",
    ("GET", "/api/v1/inventory/movements"): "L",
    ("POST", "/api/v1/inventory/movements"): "W",
    ("GET", "/api/v1/inventory/availability/{sku}"): "L",
    ("GET", "/api/v1/inventory/near"): "L",
    ("POST", "/api/v1/inventory/allocate"): "W",
    ("POST", "/api/v1/inventory/reservations"): "W",
    ("GET", "/api/v1/inventory/reservations/{key}"): "L",
    ("POST", "/api/v1/inventory/reservations/{key}/{action}"): "W",
    ("POST", "/api/v1/inventory/snapshots"): "W",
    ("GET", "/api/v1/inventory/verify"): "L",
    ("POST", "/api/v1/orders"): "W",
    ("GET", "/api/v1/orders"): "L",
    ("POST", "/api/v1/orders/quote"): "W",
    ("GET", "/api/v1/orders/{order_id}"): "L",
    ("GET", "/api/v1/orders/{order_id}/history"): "L",
    ("POST", "/api/v1/orders/{order_id}/pay"): "W",
    ("POST", "/api/v1/orders/{order_id}/fulfil"): "W",
    ("POST", "/api/v1/orders/{order_id}/cancel"): "W",
    ("POST", "/api/v1/orders/{order_id}/returns"): "W",
    ("GET", "/api/v1/products"): "N",
    ("GET", "/api/v1/products/categories"): "N",
    ("GET", "/api/v1/products/{sku}"): "N",
    ("GET", "/api/v1/staff"): "L",
    ("GET", "/api/v1/staff/{staff_id}"): "L",
    ("GET", "/api/v1/stores"): "N",
    ("GET", "/api/v1/stores/near"): "N",
    ("GET", "/api/v1/stores/{code}"): "N",
    ("GET", "/api/v1/community/groups"): "L",
    ("POST", "/api/v1/community/groups"): "W",
    ("POST", "/api/v1/community/groups/import"): "W",
    ("GET", "/api/v1/community/groups/{chat_id}/members"): "L",
    ("POST", "/api/v1/community/groups/{chat_id}/members"): "W",
    ("POST", "/api/v1/community/groups/{chat_id}/leave"): "W",
    ("POST", "/api/v1/community/groups/{chat_id}/days"): "W",
    ("GET", "/api/v1/community/health"): "L",
    ("GET", "/api/v1/community/codes"): "L",
    ("PUT", "/api/v1/community/codes"): "W",
    ("POST", "/api/v1/community/codes/{code}/joins"): "W",
    ("GET", "/api/v1/community/campaigns"): "L",
    ("POST", "/api/v1/community/campaigns"): "W",
    ("GET", "/api/v1/community/campaigns/{code}"): "L",
    ("POST", "/api/v1/community/campaigns/{code}/shares"): "W",
    ("POST", "/api/v1/community/checkins"): "W",
    ("GET", "/api/v1/community/streak-points"): "N",
    ("PUT", "/api/v1/community/streak-points"): "W",
    ("POST", "/api/v1/groupbuy/leaders"): "W",
    ("GET", "/api/v1/groupbuy/leaders"): "L",
    ("POST", "/api/v1/groupbuy/leaders/{code}/decision"): "W",
    ("GET", "/api/v1/groupbuy/rules"): "N",
    ("PUT", "/api/v1/groupbuy/rules"): "W",
    ("POST", "/api/v1/groupbuy/activities"): "W",
    ("GET", "/api/v1/groupbuy/activities"): "L",
    ("GET", "/api/v1/groupbuy/activities/{code}"): "L",
    ("POST", "/api/v1/groupbuy/activities/{code}/cutoff"): "W",
    ("GET", "/api/v1/groupbuy/activities/{code}/leaders/{leader}/picklist"): "L",
    ("POST", "/api/v1/groupbuy/activities/{code}/leaders/{leader}/arrival"): "W",
    ("POST", "/api/v1/groupbuy/orders"): "W",
    ("GET", "/api/v1/groupbuy/orders"): "L",
    ("POST", "/api/v1/groupbuy/orders/{order_id}/refunds"): "W",
    ("POST", "/api/v1/groupbuy/leaders/{code}/pickups"): "W",
    ("GET", "/api/v1/groupbuy/leaders/{code}/commission"): "L",
    ("POST", "/api/v1/groupbuy/leaders/{code}/withdrawals"): "W",
    ("GET", "/api/v1/groupbuy/kpis"): "L",
    ("GET", "/api/v1/guide/policy"): "N",
    ("PUT", "/api/v1/guide/policy"): "W",
    ("POST", "/api/v1/guide/claims"): "W",
    ("POST", "/api/v1/guide/touches"): "W",
    ("GET", "/api/v1/guide/customers/{customer_id}/bindings"): "C",
    ("POST", "/api/v1/guide/transfers"): "W",
    ("POST", "/api/v1/guide/transfers/{transfer_id}/refuse"): "W",
    ("POST", "/api/v1/guide/handovers"): "W",
    ("GET", "/api/v1/guide/clerks/{staff_code}/tasks"): "L",
    ("POST", "/api/v1/guide/tasks/{task_id}"): "W",
    ("POST", "/api/v1/guide/clerks/{staff_code}/visits"): "W",
    ("POST", "/api/v1/guide/task-runs"): "W",
    ("POST", "/api/v1/auth/login"): "W",
    ("POST", "/api/v1/auth/logout"): "W",
    ("GET", "/api/v1/auth/me"): "N",
    ("GET", "/api/v1/jobs"): "N",
    ("GET", "/api/v1/jobs/{name}/runs"): "N",
    ("POST", "/api/v1/jobs/{name}/run"): "W",
    ("POST", "/api/v1/messages"): "W",
    ("GET", "/api/v1/messages/by-key/{key}"): "L",
    ("POST", "/api/v1/messages/{message_id}/events"): "W",
    ("POST", "/api/v1/messages/dispatch"): "W",
    ("GET", "/api/v1/privacy/customers/{customer_id}/export"): "C",
    ("POST", "/api/v1/privacy/customers/{customer_id}/erase"): "W",
    ("GET", "/api/v1/privacy/requests"): "X",
    ("GET", "/api/v1/overview"): "L",
    ("GET", "/api/v1/overview/{chart}.csv"): "L",
    ("POST", "/v1/batch"): "W",
    ("POST", "/v1/identify"): "W",
    ("POST", "/v1/track"): "W",
    ("POST", "/v1/page"): "W",
    ("POST", "/v1/screen"): "W",
    ("POST", "/v1/alias"): "W",
    ("POST", "/v1/group"): "W",
    ("GET", "/service"): "L",
    ("GET", "/service/tickets/{ticket_id}"): "L",
    ("POST", "/service/tickets/{ticket_id}/take"): "W",
    ("POST", "/service/tickets/{ticket_id}/reply"): "W",
    ("POST", "/service/tickets/{ticket_id}/handover"): "W",
    ("POST", "/service/tickets/{ticket_id}/close"): "W",
    ("POST", "/service/ask"): "W",
    ("GET", "/customers"): "L",
    ("GET", "/customers/{identifier}"): "C",
    ("GET", "/models/clv"): "L",
    ("GET", "/models/churn"): "L",
    ("GET", "/omnichannel/replenishment"): "L",
    ("POST", "/omnichannel/replenishment/run"): "W",
    ("POST", "/omnichannel/replenishment/{suggestion_id}"): "W",
    ("GET", "/omnichannel/forecast"): "L",
    ("GET", "/dashboards"): "L",
    ("GET", "/dashboards/{chart}.csv"): "L",
    ("GET", "/models/recommendations"): "L",
    ("POST", "/models/recommendations/new-product"): "W",
    ("GET", "/segments"): "L",
    ("GET", "/segments/tags"): "L",
    ("GET", "/traffic"): "L",
    ("GET", "/campaigns"): "L",
    ("GET", "/campaigns/new"): "L",
    ("GET", "/campaigns/{code}/edit"): "L",
    ("GET", "/campaigns/{code}"): "L",
    ("POST", "/campaigns/{code}/{action}"): "W",
    ("GET", "/campaigns/{code}/report.csv"): "L",
    ("GET", "/coupons"): "L",
    ("POST", "/coupons/templates"): "W",
    ("GET", "/coupons/center"): "L",
    ("GET", "/loyalty"): "L",
    ("GET", "/loyalty/members/{customer_id}"): "C",
    ("GET", "/omnichannel/fulfilment"): "L",
    ("GET", "/omnichannel/fulfilment/picklist"): "L",
    ("GET", "/omnichannel/fulfilment/verify"): "L",
    ("POST", "/omnichannel/fulfilment/verify"): "W",
    ("POST", "/omnichannel/fulfilment/track"): "W",
    ("GET", "/omnichannel/fulfilment/kpi"): "L",
    ("GET", "/omnichannel/fulfilment/{fulfilment_id}"): "L",
    ("POST", "/omnichannel/fulfilment/{fulfilment_id}/do/{event}"): "W",
    ("POST", "/omnichannel/fulfilment/{fulfilment_id}/shortage"): "W",
    ("GET", "/omnichannel/stock"): "L",
    ("GET", "/omnichannel"): "L",
    ("GET", "/omnichannel/orders"): "L",
    ("GET", "/jobs"): "N",
    ("POST", "/jobs/{name}/run"): "W",
    ("GET", "/privacy"): "X",
    ("POST", "/privacy/export"): "W",
    ("POST", "/privacy/erase"): "W",
    ("GET", "/login"): "N",
    ("POST", "/login"): "W",
    ("POST", "/logout"): "W",
    ("POST", "/lang"): "W",
    ("GET", "/"): "L",
    ("GET", "/models"): "L",
    ("GET", "/data"): "L",
    ("GET", "/settings"): "L",
    ("GET", "/data/quarantine"): "L",
    ("GET", "/data/quarantine/{record_id}"): "L",
    ("GET", "/guide"): "L",
    ("GET", "/guide/me"): "L",
    ("GET", "/operations/community"): "L",
    ("GET", "/operations/community/campaigns/{code}"): "L",
    ("GET", "/operations/groupbuy"): "L",
    ("GET", "/operations/groupbuy/leaders/{code}"): "L",
    ("GET", "/operations/groupbuy/me"): "N",
    ("POST", "/api/v1/fulfilments/{fulfilment_id}/arrived"): "W",
    ("POST", "/api/v1/fulfilments/{fulfilment_id}/locker"): "W",
    ("POST", "/api/v1/fulfilments/{fulfilment_id}/parcel-point"): "W",
    ("POST", "/data/quarantine/{record_id}/discard"): "W",
    ("POST", "/data/quarantine/{record_id}/fix"): "W",
    ("POST", "/guide/me/tasks/{task_id}"): "W",
    ("POST", "/guide/me/visits"): "W",
    ("POST", "/loyalty/members/{customer_id}/adjust"): "W",
    ("POST", "/loyalty/members/{customer_id}/tier"): "W",
    ("POST", "/loyalty/tiers"): "W",
    ("POST", "/loyalty/rules"): "W",
    ("POST", "/operations/groupbuy/leaders/{code}/arrival"): "W",
    ("POST", "/operations/groupbuy/leaders/{code}/account"): "W",
    ("POST", "/operations/groupbuy/leaders/{code}/decision"): "W",
    ("POST", "/operations/groupbuy/leaders/{code}/pickup"): "W",
    ("GET", "/service/voice"): "L",
    ("GET", "/service/voice/report.html"): "L",
    ("PATCH", "/api/v1/segments/{segment_id}"): "W",
    ("GET", "/api/v1/live/figures"): "L",
    ("GET", "/api/v1/live/platforms"): "N",
    ("GET", "/api/v1/live/sessions"): "L",
    ("GET", "/live"): "L",
    ("GET", "/service/sla"): "L",
    ("GET", "/service/tickets.csv"): "L",
    ("POST", "/api/v1/guide/deletions"): "W",
    ("POST", "/api/v1/live/sessions"): "W",
    ("POST", "/api/v1/live/viewers"): "W",
    ("GET", "/global-control"): "A",
    ("POST", "/global-control"): "W",
    ("GET", "/promotions"): "N",
    ("POST", "/promotions"): "W",
    ("POST", "/promotions/{code}/{action}"): "W",
}

REFUSED = {401, 403, 404, 409, 422, 503}
STORE_ROLES = ("store_manager", "clerk", "analyst", "leader", "apikey")


def _all_routes(app: Any) -> set[tuple[str, str]]:
    from omniretail.platform.registry import modules_named

    out = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    for mod in modules_named("pages"):
        for r in getattr(mod, "router", None).routes if hasattr(mod, "router") else []:
            if isinstance(r, APIRoute):
                out |= {(m, r.path) for m in r.methods - {"HEAD"}}
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A demo instance (scale 0.003) with store A = the demo manager's store and store B = the
    direct store with the most customers among the others."""
    from omniretail.cli.main import app as cli
    from omniretail.platform import config

    home = tmp_path_factory.mktemp("matrix") / "home"
    saved = {k: os.environ.get(k) for k in ("OMNIRETAIL_HOME", "OMNIRETAIL_DEMO",
                                            "OMNIRETAIL_DATABASE_URL")}  # fmt: skip
    os.environ["OMNIRETAIL_HOME"] = str(home)
    os.environ["OMNIRETAIL_DEMO"] = "1"
    os.environ.pop("OMNIRETAIL_DATABASE_URL", None)
    config.reset_settings()
    try:
        r = CliRunner().invoke(cli, ["demo", "--scale", "0.003", "--seed", "7", "--no-serve",
                                     "--world", str(home.parent / "world")])  # fmt: skip
        assert r.exit_code == 0, r.output
        yield _facts(home)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        config.reset_settings()


def _facts(home: Path) -> dict[str, Any]:
    con = sqlite3.connect(home / "omniretail.db")
    a_id = int(con.execute(
        "SELECT json_extract(store_ids, '$[0]') FROM user_account WHERE username = 'manager'"
    ).fetchone()[0])  # fmt: skip
    a_code = con.execute("SELECT code FROM store WHERE id = ?", [a_id]).fetchone()[0]
    snap = duckdb.connect(str(home / "analytics" / "published.duckdb"), read_only=True)
    bought_in_a = {r[0] for r in snap.execute(
        "SELECT DISTINCT customer_id FROM orders WHERE store_code = ? AND customer_id IS NOT NULL",
        [a_code]).fetchall()}  # fmt: skip
    # a store-B customer who ordered through (or is) one of store A's group-buy leaders is
    # store A's business too: its pick lists name them
    bought_in_a |= {r[0] for r in con.execute(
        "SELECT o.customer_id FROM gb_order o JOIN gb_leader l ON l.id = o.leader_id "
        "WHERE l.store_code = ? UNION SELECT customer_id FROM gb_leader WHERE store_code = ?",
        [a_code, a_code]).fetchall()}  # fmt: skip
    b_code = con.execute(
        "SELECT home_store_code FROM customer WHERE home_store_code IS NOT NULL "
        "AND home_store_code <> ? GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", [a_code]
    ).fetchone()[0]  # fmt: skip
    b_customers = [
        r for r in con.execute(
            "SELECT customer_id, phone, email FROM customer WHERE home_store_code = ?", [b_code]
        ).fetchall() if r[0] not in bought_in_a
    ]  # fmt: skip
    assert len(b_customers) >= 5
    c_b = snap.execute(
        "SELECT customer_id FROM orders WHERE store_code = ? AND customer_id IN "
        f"({', '.join(repr(c[0]) for c in b_customers)}) "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", [b_code]
    ).fetchone()[0]  # fmt: skip
    order_b = snap.execute(
        "SELECT order_id FROM orders WHERE customer_id = ? ORDER BY ordered_at DESC LIMIT 1", [c_b]
    ).fetchone()[0]  # fmt: skip
    sku_b = snap.execute(
        "SELECT sku FROM order_lines WHERE customer_id = ? LIMIT 1", [c_b]
    ).fetchone()[0]  # fmt: skip
    snap.close()
    ful = con.execute(
        "SELECT id FROM ful_fulfilment WHERE store_code = ? LIMIT 1", [b_code]
    ).fetchone()  # fmt: skip
    staff = con.execute(
        "SELECT s.code FROM staff s JOIN store t ON t.id = s.store_id WHERE t.code = ? LIMIT 1",
        [b_code],
    ).fetchone()
    con.close()
    sentinels: set[str] = set()
    for cid, phone, email in b_customers:
        sentinels.add(cid)
        if phone:
            sentinels |= {phone, phone.removeprefix("+86")}
        if email:
            sentinels.add(email)
    phone_b = next(p for c, p, _ in b_customers if c == c_b) or "13800000000"
    return {
        "home": home, "a_id": a_id, "a": a_code, "b": b_code, "c_b": c_b, "phone_b": phone_b,
        "order_b": order_b, "sku_b": sku_b, "ful_b": ful[0] if ful else 1,
        "staff_b": staff[0] if staff else "X", "sentinels": sentinels,
    }  # fmt: skip


def _path(path: str, w: dict[str, Any]) -> str:
    subs = {
        "customer_id": w["c_b"], "identifier": w["c_b"], "sku": w["sku_b"],
        "order_id": w["order_b"], "fulfilment_id": str(w["ful_b"]), "staff_code": w["staff_b"],
        "staff_id": w["staff_b"], "chart": "stores", "code": w["b"], "leader": "X",
    }  # fmt: skip
    return re.sub(r"\{(\w+)\}", lambda m: str(subs.get(m.group(1), "1")), path)


@pytest.fixture(scope="module")
def clients(world: dict[str, Any]) -> dict[str, TestClient]:
    w = world
    from omniretail.platform.auth import service
    from omniretail.platform.db import session_scope
    from omniretail.web.app import create_app

    app = create_app()
    out: dict[str, TestClient] = {}
    with session_scope() as s:
        for role in ("store_manager", "clerk", "analyst", "leader"):
            service.ensure_user(s, username=f"m_{role}", password=f"{role}-pass-A1",
                                role=role, store_ids=[w["a_id"]])  # fmt: skip
        _, key = service.create_api_key(s, name="store-a-key", scopes=["read", "write"],
                                        store_ids=[w["a_id"]])  # fmt: skip
    for role in ("store_manager", "clerk", "analyst", "leader"):
        c = TestClient(app, headers={"accept": "text/html,application/json"})
        r = c.post("/api/v1/auth/login", json={"username": f"m_{role}",
                                                "password": f"{role}-pass-A1"})  # fmt: skip
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]  # writes are refused for scope, not CSRF
        out[role] = c
    out["apikey"] = TestClient(app, headers={"authorization": f"Bearer {key}"})
    return out


def test_every_route_is_classified(home: Path) -> None:
    from omniretail.web.app import create_app

    routes = _all_routes(create_app())
    unknown = sorted(routes - set(ROUTES))
    assert not unknown, f"classify these routes in ROUTES: {unknown}"
    gone = sorted(set(ROUTES) - routes)
    assert not gone, f"these routes no longer exist; strike them from ROUTES: {gone}"


@pytest.mark.slow  # a small demo world and ~600 requests: a few minutes
def test_store_a_sees_nothing_of_store_b(
    world: dict[str, Any], clients: dict[str, TestClient]
) -> None:
    w = world
    query = {"store": w["b"], "store_code": w["b"], "location": w["b"], "customer_id": w["c_b"],
             "q": w["phone_b"]}  # fmt: skip
    leaks: list[tuple[str, str, int, str]] = []
    for (method, path), kind in sorted(ROUTES.items()):
        if method != "GET" or path.startswith("/api/v1/docs") or path.endswith("openapi.json"):
            continue
        url = _path(path, w)
        for role in STORE_ROLES:
            if role == "apikey" and not path.startswith(("/api/", "/v1/")):
                continue  # API keys do not open console pages
            api = path.startswith(("/api/", "/v1/"))
            # pages echo their own URL (language switch): no customer values in their query
            params = query if api else {"store": w["b"], "store_code": w["b"]}
            r = clients[role].get(url, params=params, follow_redirects=False)
            if kind in ("A", "X"):
                if r.status_code != 403:
                    leaks.append((role, path, r.status_code, "expected 403"))
                continue
            if r.status_code in REFUSED or r.status_code in (303, 307):
                continue
            text = r.text
            for v in params.values():  # an echo of what we asked is not a leak (the customer's
                text = text.replace(v, "")  # id and e-mail would still give a match away)
            hit = next((s for s in w["sentinels"] if s in text), None)
            if hit:
                leaks.append((role, path, r.status_code, hit))
    assert not leaks, f"{len(leaks)} leaks: {leaks}"


@pytest.mark.slow
def test_writes_naming_a_store_b_customer_are_refused(
    world: dict[str, Any], clients: dict[str, TestClient]
) -> None:
    w = world
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    probes = [
        ("/api/v1/loyalty/earn", {"customer_id": w["c_b"], "source": "pos", "order_id": "MX1",
                                  "amount": "10", "occurred_at": at}),
        ("/api/v1/loyalty/adjust", {"customer_id": w["c_b"], "points": 10, "ref": "mx",
                                    "note": "matrix"}),
        ("/api/v1/coupons/issue", {"template_code": "NOPE", "customer_id": w["c_b"]}),
        (f"/api/v1/privacy/customers/{w['c_b']}/erase", {"confirm": w["c_b"]}),
    ]  # fmt: skip
    wrong = []
    for role in STORE_ROLES:
        for url, body in probes:
            r = clients[role].post(url, json=body)
            if r.status_code not in (403, 404):
                wrong.append((role, url, r.status_code, r.text[:120]))
    assert not wrong, wrong


@pytest.mark.slow
def test_campaign_report_is_limited_to_the_callers_stores(
    world: dict[str, Any], clients: dict[str, TestClient]
) -> None:
    """A store user sees a chain campaign's report for their stores' members only (their
    messages, coupons, orders), not chain-wide figures and not a 403."""
    from omniretail.marketing.campaign.models import Campaign, CampaignMember
    from omniretail.marketing.campaign.report import campaign_report
    from omniretail.platform.db import session_scope
    from omniretail.platform.messaging.models import Message

    w = world
    con = sqlite3.connect(w["home"] / "omniretail.db")
    ids = {
        store: [r[0] for r in con.execute(
            "SELECT customer_id FROM customer WHERE home_store_code = ? ORDER BY customer_id "
            "LIMIT 6", [store])]
        for store in (w["a"], w["b"])
    }  # fmt: skip
    con.close()
    b_ids = set(ids[w["b"]])
    with session_scope() as s:
        c = Campaign(code="MXSCOPE", name="matrix", goal="repurchase", kind="once",
                     status="running", window_days=7, audience={"rule": {}},
                     content={"title": "t"}, channels=["sms"],
                     launched_at=datetime.now(UTC) - timedelta(days=2))  # fmt: skip
        s.add(c)
        s.flush()
        for store, members in ids.items():
            for i, cid in enumerate(members):
                arm = "treatment" if i % 2 == 0 else "holdout"
                s.add(CampaignMember(campaign_id=c.id, customer_id=cid, arm=arm,
                                     store_code=store, channel="sms", run=1))  # fmt: skip
                if arm == "treatment":
                    s.add(Message(key=f"mxscope:{cid}", campaign_id=c.id, customer_id=cid,
                                  channel="sms", origin_kind="campaign", origin_ref="MXSCOPE:1",
                                  purpose="marketing", recipient="+8613800000000", payload={},
                                  status="sent"))  # fmt: skip
        whole = campaign_report(s, None, code="MXSCOPE").as_json()
    assert whole["audience"] == len(ids[w["a"]]) + len(ids[w["b"]])  # the chain's view
    assert set(whole["by_store_code"]) == {w["a"], w["b"]}
    mine = len(ids[w["a"]])
    for role in STORE_ROLES:
        r = clients[role].get("/api/v1/campaigns/MXSCOPE/report")
        if role == "leader":  # a group-buy leader's login sees no store's data at all
            assert r.status_code == 403 or r.json()["audience"] == 0, (role, r.text[:200])
            assert not [b for b in b_ids if b in r.text], role
            continue
        assert r.status_code == 200, (role, r.text[:200])
        body = r.json()
        assert (body["audience"], body["treatment"], body["holdout"]) == (
            mine, (mine + 1) // 2, mine // 2), role  # fmt: skip
        assert body["sent"] == (mine + 1) // 2, role
        assert set(body["by_store_code"]) == {w["a"]}, role
        assert not [b for b in b_ids if b in r.text], role
    for role in ("store_manager", "clerk", "analyst"):
        for path in ("/campaigns/MXSCOPE", "/campaigns/MXSCOPE/report.csv"):
            r = clients[role].get(path)
            assert r.status_code == 200, (role, path, r.status_code)
            assert w["b"] not in r.text, (role, path)  # no row for store B
            assert not [b for b in b_ids if b in r.text], (role, path)
