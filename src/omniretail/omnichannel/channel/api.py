"""``/api/v1/channels``: sales and contact channels with their kind (read)."""

from __future__ import annotations

from fastapi import APIRouter

from omniretail.omnichannel.channel import service
from omniretail.omnichannel.channel.schemas import ChannelKind, ChannelRead
from omniretail.platform.auth.deps import ApiPrincipal, DbSession

router = APIRouter(prefix="/channels", tags=["master data"])


@router.get("", response_model=list[ChannelRead])
def list_channels(
    db: DbSession, who: ApiPrincipal, kind: ChannelKind | None = None
) -> list[ChannelRead]:
    who.require("read")
    return service.list_channels(db, kind=kind)


@router.get("/{code}", response_model=ChannelRead)
def get_channel(code: str, db: DbSession, who: ApiPrincipal) -> ChannelRead:
    who.require("read")
    return service.get_channel(db, code=code)
