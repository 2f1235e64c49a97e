"""Event-log reads behind the live streams (synchronous; the feeds run them in a thread).

Each is one indexed query: ``(run_id, id)`` for one run's events, the primary key
for the dashboard's "which runs have new events" scan.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max

from workflows.models import RunEvent, WorkflowRun

PAGE = 500


def events_after(run_id: str, after: int, *, limit: int = PAGE) -> list[dict[str, Any]]:
    """The run's events with id > ``after``, oldest first, as the JSON the streams send.

    Events of one run commit in id order (they are written under the run's row
    lock), so what this returns is always a complete prefix of what follows ``after``.
    """
    rows = RunEvent.objects.for_run(run_id).after(after).select_related("actor")[:limit]
    return [event.as_dict() for event in rows]


def last_event_id(run_id: str) -> int:
    found = RunEvent.objects.for_run(run_id).aggregate(last=Max("id"))["last"]
    return found or 0


def max_event_id() -> int:
    return RunEvent.objects.aggregate(last=Max("id"))["last"] or 0


def event_ids_after(after: int, *, limit: int = 5000) -> list[tuple[int, str]]:
    """``(event id, run id)`` of every event with id > ``after``, for the dashboard."""
    rows = RunEvent.objects.after(after).values_list("id", "run_id")[:limit]
    return [(event_id, str(run_id)) for event_id, run_id in rows]


def runs_by_id(run_ids: set[str]) -> dict[str, WorkflowRun]:
    from review.selectors import with_progress

    runs = with_progress(
        list(WorkflowRun.objects.filter(pk__in=run_ids).select_related("created_by"))
    )
    return {str(run.pk): run for run in runs}
