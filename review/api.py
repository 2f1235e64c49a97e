"""The runs API over HTTP (JSON), for programs: events after an id, and snapshots.

Session authentication, the same visibility rule as the pages and websockets:
not signed in is 403; a run that does not exist or that the user may not see is
404 (the API does not reveal which); a malformed parameter is 400.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from review.permissions import runs_visible_to
from review.rendering import run_summary
from review.selectors import DASHBOARD_LIMIT, dashboard_runs
from workflows.engine import api as engine
from workflows.engine.errors import NotFound
from workflows.models import WorkflowRun

MAX_LIMIT = 1000

View = Callable[..., JsonResponse]


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def signed_in(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        if not request.user.is_authenticated:
            return error(403, "sign in first (session authentication)")
        return view(request, *args, **kwargs)

    return wrapper


def _count(request: HttpRequest, name: str, default: int | None) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    value = int(raw)  # ValueError for junk
    if value < 0:
        raise ValueError(name)
    return value


def _visible(request: HttpRequest, run_id: uuid.UUID) -> WorkflowRun | None:
    return runs_visible_to(request.user).filter(pk=run_id).first()


@require_GET
@signed_in
def run_list(request: HttpRequest) -> JsonResponse:
    runs = dashboard_runs(request.user, limit=DASHBOARD_LIMIT)
    return JsonResponse({"runs": [run_summary(run) for run in runs]})


@require_GET
@signed_in
def run_events(request: HttpRequest, run_id: uuid.UUID) -> JsonResponse:
    """``?after=<event id>&limit=<n>``: the events after that id, oldest first."""
    try:
        after = _count(request, "after", 0)
        limit = min(_count(request, "limit", 500) or 1, MAX_LIMIT)
    except ValueError:
        return error(400, "after and limit must be whole numbers, 0 or more")
    run = _visible(request, run_id)
    if run is None:
        return error(404, "no such run")
    events = [event.as_dict() for event in engine.events(run.pk, after=after, limit=limit)]
    return JsonResponse(
        {
            "run_id": str(run.pk),
            "status": run.status,
            "events": events,
            "last_event_id": events[-1]["id"] if events else after,
            "run_last_event_id": run.last_event_id,
            "more": len(events) == limit,
        }
    )


@require_GET
@signed_in
def run_snapshot(request: HttpRequest, run_id: uuid.UUID) -> JsonResponse:
    """The snapshot now, or ``?as_of=<event id>`` as it was right after that event."""
    try:
        as_of = _count(request, "as_of", None)
    except ValueError:
        return error(400, "as_of must be an event id (a whole number, 0 or more)")
    run = _visible(request, run_id)
    if run is None:
        return error(404, "no such run")
    try:
        document = engine.snapshot(run.pk, as_of=as_of)
    except NotFound as exc:
        return error(404, str(exc))
    return JsonResponse(document)
