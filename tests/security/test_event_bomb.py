"""Finding 1: a decompression bomb on the events API. The write key is checked before the body
is decompressed, the body is decompressed incrementally with a limit on its decompressed size
(413 problem), and the work runs off the event loop."""

from __future__ import annotations

import base64
import gzip
import tracemalloc
import zlib
from typing import Any

import pytest

from omniretail.cdp.ingest import events
from omniretail.cdp.ingest.errors import BodyTooLarge
from omniretail.platform.auth import service as auth
from omniretail.platform.db import session_scope

BOMB_SIZE = 64 * 1024 * 1024  # 64 MiB of zeros, ~64 KB gzipped


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip.compress(b"\0" * BOMB_SIZE, compresslevel=9)


def _basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_bomb_with_a_wrong_write_key_is_refused_before_decompressing(
    client: Any, bomb: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    inflated: list[int] = []
    real = events.inflate

    def spy(body: bytes, encoding: str | None, limit: int) -> bytes:
        inflated.append(len(body))
        return real(body, encoding, limit)

    monkeypatch.setattr(events, "inflate", spy)
    headers = {**_basic("or_not_a_key"), "Content-Encoding": "gzip"}
    r = client.post("/v1/batch", content=bomb, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert inflated == []  # never decompressed


def test_bomb_with_a_good_key_is_413_and_bounded_in_memory(client: Any, bomb: bytes) -> None:
    with session_scope() as s:
        _, plain = auth.create_api_key(s, name="app", scopes=["events"])
    headers = {**_basic(plain), "Content-Encoding": "gzip"}
    r = client.post("/v1/batch", content=bomb, headers=headers)
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "body"
    # the same without a header (gzip magic) and as deflate
    r = client.post("/v1/batch", content=bomb, headers=_basic(plain))
    assert r.status_code == 413
    deflated = zlib.compress(b"\0" * BOMB_SIZE, 9)
    r = client.post(
        "/v1/batch", content=deflated, headers={**_basic(plain), "Content-Encoding": "deflate"}
    )
    assert r.status_code == 413


def test_inflate_never_holds_more_than_the_limit(bomb: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            events.inflate(bomb, "gzip", events.MAX_BODY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * events.MAX_BODY, peak  # a whole-body gunzip would hold 64 MiB
    body = gzip.compress(b'{"batch": []}')
    assert events.inflate(body, "gzip", events.MAX_BODY) == b'{"batch": []}'
    assert events.inflate(b"{}", None, events.MAX_BODY) == b"{}"


def test_a_raw_body_over_the_limit_is_413(client: Any) -> None:
    with session_scope() as s:
        _, plain = auth.create_api_key(s, name="app", scopes=["events"])
    big = b'{"batch": [' + b" " * (events.MAX_BODY + 10) + b"]}"
    r = client.post("/v1/batch", content=big, headers=_basic(plain))
    assert r.status_code == 413


def test_write_key_in_the_body_still_works_for_gzip(client: Any) -> None:
    with session_scope() as s:
        _, plain = auth.create_api_key(s, name="web", scopes=["events"])
    body = gzip.compress(b'{"writeKey": "' + plain.encode() + b'", "userId": "u", "event": "x"}')
    r = client.post("/v1/track", content=body, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1
