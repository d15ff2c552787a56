"""The FastAPI application: API under ``/api/v1``, the console at ``/``, static assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from omniretail import __version__
from omniretail.platform.config import get_settings
from omniretail.platform.console import handlers as console_handlers
from omniretail.platform.console.csrf import ApiCsrfProtected
from omniretail.platform.registry import modules_named
from omniretail.web import problems
from omniretail.web.headers import SecurityHeaders
from omniretail.web.text_guard import TextGuard

STATIC_DIR = Path(__file__).parent / "static"


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="omniretail",
        version=__version__,
        description="全渠道新零售数字化营销与服务系统 API — omnichannel new-retail marketing.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from the bundled Swagger UI, not from a CDN
        redoc_url=None,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="omniretail_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.secure_cookies,  # OMNIRETAIL_SECURE_COOKIES=1 behind HTTPS
    )
    app.add_middleware(TextGuard)  # NUL / unpaired surrogates: a 422 naming the field, not a 500
    app.add_middleware(SecurityHeaders, hsts_always=settings.secure_cookies)
    problems.install(app)
    console_handlers.install(app)  # console: login redirects, expired forms

    # a cookie-authenticated write must carry the session's CSRF token (API keys need none)
    api = APIRouter(prefix="/api/v1", dependencies=[ApiCsrfProtected])

    @api.get("/health", tags=["system"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    root_routers: list[APIRouter] = []
    for module in modules_named("api"):
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            api.include_router(router)
        root = getattr(module, "root_router", None)  # e.g. the Segment-compatible /v1/* routes
        if isinstance(root, APIRouter):
            root_routers.append(root)
    app.include_router(api)
    for root in root_routers:
        app.include_router(root)

    for module in modules_named("pages"):
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            app.include_router(router, include_in_schema=False)

    @app.get("/api/v1/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Swagger UI from static/vendor (npm's swagger-ui-dist, copied at build time), so the
        # page works on a network without internet access; FastAPI's default loads a CDN.
        return get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json",
            title="omniretail API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="data:,",  # no icon request
        )

    problems.document(app)  # errors in the OpenAPI document as application/problem+json
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
