"""Ship from store and 同城配送 through a delivery provider, whose order states follow WeChat
即时配送's ``order_status`` codes; the fulfilment follows them through the state machine.

The provider is called while the request's transaction is open, with ``shop_order_id`` =
the fulfilment id: the provider deduplicates on it, so a retried dispatch after a rolled-back
transaction gets the same waybill instead of a second rider.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.omnichannel.fulfillment import service
from omniretail.omnichannel.fulfillment.errors import InvalidFulfilment, OutOfRange
from omniretail.omnichannel.fulfillment.models import Delivery, Fulfilment
from omniretail.omnichannel.fulfillment.notify import notify, when
from omniretail.omnichannel.fulfillment.returns import record_sale
from omniretail.omnichannel.fulfillment.schemas import FulfilmentRead
from omniretail.omnichannel.inventory import service as inventory
from omniretail.platform.db import utcnow

STATUS_ZH = {
    101: "等待分配骑手",
    102: "骑手已接单",
    103: "商家取消",
    201: "骑手到店取货",
    202: "骑手已取货",
    203: "取货失败（商家取消）",
    204: "取货失败（骑手取消）",
    205: "取货失败（因商家原因）",
    301: "配送中",
    302: "已送达",
    303: "商家取消，物品返还中",
    304: "联系不上收货人，物品返还中",
    305: "收货人拒收，物品返还中",
    401: "物品已返还门店",
    501: "运力不足取消",
    502: "不可抗力取消",
}
STATUS_EN = {
    101: "waiting for a rider",
    102: "rider accepted",
    103: "cancelled by the merchant",
    201: "rider at the store",
    202: "rider picked up",
    203: "pickup failed (merchant cancelled)",
    204: "pickup failed (rider cancelled)",
    205: "pickup failed (merchant's fault)",
    301: "out for delivery",
    302: "delivered",
    303: "merchant cancelled, returning the goods",
    304: "recipient unreachable, returning the goods",
    305: "recipient refused, returning the goods",
    401: "goods returned to the store",
    501: "cancelled: no rider available",
    502: "cancelled: force majeure",
}
ABORTED = {103, 203, 204, 205, 501, 502}
RETURNING = {303, 304, 305}
# the fulfilment state each provider status means
TARGET = {
    101: "awaiting_rider",
    102: "rider_assigned",
    201: "rider_at_store",
    202: "in_delivery",
    301: "in_delivery",
    302: "delivered",
    401: "cancelled",
}
PATH = ["awaiting_rider", "rider_assigned", "rider_at_store", "in_delivery", "delivered"]
STEP = {
    "rider_assigned": "rider_accepts",
    "rider_at_store": "rider_arrives",
    "in_delivery": "rider_picks_up",
    "delivered": "deliver",
}


@dataclass
class ProviderStatus:
    waybill_id: str
    status: int
    action_time: datetime
    rider_name: str | None = None
    rider_phone: str | None = None
    distance_km: float | None = None
    message: str | None = None


class DeliveryProvider(Protocol):
    name: str

    def create(
        self,
        *,
        shop_no: str,
        shop_order_id: str,
        service: str,
        sender: tuple[float, float],
        receiver: tuple[float, float],
        radius_km: float,
        request_time: datetime,
    ) -> ProviderStatus: ...

    def query(self, waybill_id: str) -> ProviderStatus: ...

    def cancel(self, waybill_id: str) -> ProviderStatus: ...


class ProviderError(InvalidFulfilment):
    type_suffix = "delivery-provider-error"
    reason = "provider_error"


class HttpRiderProvider:
    """The rider service's HTTP API (``fulfillment.rider``), or a real provider speaking it."""

    name = "rider"

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=timeout)

    def _status(self, body: dict[str, Any]) -> ProviderStatus:
        agent = body.get("agent") or {}
        return ProviderStatus(
            waybill_id=str(body["waybill_id"]),
            status=int(body["order_status"]),
            action_time=datetime.fromtimestamp(int(body["action_time"]), UTC),
            rider_name=agent.get("name"),
            rider_phone=agent.get("phone"),
            distance_km=body.get("distance"),
        )

    def _call(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        try:
            r = self.client.request(method, url, **kw)
        except httpx.HTTPError as e:
            raise ProviderError(
                f"配送服务无法连接：{e}", f"delivery provider unreachable: {e}", field="provider"
            ) from e
        body: dict[str, Any] = r.json()
        if r.status_code == 400 and body.get("resultcode") == 40002:
            raise OutOfRange(
                str(body.get("resultmsg")),
                f"the address is outside the delivery radius ({body.get('distance')} km)",
                field="address",
            )
        if r.status_code >= 400:
            raise ProviderError(
                f"配送服务拒绝：{body.get('resultmsg')}",
                f"delivery provider refused: {body.get('resultmsg')}",
                field="provider",
            )
        return body

    def create(
        self,
        *,
        shop_no: str,
        shop_order_id: str,
        service: str,
        sender: tuple[float, float],
        receiver: tuple[float, float],
        radius_km: float,
        request_time: datetime,
    ) -> ProviderStatus:
        return self._status(
            self._call(
                "POST",
                "/orders",
                json={
                    "shop_no": shop_no,
                    "shop_order_id": shop_order_id,
                    "service": service,
                    "sender": {"lat": sender[0], "lng": sender[1]},
                    "receiver": {"lat": receiver[0], "lng": receiver[1]},
                    "radius_km": radius_km,
                    "request_time": request_time.timestamp(),
                },
            )
        )

    def query(self, waybill_id: str) -> ProviderStatus:
        return self._status(self._call("GET", f"/orders/{waybill_id}"))

    def cancel(self, waybill_id: str) -> ProviderStatus:
        return self._status(self._call("POST", f"/orders/{waybill_id}/cancel"))


_providers: dict[str, DeliveryProvider] = {}


def register_provider(provider: DeliveryProvider) -> None:
    _providers[provider.name] = provider


def configured(name: str = "rider") -> bool:
    return name in _providers or bool(os.environ.get("OMNIRETAIL_RIDER_URL"))


def provider(name: str = "rider") -> DeliveryProvider:
    if name not in _providers:
        url = os.environ.get("OMNIRETAIL_RIDER_URL")
        if name != "rider" or not url:
            raise ProviderError(
                "未配置配送服务（设置 OMNIRETAIL_RIDER_URL）",
                "no delivery provider configured (set OMNIRETAIL_RIDER_URL)",
                field="provider",
            )
        _providers[name] = HttpRiderProvider(url)
    return _providers[name]


def dispatch(
    session: Session,
    *,
    fulfilment_id: int,
    provider_name: str = "rider",
    actor: str | None = None,
    now: datetime | None = None,
) -> FulfilmentRead:
    """Call a rider (same-city) or a courier (ship from store) for a packed order."""
    at = now or utcnow()
    row = service.lock(session, fulfilment_id)
    service.transition(session, row, "dispatch", actor=actor, now=at)
    assert row.store_code is not None
    loc = inventory.get_location(session, code=row.store_code)
    addr = row.address or {}
    if "latitude" not in addr or loc.latitude is None or loc.longitude is None:
        raise InvalidFulfilment(
            "缺少门店或收货地址坐标", "store or address coordinates missing", field="address"
        )
    p = provider(provider_name)
    st = p.create(
        shop_no=row.store_code,
        shop_order_id=f"ful:{row.id}",
        service="same_city" if row.mode == "same_city" else "express",
        sender=(loc.latitude, loc.longitude),
        receiver=(float(addr["latitude"]), float(addr["longitude"])),  # type: ignore[arg-type]
        radius_km=loc.delivery_radius_km,
        request_time=at,
    )
    d = session.scalar(select(Delivery).where(Delivery.fulfilment_id == row.id))
    if d is None:
        d = Delivery(fulfilment_id=row.id, provider=p.name)
        session.add(d)
    d.waybill_id, d.status, d.requested_at, d.distance_km = (
        st.waybill_id,
        st.status,
        at,
        (st.distance_km),
    )
    d.promised_at = at + (
        timedelta(minutes=loc.promise_minutes) if row.mode == "same_city" else timedelta(hours=48)
    )
    d.delivered_at, d.on_time, d.updated_at = None, None, at
    session.flush()
    return service.read(session, row)


def apply_status(
    session: Session, *, fulfilment_id: int, status: ProviderStatus, now: datetime | None = None
) -> FulfilmentRead:
    """Bring the fulfilment to what the provider reports (several steps at once if a poll
    missed some); idempotent — the same status twice changes nothing."""
    row = service.lock(session, fulfilment_id)
    d = session.scalar(select(Delivery).where(Delivery.fulfilment_id == row.id))
    if d is None or d.waybill_id != status.waybill_id:
        raise InvalidFulfilment(
            "配送单不属于此订单", "the waybill is not this fulfilment's", field="waybill_id"
        )
    at = status.action_time
    d.status, d.updated_at = status.status, now or utcnow()
    d.rider_name = status.rider_name or d.rider_name
    d.rider_phone = status.rider_phone or d.rider_phone
    note = f"{status.status} {STATUS_ZH.get(status.status, '')}"
    before = row.state
    if status.status in ABORTED:
        if row.state in ("awaiting_rider", "rider_assigned", "rider_at_store"):
            service.transition(
                session, row, "delivery_aborted", actor="provider", note=note, now=at
            )
            notify(
                session,
                row,
                "delivery_problem",
                moment=f"problem:{d.waybill_id}",
                reason=STATUS_ZH.get(status.status, str(status.status)),
            )
        session.flush()
        return service.read(session, row)
    if status.status in RETURNING or status.status == 401:
        _walk(session, row, "in_delivery", note, at)
        if row.state == "in_delivery":
            service.transition(session, row, "start_return", actor="provider", note=note, now=at)
        if status.status == 401 and row.state == "returning":
            service._cancel_locked(
                session,
                row,
                reason="delivery_returned",
                actor="provider",
                now=at,
                event="returned_to_store",
            )
        session.flush()
        return service.read(session, row)
    target = TARGET.get(status.status)
    if target is not None:
        _walk(session, row, target, note, at)
    _tell(session, row, d, before)
    if row.state == "delivered" and d.delivered_at is None:
        d.delivered_at = at
        d.on_time = d.promised_at is None or at <= _aware(d.promised_at)
        row.completed_at = at
        record_sale(
            session,
            order_ref=row.order_ref,
            channel=row.channel,
            customer_id=row.customer_id,
            tender=row.tender,
            lines=service.sold_lines(session, row),
            source=f"ful:{row.id}",
        )
    session.flush()
    return service.read(session, row)


def _tell(session: Session, row: Fulfilment, d: Delivery, before: str) -> None:
    """The customer hears when a rider took the order, has the goods, and delivered."""
    if row.state == before:
        return
    rider = d.rider_name or "骑手"
    if row.state in ("rider_assigned", "rider_at_store") and before == "awaiting_rider":
        notify(session, row, "rider_assigned", store=service.store_name(session, row), rider=rider)
    if row.state in ("in_delivery", "delivered") and before not in ("in_delivery", "delivered"):
        notify(session, row, "rider_on_the_way", rider=rider, eta=when(d.promised_at))
    if row.state == "delivered":
        notify(session, row, "delivered")


def _walk(session: Session, row: Fulfilment, target: str, note: str, at: datetime) -> None:
    if row.state not in PATH or target not in PATH:
        return
    while PATH.index(row.state) < PATH.index(target):
        nxt = PATH[PATH.index(row.state) + 1]
        event = STEP[nxt]
        if nxt == "rider_at_store" and target != "rider_at_store":
            event, nxt = "rider_picks_up", "in_delivery"  # skipped: straight to the road
            if PATH.index(target) < PATH.index("in_delivery"):
                break
        service.transition(session, row, event, actor="provider", note=note, now=at)
        if row.state == "in_delivery":
            service.commit_stock(session, row, at)  # the goods left with the rider


def track(session: Session, *, now: datetime | None = None, limit: int = 200) -> int:
    """Poll the provider for every open delivery and apply what changed; returns how many
    fulfilments changed state."""
    open_states = ("awaiting_rider", "rider_assigned", "rider_at_store", "in_delivery", "returning")
    rows = session.execute(
        select(Fulfilment.id, Fulfilment.state, Delivery.waybill_id, Delivery.provider)
        .join(Delivery, Delivery.fulfilment_id == Fulfilment.id)
        .where(Fulfilment.state.in_(open_states), Delivery.waybill_id.is_not(None))
        .order_by(Fulfilment.id)
        .limit(limit)
    ).all()
    changed = 0
    for fid, state, waybill, pname in rows:
        st = provider(pname).query(str(waybill))
        if apply_status(session, fulfilment_id=fid, status=st, now=now).state != state:
            changed += 1
    return changed


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
