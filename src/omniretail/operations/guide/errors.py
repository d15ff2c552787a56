"""Refusals of the shopping-guide rules. Each says why, in Chinese first (the console shows the
detail as is), with the English after it for the API and logs; ``reason`` is a stable code."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, InvalidInput, NotFound


class GuideRefused(Conflict):
    """A claim or transfer the chain's rules refuse."""

    def __init__(self, zh: str, en: str, *, reason: str, field: str = "customer_id") -> None:
        super().__init__(f"{zh} ({en})", field=field, reason=reason)
        self.reason = reason


class StaffNotClerk(InvalidInput):
    def __init__(self, staff_code: str, why_zh: str, why_en: str) -> None:
        super().__init__(
            f"员工 {staff_code} {why_zh} (staff {staff_code} {why_en})", field="staff_code"
        )


class TransferNotFound(NotFound):
    def __init__(self, transfer_id: int) -> None:
        super().__init__(
            f"转接记录 {transfer_id} 不存在 (unknown transfer {transfer_id})", field="transfer_id"
        )


class TaskNotFound(NotFound):
    def __init__(self, task_id: int) -> None:
        super().__init__(f"任务 {task_id} 不存在 (unknown task {task_id})", field="task_id")


class BadGuideInput(InvalidInput):
    pass
