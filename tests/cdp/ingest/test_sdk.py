"""An unchanged Segment SDK (segment-analytics-python) pointed at our server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from omniretail.cdp.ingest.models import EventInbox
from omniretail.platform import migrate
from omniretail.platform.auth import service as auth
from omniretail.platform.db import session_scope
from tests.cdp.ingest.server import Server


@pytest.fixture
def server(home: Path) -> Iterator[tuple[Server, str]]:
    migrate.upgrade()
    with session_scope() as s:
        _, key = auth.create_api_key(s, name="python_sdk", scopes=["events"])
    srv = Server(home).start()
    try:
        yield srv, key
    finally:
        srv.stop()


def test_segment_python_sdk_sends_to_us(server: tuple[Server, Any]) -> None:
    from segment.analytics.client import Client

    srv, key = server
    errors: list[Any] = []
    for gzip in (False, True):
        client = Client(
            write_key=key, host=srv.url, gzip=gzip, max_retries=1, upload_interval=0.1,
            on_error=lambda e, batch: errors.append(e),
        )  # fmt: skip
        suffix = "gz" if gzip else "plain"
        client.identify(f"member-{suffix}", {"phone": "13812345678", "name": "张三"})
        client.track(f"member-{suffix}", "Product Viewed", {"sku": "100001"})
        client.page(f"member-{suffix}", "shop", "home")
        client.screen(f"member-{suffix}", "app", "cart")
        client.alias(f"device-{suffix}", f"member-{suffix}")
        client.group(f"member-{suffix}", "company-1")
        client.flush()
        client.shutdown()
    assert errors == []
    with session_scope() as s:
        rows = s.execute(select(EventInbox.source, EventInbox.type)).all()
    assert len(rows) == 12
    assert {r.source for r in rows} == {"python_sdk"}
    assert sorted({r.type for r in rows}) == [
        "alias",
        "group",
        "identify",
        "page",
        "screen",
        "track",
    ]

    # a wrong write key: the SDK gets our 401 problem details
    from segment.analytics.request import APIError

    errors: list[Any] = []
    client = Client(write_key="or_wrong_key", host=srv.url, sync_mode=True, max_retries=0)
    with pytest.raises(APIError) as err:
        client.track("u", "x")
    assert err.value.status == 401
    assert "invalid or revoked API key" in str(err.value)
