from __future__ import annotations

from omniretail.platform.errors import DomainError


class AuthError(DomainError):
    status = 401
    title = "Not authenticated"


class PermissionDenied(DomainError):
    status = 403
    title = "Permission denied"
