"""任务 Jobs: every timed job with its schedule, last and next run, duration and failures;
administrators can run a job now (it runs after the response, under the same lease)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omniretail.platform import pipeline
from omniretail.platform.auth.deps import DbSession
from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.config import get_settings
from omniretail.platform.console.csrf import CsrfProtected
from omniretail.platform.console.render import render
from omniretail.platform.console.session import ConsoleUser
from omniretail.platform.i18n import N_
from omniretail.platform.jobs import runner, service
from omniretail.platform.jobs.errors import JobBusy
from omniretail.platform.jobs.schedule import CRON_TZ, parse_every

router = APIRouter(tags=["console"])


def _when(at: datetime | None) -> str:
    """A time as the stores read it (chain time zone)."""
    return at.astimezone(CRON_TZ).strftime("%Y-%m-%d %H:%M:%S") if at else "—"


def _iso(text: str | None) -> str:
    return _when(datetime.fromisoformat(text)) if text else "—"


def schedule_parts(every: str) -> dict[str, str | int]:
    """A schedule in parts the page words in the reader's language: an interval with its unit,
    a daily time ("0 8 * * *" -> 08:00), or a cron expression shown as it is."""
    parsed = parse_every(every)
    if parsed.interval is not None:
        seconds = int(parsed.interval.total_seconds())
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                return {"kind": "interval", "n": seconds // size, "unit": unit}
        return {"kind": "interval", "n": seconds, "unit": "s"}
    fields = every.split()
    if (
        len(fields) == 5
        and fields[2:] == ["*", "*", "*"]
        and fields[0].isdigit()
        and fields[1].isdigit()
    ):
        return {"kind": "daily", "time": f"{int(fields[1]):02d}:{int(fields[0]):02d}"}
    return {"kind": "cron", "text": every}


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(
    request: Request, user: ConsoleUser, db: DbSession, show: str | None = None
) -> Response:
    jobs = service.list_jobs(db)
    history = service.recent_runs(db, name=show) if show and show in {j.name for j in jobs} else []
    return render(
        request,
        "jobs/list.html",
        {
            "jobs": jobs,
            "is_admin": user.role == "admin",
            "show": show,
            "history": history,
            "started": request.query_params.get("started"),
            # a job named in a notice by its title (its code is no word for the reader)
            "job_title": lambda name: next((j.title for j in jobs if j.name == name), name),
            "busy": request.query_params.get("busy"),
            "when": _when,
            "schedule": schedule_parts,
            # the analytics pipeline's last run, step by step (written by `pipeline run`)
            "pipeline_run": pipeline.RunLog.read(pipeline.run_log_path(get_settings())),
            "iso": _iso,
        },
    )


@router.post("/jobs/{name}/run", dependencies=[CsrfProtected])
def run_now(
    name: str, request: Request, user: ConsoleUser, db: DbSession, tasks: BackgroundTasks
) -> Response:
    """Run a job now (administrators): claimed and run after the response is sent."""
    if user.role != "admin":
        raise PermissionDenied(
            "only administrators can run a job now",
            message=N_("Only administrators can run a job now."),
        )
    try:
        runner.request_run(db, name=name, actor=user.username)
    except JobBusy:
        return RedirectResponse(f"/jobs?busy={name}", status_code=303)
    tasks.add_task(
        runner.run_due, only=[name], runner=f"console:{user.username}:{runner.runner_id()}"
    )
    return RedirectResponse(f"/jobs?started={name}&show={name}", status_code=303)
