"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from omniretail.platform.console.render import error_text
from omniretail.platform.errors import DomainError

PROBLEM_JSON = "application/problem+json"


def _problem(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        body = exc.to_problem(instance=str(request.url.path))
        if exc.message is not None:
            # the same error in the caller's language, for the console's scripts to show
            body["message"] = error_text(request, exc)
        response = _problem(exc.status, body)
        retry_after = exc.extra.get("retry_after")
        if isinstance(retry_after, int):
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field_name(e.get("loc", ())),
                "message": e.get("msg", "invalid"),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "?", "message": "invalid input"}
        return _problem(
            422,
            {
                "type": "https://omniretail.dev/problems/validation",
                "title": "Invalid input",
                "status": 422,
                "detail": f"{first['field']}: {first['message']}",
                "instance": str(request.url.path),
                "errors": errors,
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(
            exc.status_code,
            {
                "type": "about:blank",
                "title": str(exc.detail) if exc.status_code != 404 else "Not found",
                "status": exc.status_code,
                "detail": str(exc.detail),
                "instance": str(request.url.path),
            },
        )


class ProblemField(BaseModel):
    field: str
    message: str
    type: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details: every error answer of the API."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    message: str | None = None  # the detail in the caller's language, where the error has one
    instance: str | None = None
    errors: list[ProblemField] | None = None


_ERRORS = {
    "400": "Bad request",
    "401": "Not authenticated (log in, or send an API key)",
    "403": "Permission denied or outside the caller's stores",
    "404": "Not found",
    "409": "Conflict (state changed, or a retried request differs from the first)",
    "413": "Body too large",
    "422": "Invalid input; errors[].field names each field at fault",
    "429": "Too many attempts; see Retry-After",
}
_PUBLIC = {"/api/v1/health", "/api/v1/auth/login"}


def document(app: FastAPI) -> None:
    """Make the OpenAPI document honest about errors: each operation lists the error statuses
    it can answer (401/403 for authenticated routes, 404 with any parameter or a body, 409
    for writes, 422 with any input, 413/429 where they apply), all as
    ``application/problem+json`` with the Problem schema, instead of FastAPI's
    ``application/json`` validation error."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        ref = {"$ref": "#/components/schemas/Problem"}
        for path, ops in spec.get("paths", {}).items():
            for method, op in ops.items():
                responses = op.setdefault("responses", {})
                codes: list[str] = []
                if path.startswith("/api/v1/") and path not in _PUBLIC:
                    codes += ["401", "403"]
                if path.startswith("/v1/"):
                    codes += ["401", "403", "413"]
                # a parameter or a body names things that may not exist (a customer, a store,
                # a template); a write may conflict with the current state or an earlier request
                if "{" in path or op.get("requestBody") or op.get("parameters"):
                    codes.append("404")
                if path.startswith("/api/v1/") and method != "get" and path not in _PUBLIC:
                    codes.append("409")
                if op.get("parameters") or op.get("requestBody") or path.startswith("/v1/"):
                    codes.append("422")
                if path == "/api/v1/auth/login":
                    codes += ["401", "429"]
                for code in codes:
                    responses.setdefault(code, {"description": _ERRORS[code]})
                for code, resp in responses.items():
                    if code[:1] in ("4", "5"):
                        resp["content"] = {PROBLEM_JSON: {"schema": ref}}
                        if code in _ERRORS and resp.get("description") == "Validation Error":
                            resp["description"] = _ERRORS[code]
        for unused in ("HTTPValidationError", "ValidationError"):
            text = str(spec["paths"])
            if f"/{unused}'" not in text:
                schemas.pop(unused, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
