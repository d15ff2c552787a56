"""A simulated same-city rider service: a real HTTP service (ASGI, run by uvicorn on loopback)
that the demo and the tests call through ``delivery.HttpRiderProvider``, as they would a
delivery company's API.

Orders move through WeChat 即时配送's order_status codes on a simulated clock: 101 waiting for a
rider → 102 rider assigned → 201 rider at the store → 202 picked up → 301 on the way → 302
delivered; scenarios give the failures (501 no capacity, 305 refused → 401 returned to the
store). Same-city orders are refused beyond the store's radius (10 km by default). The clock
runs ``time_scale`` simulated seconds per real second plus whatever ``POST /sim/clock`` added.

Endpoints: ``POST /orders`` (idempotent on ``shop_order_id``), ``GET /orders/{waybill_id}``,
``POST /orders/{waybill_id}/cancel``, ``POST /sim/clock`` ``{"minutes": n}``, ``GET /health``.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from omniretail.platform.geo import haversine_km

RIDERS = [
    ("张师傅", "13800000001"),
    ("李师傅", "13800000002"),
    ("王师傅", "13800000003"),
    ("赵师傅", "13800000004"),
    ("陈师傅", "13800000005"),
]
MINUTES_PER_KM = 2.5


@dataclass
class SimOrder:
    waybill_id: str
    shop_order_id: str
    shop_no: str
    service: str
    distance_km: float
    created_real: float
    t0: float  # the order's simulated start (epoch seconds, the caller's clock)
    steps: list[tuple[float, int]]  # (simulated seconds after t0, order_status)
    rider: tuple[str, str]
    cancelled: tuple[float, int] | None = None


@dataclass
class RiderSim:
    radius_km: float = 10.0
    time_scale: float = 1.0
    offset_s: float = 0.0
    orders: dict[str, SimOrder] = field(default_factory=dict)
    by_shop_order: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def elapsed(self, o: SimOrder) -> float:
        return (time.time() - o.created_real) * self.time_scale + self.offset_s

    def status(self, o: SimOrder) -> tuple[int, float]:
        el = self.elapsed(o)
        status, at = 101, 0.0
        for t, s in o.steps:
            if el >= t:
                status, at = s, t
        if o.cancelled is not None and el >= o.cancelled[0] and o.cancelled[0] >= at:
            status, at = o.cancelled[1], o.cancelled[0]
        return status, o.t0 + at

    def create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            key = f"{body.get('shop_no')}:{body.get('shop_order_id')}"
            if key in self.by_shop_order:
                return 200, self.view(self.orders[self.by_shop_order[key]])
            try:
                s, r = body["sender"], body["receiver"]
                km = haversine_km(
                    float(s["lat"]), float(s["lng"]), float(r["lat"]), float(r["lng"])
                )
            except (KeyError, TypeError, ValueError):
                return 400, {"resultcode": 40001, "resultmsg": "发件或收件坐标缺失或无效"}
            service = str(body.get("service", "same_city"))
            radius = float(body.get("radius_km", self.radius_km))
            if service == "same_city" and km > radius:
                return 400, {
                    "resultcode": 40002,
                    "resultmsg": f"超出配送范围：{km:.1f} 公里 > {radius:.0f} 公里",
                    "distance": round(km, 2),
                }
            digest = hashlib.sha256(key.encode()).hexdigest()
            waybill = "WB" + digest[:14].upper()
            jitter = int(digest[14:16], 16) / 255  # 0..1, stable per order
            steps = _script(str(body.get("scenario", "normal")), km, service, jitter)
            o = SimOrder(
                waybill_id=waybill,
                shop_order_id=str(body.get("shop_order_id")),
                shop_no=str(body.get("shop_no")),
                service=service,
                distance_km=km,
                created_real=time.time() + self.offset_s / max(self.time_scale, 1e-9),
                t0=float(body.get("request_time") or time.time()),
                steps=steps,
                rider=RIDERS[int(digest[16:18], 16) % len(RIDERS)],
            )
            self.orders[waybill] = o
            self.by_shop_order[key] = waybill
            return 200, self.view(o)

    def view(self, o: SimOrder) -> dict[str, Any]:
        status, at = self.status(o)
        deliver = next((t for t, s in o.steps if s == 302), None)
        out: dict[str, Any] = {
            "resultcode": 0,
            "resultmsg": "ok",
            "waybill_id": o.waybill_id,
            "shop_order_id": o.shop_order_id,
            "order_status": status,
            "action_time": int(at),
            "distance": round(o.distance_km, 2),
        }
        if status >= 102 and status not in (103, 501):
            out["agent"] = {"name": o.rider[0], "phone": o.rider[1]}
            if deliver is not None:
                out["agent"]["reach_time"] = int(o.t0 + deliver)
        return out

    def cancel(self, waybill: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            o = self.orders.get(waybill)
            if o is None:
                return 404, {"resultcode": 40004, "resultmsg": "配送单不存在"}
            status, _ = self.status(o)
            if status in (302, 401, 103, 203, 204, 205, 501, 502):
                return 409, {
                    "resultcode": 40009,
                    "resultmsg": "订单已结束，不能取消",
                    "order_status": status,
                }
            el = self.elapsed(o)
            if status < 202:
                o.cancelled = (el, 103)
            else:  # the goods are with the rider: they come back
                o.cancelled = (el, 303)
                o.steps.append((el + 15 * 60, 401))
            return 200, self.view(o)


def _script(scenario: str, km: float, service: str, jitter: float) -> list[tuple[float, int]]:
    m = 60.0
    if service == "express":  # parcel: picked up within hours, delivered next day
        return [(30 * m, 102), (4 * 60 * m, 202), (5 * 60 * m, 301), (26 * 60 * m, 302)]
    accept, arrive, pick = 2 * m, (6 + 4 * jitter) * m, (9 + 4 * jitter) * m
    travel = max(5.0, km * MINUTES_PER_KM) * m
    if scenario == "no_rider":
        return [(15 * m, 501)]
    if scenario == "late":
        travel += 25 * m
    steps = [(accept, 102), (arrive, 201), (pick, 202), (pick + 60, 301)]
    if scenario == "refused":
        return [*steps, (pick + travel, 305), (pick + travel + 20 * m, 401)]
    return [*steps, (pick + travel, 302)]


def create_app(sim: RiderSim | None = None) -> Starlette:
    state = sim or RiderSim()

    async def create(request: Request) -> JSONResponse:
        code, body = state.create(await request.json())
        return JSONResponse(body, status_code=code)

    async def query(request: Request) -> JSONResponse:
        o = state.orders.get(request.path_params["waybill_id"])
        if o is None:
            return JSONResponse({"resultcode": 40004, "resultmsg": "配送单不存在"}, 404)
        return JSONResponse(state.view(o))

    async def cancel(request: Request) -> JSONResponse:
        code, body = state.cancel(request.path_params["waybill_id"])
        return JSONResponse(body, status_code=code)

    async def clock(request: Request) -> JSONResponse:
        body = await request.json()
        state.offset_s += float(body.get("minutes", 0)) * 60
        return JSONResponse({"offset_minutes": state.offset_s / 60})

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "orders": len(state.orders)})

    app = Starlette(
        routes=[
            Route("/orders", create, methods=["POST"]),
            Route("/orders/{waybill_id}", query, methods=["GET"]),
            Route("/orders/{waybill_id}/cancel", cancel, methods=["POST"]),
            Route("/sim/clock", clock, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
    app.state.sim = state
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(
    *, port: int | None = None, time_scale: float = 1.0, radius_km: float = 10.0
) -> Iterator[str]:
    """Run the service in a background thread on loopback; yields its base URL."""
    port = port or free_port()
    sim = RiderSim(radius_km=radius_km, time_scale=time_scale)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(sim), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def serve(*, port: int = 8765, time_scale: float = 1.0, radius_km: float = 10.0) -> None:
    """Run in the foreground (``omniretail rider serve``)."""
    uvicorn.run(
        create_app(RiderSim(radius_km=radius_km, time_scale=time_scale)),
        host="127.0.0.1",
        port=port,
        log_level="info",
    )
