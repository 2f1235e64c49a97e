"""Who reviews each open question, by when, and what happens when it is late.

A workflow declares an ``Assignment`` per step (workflows/presentation.py).
The review timer runs on every engine tick (``workflows.engine.ticker.register``),
wherever a worker cluster runs:
- it makes a ``ReviewTask`` for each new open question, with its assignee and
  its due time counted from when the question was asked;
- it marks each task past its due time overdue, once, recording
  ``review.overdue`` in the run's log in the same transaction, and hands it to
  the escalation group when one is declared.
State lives in the database, so a due time that passes while no cluster runs
fires on the first tick after a restart, and two tickers never both fire it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from review import roles
from review.errors import Forbidden
from review.models import ReviewTask
from workflows import presentation
from workflows.engine import api
from workflows.engine.errors import InvalidInput
from workflows.models import Suspension, SuspensionStatus

OVERDUE = "review.overdue"
REASSIGNED = "review.reassigned"
BATCH = 200


def declared(suspension: Suspension) -> presentation.Assignment | None:
    step_id = suspension.path_key.rsplit(".", 1)[-1]
    return presentation.get(suspension.run.workflow_id).assign.get(step_id)


def _group(name: str) -> Group | None:
    return Group.objects.filter(name=name).first() if name else None


def _user(username: str | None) -> Any:
    if not username:
        return None
    return get_user_model().objects.filter(username=username, is_active=True).first()


def make_tasks() -> int:
    """A task for each open question that has none yet."""
    waiting = (
        Suspension.objects.open()
        .filter(task__isnull=True)
        .select_related("run")
        .order_by("created_at")[:BATCH]
    )
    made = 0
    for suspension in waiting:
        rule = declared(suspension)
        user = _user(rule.user(suspension.run)) if rule and rule.user else None
        try:
            ReviewTask.objects.create(
                suspension=suspension,
                run=suspension.run,
                assignee_user=user,
                assignee_group=None if user or rule is None else _group(rule.group),
                due_at=suspension.created_at + rule.due if rule and rule.due else None,
            )
        except IntegrityError:
            continue  # another ticker made it first
        made += 1
    return made


def fire_overdue(now: datetime) -> int:
    due = ReviewTask.objects.filter(
        overdue_at__isnull=True, due_at__lte=now, suspension__status=SuspensionStatus.OPEN
    ).values_list("pk", "run_id")[:BATCH]
    return sum(_mark_overdue(pk, run_id, now) for pk, run_id in list(due))


def _mark_overdue(suspension_id: Any, run_id: Any, now: datetime) -> bool:
    with transaction.atomic():
        api.locked_run(run_id)  # orders this with the run's other changes, one ticker at a time
        task = ReviewTask.objects.select_related("suspension__run").get(pk=suspension_id)
        if task.overdue_at is not None or task.suspension.status != SuspensionStatus.OPEN:
            return False
        rule = declared(task.suspension)
        escalation = _group(rule.escalate_to) if rule else None
        task.overdue_at = now
        if escalation is not None:
            task.escalated_to = escalation
            task.assignee_group = escalation
        task.save()
        api.record_event(
            run_id,
            OVERDUE,
            path=task.suspension.path_key,
            data={
                "suspension_id": str(task.pk),
                "due_at": task.due_at.isoformat() if task.due_at else None,
                "escalated_to": escalation.name if escalation else None,
            },
        )
    return True


def tick(now: datetime) -> int:
    """The review timer: runs on every engine tick."""
    return make_tasks() + fire_overdue(now)


def reassign(
    *, run_id: Any, suspension_id: Any, actor: Any, user: str = "", group: str = ""
) -> ReviewTask:
    """Give an open question to a person or a group (exactly one of them)."""
    if not roles.can(actor, roles.REASSIGN):
        raise Forbidden("you may not reassign review items (permission review.reassign)")
    if bool(user) == bool(group):
        raise InvalidInput(
            "the assignment", [{"field": "user", "message": "name a user or a group, not both"}]
        )
    person, team = _user(user), _group(group)
    if (user and person is None) or (group and team is None):
        field = "user" if user else "group"
        raise InvalidInput("the assignment", [{"field": field, "message": "no such " + field}])
    with transaction.atomic():
        run = api.locked_run(run_id)
        suspension = api.open_suspension(run.pk, suspension_id=suspension_id)
        task, _ = ReviewTask.objects.get_or_create(suspension=suspension, defaults={"run": run})
        task.assignee_user, task.assignee_group = person, team
        task.save()
        api.record_event(
            run.pk,
            REASSIGNED,
            path=suspension.path_key,
            actor=actor,
            data={
                "suspension_id": str(suspension.pk),
                "user": user or None,
                "group": group or None,
            },
        )
    return task
