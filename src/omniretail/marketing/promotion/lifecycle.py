"""A promotion's life after creation: stop it early, or edit it while it may still change.

State rules (``state``): *planned* (before its start) may change its name, period, priority
and flash-sale units; *running* may change its name, end, priority and units (its start and
rules are what customers have already been given); *ended* and *stopped* change no more. A stop
takes effect at once (checkout prices without it). Each change is audited with what it was
before; a refused change changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from omniretail.marketing.promotion.errors import PromotionInvalid, PromotionStateError
from omniretail.marketing.promotion.models import Promotion
from omniretail.marketing.promotion.service import aware, get_promotion
from omniretail.platform import audit
from omniretail.platform.db import utcnow
from omniretail.platform.i18n import N_

EDITABLE_WHEN = {
    "planned": ("name", "starts_at", "ends_at", "priority", "stock_cap"),
    "running": ("name", "ends_at", "priority", "stock_cap"),
}
REFUSALS = {
    "ended": N_("Promotion %(code)s has ended: it can no longer be changed or stopped."),
    "stopped": N_("Promotion %(code)s was stopped: it can no longer be changed or stopped."),
}


def state(promo: Promotion, now: datetime) -> str:
    """planned, running, ended or stopped."""
    if promo.status != "active":
        return "stopped"
    if now < aware(promo.starts_at):
        return "planned"
    return "running" if now < aware(promo.ends_at) else "ended"


def _refuse(promo: Promotion, st: str, verb: str) -> PromotionStateError:
    return PromotionStateError(
        f"promotion {promo.code!r} {st}; it cannot be {verb}",
        field="code",
        message=REFUSALS[st],
        params={"code": promo.code},
        state=st,
    )


def stop_promotion(
    session: Session, *, code: str, actor: str, reason: str | None = None,
    now: datetime | None = None,
) -> Promotion:  # fmt: skip
    """Stop a planned or running promotion now (audited)."""
    now = now or utcnow()
    promo = get_promotion(session, code=code)
    st = state(promo, now)
    if st not in EDITABLE_WHEN:
        raise _refuse(promo, st, "stopped")
    promo.status = "stopped"
    session.flush()
    audit.record(
        session, actor=actor, action="promotion.stop", object_type="promotion",
        object_id=promo.code, detail={"state_before": st, "at": now.isoformat()}, reason=reason,
    )  # fmt: skip
    return promo


def _invalid(field: str, detail: str, message: str, **params: Any) -> PromotionInvalid:
    return PromotionInvalid(detail, field=field, message=message, params=params)


def update_promotion(
    session: Session, *, code: str, changes: dict[str, Any], actor: str,
    now: datetime | None = None,
) -> Promotion:  # fmt: skip
    """Change the fields the promotion's state allows (see the module); audited with the
    values before. Unknown fields, fields its state does not allow and bad values are refused
    with nothing changed."""
    now = now or utcnow()
    promo = get_promotion(session, code=code)
    st = state(promo, now)
    if st not in EDITABLE_WHEN:
        raise _refuse(promo, st, "edited")
    unknown = sorted(set(changes) - set(EDITABLE_WHEN["planned"]))
    if unknown:
        raise _invalid(
            unknown[0], f"{unknown[0]} cannot be edited", N_("This field cannot be edited.")
        )
    changes = {  # instants are stored in UTC (SQLite keeps no offset)
        k: aware(v).astimezone(UTC) if isinstance(v, datetime) else v for k, v in changes.items()
    }
    new = {k: v for k, v in changes.items() if _plain(getattr(promo, k)) != _plain(v)}
    for key in new:
        if key not in EDITABLE_WHEN[st]:
            raise _invalid(
                key, f"{key} cannot change while the promotion is {st}",
                N_("The start cannot change once the promotion has started."),
            )  # fmt: skip
    name = new.get("name", promo.name)
    if not isinstance(name, str) or not name.strip() or len(name) > 128:
        raise _invalid("name", "name must be 1 to 128 characters", N_("Enter the promotion name."))
    starts = aware(new.get("starts_at", promo.starts_at))
    ends = aware(new.get("ends_at", promo.ends_at))
    if ends <= starts:
        raise _invalid(
            "ends_at",
            "ends_at must be after starts_at",
            N_("The promotion must end after it starts."),
        )
    if "ends_at" in new and ends <= now:
        raise _invalid(
            "ends_at", "ends_at is in the past; stop the promotion instead",
            N_("The new end is already past: stop the promotion instead."),
        )  # fmt: skip
    if "starts_at" in new and starts < now:
        raise _invalid(
            "starts_at", "starts_at is in the past", N_("The new start is already past.")
        )
    if "priority" in new and not -1000 <= int(new["priority"]) <= 1000:
        raise _invalid(
            "priority", "priority must be -1000 to 1000", N_("Priority must be from -1000 to 1000.")
        )
    if "stock_cap" in new:
        if promo.kind != "flash_sale":
            raise _invalid(
                "stock_cap", "only a flash sale has units",
                N_("Only a flash sale has units at the flash price."),
            )  # fmt: skip
        cap = new["stock_cap"]
        if not isinstance(cap, int) or cap < max(1, promo.stock_sold):
            raise _invalid(
                "stock_cap", f"stock_cap must be at least the {promo.stock_sold} units sold",
                N_("The units must be at least the %(sold)s already sold."),
                sold=promo.stock_sold,
            )  # fmt: skip
    before = {k: _plain(getattr(promo, k)) for k in new}
    for k, v in new.items():
        setattr(promo, k, v)
    session.flush()
    if new:
        audit.record(
            session, actor=actor, action="promotion.update", object_type="promotion",
            object_id=promo.code,
            detail={"before": before, "after": {k: _plain(v) for k, v in new.items()}},
        )  # fmt: skip
    return promo


def _plain(v: Any) -> Any:
    return aware(v).astimezone(UTC).isoformat() if isinstance(v, datetime) else v
