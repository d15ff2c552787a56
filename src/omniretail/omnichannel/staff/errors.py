"""Errors of the staff master data."""

from __future__ import annotations

from omniretail.platform.errors import NotFound


class UnknownStaff(NotFound):
    """No staff member has this employee number (or WeCom user id)."""

    def __init__(self, staff_id: str, *, field: str = "staff_id") -> None:
        super().__init__(f"员工 {staff_id!r} 不存在 (unknown staff {staff_id!r})", field=field)
        self.staff_id = staff_id
