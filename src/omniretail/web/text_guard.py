"""Refuse text no database can store, before any handler sees it.

A NUL character (PostgreSQL text cannot hold it) or a lone UTF-16 surrogate (``"\\ud800"`` in
JSON: not encodable as UTF-8, so neither SQLite nor PostgreSQL nor a UTF-8 file takes it) in a
request used to pass every schema and fail deep in a write with a 500. This ASGI middleware
answers such a request with a 422 problem detail naming the field, for JSON and form bodies,
query parameters and the path. Bodies are buffered only when they are JSON or form data and not
content-encoded (the events API decompresses and bounds its own bodies); a body without the
escapes that could carry such text is passed on without being parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_BAD = re.compile("[\x00\ud800-\udfff]")
_MAX_BUFFER = 16 * 1024 * 1024  # larger bodies are left to the routes' own limits


def _bad_text(value: Any, where: str) -> Iterator[str]:
    if isinstance(value, str):
        if _BAD.search(value):
            yield where
    elif isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            if _BAD.search(key):
                yield f"{where}.{key!r}" if where else repr(key)
            yield from _bad_text(v, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _bad_text(v, f"{where}[{i}]")


def _problem(field: str, path: str) -> bytes:
    return json.dumps(
        {
            "type": "https://omniretail.dev/problems/validation",
            "title": "Invalid input",
            "status": 422,
            "detail": f"{field}: contains a NUL character or an unpaired surrogate, which cannot "
            "be stored",
            "message": f"{field}：含有无法保存的字符（NUL 或不成对的代理字符）",
            "instance": path,
            "errors": [
                {
                    "field": field,
                    "message": "contains a NUL character or an unpaired surrogate",
                    "type": "text_not_storable",
                }
            ],
        },
        ensure_ascii=False,
    ).encode()


class TextGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        field = None
        if _BAD.search(path):
            field = "path"
        else:
            query = scope.get("query_string", b"").decode("utf-8", "replace")
            if "%00" in query or "\x00" in query:
                for k, v in parse_qsl(query, keep_blank_values=True):
                    if "\x00" in k or "\x00" in v:
                        field = k.replace("\x00", "") or "query"
                        break
        if field is not None:
            await self._refuse(send, field, path)
            return
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        is_json = ctype == b"application/json" or ctype.endswith(b"+json")
        is_form = ctype == b"application/x-www-form-urlencoded"
        if not (is_json or is_form) or headers.get(b"content-encoding"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: pass it on
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > _MAX_BUFFER:
                await self.app(scope, _replay_then(chunks, more, receive), send)
                return
        body = b"".join(chunks)
        field = _body_field(body, is_json=is_json)
        if field is not None:
            await self._refuse(send, field, path)
            return
        await self.app(scope, _replay_then([body], False, receive), send)

    @staticmethod
    async def _refuse(send: Send, field: str, path: str) -> None:
        body = _problem(field, path)
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _body_field(body: bytes, *, is_json: bool) -> str | None:
    if is_json:
        if not _ESCAPES.search(body):
            return None  # raw NULs and surrogates are not valid JSON: the route refuses it
        try:
            data = json.loads(body)
        except ValueError:
            return None  # the route's own validation names the syntax error
        return next(_bad_text(data, ""), None)
    if b"%00" not in body and b"\x00" not in body:
        return None
    for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        if "\x00" in k or "\x00" in v:
            return k.replace("\x00", "") or "body"
    return None


def _replay(messages: list[Message]) -> Receive:
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0)

    return receive


def _replay_then(chunks: list[bytes], more: bool, receive: Receive) -> Receive:
    """The buffered body again, then (when it was cut short) the rest from the client."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": more}
        return await receive()

    return replay
