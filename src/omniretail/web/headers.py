"""Security headers on every answer (console pages, API, static files).

- ``Content-Security-Policy``: scripts, styles, images and requests from this server only (the
  console's libraries are bundled at build time), no plugins, no ``<base>`` tricks, forms post
  here only, and ``frame-ancestors 'none'`` (with ``X-Frame-Options: DENY`` for old browsers)
  so no other site can frame the console for click-jacking. Inline scripts and Alpine's
  expressions still need ``'unsafe-inline'``/``'unsafe-eval'``.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (customer ids in URLs
  never leak to other sites).
- ``Strict-Transport-Security`` when the request came over HTTPS (uvicorn sets the scheme from
  a trusted proxy's ``X-Forwarded-Proto`` with ``--proxy-headers``), or always with
  ``OMNIRETAIL_SECURE_COOKIES=1``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts_always: bool = False) -> None:
        self.app = app
        self.hsts_always = hsts_always

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = self.hsts_always or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _HEADERS if k not in present]
                if https and b"strict-transport-security" not in present:
                    headers.append((b"strict-transport-security", HSTS.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
