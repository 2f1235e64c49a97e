"""Who may see which runs: one rule, used by pages, the HTTP API and websockets alike.

Staff, superusers and holders of the ``review.view_all_runs`` permission (every
review role has it) see every run; anyone else who is signed in sees the runs
they started. Anonymous users see nothing. Keeping the rule here, as a QuerySet
and a predicate that agree, means a websocket can never show a run that the
page or the API would refuse. What a user may *do* is in review/roles.py.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from review.roles import VIEW_ALL_RUNS, can
from workflows.models import WorkflowRun


def sees_every_run(user: Any) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_staff or can(user, VIEW_ALL_RUNS))


def runs_visible_to(user: Any) -> QuerySet[WorkflowRun]:
    if user is None or not user.is_authenticated or not user.is_active:
        return WorkflowRun.objects.none()
    if sees_every_run(user):
        return WorkflowRun.objects.all()
    return WorkflowRun.objects.filter(created_by=user)


def can_view_run(user: Any, run: WorkflowRun) -> bool:
    return can_view_run_row(user, run.created_by_id)


def can_view_run_row(user: Any, created_by_id: int | None) -> bool:
    """The same rule for a run known only by its creator's id (live dashboard rows)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return sees_every_run(user) or (created_by_id is not None and created_by_id == user.pk)
