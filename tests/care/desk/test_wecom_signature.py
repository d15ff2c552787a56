"""The WeCom intake's callback signature: msg_signature = SHA1(sorted token, timestamp, nonce,
body), timestamps within the accepted window; checked through the real API when the instance
has a token."""

from __future__ import annotations

import hashlib
import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from omniretail.care.desk.wecom_signature import BadSignature, StaleTimestamp, sign, verify
from tests.web.conftest import admin_console, console, password_hashes

__all__ = ["admin_console", "console", "password_hashes"]

TOKEN = "QDG6eK"  # noqa: S105 - a test instance's callback token
URL = "/api/v1/care/wecom/messages"


@pytest.fixture
def wecom_token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OMNIRETAIL_WECOM_TOKEN", TOKEN)
    return TOKEN


def _message(msgid: str) -> str:
    return json.dumps(
        {
            "open_kfid": "wkAAA",
            "external_userid": "wmSIG",
            "msgid": msgid,
            "send_time": int(time.time()),
            "msgtype": "text",
            "text": {"content": "配送费怎么收"},
        },
        ensure_ascii=False,
    )


def _post(client: TestClient, body: str, **params: str) -> httpx.Response:
    # a console session writing to the API sends its CSRF token, as the console's scripts do
    token = client.get("/api/v1/auth/me").json()["csrf_token"]
    return client.post(
        URL,
        content=body.encode(),
        params=params,
        headers={"content-type": "application/json", "X-CSRF-Token": token},
    )


def test_sign_is_sha1_of_the_sorted_parts() -> None:
    parts = ["tok", "1700000000", "n0nce", "<Encrypt>abc</Encrypt>"]
    expected = hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()
    assert sign(*parts) == expected
    assert sign("tok", "1700000000", "n0nce", "other") != expected


def test_verify_names_each_fault() -> None:
    ts, now = "1700000000", 1_700_000_100.0
    good = sign(TOKEN, ts, "n1", "body")
    verify(token=TOKEN, msg_signature=good.upper(), timestamp=ts, nonce="n1", message="body",
           max_skew=300, now=now)  # fmt: skip
    with pytest.raises(BadSignature, match="nonce") as e:
        verify(token=TOKEN, msg_signature=good, timestamp=ts, nonce=None, message="body",
               max_skew=300, now=now)  # fmt: skip
    assert e.value.status == 401
    with pytest.raises(BadSignature, match="Unix seconds"):
        verify(token=TOKEN, msg_signature=good, timestamp="12ab", nonce="n1", message="body",
               max_skew=300, now=now)  # fmt: skip
    with pytest.raises(StaleTimestamp, match="400 s behind"):
        verify(token=TOKEN, msg_signature=good, timestamp=ts, nonce="n1", message="body",
               max_skew=300, now=now + 300)  # fmt: skip
    with pytest.raises(BadSignature, match="does not match"):
        verify(token=TOKEN, msg_signature=good, timestamp=ts, nonce="n1", message="body!",
               max_skew=300, now=now)  # fmt: skip


def test_intake_accepts_a_signed_message_and_refuses_others(
    wecom_token: str, admin_console: TestClient
) -> None:
    body, ts = _message("sig1"), str(int(time.time()))
    good = sign(wecom_token, ts, "abc123", body)
    r = _post(admin_console, body, msg_signature=good, timestamp=ts, nonce="abc123")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "bot"

    other = _message("sig2")
    wrong = sign("another-token", ts, "abc123", other)
    bad = _post(admin_console, other, msg_signature=wrong, timestamp=ts, nonce="abc123")
    assert bad.status_code == 401
    problem = bad.json()
    assert problem["type"].endswith("/BadSignature")
    assert problem["errors"][0]["field"] == "msg_signature"

    # the body changed after signing (a tampered message)
    tampered = _post(
        admin_console, other, msg_signature=sign(wecom_token, ts, "abc123", body),
        timestamp=ts, nonce="abc123",
    )  # fmt: skip
    assert tampered.status_code == 401

    old = str(int(time.time()) - 3600)  # a captured request replayed an hour later
    stale = _post(
        admin_console, other, msg_signature=sign(wecom_token, old, "abc123", other),
        timestamp=old, nonce="abc123",
    )  # fmt: skip
    assert stale.status_code == 401
    assert stale.json()["type"].endswith("/StaleTimestamp")
    assert stale.json()["max_skew_seconds"] == 300

    unsigned = _post(admin_console, other)
    assert unsigned.status_code == 401
    assert "msg_signature" in unsigned.json()["detail"]
