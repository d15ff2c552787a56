"""Session login/logout for the console's JavaScript and the current principal."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from omniretail.platform.auth import sessions
from omniretail.platform.auth.csrf import csrf_token, has_api_credential
from omniretail.platform.auth.deps import ApiPrincipal, DbSession, forget_session
from omniretail.platform.auth.login import sign_in

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class PrincipalOut(BaseModel):
    name: str
    role: str
    scopes: list[str]
    store_ids: list[int] | None
    # the session's CSRF token: a client signed in by the session cookie sends it back in the
    # X-CSRF-Token header of every write (None for an API key)
    csrf_token: str | None = None


@router.post("/login", response_model=PrincipalOut)
def login(body: LoginIn, request: Request, db: DbSession) -> PrincipalOut:
    user = sign_in(db, request, username=body.username, password=body.password)
    from omniretail.platform.auth.deps import principal_from_user

    p = principal_from_user(user)
    return PrincipalOut(
        name=p.name,
        role=p.role,
        scopes=p.scopes,
        store_ids=p.store_ids,
        csrf_token=csrf_token(request),  # a fresh one: sign_in started a new session
    )


@router.post("/logout", status_code=204)
def logout(request: Request, db: DbSession) -> None:
    key = sessions.session_key(request)
    sessions.end(request, db)
    if key:
        forget_session(key)


@router.get("/me", response_model=PrincipalOut)
def me(principal: ApiPrincipal, request: Request) -> PrincipalOut:
    return PrincipalOut(
        name=principal.name,
        role=principal.role,
        scopes=principal.scopes,
        store_ids=principal.store_ids,
        csrf_token=None if has_api_credential(request) else csrf_token(request),
    )
