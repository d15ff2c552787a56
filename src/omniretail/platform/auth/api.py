"""Session login/logout for the console's JavaScript and the current principal."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from omniretail.platform.auth import service
from omniretail.platform.auth.deps import ApiPrincipal, DbSession

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str
    password: str


class PrincipalOut(BaseModel):
    name: str
    role: str
    scopes: list[str]
    store_ids: list[int] | None


@router.post("/login", response_model=PrincipalOut)
def login(body: LoginIn, request: Request, db: DbSession) -> PrincipalOut:
    user = service.authenticate(db, username=body.username, password=body.password)
    request.session["user_id"] = user.id
    from omniretail.platform.auth.deps import principal_from_user

    p = principal_from_user(user)
    return PrincipalOut(name=p.name, role=p.role, scopes=p.scopes, store_ids=p.store_ids)


@router.post("/logout", status_code=204)
def logout(request: Request) -> None:
    request.session.clear()


@router.get("/me", response_model=PrincipalOut)
def me(principal: ApiPrincipal) -> PrincipalOut:
    return PrincipalOut(
        name=principal.name,
        role=principal.role,
        scopes=principal.scopes,
        store_ids=principal.store_ids,
    )
