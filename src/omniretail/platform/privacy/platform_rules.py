"""Platform tables that may name a person: the audit trail's details (merges name customers
and identifiers). Messages are messaging's (``platform/messaging/privacy_hooks.py``)."""

from __future__ import annotations

from omniretail.platform.privacy.registry import ValueRule, value_rule

value_rule(ValueRule("audit_log", ("detail", "object_id"), erase="scrub", owner="platform.audit"))
