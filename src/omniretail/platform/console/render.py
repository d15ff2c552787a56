"""``render(request, template_name, context)``: the one way a console page is rendered.

It adds what every page needs (the user and role, the navigation, the language, the CSRF
token, static URLs) and renders the template in the request's language::

    from omniretail.platform.console.render import render
    from omniretail.platform.console.session import ConsoleUser

    @router.get("/coupons")
    def coupons_page(request: Request, user: ConsoleUser, db: DbSession) -> HTMLResponse:
        return render(request, "coupon/list.html", {"coupons": coupon_service.list_(db)})
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from omniretail import __version__
from omniretail.platform import i18n
from omniretail.platform.console import nav
from omniretail.platform.console.csrf import FORM_FIELD, csrf_token
from omniretail.platform.console.locale import request_locale
from omniretail.platform.console.templating import PACKAGE_ROOT, environment
from omniretail.platform.errors import DomainError

# The console's built assets (npm run build) are served by the web shell from web/static.
STATIC_DIR = PACKAGE_ROOT / "web" / "static"


@lru_cache(maxsize=256)
def _static_version(path: str, mtime_ns: int) -> str:
    return f"{__version__}.{mtime_ns // 1_000_000_000}"


def static_url(path: str) -> str:
    """``/static/<path>?v=<stamp>`` so browsers refetch a rebuilt file."""
    file = STATIC_DIR / path
    stamp = _static_version(path, file.stat().st_mtime_ns) if file.exists() else __version__
    return f"/static/{path}?v={stamp}"


def icon(name: str, cls: str = "icon") -> Markup:
    """An inline reference to an icon of the sprite built from lucide-static."""
    return Markup('<svg class="{}" aria-hidden="true"><use href="{}#{}"/></svg>').format(
        cls, static_url("vendor/icons.svg"), name
    )


def error_text(request: Request, exc: DomainError) -> str:
    """A domain error as the console shows it: its catalog ``message`` in the request's
    language when it has one (filled with its ``params``), else its English ``detail``."""
    if exc.message is None:
        return exc.detail
    with i18n.use_locale(request_locale(request)):
        return i18n.gettext(exc.message) % exc.params


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    locale = request_locale(request)
    token = csrf_token(request)
    active = nav.active_item(request.url.path)
    ctx: dict[str, Any] = {
        "request": request,
        "user": user,
        "role_label": nav.ROLE_LABELS.get(getattr(user, "role", ""), getattr(user, "role", "")),
        "role_labels": nav.ROLE_LABELS,
        "locale": locale,
        "html_lang": "zh-CN" if locale == "zh_CN" else "en",
        "locales": i18n.LOCALE_NAMES,
        "csrf_token": token,
        "csrf_field": lambda: Markup('<input type="hidden" name="{}" value="{}">').format(
            FORM_FIELD, token
        ),
        "nav_sections": nav.sections_for(getattr(user, "role", None)),
        "active_key": active.key if active else None,
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "static_url": static_url,
        "icon": icon,
        "is_htmx": bool(request.headers.get("hx-request")),
        "version": __version__,
    }
    if context:
        ctx.update(context)
    with i18n.use_locale(locale):
        html = environment().get_template(template_name).render(ctx)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers.setdefault("Cache-Control", "no-store")
    return response
