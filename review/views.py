"""The dashboard and the run page; both update live over websockets (review/consumers.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from review import roles
from review.dashboard import SORTS, STATUSES, DashboardQuery, dashboard_page, workflow_choices
from review.permissions import runs_visible_to
from review.review_items import review_items
from review.selectors import run_page, with_progress
from workflows import presentation


@dataclass(frozen=True)
class StartLink:
    workflow_id: str
    label: str


def start_links(user: object) -> list[StartLink]:
    """The "New brief"-style links: workflows that name a start label, if the user may start."""
    if not roles.can(user, roles.START_RUN):
        return []
    return [
        StartLink(workflow_id=workflow_id, label=shown.start_label)
        for workflow_id, shown in sorted(presentation.registered().items())
        if shown.start_label
    ]


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    query = DashboardQuery.parse(request.GET)
    page = dashboard_page(request.user, query)
    return TemplateResponse(
        request,
        "review/dashboard.html",
        {
            "page": page,
            "runs": page.runs,
            "starts": start_links(request.user),
            "statuses": [(key, label) for key, (label, _) in STATUSES.items()],
            "sorts": [(key, label) for key, (label, _) in SORTS.items()],
            "workflows": workflow_choices(),
        },
    )


@require_GET
@login_required
def run_detail(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    visible = runs_visible_to(request.user).select_related("created_by").filter(pk=run_id)
    found = visible.first()
    if found is None:
        raise Http404("No such run")
    run = with_progress([found])[0]
    return TemplateResponse(
        request,
        "review/run_detail.html",
        {"page": run_page(run), "items": review_items(run, request.user)},
    )
