"""The dashboard's view of runs: filters, search, sorting and pages, all in the query string.

One ``DashboardQuery`` is parsed from the page's query string (anything odd
falls back to the default, so a hand-edited link never errors) and turned into
one QuerySet. The live stream uses the same query to decide whether a changed
run belongs on the page the viewer has open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict

from review import queue
from review.permissions import runs_visible_to
from review.selectors import with_progress
from workflows.models import RunStatus, WorkflowRun

PAGE_SIZE = 50
MAX_SEARCH = 200
STATUSES = {
    "running": ("Running", (RunStatus.RUNNING,)),
    "waiting": ("Waiting for review", (RunStatus.SUSPENDED,)),
    "success": ("Finished", (RunStatus.SUCCESS,)),
    "failed": ("Failed", (RunStatus.FAILED,)),
    "canceled": ("Canceled", (RunStatus.CANCELED,)),
}
SORTS = {
    "newest": ("Newest first", ("-created_at", "-id")),
    "oldest": ("Oldest first", ("created_at", "id")),
    "updated": ("Recently changed", ("-updated_at", "-id")),
}


@dataclass(frozen=True)
class DashboardQuery:
    status: str = ""
    workflow: str = ""
    by: str = ""
    mine: bool = False  # waiting on me: a question I may act on is open
    search: str = ""
    sort: str = "newest"
    page: int = 1

    @classmethod
    def parse(cls, params: QueryDict | dict[str, str]) -> DashboardQuery:
        def text(name: str, limit: int = 120) -> str:
            value = params.get(name) or ""
            return " ".join(str(value).split())[:limit].replace("\x00", "")

        raw_page = text("page", 7)
        return cls(
            status=text("status") if text("status") in STATUSES else "",
            workflow=text("workflow"),
            by=text("by", 150),
            mine=text("mine") == "1",
            search=text("q", MAX_SEARCH),
            sort=text("sort") if text("sort") in SORTS else "newest",
            page=max(1, int(raw_page)) if raw_page.isdigit() else 1,
        )

    def querystring(self, **changes: Any) -> str:
        """This view as a query string, with ``changes``."""
        view = replace(self, **changes)
        pairs = {
            "status": view.status,
            "workflow": view.workflow,
            "by": view.by,
            "mine": "1" if view.mine else "",
            "q": view.search,
            "sort": "" if view.sort == "newest" else view.sort,
            "page": "" if view.page == 1 else str(view.page),
        }
        return urlencode({key: value for key, value in pairs.items() if value})

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.workflow or self.by or self.mine or self.search)

    @property
    def live_inserts(self) -> bool:
        """New runs appear at the top only where the top is the newest runs."""
        return self.page == 1 and self.sort == "newest"


def runs_for(user: Any, query: DashboardQuery) -> QuerySet[WorkflowRun]:
    runs = runs_visible_to(user)
    if query.status:
        runs = runs.filter(status__in=STATUSES[query.status][1])
    if query.workflow:
        runs = runs.filter(workflow_id=query.workflow)
    if query.by:
        runs = runs.filter(created_by__username=query.by)
    if query.mine:
        waiting = queue.actionable(user).filter(run=OuterRef("pk"))
        runs = runs.filter(Exists(waiting))
    if query.search:
        runs = runs.filter(
            Q(state__subject__icontains=query.search) | Q(input__url__icontains=query.search)
        )
    return runs


@dataclass(frozen=True)
class DashboardPage:
    query: DashboardQuery
    runs: list[WorkflowRun]
    total: int
    pages: int

    @property
    def previous_link(self) -> str:
        return self.query.querystring(page=self.query.page - 1)

    @property
    def next_link(self) -> str:
        return self.query.querystring(page=self.query.page + 1)


def dashboard_page(user: Any, query: DashboardQuery) -> DashboardPage:
    runs = runs_for(user, query)
    total = runs.count()
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(query.page, pages)
    start = (number - 1) * PAGE_SIZE
    ordered = runs.select_related("created_by").order_by(*SORTS[query.sort][1])
    listed = with_progress(list(ordered[start : start + PAGE_SIZE]))
    return DashboardPage(query=replace(query, page=number), runs=listed, total=total, pages=pages)


def matches(user: Any, query: DashboardQuery, run_id: Any) -> bool:
    """Whether a changed run belongs in this view now (one indexed query)."""
    return runs_for(user, query).filter(pk=run_id).exists()


def workflow_choices() -> list[str]:
    # order_by() replaces the model's default ordering, which would make DISTINCT per row.
    return list(
        WorkflowRun.objects.order_by("workflow_id").values_list("workflow_id", flat=True).distinct()
    )
