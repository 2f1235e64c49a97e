"""The review queue: every open question a user may act on, oldest first.

Reads only: one query for the page of items (runs, executions and claims
joined), one for the count. "May act on" follows the permissions: deciders see
every question of the runs they can see; editors without ``decide`` see the
questions that show an editable draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from review import claims, roles
from review.outcomes import subject
from review.permissions import runs_visible_to
from workflows import presentation
from workflows.models import Suspension

PAGE_SIZE = 50
SHOW = ("all", "mine", "groups")


def _draft_steps() -> Q:
    wanted = Q(pk__in=[])
    for workflow_id, shown in presentation.registered().items():
        for step_id in shown.drafts:
            wanted |= Q(run__workflow_id=workflow_id) & (
                Q(path_key=step_id) | Q(path_key__endswith=f".{step_id}")
            )
    return wanted


def actionable(user: Any) -> QuerySet[Suspension]:
    """Open questions of runs ``user`` may see and act on."""
    open_questions = Suspension.objects.open().filter(run__in=runs_visible_to(user))
    if roles.can(user, roles.DECIDE):
        return open_questions
    if roles.can(user, roles.EDIT_DRAFT):
        return open_questions.filter(_draft_steps())
    return Suspension.objects.none()


def for_user(user: Any, *, show: str = "all") -> QuerySet[Suspension]:
    items = actionable(user)
    if show == "mine":
        claimed = Q(claim__user=user, claim__renewed_at__gte=claims.lapses_before())
        items = items.filter(claimed | Q(task__assignee_user=user))
    elif show == "groups":
        items = items.filter(task__assignee_group__in=user.groups.all())
    return items


@dataclass(frozen=True)
class QueueItem:
    suspension: Suspension
    subject: str
    step_id: str
    round: int
    waiting_since: datetime
    holder: str | None
    assignee: str | None
    due_at: datetime | None
    overdue: bool

    @property
    def run(self) -> Any:
        return self.suspension.run


def page(user: Any, *, show: str = "all", number: int = 1) -> tuple[list[QueueItem], int]:
    """One page of the queue, and how many items there are in all."""
    items = for_user(user, show=show)
    total = items.count()
    rows = items.select_related(
        "run",
        "run__created_by",
        "execution",
        "claim__user",
        "task__assignee_user",
        "task__assignee_group",
    ).order_by("created_at", "pk")[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    lapsed_before = claims.lapses_before()
    listed = []
    for row in rows:
        claim = getattr(row, "claim", None)
        task = getattr(row, "task", None)
        holder = claim.user if claim is not None and claim.renewed_at >= lapsed_before else None
        listed.append(
            QueueItem(
                suspension=row,
                subject=subject(row.run) or row.run.short_id,
                step_id=row.path_key.rsplit(".", 1)[-1],
                round=row.execution.iteration,
                waiting_since=row.created_at,
                holder=holder.get_username() if holder is not None else None,
                assignee=assignee_of(task),
                due_at=task.due_at if task else None,
                overdue=bool(task and task.overdue_at),
            )
        )
    return listed, total


def open_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return actionable(user).count()


def waited(since: datetime) -> float:
    return (timezone.now() - since).total_seconds()


def parse_view(show: str | None, number: str | None) -> tuple[str, int]:
    """The queue's filter and page from a query string; anything odd means the default."""
    chosen = show if show in SHOW else "all"
    raw = number or "1"
    return chosen, max(1, int(raw)) if raw.isdigit() and len(raw) < 7 else 1


def view_context(user: Any, show: str, number: int) -> dict[str, Any]:
    """What the queue page and its live updates render."""
    items, total = page(user, show=show, number=number)
    pages = max(1, -(-total // PAGE_SIZE))
    return {
        "items": items,
        "total": total,
        "show": show,
        "page_number": min(number, pages),
        "pages": pages,
        "now": timezone.now(),
    }


def assignee_of(task: Any) -> str | None:
    if task is None:
        return None
    if task.assignee_user is not None:
        return str(task.assignee_user.get_username())
    if task.assignee_group is not None:
        return f"{task.assignee_group.name} (group)"
    return None
