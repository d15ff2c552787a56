"""``/api/v1/jobs``: job state, run history, and running a job now (administrators)."""

from __future__ import annotations

from fastapi import APIRouter

from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.jobs import runner, service
from omniretail.platform.jobs.errors import JobBusy
from omniretail.platform.jobs.schemas import JobRunRead, JobStatus, RunDueRead

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=list[JobStatus])
def list_jobs(db: DbSession, principal: ApiPrincipal) -> list[JobStatus]:
    principal.require("read")
    return service.list_jobs(db)


@router.get("/{name}/runs", response_model=list[JobRunRead])
def runs(name: str, db: DbSession, principal: ApiPrincipal, limit: int = 20) -> list[JobRunRead]:
    principal.require("read")
    return service.recent_runs(db, name=name, limit=max(1, min(limit, 200)))


@router.post("/{name}/run", response_model=RunDueRead)
def run_now(name: str, principal: ApiPrincipal) -> RunDueRead:
    """Run the job now, due or not, and wait for it (409 while another runner runs it)."""
    principal.require("admin")
    result = runner.run_due(
        only=[name], force=True, runner=f"api:{principal.name}:{runner.runner_id()}"
    )
    if result.busy:
        raise JobBusy(f"任务 {name} 正在运行，请稍后再试", field="name")
    return RunDueRead.model_validate(result)
