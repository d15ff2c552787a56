"""Masking of personal data (个人信息脱敏) for roles that may not see it."""

from __future__ import annotations

from typing import Any

PERSONAL_FIELDS = ("name", "phone", "email", "address", "birthday")
# every identifier of a person is personal data: a WeChat unionid/openid, a WeCom external
# user id, a member card number or a platform buyer id identifies them as well as a phone does
PERSONAL_KINDS = (
    "phone",
    "email",
    "unionid",
    "openid",
    "wecom_external_userid",
    "member_id",
    "platform_buyer_id",
    "source_record_id",
)


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    digits = value[3:] if value.startswith("+86") else value.lstrip("+")
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "****"


def mask_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return "***" if value else value
    local, domain = value.split("@", 1)
    return (local[:1] or "*") + "***@" + domain


def mask_name(value: str | None) -> str | None:
    if not value:
        return value
    return value[:1] + "*" * max(1, len(value) - 1)


def mask_address(value: str | None) -> str | None:
    if not value:
        return value
    return value[:6] + "****"


def mask_customer(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["name"] = mask_name(row.get("name"))
    out["phone"] = mask_phone(row.get("phone"))
    out["email"] = mask_email(row.get("email"))
    out["address"] = mask_address(row.get("address"))
    if row.get("birthday"):
        out["birthday"] = str(row["birthday"])[:4] + "-**-**"
    return out


def mask_id(value: str | None) -> str | None:
    """An opaque identifier (unionid, card number...): its first and last two characters at
    most, enough to tell two apart on a screen, never enough to use one."""
    if not value:
        return value
    if len(value) <= 6:
        return value[:1] + "*" * max(3, len(value) - 1)
    return value[:2] + "****" + value[-2:]


def mask_identity(kind: str, value: str) -> str:
    """Every identifier kind is masked (phones and e-mails in their usual shape)."""
    if kind == "phone":
        return mask_phone(value) or ""
    if kind == "email":
        return mask_email(value) or ""
    return mask_id(value) or ""


def mask_evidence(evidence: Any) -> Any:
    """Identifier values inside an explanation's evidence."""
    if isinstance(evidence, dict) and "value" in evidence and evidence.get("kind"):
        return {**evidence, "value": mask_identity(evidence["kind"], str(evidence["value"]))}
    return evidence
