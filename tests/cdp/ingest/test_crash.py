# ruff: noqa: E501
"""kill -9 of the server under load: no acknowledged event is lost, none is stored twice."""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from omniretail.cdp.ingest.models import EventInbox, EventSourceStats
from omniretail.platform import migrate
from omniretail.platform.auth import service as auth
from omniretail.platform.db import session_scope
from tests.cdp.ingest.server import Server

THREADS = 4
BATCHES = 25
PER_BATCH = 50


def test_kill_9_under_load_loses_and_duplicates_nothing(home: Path) -> None:
    migrate.upgrade()
    with session_scope() as s:
        _, key = auth.create_api_key(s, name="load", scopes=["events"])
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    srv = Server(home).start()
    acked: set[str] = set()
    failures: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 180

    def sender(t: int) -> None:
        with httpx.Client(base_url=srv.url, headers=headers, timeout=10) as c:
            for b in range(BATCHES):
                ids = [f"t{t}-b{b}-e{i}" for i in range(PER_BATCH)]
                body = {
                    "batch": [
                        {"type": "track", "messageId": m, "userId": f"u{t}", "event": "Product Viewed",
                         "properties": {"sku": str(100000 + i)}}
                        for i, m in enumerate(ids)
                    ]
                }  # fmt: skip
                while True:  # a client retries until acknowledged (as the SDKs do)
                    try:
                        r = c.post("/v1/batch", json=body)
                        if r.status_code == 200:
                            with lock:
                                acked.update(ids)
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        failures.append(b)
                        return
                    time.sleep(0.05)

    threads = [threading.Thread(target=sender, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    while len(acked) < THREADS * BATCHES * PER_BATCH // 4:
        time.sleep(0.01)
    before_kill = set(acked)
    srv.kill()  # SIGKILL in the middle of the load
    time.sleep(0.5)
    srv = Server(home, port=srv.port).start()
    try:
        for th in threads:
            th.join()
    finally:
        srv.stop()
    assert failures == []
    total = THREADS * BATCHES * PER_BATCH
    assert len(acked) == total
    with session_scope() as s:
        stored = set(s.scalars(select(EventInbox.message_id)))
        n_rows = s.scalar(select(func.count()).select_from(EventInbox))
        stats = s.get(EventSourceStats, "load")
    assert before_kill <= stored  # acknowledged before the kill: still there
    assert stored == acked  # nothing lost
    assert n_rows == total  # nothing twice
    assert stats is not None
    assert stats.accepted == total
    assert stats.received == stats.accepted + stats.duplicates
