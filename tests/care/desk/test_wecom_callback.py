"""WeCom's callback envelope: AES-256-CBC with the EncodingAESKey, PKCS#7 to 32 bytes, the
receiver (corp id) sealed inside; checked against Tencent's published sample vectors, then
through the real API as WeCom calls it (URL check with ``echostr``, a sealed message in, a
sealed passive reply out)."""

from __future__ import annotations

import base64
import os
import struct
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fastapi.testclient import TestClient

from omniretail.care.desk.wecom_callback import parse_xml
from omniretail.care.desk.wecom_crypto import BadEnvelope, WeComCrypt, WrongReceiver, aes_key
from omniretail.care.desk.wecom_signature import sign
from omniretail.platform import config, db

# Tencent's WXBizMsgCrypt sample (企业微信 回调加解密 documentation): key, corp id, token and
# the values its URL check and message example carry, with the signatures WeCom computed
SAMPLE_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
SAMPLE_CORP = "ww1436e0e65a779aee"
SAMPLE_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"  # noqa: S105 - a public sample value
SAMPLE_ECHOSTR = (
    "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
)
SAMPLE_MESSAGE = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGz"
    "BhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+"
    "3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR"
    "4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6a"
    "SDPOYuPDGOCI8jmnKiypE+"
)
URL = "/api/v1/care/wecom/callback"


def test_tencent_sample_vectors() -> None:
    crypt = WeComCrypt(SAMPLE_KEY, SAMPLE_CORP)
    assert sign(SAMPLE_TOKEN, "1476416373", "47744683", SAMPLE_ECHOSTR) == (
        "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
    )
    assert crypt.decrypt(SAMPLE_ECHOSTR, field="echostr") == "1288432023552776189"
    assert sign(SAMPLE_TOKEN, "1476422779", "1597212914", SAMPLE_MESSAGE) == (
        "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
    )
    fields = parse_xml(crypt.decrypt(SAMPLE_MESSAGE).encode(), what="Encrypt")
    assert fields["FromUserName"] == "ChenJiaShun"
    assert fields["Content"] == "你好"
    assert fields["MsgId"] == "1456453720"


def test_round_trip_pads_to_32_bytes() -> None:
    crypt = WeComCrypt(SAMPLE_KEY, SAMPLE_CORP)
    for text in ("", "a", "配送费怎么收", "x" * 31, "y" * 32, "内容 ]]> 结束 🙂" * 40):
        sealed = crypt.encrypt(text)
        raw = base64.b64decode(sealed)
        assert len(raw) % 32 == 0
        assert crypt.decrypt(sealed) == text
    # the random prefix makes equal messages differ; a fixed one reproduces the ciphertext
    assert crypt.encrypt("同一句") != crypt.encrypt("同一句")
    fixed = b"0123456789abcdef"
    assert crypt.encrypt("同一句", random16=fixed) == crypt.encrypt("同一句", random16=fixed)


def _seal_raw(plain: bytes, key: str = SAMPLE_KEY) -> str:
    """Encrypt bytes exactly as given (no padding added): to build broken envelopes."""
    k = aes_key(key)
    enc = Cipher(algorithms.AES(k), modes.CBC(k[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def test_each_fault_is_named() -> None:
    crypt = WeComCrypt(SAMPLE_KEY, SAMPLE_CORP)
    other_corp = WeComCrypt(SAMPLE_KEY, "ww0000000000000000")
    with pytest.raises(WrongReceiver, match="sealed for receiver 'ww0000000000000000'") as e:
        crypt.decrypt(other_corp.encrypt("<xml/>"))
    assert e.value.status == 401
    assert e.value.field == "Encrypt"

    body = os.urandom(16) + struct.pack(">I", 2) + b"hi" + SAMPLE_CORP.encode()
    # the last byte says 7 pad bytes, the six before it are not 7
    bad_pad = body + bytes([3]) * (63 - len(body)) + bytes([7])
    assert len(bad_pad) == 64
    with pytest.raises(BadEnvelope, match="bad PKCS#7 padding") as e2:
        crypt.decrypt(_seal_raw(bad_pad), field="echostr")
    assert e2.value.status == 400
    assert e2.value.field == "echostr"
    zero_pad = body + bytes(64 - len(body))
    with pytest.raises(BadEnvelope, match="last byte 0"):
        crypt.decrypt(_seal_raw(zero_pad))
    # another key decrypts to noise: the padding check is what notices
    other_key = WeComCrypt("A" * 43, SAMPLE_CORP)
    with pytest.raises(BadEnvelope, match="wrong EncodingAESKey"):
        other_key.decrypt(crypt.encrypt("x" * 100))

    long_claim = os.urandom(16) + struct.pack(">I", 9999) + b"hi"
    long_claim += bytes([32 - len(long_claim) % 32]) * (32 - len(long_claim) % 32)
    with pytest.raises(BadEnvelope, match="declares a 9999-byte message"):
        crypt.decrypt(_seal_raw(long_claim))
    with pytest.raises(BadEnvelope, match="not valid base64"):
        crypt.decrypt("not base64!")
    with pytest.raises(BadEnvelope, match="not a whole number of 16-byte AES blocks"):
        crypt.decrypt(base64.b64encode(b"x" * 20).decode())
    with pytest.raises(ValueError, match="43 characters"):
        WeComCrypt("short", SAMPLE_CORP)


def test_xml_with_a_dtd_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    )
    with pytest.raises(BadEnvelope, match="DTD"):
        parse_xml(bomb, what="body")
    with pytest.raises(BadEnvelope, match="not well-formed"):
        parse_xml(b"<xml><Encrypt>", what="body")
    with pytest.raises(BadEnvelope, match="root element is <html>"):
        parse_xml(b"<html></html>", what="body")


# -- through the API, as WeCom calls it --------------------------------------------------

TOKEN = "QDG6eK"  # noqa: S105 - a test instance's callback token
KEY = base64.b64encode(bytes(range(32))).decode()[:43]
CORP = "wwTESTCORP0001"


@pytest.fixture
def wecom(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """An instance with WeCom's callback configured; the client carries no credential (WeCom
    signs instead)."""
    from omniretail.web.app import create_app

    monkeypatch.setenv("OMNIRETAIL_WECOM_TOKEN", TOKEN)
    monkeypatch.setenv("OMNIRETAIL_WECOM_AES_KEY", KEY)
    monkeypatch.setenv("OMNIRETAIL_WECOM_CORP_ID", CORP)
    config.reset_settings()
    db.create_all(db.get_engine())
    with TestClient(create_app()) as c:
        yield c


def _signed(encrypted: str, token: str = TOKEN) -> dict[str, str]:
    ts = str(int(time.time()))
    return {"msg_signature": sign(token, ts, "n0nce7", encrypted), "timestamp": ts,
            "nonce": "n0nce7"}  # fmt: skip


def _message(content: str, msgid: str, *, user: str = "wmCustomer1", ahead: int = 0) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName>"
        f"<FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{int(time.time()) + ahead}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msgid}</MsgId>"
        "<AgentID>1000002</AgentID></xml>"
    )


def _post(client: TestClient, encrypted: str, **params: str) -> httpx.Response:
    envelope = (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
    )
    return client.post(
        URL, content=envelope.encode(), params=params or _signed(encrypted),
        headers={"content-type": "text/xml"},
    )  # fmt: skip


def test_url_check_answers_the_decrypted_echostr(wecom: TestClient) -> None:
    crypt = WeComCrypt(KEY, CORP)
    echostr = crypt.encrypt("8734652918374651")
    r = wecom.get(URL, params={**_signed(echostr), "echostr": echostr})
    assert r.status_code == 200, r.text
    assert r.text == "8734652918374651"

    tampered = wecom.get(URL, params={**_signed(echostr, token="other"), "echostr": echostr})
    assert tampered.status_code == 401
    assert tampered.json()["errors"][0]["field"] == "msg_signature"

    foreign = WeComCrypt(KEY, "wwSOMEONEELSE").encrypt("8734652918374651")
    r = wecom.get(URL, params={**_signed(foreign), "echostr": foreign})
    assert r.status_code == 401
    assert r.json()["type"].endswith("/WrongReceiver")

    k = aes_key(KEY)
    enc = Cipher(algorithms.AES(k), modes.CBC(k[:16])).encryptor()
    bad = base64.b64encode(enc.update(bytes(32)) + enc.finalize()).decode()
    r = wecom.get(URL, params={**_signed(bad), "echostr": bad})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "echostr"
    assert "padding" in r.json()["detail"]


def test_a_sealed_message_gets_a_sealed_reply(wecom: TestClient) -> None:
    crypt = WeComCrypt(KEY, CORP)
    sealed = crypt.encrypt(_message("配送费怎么收", "7001"))
    r = _post(wecom, sealed)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    reply = {child.tag: child.text or "" for child in ET.fromstring(r.text)}
    assert reply["Nonce"] == "n0nce7"
    assert reply["MsgSignature"] == sign(TOKEN, reply["TimeStamp"], "n0nce7", reply["Encrypt"])
    inner = parse_xml(crypt.decrypt(reply["Encrypt"]).encode(), what="reply")
    assert inner["ToUserName"] == "wmCustomer1"
    assert inner["MsgType"] == "text"
    assert "运费" in inner["Content"] or "配送" in inner["Content"]

    from sqlalchemy import func, select

    from omniretail.care.desk.models import Conversation, DeskMessage

    # WeCom retries a callback it got no answer to: the same MsgId changes nothing
    assert _post(wecom, crypt.encrypt(_message("配送费怎么收", "7001"))).status_code == 200
    with db.session_scope() as s:
        conv = s.scalars(select(Conversation)).one()
        assert conv.channel == "wecom"
        assert conv.external_id == "1000002:wmCustomer1"
        inbound = s.scalar(
            select(func.count()).select_from(DeskMessage).where(DeskMessage.direction == "in")
        )
        assert inbound == 1


def test_callback_faults(wecom: TestClient) -> None:
    crypt = WeComCrypt(KEY, CORP)
    sealed = crypt.encrypt(_message("积分怎么用", "7101"))
    tampered = _post(wecom, sealed, **_signed(sealed, token="not-the-token"))
    assert tampered.status_code == 401
    assert tampered.json()["errors"][0]["field"] == "msg_signature"
    unsigned = wecom.post(URL, content=f"<xml><Encrypt>{sealed}</Encrypt></xml>".encode())
    assert unsigned.status_code == 401
    assert "msg_signature" in unsigned.json()["detail"]

    foreign = WeComCrypt(KEY, "wwSOMEONEELSE").encrypt(_message("积分怎么用", "7102"))
    r = _post(wecom, foreign)
    assert r.status_code == 401
    assert r.json()["type"].endswith("/WrongReceiver")

    no_encrypt = wecom.post(URL, content=b"<xml><ToUserName>x</ToUserName></xml>",
                            params=_signed(""))  # fmt: skip
    assert no_encrypt.status_code == 400
    assert no_encrypt.json()["errors"][0]["field"] == "Encrypt"

    # an event (微信客服's kf_msg_or_event) is acknowledged with nothing to say
    event = crypt.encrypt(
        f"<xml><ToUserName>{CORP}</ToUserName><CreateTime>{int(time.time())}</CreateTime>"
        "<MsgType>event</MsgType><Event>kf_msg_or_event</Event><Token>ENC123</Token>"
        "<OpenKfId>wkAAA</OpenKfId></xml>"
    )
    r = _post(wecom, event)
    assert r.status_code == 200
    assert r.content == b""

    r = _post(wecom, crypt.encrypt(_message("你好", "7103", ahead=3 * 86400)))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "CreateTime"


def test_callback_is_off_without_its_settings(home: Path) -> None:
    from omniretail.web.app import create_app

    db.create_all(db.get_engine())
    with TestClient(create_app()) as c:
        r = c.get(URL, params={"echostr": "abc"})
    assert r.status_code == 404
    assert "OMNIRETAIL_WECOM_AES_KEY" in r.json()["detail"]


def test_a_malformed_aes_key_stops_the_instance(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIRETAIL_WECOM_AES_KEY", "!" * 43)
    config.reset_settings()
    with pytest.raises(ValueError, match="EncodingAESKey"):
        config.get_settings()
