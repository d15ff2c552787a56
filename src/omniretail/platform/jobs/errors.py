"""Job problems, rendered as RFC 9457 problems naming the field."""

from __future__ import annotations

from omniretail.platform.errors import Conflict, NotFound


class UnknownJob(NotFound):
    type_suffix = "job-unknown"


class JobBusy(Conflict):
    """The job is running now (another runner holds its lease)."""

    type_suffix = "job-busy"
