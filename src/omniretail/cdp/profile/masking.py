"""Masking of personal data (个人信息脱敏) for roles that may not see it."""

from __future__ import annotations

from typing import Any

PERSONAL_FIELDS = ("name", "phone", "email", "address", "birthday")
PERSONAL_KINDS = ("phone", "email")


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


def mask_identity(kind: str, value: str) -> str:
    if kind == "phone":
        return mask_phone(value) or ""
    if kind == "email":
        return mask_email(value) or ""
    return value


def mask_evidence(evidence: Any) -> Any:
    """Identifier values inside an explanation's evidence."""
    if isinstance(evidence, dict) and evidence.get("kind") in PERSONAL_KINDS:
        return {**evidence, "value": mask_identity(evidence["kind"], str(evidence["value"]))}
    return evidence
