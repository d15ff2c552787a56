"""The console's language: the ``omniretail_lang`` cookie, else the user's saved preference,
else the configured default (zh-CN)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from omniretail.platform import i18n

LANG_COOKIE = "omniretail_lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def request_locale(request: Request) -> str:
    cookie = i18n.normalize_locale(request.cookies.get(LANG_COOKIE))
    if cookie:
        return cookie
    user = getattr(request.state, "user", None)
    preferred = i18n.normalize_locale(getattr(user, "locale", None))
    return preferred or i18n.default_locale()


def set_locale_cookie(response: Response, locale: str) -> None:
    response.set_cookie(
        LANG_COOKIE, locale, max_age=LANG_COOKIE_MAX_AGE, samesite="lax", httponly=False
    )
