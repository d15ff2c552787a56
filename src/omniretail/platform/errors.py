"""Domain errors rendered as RFC 9457 problem details by the web layer and as clear CLI messages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class for errors a user can act on. ``field`` names the input at fault.

    ``detail`` is the English text (API, logs, CLI). ``message`` is an optional catalog message
    id (marked with ``N_``) with ``%(name)s`` placeholders filled from ``params``: the console
    shows it in the user's language (``platform.console.render.error_text``).
    """

    status: int = 400
    title: str = "Bad request"
    type_suffix: str = ""

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        message: str | None = None,
        params: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.message = message
        self.params = params or {}
        self.extra = extra

    @property
    def type(self) -> str:
        name = self.type_suffix or type(self).__name__
        return f"https://omniretail.dev/problems/{name}"

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.field:
            body["errors"] = [{"field": self.field, "message": self.detail}]
        body.update(self.extra)
        return body


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"
